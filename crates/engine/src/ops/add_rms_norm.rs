//! `x += residual; out = rms_norm(x) * weight` over each token row (`shaders/add_rms_norm.wgsl`):
//! the residual connection and the next block's RMSNorm in one dispatch.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{check_grid, check_len, check_step, to_u32, Dispatches, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct AddRmsNormParams {
    n: u32,
    eps: f32,
    _pad: [u32; 2],
}

pub struct AddRmsNorm {
    kernel: Kernel,
}

/// The recorded dispatch of one bound add rms norm.
pub type AddRmsNormBinding = Dispatches;

impl AddRmsNorm {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [
            Slot::Uniform,
            Slot::Read,
            Slot::Read,
            Slot::Read,
            Slot::ReadWrite,
            Slot::ReadWrite,
        ];
        Ok(AddRmsNorm {
            kernel: Kernel::new(ctx, &shaders::add_rms_norm(), &slots).await?,
        })
    }

    /// Binds `x[t] += residual[t]; out[t] = x[t] / rms(x[t]) * weight` on `[cap x n]` buffers.
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        residual: &wgpu::Buffer,
        weight: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: usize,
        eps: f32,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<AddRmsNormBinding> {
        check_len(x, n * cap, "add_rms_norm x")?;
        check_len(residual, n * cap, "add_rms_norm residual")?;
        check_len(weight, n, "add_rms_norm weight")?;
        check_len(out, n * cap, "add_rms_norm output")?;
        check_step(step)?;
        let grid = check_grid(ctx, [to_u32(cap, "cap")?.max(1), 1, 1], "add_rms_norm")?;
        let params = AddRmsNormParams {
            n: to_u32(n, "n")?,
            eps,
            _pad: [0; 2],
        };
        let uniform = buffers::uniform(ctx, "add_rms_norm params", &params);
        Ok(self
            .kernel
            .record(
                self.kernel
                    .bind(ctx, &[&uniform, step, residual, weight, x, out]),
                grid,
            )
            .into())
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &AddRmsNormBinding) {
        b.encode(pass);
    }
}
