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
use crate::kernel_family::KernelFamily;
use crate::layout::WeightFormat;
use crate::ops::matvec::{check_input, subgroups_wanted, Matvec, MatvecVariant};
use crate::ops::{
    check_grid, check_len, check_step, grid_for, to_u32, weight_slots, Dispatches, Kernel,
};
use crate::shaders::{self, F16Decode, MatrixInput, MatrixKernel};
use crate::tensor::GpuTensor;

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

/// Which batched kernel: all give the same results within the op table's matmul tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatmulVariant {
    /// CPU family, `matmul.wgsl`: an invocation per 4 rows x 8 tokens. Runs everywhere.
    Rows,
    /// CPU family, x shared across a subgroup by broadcasts. Needs `Features::SUBGROUP`.
    RowsSubgroup,
    /// GPU family, `matmul_gpu.wgsl`: 64 x 32 tiles dequantised into workgroup memory.
    Tiled,
}

impl MatmulVariant {
    pub const ALL: [MatmulVariant; 3] = [
        MatmulVariant::Rows,
        MatmulVariant::RowsSubgroup,
        MatmulVariant::Tiled,
    ];

    /// The variant of `family` this device runs.
    pub fn select(ctx: &GpuContext, family: KernelFamily) -> Self {
        match family {
            KernelFamily::Cpu if subgroups_wanted(ctx) => MatmulVariant::RowsSubgroup,
            KernelFamily::Cpu => MatmulVariant::Rows,
            KernelFamily::Gpu => MatmulVariant::Tiled,
        }
    }

    pub fn supported(self, ctx: &GpuContext) -> bool {
        self != MatmulVariant::RowsSubgroup || ctx.features.subgroup
    }

    /// (rows, tokens) of one workgroup's output.
    fn tile(self) -> (u32, u32) {
        match self {
            MatmulVariant::Rows | MatmulVariant::RowsSubgroup => (256, 8),
            MatmulVariant::Tiled => (64, 32),
        }
    }
}

/// A bound product, built once: the matvec path for a capacity of one token, otherwise one
/// dispatch of the batched kernel per tensor part.
pub type MatmulBinding = Dispatches;

/// The matrix product kernels of one weight format.
pub struct Matmul {
    pub format: WeightFormat,
    pub variant: MatmulVariant,
    matvec: Matvec,
    kernel: Kernel,
}

impl Matmul {
    /// The kernels of `family` for `format` with the f16 decoder this device supports.
    pub async fn new(ctx: &GpuContext, format: WeightFormat, family: KernelFamily) -> Result<Self> {
        Self::with_f16_decode(ctx, format, ctx.features.f16_decode(), family).await
    }

    /// The kernels of `family` with a chosen f16 decoder (tests run both where the device has
    /// both).
    pub async fn with_f16_decode(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
        family: KernelFamily,
    ) -> Result<Self> {
        Self::with_variants(
            ctx,
            format,
            f16,
            MatvecVariant::select(ctx, family),
            MatmulVariant::select(ctx, family),
        )
        .await
    }

    /// The kernels with a chosen f16 decoder and variants (tests run every pair the device has).
    pub async fn with_variants(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
        matvec: MatvecVariant,
        variant: MatmulVariant,
    ) -> Result<Self> {
        Self::with_input(ctx, format, f16, matvec, variant, MatrixInput::Plain).await
    }

    /// The kernels of `family` reading silu(gate) * up from `[gate | up]` rows: the down
    /// projection with SwiGLU fused in.
    pub async fn silu_gate_up(
        ctx: &GpuContext,
        format: WeightFormat,
        family: KernelFamily,
    ) -> Result<Self> {
        Self::with_input(
            ctx,
            format,
            ctx.features.f16_decode(),
            MatvecVariant::select(ctx, family),
            MatmulVariant::select(ctx, family),
            MatrixInput::SiluGateUp,
        )
        .await
    }

    /// [`Matmul::with_variants`] reading `input`.
    pub async fn with_input(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
        matvec: MatvecVariant,
        variant: MatmulVariant,
        input: MatrixInput,
    ) -> Result<Self> {
        if !variant.supported(ctx) {
            return Err(EngineError::Shape(format!(
                "the {variant:?} matmul needs subgroups, which {} lacks",
                ctx.adapter.name
            )));
        }
        let matvec = Matvec::with_input(ctx, format, f16, matvec, input).await?;
        let kernel = match variant {
            MatmulVariant::Rows => MatrixKernel::MatmulRows,
            MatmulVariant::RowsSubgroup => MatrixKernel::MatmulRowsSubgroup,
            MatmulVariant::Tiled => MatrixKernel::MatmulTiled,
        };
        let source = shaders::matrix(kernel, format, f16, input);
        let kernel = Kernel::with_bindings(ctx, &source, &weight_slots(format)).await?;
        Ok(Matmul {
            format,
            variant,
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
        self.bind_into(ctx, w, x, y, step, cap, w.rows, 0)
    }

    /// Binds `y[t, y_offset .. y_offset + w.rows] = w * x[t, :]` on rows of `y_stride` values
    /// (several projections writing side by side into one `[q | k | v]` row).
    #[allow(clippy::too_many_arguments)]
    pub fn bind_into(
        &self,
        ctx: &GpuContext,
        w: &GpuTensor,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        step: &wgpu::Buffer,
        cap: usize,
        y_stride: usize,
        y_offset: usize,
    ) -> Result<MatmulBinding> {
        if y_offset + w.rows > y_stride {
            return Err(EngineError::Shape(format!(
                "matmul of {} rows at column {y_offset} does not fit rows of {y_stride}",
                w.rows
            )));
        }
        if w.format != self.format {
            return Err(EngineError::Shape(format!(
                "matmul kernel for {:?} given tensor {} in {:?}",
                self.format, w.name, w.format
            )));
        }
        check_step(step)?;
        if cap <= 1 {
            // One token: the step's count can only be 1, so the matvec kernel needs no step.
            return self.matvec.bind(ctx, w, x, y, y_offset);
        }
        // x is read as vec4s: the buffer must cover the values rounded up to 4.
        check_input(self.matvec.input, x, cap, w.cols)?;
        check_len(y, cap * y_stride, "matmul output")?;
        let (tile_rows, tile_tokens) = self.variant.tile();
        let token_groups = to_u32(cap, "cap")?.div_ceil(tile_tokens);
        let bpr = to_u32(w.format.blocks_per_row(w.cols), "blocks per row")?;
        let mut groups = Dispatches::default();
        for part in &w.parts {
            let params = MatmulParams {
                rows: to_u32(part.rows, "rows")?,
                cols: to_u32(w.cols, "cols")?,
                blocks_per_row: bpr,
                out_offset: to_u32(y_offset + part.row_start, "part start")?,
                y_stride: to_u32(y_stride, "y stride")?,
                _pad: [0; 3],
            };
            let uniform = buffers::uniform(ctx, "matmul params", &params);
            let mut bufs = vec![&uniform, x, y];
            bufs.extend(part.arrays.iter());
            bufs.push(step);
            let [gx, gy, _] = grid_for(ctx, params.rows.div_ceil(tile_rows));
            let grid = check_grid(ctx, [gx, gy, token_groups], "matmul")?;
            groups.push(self.kernel.record(self.kernel.bind(ctx, &bufs), grid));
        }
        Ok(groups)
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, binding: &MatmulBinding) {
        binding.encode(pass);
    }
}
