//! The k largest logits of the step's last token (row `step.n_tokens - 1` of a `[cap x vocab]`
//! buffer, `shaders/topk.wgsl`), sorted by value descending then index ascending, NaN ranked as
//! -inf: sampled decoding reads back `2k` u32 instead of the whole logits row.
//!
//! `k` is at most [`TopK::MAX_K`] (the kernel does k rounds over the row, so it is meant for the
//! small k of top-k sampling). `k > vocab` is clamped rather than refused, so one binding with
//! `k = MAX_K` serves any vocabulary: slots from `vocab` on hold id `u32::MAX` and -inf.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::ops::{check_len, check_step, to_u32, Dispatches, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct TopKParams {
    n: u32,
    cap: u32,
    k: u32,
    _pad: u32,
}

pub struct TopK {
    kernel: Kernel,
}

pub struct TopKBinding {
    pub dispatches: Dispatches,
    pub k: usize,
}

impl TopK {
    /// The largest k a binding accepts.
    pub const MAX_K: usize = 64;

    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [Slot::Uniform, Slot::Read, Slot::ReadWrite, Slot::Read];
        Ok(TopK {
            kernel: Kernel::new(ctx, &shaders::topk(), &slots).await?,
        })
    }

    /// Binds `out[..k]` = ids and `out[k..2k]` = f32 bits of the k largest logits of row
    /// `n_tokens - 1` (NaN written as -inf). Errors when `k` is 0 or above [`Self::MAX_K`].
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        logits: &wgpu::Buffer,
        vocab: usize,
        k: usize,
        out: &wgpu::Buffer,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<TopKBinding> {
        if k == 0 || k > Self::MAX_K {
            return Err(EngineError::Shape(format!(
                "top-k: k = {k} is outside 1..={}",
                Self::MAX_K
            )));
        }
        if vocab == 0 {
            return Err(EngineError::Shape("top-k: empty logits row".into()));
        }
        check_len(logits, vocab * cap.max(1), "top-k logits")?;
        check_len(out, 2 * k, "top-k result")?;
        check_step(step)?;
        let params = TopKParams {
            n: to_u32(vocab, "vocab")?,
            cap: to_u32(cap.max(1), "cap")?,
            k: k as u32,
            _pad: 0,
        };
        let uniform = buffers::uniform(ctx, "top-k params", &params);
        Ok(TopKBinding {
            dispatches: self
                .kernel
                .record(
                    self.kernel.bind(ctx, &[&uniform, logits, out, step]),
                    [1, 1, 1],
                )
                .into(),
            k,
        })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &TopKBinding) {
        b.dispatches.encode(pass);
    }
}
