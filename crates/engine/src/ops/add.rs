//! Residual add in place over a chunk of tokens, `acc[t, :] += addend[t, :]` for
//! `t < step.n_tokens` (`shaders/add.wgsl`).

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{check_len, check_step, grid_for, to_u32, Dispatches, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ElementwiseParams {
    n: u32,
    _pad: [u32; 3],
}

pub struct Add {
    kernel: Kernel,
}

/// The recorded dispatch of one bound add.
pub type AddBinding = Dispatches;

impl Add {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [Slot::Uniform, Slot::Read, Slot::Read, Slot::ReadWrite];
        Ok(Add {
            kernel: Kernel::new(ctx, &shaders::add(), &slots).await?,
        })
    }

    /// Binds `acc += addend` on `[cap x n]` buffers; the grid covers `cap` tokens and the kernel
    /// stops at the step's token count.
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        acc: &wgpu::Buffer,
        addend: &wgpu::Buffer,
        n: usize,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<AddBinding> {
        check_len(acc, n * cap, "add accumulator")?;
        check_len(addend, n * cap, "add addend")?;
        check_step(step)?;
        let total = to_u32(n * cap, "n x cap")?;
        let params = ElementwiseParams {
            n: to_u32(n, "n")?,
            _pad: [0; 3],
        };
        let uniform = buffers::uniform(ctx, "add params", &params);
        Ok(self
            .kernel
            .record(
                self.kernel.bind(ctx, &[&uniform, step, addend, acc]),
                grid_for(ctx, total.div_ceil(256)),
            )
            .into())
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &AddBinding) {
        b.encode(pass);
    }
}
