//! Embedding lookup straight from the quantized token table (`shaders/embedding.wgsl`): the
//! token ids live in a GPU buffer, so a decode step can feed the previous argmax back in. The
//! grid covers the binding's capacity; tokens from `step.n_tokens` on are skipped.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::layout::WeightFormat;
use crate::ops::{check_grid, check_len, check_step, to_u32, weight_slots, Dispatches, Kernel};
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
}

pub struct Embedding {
    pub format: WeightFormat,
    kernel: Kernel,
}

/// One dispatch per part of the table.
pub type EmbeddingBinding = Dispatches;

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
        let kernel =
            Kernel::with_bindings(ctx, &shaders::embedding(format, f16), &weight_slots(format))
                .await?;
        Ok(Embedding { format, kernel })
    }

    /// Binds `out[t, :] = table[ids[t], :]` for `t < step.n_tokens` (ids `u32[cap]`, out
    /// `[cap x cols]`). Ids outside the table leave their output row untouched (callers validate
    /// ids on the CPU side).
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        table: &GpuTensor,
        ids: &wgpu::Buffer,
        out: &wgpu::Buffer,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<EmbeddingBinding> {
        if table.format != self.format {
            return Err(EngineError::Shape(format!(
                "embedding kernel for {:?} given tensor {} in {:?}",
                self.format, table.name, table.format
            )));
        }
        check_len(ids, cap, "embedding ids")?;
        check_len(out, cap * table.cols, "embedding output")?;
        check_step(step)?;
        let x_groups = to_u32(table.cols, "cols")?.div_ceil(WORKGROUP);
        let mut groups = Dispatches::default();
        for part in &table.parts {
            let params = EmbeddingParams {
                row_start: to_u32(part.row_start, "row start")?,
                rows: to_u32(part.rows, "rows")?,
                cols: to_u32(table.cols, "cols")?,
                blocks_per_row: to_u32(table.format.blocks_per_row(table.cols), "blocks")?,
            };
            let uniform = buffers::uniform(ctx, "embedding params", &params);
            let mut bufs = vec![&uniform, ids, out];
            bufs.extend(part.arrays.iter());
            bufs.push(step);
            let grid = check_grid(ctx, [x_groups, to_u32(cap, "cap")?.max(1), 1], "embedding")?;
            groups.push(self.kernel.record(self.kernel.bind(ctx, &bufs), grid));
        }
        Ok(groups)
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, binding: &EmbeddingBinding) {
        binding.encode(pass);
    }
}
