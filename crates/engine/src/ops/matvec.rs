//! `y = W x` for a weight tensor in any [`WeightFormat`] (`shaders/matvec.wgsl` +
//! `quant_<type>.wgsl` + `matvec_<type>.wgsl`): one kernel per format, dequantizing inside the
//! dot product and accumulating in f32. A tensor split into row parts gets one dispatch per part.
//!
//! Four variants ([`MatvecVariant`]), two per kernel family ([`KernelFamily`]): the CPU family's
//! baseline and the one that shares x across the lanes of a subgroup with `subgroupBroadcast`
//! (`shaders/matvec_sg.wgsl`); the GPU family's coalesced kernel (`shaders/matvec_gpu.wgsl`) with
//! a workgroup-memory or a subgroup reduction. The subgroup variant of the family is chosen
//! where the device has `Features::SUBGROUP`; `MISTRAL_WGPU_NO_SUBGROUPS=1` forces the others
//! (A/B measurements, debugging).

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::kernel_family::KernelFamily;
use crate::layout::WeightFormat;
use crate::ops::{check_len, grid_for, to_u32, Dispatches, Kernel, Slot};
use crate::shaders::{self, F16Decode, MatrixInput, MatrixKernel};
use crate::tensor::GpuTensor;

/// Rows one workgroup computes in the CPU family: 64 invocations x 4 rows (`shaders/matvec.wgsl`,
/// and `matvec_sg.wgsl` alike).
const CPU_ROWS_PER_WORKGROUP: u32 = 256;
/// Rows one workgroup computes in the GPU family: 64 invocations share 4 rows
/// (`shaders/matvec_gpu.wgsl`).
const GPU_ROWS_PER_WORKGROUP: u32 = 4;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MatvecParams {
    rows: u32,
    cols: u32,
    blocks_per_row: u32,
    out_offset: u32,
}

/// Environment variable that, set to `1`, keeps the baseline kernel on subgroup devices.
pub const NO_SUBGROUPS_ENV: &str = "MISTRAL_WGPU_NO_SUBGROUPS";

/// Which matvec kernel: all give the same results within the op table's matvec tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatvecVariant {
    /// CPU family, `matvec.wgsl`: an invocation per four rows, every lane loads its own x.
    /// Runs everywhere.
    Baseline,
    /// CPU family, `matvec_sg.wgsl`: x loaded once per subgroup and broadcast. Needs
    /// `Features::SUBGROUP`.
    Subgroup,
    /// GPU family, `matvec_gpu.wgsl`: a workgroup per four rows, coalesced loads, reduction in
    /// workgroup memory. Runs everywhere.
    Coalesced,
    /// GPU family with the reduction through `subgroupAdd`. Needs `Features::SUBGROUP`.
    CoalescedSubgroup,
}

impl MatvecVariant {
    pub const ALL: [MatvecVariant; 4] = [
        MatvecVariant::Baseline,
        MatvecVariant::Subgroup,
        MatvecVariant::Coalesced,
        MatvecVariant::CoalescedSubgroup,
    ];

    pub fn family(self) -> KernelFamily {
        match self {
            MatvecVariant::Baseline | MatvecVariant::Subgroup => KernelFamily::Cpu,
            MatvecVariant::Coalesced | MatvecVariant::CoalescedSubgroup => KernelFamily::Gpu,
        }
    }

    pub fn uses_subgroups(self) -> bool {
        matches!(
            self,
            MatvecVariant::Subgroup | MatvecVariant::CoalescedSubgroup
        )
    }

    /// The variant of `family` this device runs: the subgroup one wherever the device has
    /// subgroups, for every type. CPU family measured on lavapipe (bench_matvec, 4096x4096,
    /// GB/s of GGUF bytes, baseline -> subgroup, 2 shared cores, noisy, two runs): F32 6.4-7.1 ->
    /// 12.2-13.1, F16 7.0-8.5 -> 11.7-12.7, Q8_0 7.3 -> 9.9-10.1, Q6_K 3.1-3.6 -> 3.9-4.1,
    /// Q4_K 3.0-3.3 -> 5.3-6.0, Q4_1 5.0-5.1 -> 6.1-7.3, Q4_0 2.9-4.4 -> 5.9-6.1.
    pub fn select(ctx: &GpuContext, family: KernelFamily) -> Self {
        let subgroup = subgroups_wanted(ctx);
        match (family, subgroup) {
            (KernelFamily::Cpu, false) => MatvecVariant::Baseline,
            (KernelFamily::Cpu, true) => MatvecVariant::Subgroup,
            (KernelFamily::Gpu, false) => MatvecVariant::Coalesced,
            (KernelFamily::Gpu, true) => MatvecVariant::CoalescedSubgroup,
        }
    }

    /// Whether `ctx` can run this variant.
    pub fn supported(self, ctx: &GpuContext) -> bool {
        !self.uses_subgroups() || ctx.features.subgroup
    }
}

/// Whether kernels should use subgroup operations on this device (it has them and
/// `MISTRAL_WGPU_NO_SUBGROUPS=1` is not set).
pub(crate) fn subgroups_wanted(ctx: &GpuContext) -> bool {
    let disabled = std::env::var(NO_SUBGROUPS_ENV).is_ok_and(|v| v == "1");
    ctx.features.subgroup && !disabled
}

/// The matrix-vector kernel of one weight format.
pub struct Matvec {
    pub format: WeightFormat,
    pub variant: MatvecVariant,
    pub input: MatrixInput,
    kernel: Kernel,
}

/// Bind groups of one `y[offset..] = W x` (one per tensor part), built once.
pub type MatvecBinding = Dispatches;

impl Matvec {
    /// The kernel of `family` for `format` with the f16 decoder this device supports.
    pub async fn new(ctx: &GpuContext, format: WeightFormat, family: KernelFamily) -> Result<Self> {
        Self::with_f16_decode(ctx, format, ctx.features.f16_decode(), family).await
    }

    /// The kernel with a chosen f16 decoder (tests run both where the device has both) and the
    /// variant of `family` this device selects.
    pub async fn with_f16_decode(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
        family: KernelFamily,
    ) -> Result<Self> {
        Self::with_variant(ctx, format, f16, MatvecVariant::select(ctx, family)).await
    }

    /// The kernel with a chosen f16 decoder and variant (tests run every pair the device has).
    pub async fn with_variant(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
        variant: MatvecVariant,
    ) -> Result<Self> {
        Self::with_input(ctx, format, f16, variant, MatrixInput::Plain).await
    }

    /// [`Matvec::with_variant`] reading `input` (x itself, or silu(gate) * up of `[gate | up]`).
    pub async fn with_input(
        ctx: &GpuContext,
        format: WeightFormat,
        f16: F16Decode,
        variant: MatvecVariant,
        input: MatrixInput,
    ) -> Result<Self> {
        if !variant.supported(ctx) {
            return Err(EngineError::Shape(format!(
                "the {variant:?} matvec needs subgroups, which {} lacks",
                ctx.adapter.name
            )));
        }
        let kernel = match variant {
            MatvecVariant::Baseline => MatrixKernel::MatvecRows,
            MatvecVariant::Subgroup => MatrixKernel::MatvecRowsSubgroup,
            MatvecVariant::Coalesced => MatrixKernel::MatvecCoalesced,
            MatvecVariant::CoalescedSubgroup => MatrixKernel::MatvecCoalescedSubgroup,
        };
        let source = shaders::matrix(kernel, format, f16, input);
        let mut slots = vec![Slot::Uniform, Slot::Read, Slot::ReadWrite];
        slots.extend(std::iter::repeat_n(Slot::Read, format.n_arrays()));
        let kernel = Kernel::new(ctx, &source, &slots).await?;
        Ok(Matvec {
            format,
            variant,
            input,
            kernel,
        })
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
        check_input(self.input, x, 1, w.cols)?;
        check_len(y, y_offset + w.rows, "matvec output")?;
        let bpr = to_u32(w.format.blocks_per_row(w.cols), "blocks per row")?;
        let mut groups = Dispatches::default();
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
            let rows_per_workgroup = match self.variant.family() {
                KernelFamily::Cpu => CPU_ROWS_PER_WORKGROUP,
                KernelFamily::Gpu => GPU_ROWS_PER_WORKGROUP,
            };
            let grid = grid_for(ctx, params.rows.div_ceil(rows_per_workgroup));
            groups.push(self.kernel.record(group, grid));
        }
        Ok(groups)
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, binding: &MatvecBinding) {
        binding.encode(pass);
    }
}

/// Errors unless `x` holds the input of `cap` tokens of `cols` values as `input` reads it.
pub(crate) fn check_input(
    input: MatrixInput,
    x: &wgpu::Buffer,
    cap: usize,
    cols: usize,
) -> Result<()> {
    match input {
        MatrixInput::Plain => check_len(x, (cap * cols).div_ceil(4) * 4, "matrix input"),
        MatrixInput::SiluGateUp if cols.is_multiple_of(4) => {
            check_len(x, 2 * cap * cols, "matrix [gate | up] input")
        }
        MatrixInput::SiluGateUp => Err(EngineError::Shape(format!(
            "silu(gate) * up fused into a matrix product needs rows of a multiple of 4, not {cols}"
        ))),
    }
}
