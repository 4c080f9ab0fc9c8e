//! RMSNorm of `n_rows` rows of `n` values (`shaders/rms_norm.wgsl`), one workgroup per row.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::ops::{check_len, to_u32, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RmsNormParams {
    n: u32,
    n_rows: u32,
    eps: f32,
    _pad: u32,
}

pub struct RmsNorm {
    kernel: Kernel,
}

pub struct RmsNormBinding {
    group: wgpu::BindGroup,
    grid: [u32; 3],
}

impl RmsNorm {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [Slot::Uniform, Slot::Read, Slot::Read, Slot::ReadWrite];
        Ok(RmsNorm {
            kernel: Kernel::new(ctx, &shaders::rms_norm(), &slots).await?,
        })
    }

    /// Binds `out[r, :] = x[r, :] / rms(x[r, :]) * weight` for `n_rows` rows of `n`.
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        weight: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: usize,
        n_rows: usize,
        eps: f32,
    ) -> Result<RmsNormBinding> {
        check_len(x, n * n_rows, "rms_norm input")?;
        check_len(weight, n, "rms_norm weight")?;
        check_len(out, n * n_rows, "rms_norm output")?;
        let rows = to_u32(n_rows, "rows")?;
        if rows > ctx.limits.max_compute_workgroups_per_dimension {
            return Err(EngineError::Shape(format!(
                "rms_norm over {rows} rows exceeds the workgroup grid limit"
            )));
        }
        let params = RmsNormParams {
            n: to_u32(n, "n")?,
            n_rows: rows,
            eps,
            _pad: 0,
        };
        let uniform = buffers::uniform(ctx, "rms_norm params", &params);
        Ok(RmsNormBinding {
            group: self.kernel.bind(ctx, &[&uniform, x, weight, out]),
            grid: [rows.max(1), 1, 1],
        })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &RmsNormBinding) {
        self.kernel.dispatch(pass, &b.group, b.grid);
    }
}
