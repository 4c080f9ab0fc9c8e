//! `out = silu(gate) * up` over a chunk of tokens (`shaders/silu_mul.wgsl`), the SwiGLU
//! feed-forward gate.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{check_len, check_step, grid_for, to_u32, Dispatches, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SiluMulParams {
    n: u32,
    row_stride: u32,
    up_offset: u32,
    _pad: u32,
}

pub struct SiluMul {
    kernel: Kernel,
}

/// The recorded dispatch of one bound silu mul.
pub type SiluMulBinding = Dispatches;

impl SiluMul {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [
            Slot::Uniform,
            Slot::Read,
            Slot::Read,
            Slot::Read,
            Slot::ReadWrite,
        ];
        Ok(SiluMul {
            kernel: Kernel::new(ctx, &shaders::silu_mul(), &slots).await?,
        })
    }

    /// Binds the gate on `[cap x n]` buffers (`n` values per token).
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        gate: &wgpu::Buffer,
        up: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: usize,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<SiluMulBinding> {
        self.bind_rows(ctx, gate, up, n, 0, out, n, step, cap)
    }

    /// The gate over the fused `[cap x (gate | up)]` output of one matmul: row `t` holds gate
    /// in `[0, n)` and up in `[n, 2n)`.
    pub fn bind_fused(
        &self,
        ctx: &GpuContext,
        gate_up: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: usize,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<SiluMulBinding> {
        self.bind_rows(ctx, gate_up, gate_up, 2 * n, n, out, n, step, cap)
    }

    /// Token `t`'s gate at `gate[t * row_stride..][..n]`, its up at
    /// `up[t * row_stride + up_offset..][..n]`; `out` is `[cap x n]`.
    #[allow(clippy::too_many_arguments)]
    fn bind_rows(
        &self,
        ctx: &GpuContext,
        gate: &wgpu::Buffer,
        up: &wgpu::Buffer,
        row_stride: usize,
        up_offset: usize,
        out: &wgpu::Buffer,
        n: usize,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<SiluMulBinding> {
        check_len(gate, row_stride * cap, "silu_mul gate")?;
        check_len(
            up,
            row_stride * cap.saturating_sub(1) + up_offset + n,
            "silu_mul up",
        )?;
        check_len(out, n * cap, "silu_mul output")?;
        check_step(step)?;
        let total = to_u32(n * cap, "n x cap")?;
        let params = SiluMulParams {
            n: to_u32(n, "n")?,
            row_stride: to_u32(row_stride, "row_stride")?,
            up_offset: to_u32(up_offset, "up_offset")?,
            _pad: 0,
        };
        let uniform = buffers::uniform(ctx, "silu_mul params", &params);
        Ok(self
            .kernel
            .record(
                self.kernel.bind(ctx, &[&uniform, step, gate, up, out]),
                grid_for(ctx, total.div_ceil(256)),
            )
            .into())
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &SiluMulBinding) {
        b.encode(pass);
    }
}
