//! Index of the largest logit of the step's last token (row `step.n_tokens - 1` of a
//! `[cap x vocab]` buffer, `shaders/argmax.wgsl`), first index on ties like
//! `mistral_reference::argmax`: greedy decoding reads back 4 bytes, not the logits.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{check_len, check_step, to_u32, Dispatches, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ArgmaxParams {
    n: u32,
    cap: u32,
    _pad: [u32; 2],
}

pub struct Argmax {
    kernel: Kernel,
}

/// The recorded dispatch of one bound argmax.
pub type ArgmaxBinding = Dispatches;

impl Argmax {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [Slot::Uniform, Slot::Read, Slot::ReadWrite, Slot::Read];
        Ok(Argmax {
            kernel: Kernel::new(ctx, &shaders::argmax(), &slots).await?,
        })
    }

    /// Binds `out[0] = argmax(logits[n_tokens - 1, ..vocab])` (u32).
    pub fn bind(
        &self,
        ctx: &GpuContext,
        logits: &wgpu::Buffer,
        vocab: usize,
        out: &wgpu::Buffer,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<ArgmaxBinding> {
        check_len(logits, vocab * cap.max(1), "argmax logits")?;
        check_len(out, 1, "argmax result")?;
        check_step(step)?;
        let params = ArgmaxParams {
            n: to_u32(vocab, "vocab")?,
            cap: to_u32(cap.max(1), "cap")?,
            _pad: [0; 2],
        };
        let uniform = buffers::uniform(ctx, "argmax params", &params);
        Ok(self
            .kernel
            .record(
                self.kernel.bind(ctx, &[&uniform, logits, out, step]),
                [1, 1, 1],
            )
            .into())
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &ArgmaxBinding) {
        b.encode(pass);
    }
}
