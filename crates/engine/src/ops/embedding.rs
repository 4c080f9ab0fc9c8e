//! Embedding lookup straight from the quantized token table (`shaders/embedding.wgsl`): the
//! token ids live in a GPU buffer, so a decode step can feed the previous argmax back in.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::layout::WeightFormat;
use crate::ops::{check_grid, check_len, to_u32, Kernel, Slot};
use crate::shaders::{self, F16Decode};
use crate::tensor::GpuTensor;

const WORKGROUP: u32 = 64;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct EmbeddingParams {
    row_start: u32,
    rows: u32,
    cols: u32,
    blocks_per_row: u32,
    n_tokens: u32,
    ids_offset: u32,
    _pad: [u32; 2],
}

pub struct Embedding {
    pub format: WeightFormat,
    kernel: Kernel,
}

pub struct EmbeddingBinding {
    groups: Vec<(wgpu::BindGroup, [u32; 3])>,
}

impl Embedding {
    /// The kernel for `format` with the f16 decoder this device supports.
    pub async fn new(ctx: &GpuContext, format: WeightFormat) -> Result<Self> {
        Self::with_f16_decode(ctx, format, ctx.features.f16_decode()).await
    }

    /// The kernel with a chosen f16 decoder (tests run both where the device has both).
    pub async fn with_f16_decode(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
    ) -> Result<Self> {
        let mut slots = vec![Slot::Uniform, Slot::Read, Slot::ReadWrite];
        slots.extend(std::iter::repeat_n(Slot::Read, format.n_arrays()));
        let kernel = Kernel::new(ctx, &shaders::embedding(format, f16), &slots).await?;
        Ok(Embedding { format, kernel })
    }

    /// Binds `out[t, :] = table[ids[ids_offset + t], :]` for `n_tokens` tokens. Ids outside the
    /// table leave their output row untouched (callers validate ids on the CPU side).
    pub fn bind(
        &self,
        ctx: &GpuContext,
        table: &GpuTensor,
        ids: &wgpu::Buffer,
        ids_offset: usize,
        n_tokens: usize,
        out: &wgpu::Buffer,
    ) -> Result<EmbeddingBinding> {
        if table.format != self.format {
            return Err(EngineError::Shape(format!(
                "embedding kernel for {:?} given tensor {} in {:?}",
                self.format, table.name, table.format
            )));
        }
        check_len(ids, ids_offset + n_tokens, "embedding ids")?;
        check_len(out, n_tokens * table.cols, "embedding output")?;
        let x_groups = to_u32(table.cols, "cols")?.div_ceil(WORKGROUP);
        let mut groups = Vec::new();
        for part in &table.parts {
            let params = EmbeddingParams {
                row_start: to_u32(part.row_start, "row start")?,
                rows: to_u32(part.rows, "rows")?,
                cols: to_u32(table.cols, "cols")?,
                blocks_per_row: to_u32(table.format.blocks_per_row(table.cols), "blocks")?,
                n_tokens: to_u32(n_tokens, "tokens")?,
                ids_offset: to_u32(ids_offset, "ids offset")?,
                _pad: [0; 2],
            };
            let uniform = buffers::uniform(ctx, "embedding params", &params);
            let mut bufs = vec![&uniform, ids, out];
            bufs.extend(part.arrays.iter());
            let grid = check_grid(ctx, [x_groups, params.n_tokens.max(1), 1], "embedding")?;
            groups.push((self.kernel.bind(ctx, &bufs), grid));
        }
        Ok(EmbeddingBinding { groups })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, binding: &EmbeddingBinding) {
        for (group, grid) in &binding.groups {
            self.kernel.dispatch(pass, group, *grid);
        }
    }
}
