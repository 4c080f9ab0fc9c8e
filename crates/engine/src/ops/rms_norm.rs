//! RMSNorm of each token's row of `n` values (`shaders/rms_norm.wgsl`), one workgroup per row;
//! the grid covers the binding's capacity and rows from `step.n_tokens` on are skipped.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{check_grid, check_len, check_step, to_u32, Dispatches, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RmsNormParams {
    n: u32,
    eps: f32,
    _pad: [u32; 2],
}

pub struct RmsNorm {
    kernel: Kernel,
}

/// The recorded dispatch of one bound rms norm.
pub type RmsNormBinding = Dispatches;

impl RmsNorm {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [
            Slot::Uniform,
            Slot::Read,
            Slot::Read,
            Slot::Read,
            Slot::ReadWrite,
        ];
        Ok(RmsNorm {
            kernel: Kernel::new(ctx, &shaders::rms_norm(), &slots).await?,
        })
    }

    /// Binds `out[t, :] = x[t, :] / rms(x[t, :]) * weight` on `[cap x n]` buffers.
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        weight: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: usize,
        eps: f32,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<RmsNormBinding> {
        check_len(x, n * cap, "rms_norm input")?;
        check_len(weight, n, "rms_norm weight")?;
        check_len(out, n * cap, "rms_norm output")?;
        check_step(step)?;
        let grid = check_grid(ctx, [to_u32(cap, "cap")?.max(1), 1, 1], "rms_norm")?;
        let params = RmsNormParams {
            n: to_u32(n, "n")?,
            eps,
            _pad: [0; 2],
        };
        let uniform = buffers::uniform(ctx, "rms_norm params", &params);
        Ok(self
            .kernel
            .record(
                self.kernel.bind(ctx, &[&uniform, step, x, weight, out]),
                grid,
            )
            .into())
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &RmsNormBinding) {
        b.encode(pass);
    }
}
