//! What the page shows about the adapter and the model, as JSON for the JavaScript layer.

use mistral_engine::context::AdapterSummary;
use mistral_engine::model::{ContextPlan, GpuModel};
use mistral_engine::ops::KvStorage;
use mistral_engine::{AdapterFacts, KernelFamily};
use mistral_formats::{ModelFile, TensorType};
use mistral_text::ChatTemplate;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdapterInfo {
    name: String,
    backend: String,
    device_type: String,
    driver: String,
    features: Vec<String>,
    limits: AdapterLimits,
    /// The kernel family `kernels: "auto"` picks on this adapter ("cpu" or "gpu"), and why.
    kernels: String,
    kernels_reason: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AdapterLimits {
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
        let (family, reason) = KernelFamily::for_adapter(&AdapterFacts::from(a));
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
            kernels: family.name().into(),
            kernels_reason: reason.into(),
        }
    }
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    name: String,
    architecture: String,
    /// The tensor type holding most of the weights' bytes, e.g. "Q4_K".
    quantization: String,
    parameters: u64,
    file_bytes: u64,
    vocab_size: usize,
    /// The trained context (the file's claim).
    context_length: usize,
    /// Tokens the engine can attend to: the window, or the KV ring without one.
    usable_context: usize,
    /// What set the context's length: "trained" (the model's own), "window" (a sliding window:
    /// unbounded), "requested" (the contextLength load option), "binding" (the adapter's
    /// largest storage binding) or "budget" (the KV memory budget: a quarter of the weights'
    /// bytes, 512 MiB to 2 GiB).
    context_limit: String,
    sliding_window: Option<usize>,
    n_layers: usize,
    dim: usize,
    gpu_bytes: u64,
    kv_precision: String,
    /// The chat template's source text (Jinja): the file's, or the engine's default when the
    /// file has none. `None` only if neither could be had (the default failed to build).
    chat_template: Option<String>,
    /// True when the file has no template and the engine's default (Mistral v1) is used.
    chat_template_builtin: bool,
    /// The kernel family the model runs ("cpu" or "gpu"), and why.
    kernels: String,
    kernels_reason: String,
}

impl ModelInfo {
    pub fn of(
        file: &ModelFile,
        model: &GpuModel,
        plan: &ContextPlan,
        template: Option<&ChatTemplate>,
        file_template: Option<&str>,
        kernels: KernelFamily,
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
        ModelInfo {
            name: c.name.clone().unwrap_or_else(|| "unnamed model".into()),
            architecture: c.architecture.clone(),
            quantization,
            parameters,
            file_bytes: file.gguf.as_ref().map_or(0, |g| g.file_len),
            vocab_size: c.vocab_size,
            context_length: c.context_length,
            usable_context: c.sliding_window.unwrap_or(model.ring_capacity()),
            context_limit: plan.limit.name().into(),
            sliding_window: c.sliding_window,
            n_layers: c.n_layers,
            dim: c.dim,
            gpu_bytes: model.memory().total(),
            kv_precision: match plan.kv_storage {
                KvStorage::F32 => "f32",
                KvStorage::F16 => "f16",
            }
            .into(),
            // The template the engine renders with; a file's template that failed to compile
            // is still shown (chat then reports why), so the viewer helps find what is wrong.
            chat_template: template
                .map(|t| t.source().to_string())
                .or_else(|| file_template.map(str::to_string)),
            chat_template_builtin: template.is_some_and(ChatTemplate::is_builtin),
            kernels: kernels.name().into(),
            kernels_reason: kernels_reason.into(),
        }
    }
}

fn type_name(ty: TensorType) -> String {
    ty.name().to_string()
}
