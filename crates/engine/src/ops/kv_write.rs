//! Writes a chunk's K and V rows into the rolling cache (`shaders/kv_write.wgsl` with
//! `kv_store_<storage>.wgsl`): token i of the step goes to slot (pos0 + i) % ring_len.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::ops::{check_len, grid_for, to_u32, Dispatches, Kernel, KvCache, KvStorage, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct KvWriteParams {
    kv_dim: u32,
    ring_len: u32,
    cap: u32,
    src_stride: u32,
    k_off: u32,
    v_off: u32,
    _pad: [u32; 2],
}

/// Where K and V sit in their source buffers, in values: row `t`'s K starts at
/// `t * row_stride + k_offset` (separate buffers: stride kv_dim, offsets 0; the fused
/// `[q | k | v]` projection: stride q_dim + 2 kv_dim, offsets q_dim and q_dim + kv_dim).
#[derive(Clone, Copy, Debug)]
pub struct KvSource {
    pub row_stride: usize,
    pub k_offset: usize,
    pub v_offset: usize,
}

pub struct KvWrite {
    kernel: Kernel,
    storage: KvStorage,
}

/// The recorded dispatch of one bound kv write.
pub type KvWriteBinding = Dispatches;

impl KvWrite {
    pub async fn new(ctx: &GpuContext, storage: KvStorage) -> Result<Self> {
        let slots = [
            Slot::Uniform,
            Slot::Read,
            Slot::Read,
            Slot::Read,
            Slot::ReadWrite,
            Slot::ReadWrite,
        ];
        Ok(KvWrite {
            kernel: Kernel::new(ctx, &shaders::kv_write(storage), &slots).await?,
            storage,
        })
    }

    /// Binds the write of up to `cap` token rows of `k_src`/`v_src` (f32, `cap * kv_dim`) into
    /// `layer` of `cache`; `step` says where (pos0) and how many (n_tokens <= cap).
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        k_src: &wgpu::Buffer,
        v_src: &wgpu::Buffer,
        cache: &KvCache,
        layer: usize,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<KvWriteBinding> {
        let layout = KvSource {
            row_stride: cache.kv_dim,
            k_offset: 0,
            v_offset: 0,
        };
        self.bind_from(ctx, k_src, v_src, layout, cache, layer, step, cap)
    }

    /// [`KvWrite::bind`] with K and V rows laid out as `layout` says (`k_src` and `v_src` may be
    /// the same buffer).
    #[allow(clippy::too_many_arguments)]
    pub fn bind_from(
        &self,
        ctx: &GpuContext,
        k_src: &wgpu::Buffer,
        v_src: &wgpu::Buffer,
        layout: KvSource,
        cache: &KvCache,
        layer: usize,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<KvWriteBinding> {
        if cache.storage != self.storage {
            return Err(EngineError::Shape(format!(
                "kv_write built for a {} cache bound to a {} cache",
                self.storage.name(),
                cache.storage.name()
            )));
        }
        // Two tokens of one chunk in the same slot would race; the ring is sized for more anyway.
        if cap == 0 || cap > cache.ring_len {
            return Err(EngineError::Shape(format!(
                "kv_write of chunks of {cap} tokens into a ring of {} slots: the chunk must be \
                 between 1 and the ring length",
                cache.ring_len
            )));
        }
        let (k_cache, v_cache) = cache.layer(layer)?;
        let n = cap * cache.kv_dim;
        let KvSource {
            row_stride,
            k_offset,
            v_offset,
        } = layout;
        let in_row = |off: usize| off + cache.kv_dim <= row_stride && off.is_multiple_of(2);
        if !row_stride.is_multiple_of(2) || !in_row(k_offset) || !in_row(v_offset) {
            return Err(EngineError::Shape(format!(
                "kv_write: K at {k_offset} and V at {v_offset} (even, {} values each) must lie in \
                 source rows of {row_stride} values (even)",
                cache.kv_dim
            )));
        }
        let rows = (cap - 1) * row_stride + cache.kv_dim;
        check_len(k_src, rows + k_offset, "kv_write k source")?;
        check_len(v_src, rows + v_offset, "kv_write v source")?;
        let params = KvWriteParams {
            kv_dim: to_u32(cache.kv_dim, "kv_dim")?,
            ring_len: to_u32(cache.ring_len, "ring_len")?,
            cap: to_u32(cap, "cap")?,
            src_stride: to_u32(row_stride / 2, "row_stride")?,
            k_off: to_u32(k_offset / 2, "k_offset")?,
            v_off: to_u32(v_offset / 2, "v_offset")?,
            _pad: [0; 2],
        };
        let uniform = buffers::uniform(ctx, "kv_write params", &params);
        let invocations = to_u32(n / 2, "kv_write pairs")?;
        Ok(self
            .kernel
            .record(
                self.kernel
                    .bind(ctx, &[&uniform, step, k_src, v_src, k_cache, v_cache]),
                grid_for(ctx, invocations.div_ceil(256)),
            )
            .into())
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &KvWriteBinding) {
        b.encode(pass);
    }
}
