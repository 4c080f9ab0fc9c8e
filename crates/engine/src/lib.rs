//! The wgpu engine of mistral-wgpu: device set-up ([`GpuContext`]), quantized weight upload
//! ([`GpuTensor`], layouts in [`layout`]) and one Rust type per WGSL op ([`ops`]).
//!
//! The same code builds natively (Vulkan, Metal, DX12, GL) and for wasm32 (WebGPU): the API is
//! async (wgpu's mapping and error scopes are), nothing spawns threads, and native callers block
//! with `pollster` (see [`GpuContext::new_blocking`]).

pub mod buffers;
pub mod context;
pub mod error;
pub mod kernel_family;
pub mod layout;
pub mod model;
pub mod ops;
pub mod readback;
pub mod shaders;
pub mod step;
pub mod tensor;

pub use context::{
    default_backends, list_adapters, AdapterSummary, GpuContext, KernelFeatures, ADAPTER_ENV,
};
pub use error::{EngineError, Result};
pub use kernel_family::{AdapterFacts, KernelChoice, KernelFamily, KERNELS_ENV};
pub use layout::WeightFormat;
pub use tensor::{GpuTensor, GpuTensorPart};

/// Re-exported so that callers use the same wgpu version as the engine.
pub use wgpu;
