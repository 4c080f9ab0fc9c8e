//! Residual add in place, `acc += addend` (`shaders/add.wgsl`).

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{check_len, grid_for, to_u32, Kernel, Slot};
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

pub struct AddBinding {
    group: wgpu::BindGroup,
    grid: [u32; 3],
}

impl Add {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [Slot::Uniform, Slot::Read, Slot::ReadWrite];
        Ok(Add {
            kernel: Kernel::new(ctx, &shaders::add(), &slots).await?,
        })
    }

    pub fn bind(
        &self,
        ctx: &GpuContext,
        acc: &wgpu::Buffer,
        addend: &wgpu::Buffer,
        n: usize,
    ) -> Result<AddBinding> {
        check_len(acc, n, "add accumulator")?;
        check_len(addend, n, "add addend")?;
        let n = to_u32(n, "n")?;
        let uniform = buffers::uniform(ctx, "add params", &ElementwiseParams { n, _pad: [0; 3] });
        Ok(AddBinding {
            group: self.kernel.bind(ctx, &[&uniform, addend, acc]),
            grid: grid_for(ctx, n.div_ceil(256)),
        })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &AddBinding) {
        self.kernel.dispatch(pass, &b.group, b.grid);
    }
}
