//! Activation buffers: f32/u32 storage buffers sized to whole 16-byte words, because kernels read
//! activations as `array<vec4<f32>>`.

use crate::context::GpuContext;

/// Usage of every activation buffer: bound as storage, written by the queue, copied out.
pub const ACTIVATION_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_DST)
    .union(wgpu::BufferUsages::COPY_SRC);

/// Bytes of a buffer of `len` 4-byte elements, padded to 16.
pub fn padded_bytes(len: usize) -> u64 {
    (len as u64 * 4).div_ceil(16).max(1) * 16
}

/// A zero-filled storage buffer for `len` f32 (or u32) values.
pub fn storage(ctx: &GpuContext, label: &str, len: usize) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: padded_bytes(len),
        usage: ACTIVATION_USAGE,
        mapped_at_creation: false,
    })
}

/// A storage buffer holding `data` (4-byte plain values), zero-padded to 16 bytes.
pub fn storage_from<T: bytemuck::Pod>(ctx: &GpuContext, label: &str, data: &[T]) -> wgpu::Buffer {
    assert_eq!(size_of::<T>(), 4, "activation buffers hold 4-byte values");
    let buf = storage(ctx, label, data.len());
    ctx.queue.write_buffer(&buf, 0, bytemuck::cast_slice(data));
    buf
}

/// A uniform buffer holding one parameter struct.
pub fn uniform<T: bytemuck::Pod>(ctx: &GpuContext, label: &str, value: &T) -> wgpu::Buffer {
    let buf = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (size_of::<T>() as u64).div_ceil(16) * 16,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    ctx.queue.write_buffer(&buf, 0, bytemuck::bytes_of(value));
    buf
}
