//! Reading GPU buffers back to the CPU. Mapping is asynchronous in wgpu; natively the device is
//! polled until the copy is done, in the browser the map callback fires from the event loop and
//! wakes the future. Nothing here blocks a thread on wasm32.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::context::GpuContext;
use crate::error::{EngineError, Result};

/// A one-shot slot filled by a wgpu callback.
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            value: None,
            waker: None,
        }
    }
}

struct SlotFuture<T>(Arc<Mutex<Slot<T>>>);

impl<T> Future for SlotFuture<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = match self.0.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        match slot.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn fill<T>(slot: &Arc<Mutex<Slot<T>>>, value: T) {
    let mut s = match slot.lock() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    };
    s.value = Some(value);
    if let Some(w) = s.waker.take() {
        w.wake();
    }
}

/// Copies `len` bytes at `offset` of `buffer` (which needs COPY_SRC) to the CPU.
/// `offset` and `len` must be multiples of 4.
pub async fn read_bytes(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>> {
    let enc = ctx.device.create_command_encoder(&Default::default());
    submit_and_read(ctx, enc, buffer, offset, len).await
}

/// Appends a copy of `buffer[offset..offset+len]` to `enc`, submits it (one submission for the
/// recorded work and the copy) and returns the bytes once the GPU is done.
pub async fn submit_and_read(
    ctx: &GpuContext,
    enc: wgpu::CommandEncoder,
    buffer: &wgpu::Buffer,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>> {
    let staging = staging_buffer(ctx, len);
    submit_and_read_via(ctx, enc, buffer, offset, len, &staging).await
}

/// A MAP_READ buffer for readbacks of up to `len` bytes; callers on a hot path (one readback
/// per generated token) keep one instead of allocating per read.
pub fn staging_buffer(ctx: &GpuContext, len: u64) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: len.max(4).next_multiple_of(4),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// [`submit_and_read`] through a caller-owned `staging` buffer (at least `len` bytes).
pub async fn submit_and_read_via(
    ctx: &GpuContext,
    mut enc: wgpu::CommandEncoder,
    buffer: &wgpu::Buffer,
    offset: u64,
    len: u64,
    staging: &wgpu::Buffer,
) -> Result<Vec<u8>> {
    if staging.size() < len {
        return Err(EngineError::Readback(format!(
            "staging buffer of {} bytes cannot hold {len}",
            staging.size()
        )));
    }
    enc.copy_buffer_to_buffer(buffer, offset, staging, 0, len);
    let index = ctx.queue.submit(Some(enc.finish()));
    map_read(ctx, staging, len, index).await
}

/// The first `len` bytes of `staging` once submission `index` (which wrote them) has completed.
/// Natively this waits for that submission only, so work submitted after it keeps running; on
/// the web the poll returns at once and the map callback comes from the event loop.
pub async fn map_read(
    ctx: &GpuContext,
    staging: &wgpu::Buffer,
    len: u64,
    index: wgpu::SubmissionIndex,
) -> Result<Vec<u8>> {
    let slot = Arc::new(Mutex::new(Slot::default()));
    let sink = slot.clone();
    staging
        .slice(..len)
        .map_async(wgpu::MapMode::Read, move |r| fill(&sink, r));
    ctx.device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(index),
            timeout: None,
        })
        .map_err(|e| EngineError::Readback(e.to_string()))?;
    SlotFuture(slot)
        .await
        .map_err(|e| EngineError::Readback(e.to_string()))?;
    ctx.check()?;
    let bytes = staging
        .slice(..len)
        .get_mapped_range()
        .map_err(|e| EngineError::Readback(e.to_string()))?
        .to_vec();
    staging.unmap();
    Ok(bytes)
}

/// Reads `len` f32 values starting at element `start`.
pub async fn read_f32(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    start: usize,
    len: usize,
) -> Result<Vec<f32>> {
    let bytes = read_bytes(ctx, buffer, start as u64 * 4, len as u64 * 4).await?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

/// Reads `len` u32 values starting at element `start`.
pub async fn read_u32(
    ctx: &GpuContext,
    buffer: &wgpu::Buffer,
    start: usize,
    len: usize,
) -> Result<Vec<u32>> {
    let bytes = read_bytes(ctx, buffer, start as u64 * 4, len as u64 * 4).await?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}
