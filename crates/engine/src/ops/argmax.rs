//! Index of the largest value of a row (`shaders/argmax.wgsl`), first index on ties like
//! `mistral_reference::argmax`: greedy decoding reads back 4 bytes, not the logits.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{check_len, to_u32, Kernel, Slot};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ArgmaxParams {
    n: u32,
    offset: u32,
    out_index: u32,
    _pad: u32,
}

pub struct Argmax {
    kernel: Kernel,
}

pub struct ArgmaxBinding {
    group: wgpu::BindGroup,
}

impl Argmax {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let slots = [Slot::Uniform, Slot::Read, Slot::ReadWrite];
        Ok(Argmax {
            kernel: Kernel::new(ctx, &shaders::argmax(), &slots).await?,
        })
    }

    /// Binds `result[out_index] = argmax(values[offset .. offset + n])` (u32).
    pub fn bind(
        &self,
        ctx: &GpuContext,
        values: &wgpu::Buffer,
        offset: usize,
        n: usize,
        result: &wgpu::Buffer,
        out_index: usize,
    ) -> Result<ArgmaxBinding> {
        check_len(values, offset + n, "argmax input")?;
        check_len(result, out_index + 1, "argmax result")?;
        let params = ArgmaxParams {
            n: to_u32(n, "n")?,
            offset: to_u32(offset, "offset")?,
            out_index: to_u32(out_index, "out_index")?,
            _pad: 0,
        };
        let uniform = buffers::uniform(ctx, "argmax params", &params);
        Ok(ArgmaxBinding {
            group: self.kernel.bind(ctx, &[&uniform, values, result]),
        })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &ArgmaxBinding) {
        self.kernel.dispatch(pass, &b.group, [1, 1, 1]);
    }
}
