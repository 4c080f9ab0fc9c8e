//! `y[t, :] = W x[t, :]` for the tokens `t < step.n_tokens` of a chunk, W in any
//! [`WeightFormat`]. Two kernels per format: a binding for one token (decode) records the
//! matrix-vector kernel (`Matvec`, the fastest single-token path), a binding for a chunk the
//! batched kernel of `shaders/matmul.wgsl`, which dequantizes each weight once per group of
//! eight tokens. A tensor split into row parts gets one dispatch per part.
//!
//! Measured on lavapipe (2 shared Zen 4 cores, loaded; `bench_matmul`, 4096x4096, 16 tokens):
//! one row x 8 tokens per invocation ran Q4_0 at 83 tok/s; four rows x 8 tokens (x loads shared
//! by four rows) at 157 tok/s (Q8_0 141, Q4_K 146), against 16 matvecs at 1.2-2.2x that rate
//! there: on a CPU the scalar `weight()` decoder costs more than the saved re-decoding. Per-type
//! vectorized block decoders (as matvec_<type>.wgsl has) are the next step.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::layout::WeightFormat;
use crate::ops::matvec::Matvec;
use crate::ops::{
    check_grid, check_len, check_step, grid_for, to_u32, weight_slots, Dispatches, Kernel,
};
use crate::shaders::{self, F16Decode};
use crate::tensor::GpuTensor;

/// Rows one workgroup computes: 64 invocations x 4 rows (`shaders/matmul.wgsl`).
const ROWS_PER_WORKGROUP: u32 = 256;
/// Tokens one invocation computes (grid z counts these groups).
const TOKENS_PER_GROUP: u32 = 8;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatmulParams {
    rows: u32,
    cols: u32,
    blocks_per_row: u32,
    out_offset: u32,
    y_stride: u32,
    _pad: [u32; 3],
}

/// The matrix product kernels of one weight format.
pub struct Matmul {
    pub format: WeightFormat,
    matvec: Matvec,
    kernel: Kernel,
}

/// A bound product, built once: the matvec path for a capacity of one token, otherwise one
/// bind group of the batched kernel per tensor part.
pub type MatmulBinding = Dispatches;

impl Matmul {
    /// The kernels for `format` with the f16 decoder this device supports.
    pub async fn new(ctx: &GpuContext, format: WeightFormat) -> Result<Self> {
        Self::with_f16_decode(ctx, format, ctx.features.f16_decode()).await
    }

    /// The kernels with a chosen f16 decoder (tests run both where the device has both).
    pub async fn with_f16_decode(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
    ) -> Result<Self> {
        let matvec = Matvec::with_f16_decode(ctx, format, f16).await?;
        let kernel =
            Kernel::with_bindings(ctx, &shaders::matmul(format, f16), &weight_slots(format))
                .await?;
        Ok(Matmul {
            format,
            matvec,
            kernel,
        })
    }

    /// Binds `y[t, :] = w * x[t, :]` on `x = [cap x w.cols]`, `y = [cap x w.rows]`.
    pub fn bind(
        &self,
        ctx: &GpuContext,
        w: &GpuTensor,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<MatmulBinding> {
        if w.format != self.format {
            return Err(EngineError::Shape(format!(
                "matmul kernel for {:?} given tensor {} in {:?}",
                self.format, w.name, w.format
            )));
        }
        check_step(step)?;
        if cap <= 1 {
            // One token: the step's count can only be 1, so the matvec kernel needs no step.
            return self.matvec.bind(ctx, w, x, y, 0);
        }
        // x is read as vec4s: the buffer must cover the values rounded up to 4.
        check_len(x, (cap * w.cols).div_ceil(4) * 4, "matmul input")?;
        check_len(y, cap * w.rows, "matmul output")?;
        let token_groups = to_u32(cap, "cap")?.div_ceil(TOKENS_PER_GROUP);
        let bpr = to_u32(w.format.blocks_per_row(w.cols), "blocks per row")?;
        let mut groups = Dispatches::default();
        for part in &w.parts {
            let params = MatmulParams {
                rows: to_u32(part.rows, "rows")?,
                cols: to_u32(w.cols, "cols")?,
                blocks_per_row: bpr,
                out_offset: to_u32(part.row_start, "part start")?,
                y_stride: to_u32(w.rows, "rows")?,
                _pad: [0; 3],
            };
            let uniform = buffers::uniform(ctx, "matmul params", &params);
            let mut bufs = vec![&uniform, x, y];
            bufs.extend(part.arrays.iter());
            bufs.push(step);
            let [gx, gy, _] = grid_for(ctx, params.rows.div_ceil(ROWS_PER_WORKGROUP));
            let grid = check_grid(ctx, [gx, gy, token_groups], "matmul")?;
            groups.push(self.kernel.record(self.kernel.bind(ctx, &bufs), grid));
        }
        Ok(groups)
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, binding: &MatmulBinding) {
        binding.encode(pass);
    }
}
