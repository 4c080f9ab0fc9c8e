//! What the page shows about the adapter and the model, as JSON for the JavaScript layer. The
//! npm package's `AdapterInfo` and `ModelInfo` types are generated from these (src/typescript.rs):
//! the field docs here are what its users read.

use mistral_engine::context::AdapterSummary;
use mistral_engine::model::{ContextLimit, ContextPlan, GpuModel};
use mistral_engine::ops::KvStorage;
use mistral_engine::AdapterFacts;
use mistral_formats::{ModelFile, TensorType};
use mistral_generate::SamplingDefaults;
use mistral_text::ChatTemplate;
use serde::Serialize;
use std::collections::BTreeMap;
use ts_rs::TS;

/// The two kernel families (see the `kernels` load option): `cpu`, shaped for GPUs
/// implemented on CPUs (SwiftShader, WARP, lavapipe), and `gpu`, coalesced matrix-vector
/// products and tiled matrix products in workgroup memory, for real GPUs.
#[derive(Serialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KernelFamily {
    Cpu,
    Gpu,
}

impl From<mistral_engine::KernelFamily> for KernelFamily {
    fn from(f: mistral_engine::KernelFamily) -> Self {
        match f {
            mistral_engine::KernelFamily::Cpu => KernelFamily::Cpu,
            mistral_engine::KernelFamily::Gpu => KernelFamily::Gpu,
        }
    }
}

/// Precision of the KV cache on the GPU: `f32` (exact) or `f16` (half the memory, ~7e-4
/// relative error in logits).
#[derive(Serialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KvPrecision {
    F32,
    F16,
}

impl From<KvStorage> for KvPrecision {
    fn from(k: KvStorage) -> Self {
        match k {
            KvStorage::F32 => KvPrecision::F32,
            KvStorage::F16 => KvPrecision::F16,
        }
    }
}

/// What set the context's length (`ModelInfo.contextLimit`): `trained` (the model's own),
/// `window` (a sliding window: conversations roll on), `requested` (the `contextLength` load
/// option), `binding` (the adapter's largest storage binding) or `budget` (the KV memory
/// budget: a quarter of the weights' bytes, 512 MiB to 2 GiB; WebGPU tells no GPU memory size).
#[derive(Serialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "ContextLimit")]
pub enum ContextLimitName {
    Trained,
    Window,
    Requested,
    Binding,
    Budget,
}

impl From<ContextLimit> for ContextLimitName {
    fn from(l: ContextLimit) -> Self {
        match l {
            ContextLimit::Trained => ContextLimitName::Trained,
            ContextLimit::Window => ContextLimitName::Window,
            ContextLimit::Requested => ContextLimitName::Requested,
            ContextLimit::Binding => ContextLimitName::Binding,
            ContextLimit::Budget => ContextLimitName::Budget,
        }
    }
}

/// The GPU adapter the engine runs on.
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AdapterInfo {
    /// The adapter's name as the browser reports it (browsers may leave it empty).
    name: String,
    /// The graphics API behind WebGPU.
    backend: String,
    /// e.g. `"DiscreteGpu"`, `"IntegratedGpu"`, `"Cpu"` or `"Other"`.
    device_type: String,
    driver: String,
    /// WebGPU features of the adapter, lower case (e.g. `"shader_f16"`).
    features: Vec<String>,
    limits: AdapterLimits,
    /// The kernel family `kernels: 'auto'` picks on this adapter.
    kernels: KernelFamily,
    /// Why, e.g. `"the adapter is a CPU implementation"`.
    kernels_reason: String,
}

/// The adapter limits that decide which models fit (bytes, and a count of bindings).
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AdapterLimits {
    max_buffer_size: u64,
    max_storage_buffer_binding_size: u64,
    max_storage_buffers_per_shader_stage: u32,
    max_compute_workgroup_storage_size: u32,
}

impl AdapterInfo {
    pub fn of(a: &AdapterSummary) -> Self {
        let mut features: Vec<String> = a
            .features
            .iter_names()
            .map(|(name, _)| name.to_lowercase())
            .collect();
        features.sort();
        let (family, reason) = mistral_engine::KernelFamily::for_adapter(&AdapterFacts::from(a));
        AdapterInfo {
            name: a.name.clone(),
            backend: format!("{:?}", a.backend),
            device_type: format!("{:?}", a.device_type),
            driver: a.driver.clone(),
            features,
            limits: AdapterLimits {
                max_buffer_size: a.limits.max_buffer_size,
                max_storage_buffer_binding_size: a.limits.max_storage_buffer_binding_size,
                max_storage_buffers_per_shader_stage: a.limits.max_storage_buffers_per_shader_stage,
                max_compute_workgroup_storage_size: a.limits.max_compute_workgroup_storage_size,
            },
            kernels: family.into(),
            kernels_reason: reason.into(),
        }
    }
}

/// The loaded model.
#[derive(Serialize, TS, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The file's `general.name`, or `"unnamed model"`.
    name: String,
    /// The file's `general.architecture`, e.g. `"llama"`.
    architecture: String,
    /// The tensor type holding most of the weights' bytes, e.g. `"Q4_K"`.
    quantization: String,
    /// Weights, counted over every tensor.
    parameters: u64,
    file_bytes: u64,
    vocab_size: usize,
    /// The context the model was trained for (what the file says).
    context_length: usize,
    /// Tokens the engine can attend to: the sliding window, or the KV cache length without one.
    usable_context: usize,
    /// What set the context's length.
    context_limit: ContextLimitName,
    /// Sliding attention window in tokens, or null when the model attends to the whole context.
    sliding_window: Option<usize>,
    n_layers: usize,
    /// Width of the residual stream.
    dim: usize,
    /// GPU memory the model's buffers take, in bytes.
    gpu_bytes: u64,
    /// Precision of the KV cache.
    kv_precision: KvPrecision,
    /// The chat template's source text (Jinja) the engine renders conversations with: the
    /// file's, or the engine's default (Mistral v1) when the file has none; `null` only if
    /// neither exists.
    chat_template: Option<String>,
    /// True when the file has no chat template and the engine's default is used.
    chat_template_builtin: bool,
    /// The kernel family the model runs on (see the `kernels` load option).
    kernels: KernelFamily,
    /// Why, e.g. `"the adapter is a CPU implementation"` or `"forced by the kernels load
    /// option"`.
    kernels_reason: String,
    /// The sampling settings the model file recommends, under the request's field names (e.g.
    /// to fill a settings form); `{}` when it gives none. A request that leaves a setting out
    /// gets the engine's default, not this.
    sampling_defaults: SamplingDefaults,
    /// What in the file was left out, and why (e.g. a recommended setting out of range);
    /// empty when nothing was.
    warnings: Vec<String>,
}

impl ModelInfo {
    pub fn of(
        file: &ModelFile,
        model: &GpuModel,
        plan: &ContextPlan,
        template: Option<&ChatTemplate>,
        file_template: Option<&str>,
        kernels: mistral_engine::KernelFamily,
        kernels_reason: &str,
    ) -> Self {
        let c = model.config();
        let parameters = file
            .tensors
            .iter()
            .map(|t| t.dims.iter().product::<u64>())
            .sum();
        let mut bytes_by_type: BTreeMap<String, u64> = BTreeMap::new();
        for t in &file.tensors {
            *bytes_by_type.entry(type_name(t.ty)).or_default() += t.n_bytes;
        }
        let quantization = bytes_by_type
            .into_iter()
            .max_by_key(|(_, b)| *b)
            .map(|(t, _)| t)
            .unwrap_or_default();
        let sampling = file
            .gguf
            .as_ref()
            .map(|g| SamplingDefaults::from_metadata(&g.metadata))
            .unwrap_or_default();
        ModelInfo {
            name: c.name.clone().unwrap_or_else(|| "unnamed model".into()),
            architecture: c.architecture.clone(),
            quantization,
            parameters,
            file_bytes: file.gguf.as_ref().map_or(0, |g| g.file_len),
            vocab_size: c.vocab_size,
            context_length: c.context_length,
            usable_context: c.sliding_window.unwrap_or(model.ring_capacity()),
            context_limit: plan.limit.into(),
            sliding_window: c.sliding_window,
            n_layers: c.n_layers,
            dim: c.dim,
            gpu_bytes: model.memory().total(),
            kv_precision: plan.kv_storage.into(),
            // The template the engine renders with; a file's template that failed to compile
            // is still shown (chat then reports why), so the viewer helps find what is wrong.
            chat_template: template
                .map(|t| t.source().to_string())
                .or_else(|| file_template.map(str::to_string)),
            chat_template_builtin: template.is_some_and(ChatTemplate::is_builtin),
            kernels: kernels.into(),
            kernels_reason: kernels_reason.into(),
            sampling_defaults: sampling.defaults,
            warnings: sampling.warnings,
        }
    }
}

fn type_name(ty: TensorType) -> String {
    ty.name().to_string()
}
