//! Flags choosing where and how a model runs.

use anyhow::{anyhow, Result};
use clap::Args;
use mistral_engine::model::{ModelOptions, AUTO_CHUNK};
use mistral_engine::ops::KvStorage;
use mistral_engine::{AdapterFacts, AdapterSummary, KernelChoice, KernelFamily, KERNELS_ENV};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Device {
    /// The GPU engine (WGSL on wgpu: Vulkan, Metal, DX12, or GL with WGPU_BACKEND=gl).
    Gpu,
    /// The f32 CPU reference (exact, slow; the oracle the GPU engine is tested against).
    Cpu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KvPrecision {
    /// f32 K/V: exact, twice the memory.
    F32,
    /// f16 K/V (packed in u32): half the memory, ~1e-3 relative error in attention.
    F16,
}

impl KvPrecision {
    pub fn name(self) -> &'static str {
        match self {
            KvPrecision::F32 => "f32",
            KvPrecision::F16 => "f16",
        }
    }
}

/// Which adapter, and which kernels on it (also used by `info`, which opens no device).
#[derive(Args, Clone, Debug)]
pub struct AdapterArgs {
    /// GPU adapter to use: a substring of its name (see `mistral-wgpu devices`). Also
    /// MISTRAL_WGPU_ADAPTER; WGPU_BACKEND=vulkan|metal|dx12|gl picks the API.
    #[arg(long)]
    pub adapter: Option<String>,
    /// Kernel family the GPU engine runs: auto (picked by adapter), cpu or gpu.
    ///
    /// Both compute the same results (tested against each
    /// other); they differ in shape. `cpu` kernels suit GPUs emulated on a CPU (lavapipe/llvmpipe,
    /// SwiftShader, WARP): one invocation walks whole rows, several rows share each load of x, no
    /// workgroup memory, no barriers. `gpu` kernels suit real GPUs: a workgroup per group of rows
    /// with adjacent invocations reading adjacent words (coalesced), reductions in workgroup
    /// memory or subgroups, prefill matmuls in tiles. `auto` picks by adapter: cpu kernels for CPU
    /// adapters (lavapipe, SwiftShader, WARP), gpu kernels otherwise; `mistral-wgpu devices` shows
    /// each adapter's pick and why. MISTRAL_WGPU_KERNELS=auto|cpu|gpu sets it while this flag is
    /// auto. Ignored with --device cpu.
    #[arg(long, value_name = "auto|cpu|gpu", default_value = "auto")]
    pub kernels: KernelChoice,
}

impl AdapterArgs {
    /// The family a model loaded with these flags runs on `adapter`, and why: what the engine
    /// resolves at load, checked here first so a bad MISTRAL_WGPU_KERNELS is named before any
    /// upload.
    pub fn kernels_for(&self, adapter: &AdapterSummary) -> Result<(KernelFamily, String)> {
        self.kernels
            .resolve(&AdapterFacts::from(adapter))
            .map_err(|e| anyhow!("{KERNELS_ENV}: {e}"))
    }
}

#[derive(Args, Clone, Debug)]
pub struct DeviceArgs {
    /// Where the model runs.
    #[arg(long, value_enum, default_value_t = Device::Gpu)]
    pub device: Device,
    #[command(flatten)]
    pub gpu: AdapterArgs,
    /// K/V cache precision on the GPU. Default: f16 for generation (half the memory and
    /// bandwidth of f32; measured 6.7e-4 relative error in the logits against transformers, within
    /// the 5e-3 the model tests allow), f32 for `logits` (exact: ~2e-6).
    #[arg(long, value_enum)]
    pub kv: Option<KvPrecision>,
    /// Tokens per prefill step on the GPU (at most the sliding window). Default: 32 with the
    /// CPU-adapter kernels, 256 with the GPU kernels (enough tiles to fill a large GPU).
    #[arg(long, value_parser = crate::arg_values::prefill_chunk)]
    pub prefill_chunk: Option<usize>,
    /// Refuse to load when the estimated GPU memory exceeds this many MiB.
    #[arg(long)]
    pub gpu_memory_mib: Option<u64>,
}

impl DeviceArgs {
    /// The K/V precision asked for, else f16 (see `--kv`).
    pub fn kv_precision(&self) -> KvPrecision {
        self.kv.unwrap_or(KvPrecision::F16)
    }

    /// The GPU engine's options for these flags, with a KV length of `context` for models
    /// without a window.
    pub fn model_options(&self, context: usize) -> ModelOptions {
        ModelOptions {
            prefill_chunk: self.prefill_chunk.unwrap_or(AUTO_CHUNK),
            context,
            kv_storage: match self.kv_precision() {
                KvPrecision::F32 => KvStorage::F32,
                KvPrecision::F16 => KvStorage::F16,
            },
            kernels: self.gpu.kernels,
            ..ModelOptions::default()
        }
    }
}
