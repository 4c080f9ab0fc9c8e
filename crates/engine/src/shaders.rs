//! The WGSL sources, compiled into the binary with `include_str!` (the browser build has no file
//! system). Each op family has one file under `shaders/`; the quantized ops are assembled from a
//! driver (`matvec.wgsl`, `embedding.wgsl`), the shared helpers (`common.wgsl`), the weight
//! decoder of one type (`quant_<type>.wgsl`) and, for matvec, its block dot (`matvec_<type>.wgsl`).

use crate::layout::WeightFormat;
use crate::ops::KvStorage;

mod preprocess;
pub use preprocess::{preprocess, PreprocessError};

macro_rules! shader_files {
    ($($ident:ident = $file:literal;)*) => {
        $(const $ident: &str = include_str!(concat!("../../../shaders/", $file));)*
        /// Every file under `shaders/` with its contents (the validation test checks that each
        /// one is part of some module and that no file on disk is missing here).
        pub const FILES: &[(&str, &str)] = &[$(($file, $ident)),*];
    };
}

shader_files! {
    COMMON = "common.wgsl";
    F16_UNPACK = "f16_unpack.wgsl";
    F16_BITS = "f16_bits.wgsl";
    MATVEC = "matvec.wgsl";
    X_INPUT = "x_input.wgsl";
    MATVEC_GPU = "matvec_gpu.wgsl";
    MATMUL = "matmul.wgsl";
    MATMUL_GPU = "matmul_gpu.wgsl";
    EMBEDDING = "embedding.wgsl";
    QUANT_F32 = "quant_f32.wgsl";
    QUANT_F16 = "quant_f16.wgsl";
    QUANT_Q4_0 = "quant_q4_0.wgsl";
    QUANT_Q4_1 = "quant_q4_1.wgsl";
    QUANT_Q8_0 = "quant_q8_0.wgsl";
    QUANT_Q4K = "quant_q4k.wgsl";
    QUANT_Q6K = "quant_q6k.wgsl";
    MATVEC_F32 = "matvec_f32.wgsl";
    MATVEC_F16 = "matvec_f16.wgsl";
    MATVEC_Q4_0 = "matvec_q4_0.wgsl";
    MATVEC_Q4_1 = "matvec_q4_1.wgsl";
    MATVEC_Q8_0 = "matvec_q8_0.wgsl";
    MATVEC_Q4K = "matvec_q4k.wgsl";
    MATVEC_Q6K = "matvec_q6k.wgsl";
    MATVEC_SG = "matvec_sg.wgsl";
    MATVEC_SG_F32 = "matvec_sg_f32.wgsl";
    MATVEC_SG_F16 = "matvec_sg_f16.wgsl";
    MATVEC_SG_Q4_0 = "matvec_sg_q4_0.wgsl";
    MATVEC_SG_Q4_1 = "matvec_sg_q4_1.wgsl";
    MATVEC_SG_Q8_0 = "matvec_sg_q8_0.wgsl";
    MATVEC_SG_Q4K = "matvec_sg_q4k.wgsl";
    MATVEC_SG_Q6K = "matvec_sg_q6k.wgsl";
    RMS_NORM = "rms_norm.wgsl";
    ADD_RMS_NORM = "add_rms_norm.wgsl";
    ROPE = "rope.wgsl";
    ROPE_KV = "rope_kv.wgsl";
    SILU_MUL = "silu_mul.wgsl";
    ADD = "add.wgsl";
    ARGMAX = "argmax.wgsl";
    TOPK = "topk.wgsl";
    KV_WRITE = "kv_write.wgsl";
    KV_STORE_F32 = "kv_store_f32.wgsl";
    KV_STORE_F16 = "kv_store_f16.wgsl";
    KV_LOAD_F32 = "kv_load_f32.wgsl";
    KV_LOAD_F16 = "kv_load_f16.wgsl";
    ATTENTION = "attention.wgsl";
    ATTENTION_MERGE = "attention_merge.wgsl";
}

/// A complete WGSL module: a name for labels and error messages, the files it is made of, and
/// the concatenated source.
#[derive(Clone, Debug)]
pub struct ShaderModuleSource {
    pub name: String,
    pub files: Vec<&'static str>,
    pub source: String,
    pub entry_point: &'static str,
    /// Uses `unpack2x16float`, which needs naga's `SHADER_FLOAT16_IN_FLOAT32` capability (part of
    /// WebGPU, but not of every native adapter).
    pub needs_f16_in_f32: bool,
    /// Uses subgroup builtins and operations (naga's `SUBGROUP` capability, the device's
    /// `Features::SUBGROUP`); only built where the device has them.
    pub needs_subgroups: bool,
    /// The template switches this module was built with (`#ifdef` names).
    pub defines: Vec<&'static str>,
}

/// The define that turns on a template's subgroup code.
pub const SUBGROUP: &str = "SUBGROUP";

/// Drivers whose modules use subgroup operations.
const SUBGROUP_FILES: &[&str] = &["matvec_sg.wgsl"];

/// How kernels decode f16 values stored in u32 words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum F16Decode {
    /// `unpack2x16float` (`f16_unpack.wgsl`).
    Builtin,
    /// Integer bit manipulation (`f16_bits.wgsl`), for adapters without the builtin.
    Bits,
}

impl F16Decode {
    pub const ALL: [F16Decode; 2] = [F16Decode::Builtin, F16Decode::Bits];

    fn file(self) -> &'static str {
        match self {
            F16Decode::Builtin => "f16_unpack.wgsl",
            F16Decode::Bits => "f16_bits.wgsl",
        }
    }
}

fn assemble(name: String, entry_point: &'static str, files: &[&'static str]) -> ShaderModuleSource {
    assemble_with(name, entry_point, files, &[])
}

/// The files concatenated, then preprocessed with `defines` (a malformed template is a bug in
/// this crate: every module is built and validated by tests/shader_validation.rs).
fn assemble_with(
    name: String,
    entry_point: &'static str,
    files: &[&'static str],
    defines: &[&'static str],
) -> ShaderModuleSource {
    let joined = files
        .iter()
        .map(|f| {
            FILES
                .iter()
                .find(|(name, _)| name == f)
                .map(|(_, src)| *src)
                .unwrap_or_else(|| unreachable!("shader file {f} is listed in FILES"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let source = preprocess(&joined, defines)
        .unwrap_or_else(|e| panic!("shader template {name} ({files:?}): {e}"));
    ShaderModuleSource {
        needs_f16_in_f32: files.contains(&F16Decode::Builtin.file()),
        needs_subgroups: defines.contains(&SUBGROUP)
            || files.iter().any(|f| SUBGROUP_FILES.contains(f)),
        defines: defines.to_vec(),
        name,
        files: files.to_vec(),
        source,
        entry_point,
    }
}

fn quant_file(format: WeightFormat) -> &'static str {
    match format {
        WeightFormat::F32 => "quant_f32.wgsl",
        WeightFormat::F16 => "quant_f16.wgsl",
        WeightFormat::Q4_0 => "quant_q4_0.wgsl",
        WeightFormat::Q4_1 => "quant_q4_1.wgsl",
        WeightFormat::Q8_0 => "quant_q8_0.wgsl",
        WeightFormat::Q4K => "quant_q4k.wgsl",
        WeightFormat::Q6K => "quant_q6k.wgsl",
    }
}

fn block_dot_file(format: WeightFormat) -> &'static str {
    match format {
        WeightFormat::F32 => "matvec_f32.wgsl",
        WeightFormat::F16 => "matvec_f16.wgsl",
        WeightFormat::Q4_0 => "matvec_q4_0.wgsl",
        WeightFormat::Q4_1 => "matvec_q4_1.wgsl",
        WeightFormat::Q8_0 => "matvec_q8_0.wgsl",
        WeightFormat::Q4K => "matvec_q4k.wgsl",
        WeightFormat::Q6K => "matvec_q6k.wgsl",
    }
}

/// The subgroup block dot of `format` (`matvec_sg_<type>.wgsl`, x shared by broadcasts).
fn sg_block_dot_file(format: WeightFormat) -> &'static str {
    match format {
        WeightFormat::F32 => "matvec_sg_f32.wgsl",
        WeightFormat::F16 => "matvec_sg_f16.wgsl",
        WeightFormat::Q4_0 => "matvec_sg_q4_0.wgsl",
        WeightFormat::Q4_1 => "matvec_sg_q4_1.wgsl",
        WeightFormat::Q8_0 => "matvec_sg_q8_0.wgsl",
        WeightFormat::Q4K => "matvec_sg_q4k.wgsl",
        WeightFormat::Q6K => "matvec_sg_q6k.wgsl",
    }
}

/// `m` with the step buffer's `struct Step` (crate::step::STEP_WGSL) in front, for the batched
/// kernels that read the token count and first position at run time.
fn with_step(mut m: ShaderModuleSource) -> ShaderModuleSource {
    m.source = format!("{}{}", crate::step::STEP_WGSL, m.source);
    m
}

/// The matrix kernels: one driver per (decode or prefill) x (kernel family), completed by the
/// weight type's decoder and block dots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatrixKernel {
    /// `matvec.wgsl`: CPU family, an invocation per four rows.
    MatvecRows,
    /// `matvec_sg.wgsl`: CPU family, x shared by subgroup broadcasts.
    MatvecRowsSubgroup,
    /// `matvec_gpu.wgsl`: GPU family, a workgroup per four rows, workgroup-memory reduction.
    MatvecCoalesced,
    /// `matvec_gpu.wgsl` with SUBGROUP: the reduction through subgroupAdd.
    MatvecCoalescedSubgroup,
    /// `matmul.wgsl`: CPU family, an invocation per 4 rows x 8 tokens.
    MatmulRows,
    /// `matmul.wgsl` with SUBGROUP: x shared by subgroup broadcasts.
    MatmulRowsSubgroup,
    /// `matmul_gpu.wgsl`: GPU family, 64 x 32 tiles in workgroup memory.
    MatmulTiled,
}

impl MatrixKernel {
    /// The lowercase name used in module names and profiles (`matvec_rows_subgroup`).
    pub fn name(self) -> &'static str {
        match self {
            MatrixKernel::MatvecRows => "matvec_rows",
            MatrixKernel::MatvecRowsSubgroup => "matvec_rows_subgroup",
            MatrixKernel::MatvecCoalesced => "matvec_coalesced",
            MatrixKernel::MatvecCoalescedSubgroup => "matvec_coalesced_subgroup",
            MatrixKernel::MatmulRows => "matmul_rows",
            MatrixKernel::MatmulRowsSubgroup => "matmul_rows_subgroup",
            MatrixKernel::MatmulTiled => "matmul_tiled",
        }
    }

    pub const ALL: [MatrixKernel; 7] = [
        MatrixKernel::MatvecRows,
        MatrixKernel::MatvecRowsSubgroup,
        MatrixKernel::MatvecCoalesced,
        MatrixKernel::MatvecCoalescedSubgroup,
        MatrixKernel::MatmulRows,
        MatrixKernel::MatmulRowsSubgroup,
        MatrixKernel::MatmulTiled,
    ];
}

/// What binding 1 of a matrix kernel holds (`x_input.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatrixInput {
    /// x itself.
    Plain,
    /// The `[gate | up]` rows of the fused gate/up projection: x = silu(gate) * up, computed
    /// as it is loaded (the down projection with SwiGLU fused in).
    SiluGateUp,
}

/// The module of `kernel` for weights in `format`, f16 decoded by `f16`, reading `input`.
pub fn matrix(
    kernel: MatrixKernel,
    format: WeightFormat,
    f16: F16Decode,
    input: MatrixInput,
) -> ShaderModuleSource {
    use MatrixKernel::*;
    let (driver, entry, subgroup, step) = match kernel {
        MatvecRows => ("matvec.wgsl", "matvec", false, false),
        MatvecRowsSubgroup => ("matvec_sg.wgsl", "matvec", false, false),
        MatvecCoalesced => ("matvec_gpu.wgsl", "matvec", false, false),
        MatvecCoalescedSubgroup => ("matvec_gpu.wgsl", "matvec", true, false),
        MatmulRows => ("matmul.wgsl", "matmul", false, true),
        MatmulRowsSubgroup => ("matmul.wgsl", "matmul", true, true),
        MatmulTiled => ("matmul_gpu.wgsl", "matmul", false, true),
    };
    let mut files = vec![
        f16.file(),
        "common.wgsl",
        driver,
        "x_input.wgsl",
        quant_file(format),
    ];
    // The matvec drivers call the type's block dots; the subgroup one also its broadcast form.
    if entry == "matvec" {
        files.push(block_dot_file(format));
    }
    if kernel == MatvecRowsSubgroup {
        files.push(sg_block_dot_file(format));
    }
    let mut defines = Vec::new();
    if subgroup {
        defines.push(SUBGROUP);
    }
    if input == MatrixInput::SiluGateUp {
        defines.push("SILU_X");
    }
    let name = format!(
        "{}{}_{}_{f16:?}",
        kernel.name(),
        if input == MatrixInput::SiluGateUp {
            "_silu"
        } else {
            ""
        },
        format.name()
    );
    let m = assemble_with(name, entry, &files, &defines);
    if step {
        with_step(m)
    } else {
        m
    }
}

pub fn embedding(format: WeightFormat, f16: F16Decode) -> ShaderModuleSource {
    with_step(assemble(
        format!("embedding_{}_{f16:?}", format.name()),
        "embedding",
        &[
            f16.file(),
            "common.wgsl",
            "embedding.wgsl",
            quant_file(format),
        ],
    ))
}

pub fn rms_norm() -> ShaderModuleSource {
    with_step(assemble("rms_norm".into(), "rms_norm", &["rms_norm.wgsl"]))
}

pub fn add_rms_norm() -> ShaderModuleSource {
    with_step(assemble(
        "add_rms_norm".into(),
        "add_rms_norm",
        &["add_rms_norm.wgsl"],
    ))
}

pub fn rope() -> ShaderModuleSource {
    with_step(assemble("rope".into(), "rope", &["rope.wgsl"]))
}

pub fn silu_mul() -> ShaderModuleSource {
    with_step(assemble("silu_mul".into(), "silu_mul", &["silu_mul.wgsl"]))
}

pub fn add() -> ShaderModuleSource {
    with_step(assemble("add".into(), "add", &["add.wgsl"]))
}

pub fn argmax() -> ShaderModuleSource {
    with_step(assemble("argmax".into(), "argmax", &["argmax.wgsl"]))
}

pub fn topk() -> ShaderModuleSource {
    with_step(assemble("topk".into(), "topk", &["topk.wgsl"]))
}

/// Every module the engine can build, for validation.
pub fn all_modules() -> Vec<ShaderModuleSource> {
    let mut out = Vec::new();
    for f in WeightFormat::ALL {
        for d in F16Decode::ALL {
            for k in MatrixKernel::ALL {
                for input in [MatrixInput::Plain, MatrixInput::SiluGateUp] {
                    out.push(matrix(k, f, d, input));
                }
            }
            out.push(embedding(f, d));
        }
    }
    out.extend([
        rms_norm(),
        add_rms_norm(),
        rope(),
        silu_mul(),
        add(),
        argmax(),
        topk(),
    ]);
    out.extend(kv_attention_modules());
    out
}

/// The KV cache write into a cache of `storage`.
pub fn kv_write(storage: KvStorage) -> ShaderModuleSource {
    let store = match storage {
        KvStorage::F32 => "kv_store_f32.wgsl",
        KvStorage::F16 => "kv_store_f16.wgsl",
    };
    with_step(assemble(
        format!("kv_write_{}", storage.name()),
        "kv_write",
        &["kv_write.wgsl", store],
    ))
}

/// RoPE of q and k and the write of k and v into a cache of `storage`, in one kernel.
pub fn rope_kv(storage: KvStorage) -> ShaderModuleSource {
    let store = match storage {
        KvStorage::F32 => "kv_store_f32.wgsl",
        KvStorage::F16 => "kv_store_f16.wgsl",
    };
    with_step(assemble_with(
        format!("rope_kv_{}", storage.name()),
        "rope_kv",
        &["rope.wgsl", "rope_kv.wgsl", store],
        &["ROPE_KV"],
    ))
}

/// Attention over a cache of `storage` (f16 pairs widened by `f16`; unused for f32): one
/// workgroup per (key split, head, query token).
pub fn attention(storage: KvStorage, f16: F16Decode) -> ShaderModuleSource {
    attention_entry(storage, f16, "attention")
}

/// The prefill attention of the GPU family: one workgroup per (tile of query tokens, head).
pub fn attention_tiled(storage: KvStorage, f16: F16Decode) -> ShaderModuleSource {
    attention_entry(storage, f16, "attention_tiled")
}

fn attention_entry(storage: KvStorage, f16: F16Decode, entry: &'static str) -> ShaderModuleSource {
    let files: &[&'static str] = match storage {
        KvStorage::F32 => &["attention.wgsl", "kv_load_f32.wgsl"],
        KvStorage::F16 => &[f16.file(), "attention.wgsl", "kv_load_f16.wgsl"],
    };
    let name = match storage {
        KvStorage::F32 => format!("{entry}_f32"),
        KvStorage::F16 => format!("{entry}_f16_{f16:?}"),
    };
    with_step(assemble(name, entry, files))
}

/// The merge of attention's key splits.
pub fn attention_merge() -> ShaderModuleSource {
    with_step(assemble(
        "attention_merge".into(),
        "attention_merge",
        &["attention_merge.wgsl"],
    ))
}

fn kv_attention_modules() -> Vec<ShaderModuleSource> {
    let mut out = vec![
        kv_write(KvStorage::F32),
        kv_write(KvStorage::F16),
        rope_kv(KvStorage::F32),
        rope_kv(KvStorage::F16),
        attention(KvStorage::F32, F16Decode::Bits),
        attention_tiled(KvStorage::F32, F16Decode::Bits),
        attention_merge(),
    ];
    out.extend(F16Decode::ALL.map(|d| attention(KvStorage::F16, d)));
    out.extend(F16Decode::ALL.map(|d| attention_tiled(KvStorage::F16, d)));
    out
}
