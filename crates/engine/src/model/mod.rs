//! The whole forward pass on the GPU: weights uploaded once, bind groups built once, and each
//! step (a decode token or a prefill chunk) recorded from them into one compute submission.

mod context_plan;
mod generate;
mod gpu_model;
mod graph;
mod kernels;
mod memory;
mod options;
mod profile;
mod weights;

pub use context_plan::{kv_budget, plan_context, ContextLimit, ContextPlan, AUTO_F32_KV_MAX};
pub use gpu_model::{GpuModel, LoadPhase, LoadProgress};
pub use memory::{available_system_memory, default_budget, MemoryEstimate};
pub use options::{
    default_chunk, ModelOptions, AUTO_CHUNK, MAX_CONTEXT, MAX_PREFILL_CHUNK, SUBMIT_LAYER_TOKENS,
};
pub use profile::{OpTime, StepProfile};
pub use weights::{RawSource, RawTensorSource, TensorSource, NO_FUSION_ENV};
