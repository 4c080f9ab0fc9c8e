//! `y = W x` for a weight tensor in any [`WeightFormat`] (`shaders/matvec.wgsl` +
//! `quant_<type>.wgsl` + `matvec_<type>.wgsl`): one kernel per format, dequantizing inside the
//! dot product and accumulating in f32. A tensor split into row parts gets one dispatch per part.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::layout::WeightFormat;
use crate::ops::{check_len, grid_for, to_u32, Kernel, Slot};
use crate::shaders::{self, F16Decode};
use crate::tensor::GpuTensor;

/// Rows one workgroup computes: 64 invocations x 4 rows (`shaders/matvec.wgsl`).
const ROWS_PER_WORKGROUP: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatvecParams {
    rows: u32,
    cols: u32,
    blocks_per_row: u32,
    out_offset: u32,
}

/// The matrix-vector kernel of one weight format.
pub struct Matvec {
    pub format: WeightFormat,
    kernel: Kernel,
}

/// Bind groups of one `y[offset..] = W x` (one per tensor part), built once.
pub struct MatvecBinding {
    groups: Vec<(wgpu::BindGroup, [u32; 3])>,
}

impl Matvec {
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
        let kernel = Kernel::new(ctx, &shaders::matvec(format, f16), &slots).await?;
        Ok(Matvec { format, kernel })
    }

    /// Binds `y[y_offset .. y_offset + w.rows] = w * x[..w.cols]`.
    pub fn bind(
        &self,
        ctx: &GpuContext,
        w: &GpuTensor,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        y_offset: usize,
    ) -> Result<MatvecBinding> {
        if w.format != self.format {
            return Err(EngineError::Shape(format!(
                "matvec kernel for {:?} given tensor {} in {:?}",
                self.format, w.name, w.format
            )));
        }
        // x is read as vec4s: the buffer must cover cols rounded up to 4 (buffers::storage does).
        check_len(x, w.cols.div_ceil(4) * 4, "matvec input")?;
        check_len(y, y_offset + w.rows, "matvec output")?;
        let bpr = to_u32(w.format.blocks_per_row(w.cols), "blocks per row")?;
        let mut groups = Vec::with_capacity(w.parts.len());
        for part in &w.parts {
            let params = MatvecParams {
                rows: to_u32(part.rows, "rows")?,
                cols: to_u32(w.cols, "cols")?,
                blocks_per_row: bpr,
                out_offset: to_u32(y_offset + part.row_start, "output offset")?,
            };
            let uniform = buffers::uniform(ctx, "matvec params", &params);
            let mut bufs = vec![&uniform, x, y];
            bufs.extend(part.arrays.iter());
            let group = self.kernel.bind(ctx, &bufs);
            groups.push((
                group,
                grid_for(ctx, params.rows.div_ceil(ROWS_PER_WORKGROUP)),
            ));
        }
        Ok(MatvecBinding { groups })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, binding: &MatvecBinding) {
        for (group, grid) in &binding.groups {
            self.kernel.dispatch(pass, group, *grid);
        }
    }
}
