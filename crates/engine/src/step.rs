//! The per-submission values of a forward step (first position, token count), kept in one small
//! storage buffer that every batched kernel reads. Bind groups are built once at load time; a
//! step only rewrites these 16 bytes with `queue.write_buffer` before its single submission.

use crate::buffers::ACTIVATION_USAGE;
use crate::context::GpuContext;

/// Layout of the step buffer as the shaders see it (`struct Step` in WGSL):
/// `pos0` is the absolute position of the step's first token, `n_tokens` how many tokens the
/// step processes (1 for decode, up to the chunk capacity for prefill).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct StepParams {
    pub pos0: u32,
    pub n_tokens: u32,
    pub _pad: [u32; 2],
}

/// WGSL declaration matching [`StepParams`]; kernels bind it as `var<storage, read>`.
pub const STEP_WGSL: &str = "struct Step { pos0: u32, n_tokens: u32, pad0: u32, pad1: u32 }\n";

/// The buffer holding one [`StepParams`].
pub struct StepBuffer {
    pub buffer: wgpu::Buffer,
}

impl StepBuffer {
    pub fn new(ctx: &GpuContext) -> Self {
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("step"),
            size: size_of::<StepParams>() as u64,
            usage: ACTIVATION_USAGE,
            mapped_at_creation: false,
        });
        StepBuffer { buffer }
    }

    /// Queues the step's values; they take effect in the next submission.
    pub fn write(&self, ctx: &GpuContext, pos0: usize, n_tokens: usize) {
        let p = StepParams {
            pos0: pos0 as u32,
            n_tokens: n_tokens as u32,
            _pad: [0; 2],
        };
        ctx.queue
            .write_buffer(&self.buffer, 0, bytemuck::bytes_of(&p));
    }
}
