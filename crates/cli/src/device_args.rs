//! Flags choosing where and how a model runs.

use clap::Args;

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

#[derive(Args, Clone, Debug)]
pub struct DeviceArgs {
    #[arg(long, value_enum, default_value_t = Device::Gpu)]
    pub device: Device,
    /// GPU adapter to use: a substring of its name (see `mistral-wgpu devices`). Also
    /// MISTRAL_WGPU_ADAPTER; WGPU_BACKEND=vulkan|metal|dx12|gl picks the API.
    #[arg(long)]
    pub adapter: Option<String>,
    /// K/V cache precision on the GPU.
    #[arg(long, value_enum, default_value_t = KvPrecision::F32)]
    pub kv: KvPrecision,
    /// Tokens per prefill step on the GPU (at most the sliding window).
    #[arg(long, default_value_t = 32)]
    pub prefill_chunk: usize,
    /// Refuse to load when the estimated GPU memory exceeds this many MiB.
    #[arg(long)]
    pub gpu_memory_mib: Option<u64>,
}
