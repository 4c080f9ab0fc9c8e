//! Rotary position embedding in place on adjacent pairs (`shaders/rope.wgsl`), over a chunk of
//! tokens: token `t` is at position `step.pos0 + t`, read from the step buffer at run time. The
//! inverse frequencies are computed here, in f32, exactly as the CPU reference computes them,
//! and uploaded once per binding.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::ops::{check_grid, check_len, check_step, to_u32, Dispatches, Kernel, Slot};
use crate::shaders;

const WORKGROUP: u32 = 64;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RopeParams {
    head_dim: u32,
    n_heads: u32,
    row_stride: u32,
    _pad: u32,
}

pub struct Rope {
    kernel: Kernel,
}

pub struct RopeBinding {
    pub dispatches: Dispatches,
    /// Kept so that several bindings with the same theta/head_dim could share it later.
    pub inv_freq: wgpu::Buffer,
}

/// `1 / theta^(2i / head_dim)` for each pair, as `mistral_reference::linalg::rope` computes it.
pub fn inv_freq(head_dim: usize, theta: f32) -> Vec<f32> {
    (0..head_dim / 2)
        .map(|i| 1.0 / theta.powf((2 * i) as f32 / head_dim as f32))
        .collect()
}

impl Rope {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [Slot::Uniform, Slot::Read, Slot::Read, Slot::ReadWrite];
        Ok(Rope {
            kernel: Kernel::new(ctx, &shaders::rope(), &slots).await?,
        })
    }

    /// Binds RoPE over `x` = `[cap x n_heads * head_dim]`.
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        n_heads: usize,
        head_dim: usize,
        theta: f32,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<RopeBinding> {
        self.bind_rows(
            ctx,
            x,
            n_heads,
            head_dim,
            n_heads * head_dim,
            theta,
            step,
            cap,
        )
    }

    /// Binds RoPE over the first `n_heads * head_dim` values of each of `cap` rows of
    /// `row_stride` values (the q and k heads of a fused `[q | k | v]` projection).
    #[allow(clippy::too_many_arguments)]
    pub fn bind_rows(
        &self,
        ctx: &GpuContext,
        x: &wgpu::Buffer,
        n_heads: usize,
        head_dim: usize,
        row_stride: usize,
        theta: f32,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<RopeBinding> {
        if !head_dim.is_multiple_of(2) {
            return Err(EngineError::Shape(format!(
                "RoPE needs an even head_dim, got {head_dim}"
            )));
        }
        if row_stride < n_heads * head_dim {
            return Err(EngineError::Shape(format!(
                "RoPE rows of {row_stride} values cannot hold {n_heads} heads of {head_dim}"
            )));
        }
        check_len(x, row_stride * cap, "rope input")?;
        check_step(step)?;
        let params = RopeParams {
            head_dim: to_u32(head_dim, "head_dim")?,
            n_heads: to_u32(n_heads, "n_heads")?,
            row_stride: to_u32(row_stride, "row_stride")?,
            _pad: 0,
        };
        let inv_freq = buffers::storage_from(ctx, "rope inv_freq", &inv_freq(head_dim, theta));
        let uniform = buffers::uniform(ctx, "rope params", &params);
        let pairs = params.n_heads * params.head_dim / 2;
        let grid = [
            pairs.div_ceil(WORKGROUP).max(1),
            to_u32(cap, "cap")?.max(1),
            1,
        ];
        Ok(RopeBinding {
            dispatches: self
                .kernel
                .record(
                    self.kernel.bind(ctx, &[&uniform, step, &inv_freq, x]),
                    check_grid(ctx, grid, "rope")?,
                )
                .into(),
            inv_freq,
        })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &RopeBinding) {
        b.dispatches.encode(pass);
    }
}
