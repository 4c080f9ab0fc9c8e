//! The engine in the browser: a wasm-bindgen API over the same Rust core the CLI uses, running on
//! the page's (or a worker's) WebGPU. The npm package (crates/web/js) wraps it in an
//! OpenAI-shaped API, runs it in a Web Worker, and supplies the range reader (HTTP range
//! requests + Cache API, or a `File`).
//!
//! Loading streams tensor by tensor through the reader, so the GGUF is never whole in wasm
//! memory. A chat completion is driven one token per [`Engine::step`] call.

mod completion;
mod errors;
mod info;
mod loader;
mod panic;
#[cfg(test)]
mod typescript;

use std::rc::Rc;
use std::sync::Arc;

use mistral_engine::context::AdapterSummary;
use mistral_engine::model::{
    plan_context, ContextPlan, GpuModel, LoadPhase, MemoryEstimate, ModelOptions, RawSource,
};
use mistral_engine::ops::KvStorage;
use mistral_engine::{AdapterFacts, GpuContext, KernelChoice};
use mistral_formats::ModelFile;
use mistral_text::{ChatTemplate, Tokenizer};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use wasm_bindgen::prelude::*;

use completion::Completion;
use errors::Code;
pub use errors::{webgpu_available, NO_WEBGPU};
pub use errors::{WebError, WebResult};
pub use loader::RangeReader;
use mistral_generate::{
    encode_messages, fit_messages, ChatRequest, ContextLimits, Fitted, KvHistory,
};
pub use panic::take as take_panic;

/// Options of `loadModel`, as JSON: the part of the npm package's `LoadOptions` the engine
/// itself takes (`EngineLoadOptions`). Any other field is a `bad-request` error.
#[derive(Deserialize, Default, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(rename = "EngineLoadOptions", optional_fields)]
pub struct LoadOptions {
    /// KV cache length in tokens, for models without a sliding window (default: the model's
    /// trained context, unless the adapter's largest binding or the KV memory budget allows
    /// less; `ModelInfo.contextLimit` says which).
    pub context_length: Option<usize>,
    /// Tokens per prefill chunk (default: the kernel family's, 32 for `'cpu'` and 256 for
    /// `'gpu'`).
    pub prefill_chunk: Option<usize>,
    /// Precision of the KV cache on the GPU: `'f32'` (exact), `'f16'` (half the memory, ~7e-4
    /// relative error in logits) or `'auto'` (default: f32 while that cache stays under 512 MiB
    /// and gives as long a default context as f16 would; else f16, e.g. for Mistral-7B's
    /// 4096-token window). Any other value rejects with `bad-request`.
    #[ts(type = r#""auto" | KvPrecision"#, optional)]
    pub kv_precision: Option<String>,
    /// Which kernel family runs the model: `'cpu'` (shaped for GPUs implemented on CPUs:
    /// SwiftShader, WARP, lavapipe), `'gpu'` (coalesced matrix-vector products and tiled matrix
    /// products in workgroup memory, for real GPUs) or `'auto'` (default: `'cpu'` on a software
    /// or fallback adapter, `'gpu'` otherwise; see `AdapterInfo.kernels`). Both compute the
    /// same logits up to summation order. Any other value rejects with `bad-request`.
    #[ts(type = r#""auto" | KernelFamily"#, optional)]
    pub kernels: Option<String>,
}

/// What `beginChat` returns.
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "EngineChatBegin")]
pub struct ChatBegin {
    /// Tokens of the prompt, as fitted to the context.
    prompt_tokens: usize,
    /// Of those, the prefix whose keys/values the previous turn left in the KV cache.
    reused_tokens: usize,
    /// Old turns left out to fit the context (0 when all fit).
    dropped_messages: usize,
    /// Says so in words; only when messages were dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    notice: Option<String>,
}

/// The model and what it needs to chat.
struct Loaded {
    file: ModelFile,
    model: GpuModel,
    tokenizer: Rc<Tokenizer>,
    template: Option<ChatTemplate>,
    info: info::ModelInfo,
    /// Tokens whose keys/values the model holds, in order (for prefix reuse across turns).
    history: KvHistory,
}

#[wasm_bindgen]
pub struct Engine {
    ctx: Arc<GpuContext>,
    loaded: Option<Loaded>,
    completion: Option<Completion>,
}

#[wasm_bindgen]
impl Engine {
    /// Opens the browser's WebGPU adapter and a device with the adapter's limits.
    pub async fn create() -> Result<Engine, JsValue> {
        // Before anything can panic: a panic then reaches JavaScript with its message.
        panic::install();
        if !webgpu_available() {
            return Err(WebError::new(Code::NoWebgpu, NO_WEBGPU).into());
        }
        let ctx =
            GpuContext::new_with_backends(None, mistral_engine::wgpu::Backends::BROWSER_WEBGPU)
                .await
                .map_err(WebError::from)?;
        // The engine's API takes an Arc (native callers share the device across threads); on
        // wasm32 the WebGPU handles are neither Send nor Sync, and there is only one thread.
        #[allow(clippy::arc_with_non_send_sync)]
        let ctx = Arc::new(ctx);
        Ok(Engine {
            ctx,
            loaded: None,
            completion: None,
        })
    }

    /// The adapter's name, backend, features and limits, as JSON.
    #[wasm_bindgen(js_name = adapterInfo)]
    pub fn adapter_info(&self) -> String {
        serde_json::to_string(&info::AdapterInfo::of(&self.ctx.adapter)).unwrap_or_default()
    }

    /// Loads a GGUF through `reader`, tensor by tensor; replaces any model loaded before.
    /// `on_progress(phase, done, total)`: "header", "compile", "upload" (bytes), "ready".
    /// Returns the model info as JSON.
    #[wasm_bindgen(js_name = loadModel)]
    pub async fn load_model(
        &mut self,
        reader: RangeReader,
        options_json: &str,
        on_progress: js_sys::Function,
    ) -> Result<String, JsValue> {
        // Free the old model's buffers before the new upload.
        self.unload();
        let options: LoadOptions = if options_json.trim().is_empty() {
            LoadOptions::default()
        } else {
            serde_json::from_str(options_json)
                .map_err(|e| WebError::new(Code::BadRequest, format!("load options: {e}")))?
        };
        let report = |phase: &str, done: u64, total: u64| {
            // A throwing progress callback must not break the load.
            let _ = on_progress.call3(
                &JsValue::NULL,
                &phase.into(),
                &(done as f64).into(),
                &(total as f64).into(),
            );
        };
        let loaded = self.load(&reader, &options, &report).await?;
        let json = serde_json::to_string(&loaded.info).unwrap_or_default();
        self.loaded = Some(loaded);
        report("ready", 1, 1);
        Ok(json)
    }

    /// Frees the model's GPU memory.
    pub fn unload(&mut self) {
        self.completion = None;
        self.loaded = None;
    }

    /// The loaded model's info as JSON, or undefined.
    #[wasm_bindgen(js_name = modelInfo)]
    pub fn model_info(&self) -> Option<String> {
        let l = self.loaded.as_ref()?;
        serde_json::to_string(&l.info).ok()
    }

    /// Runs `tokens` after what the model has already seen and returns their logits,
    /// `[tokens.length x vocab]` row-major.
    pub async fn logits(&mut self, tokens: Vec<u32>) -> Result<Vec<f32>, JsValue> {
        Ok(self.logits_in_chunks(&tokens, None).await?)
    }

    /// Forgets the sequence so far (the next token is at position 0).
    pub fn reset(&mut self) {
        self.completion = None;
        if let Some(l) = &mut self.loaded {
            l.model.reset();
            l.history.clear();
        }
    }

    /// Vocabulary size of the loaded model (0 without one).
    #[wasm_bindgen(getter, js_name = vocabSize)]
    pub fn vocab_size(&self) -> usize {
        self.loaded
            .as_ref()
            .map_or(0, |l| l.model.config().vocab_size)
    }

    /// Token ids of `text` (special-token text stays plain text), with BOS when the model adds one.
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, JsValue> {
        let l = self.require()?;
        Ok(l.tokenizer
            .encode(text, l.tokenizer.add_bos())
            .map_err(WebError::from)?)
    }

    /// Starts a chat completion (request JSON in OpenAI's field names; an unknown field is a
    /// bad-request error). Renders the chat template and reuses the keys/values of the prompt
    /// prefix shared with the previous turn. A model without a sliding window whose context
    /// the conversation passes drops the oldest turns after the system prompt (the shared
    /// policy of `mistral_generate::fit_messages`); a last message that does not fit alone is a
    /// context error. Returns a [`ChatBegin`] as JSON.
    #[wasm_bindgen(js_name = beginChat)]
    pub fn begin_chat(&mut self, request_json: &str) -> Result<String, JsValue> {
        self.completion = None;
        let request = ChatRequest::from_json(request_json)
            .map_err(|e| WebError::new(Code::BadRequest, format!("chat request: {e}")))?;
        let seed = (js_sys::Math::random() * 9.0e15) as u64;
        let l = self.loaded.as_mut().ok_or_else(no_model)?;
        let limits = ContextLimits {
            capacity: l.model.ring_capacity(),
            windowed: l.model.config().sliding_window.is_some(),
        };
        let fitted = fit_prompt(l, &request, limits)?;
        let prompt = &fitted.tokens;
        let reused = l
            .history
            .reusable(prompt, l.model.position(), limits.capacity);
        l.model.rewind(reused).map_err(WebError::from)?;
        l.history.truncate(reused);
        let max_tokens = limits.max_tokens(request.sampling.max_tokens, prompt.len(), 512);
        let completion = Completion::new(
            l.tokenizer.clone(),
            request.sampling,
            prompt,
            prompt[reused..].to_vec(),
            max_tokens,
            seed,
        )?;
        self.completion = Some(completion);
        let begin = ChatBegin {
            prompt_tokens: prompt.len(),
            reused_tokens: reused,
            dropped_messages: fitted.dropped,
            notice: fitted.notice,
        };
        Ok(serde_json::to_string(&begin).unwrap_or_default())
    }

    /// Generates one token of the completion begun by `beginChat`. Returns a
    /// [`completion::StepOut`] as JSON.
    pub async fn step(&mut self) -> Result<String, JsValue> {
        let l = self.loaded.as_mut().ok_or_else(no_model)?;
        let c = self.completion.as_mut().ok_or_else(|| {
            WebError::new(
                Code::BadRequest,
                "no completion in progress: call beginChat first",
            )
        })?;
        let out = c.step(&mut l.model, &mut l.history).await;
        let out = out.map_err(|e| lost_or(&self.ctx, e));
        if out.is_err() {
            // The KV contents are unknown after a failed step: start the next turn afresh.
            l.model.reset();
            l.history.clear();
            self.completion = None;
        }
        Ok(serde_json::to_string(&out?).unwrap_or_default())
    }

    /// Ends the completion (finished or aborted) and returns its usage as JSON.
    #[wasm_bindgen(js_name = endChat)]
    pub fn end_chat(&mut self) -> String {
        match self.completion.take() {
            Some(c) => serde_json::to_string(&c.usage()).unwrap_or_default(),
            None => "null".into(),
        }
    }

    /// Size of the wasm linear memory: its peak, since wasm memory never shrinks.
    #[wasm_bindgen(js_name = wasmMemoryBytes)]
    pub fn wasm_memory_bytes() -> f64 {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let buffer: js_sys::ArrayBuffer = memory.buffer().unchecked_into();
        buffer.byte_length() as f64
    }
}

/// Rust-side helpers the browser tests use; not part of the JavaScript API.
impl Engine {
    async fn load(
        &mut self,
        reader: &RangeReader,
        options: &LoadOptions,
        report: &dyn Fn(&str, u64, u64),
    ) -> WebResult<Loaded> {
        self.ctx.check()?;
        report("header", 0, 1);
        let file = loader::read_header(reader).await?;
        let gguf = file
            .gguf
            .as_ref()
            .expect("a model read from a GGUF header has it");
        let tokenizer = Rc::new(Tokenizer::from_gguf(gguf).map_err(|e| {
            WebError::new(
                Code::UnsupportedFile,
                format!("the GGUF's tokenizer cannot be used: {e}"),
            )
        })?);
        tokenizer
            .check_fits(file.config.vocab_size)
            .map_err(|e| WebError::new(Code::UnsupportedFile, e.to_string()))?;
        // A model without a usable template still serves `logits`; chat reports the error.
        let template = ChatTemplate::for_tokenizer(&tokenizer).ok();
        let (opts, context_plan) = model_options(&file, options, &self.ctx.adapter)?;
        let total_bytes = file.weight_bytes();
        let mut source = RawSource(loader::ReaderSource {
            reader,
            done_bytes: 0,
            total_bytes,
            progress: |done, total| report("upload", done, total),
            js_error: None,
        });
        let result = GpuModel::load_from(self.ctx.clone(), &file, &mut source, &opts, None, |p| {
            if p.phase == LoadPhase::Compiling {
                report("compile", 0, 1);
            }
        })
        .await;
        let model = match (result, source.0.js_error.take()) {
            (Ok(m), _) => m,
            (Err(_), Some(js)) => return Err(WebError::Js(js)),
            (Err(e), None) => return Err(lost_or(&self.ctx, e.into())),
        };
        let (family, reason) = model.kernel_family();
        // The engine words a forced choice for the command line; say where it came from here.
        let reason = match opts.kernels {
            KernelChoice::Force(_) => "forced by the kernels load option",
            KernelChoice::Auto => reason,
        };
        let info = info::ModelInfo::of(
            &file,
            &model,
            &context_plan,
            template.as_ref(),
            tokenizer.chat_template(),
            family,
            reason,
        );
        Ok(Loaded {
            file,
            model,
            tokenizer,
            template,
            info,
            history: KvHistory::new(),
        })
    }

    fn require(&self) -> WebResult<&Loaded> {
        self.loaded.as_ref().ok_or_else(no_model)
    }

    /// Loads a GGUF held in memory (tests), through the same streaming path.
    pub async fn load_bytes(&mut self, bytes: Vec<u8>, options: &LoadOptions) -> WebResult<()> {
        self.unload();
        let reader = loader::memory_reader(bytes);
        let loaded = self.load(&reader, options, &|_, _, _| {}).await?;
        self.loaded = Some(loaded);
        Ok(())
    }

    /// The GGUF header of `bytes` read through the streaming path, starting from a prefix of
    /// `first_bytes` (tests).
    pub async fn header_in_steps(bytes: Vec<u8>, first_bytes: u64) -> WebResult<ModelFile> {
        loader::read_header_from(&loader::memory_reader(bytes), first_bytes).await
    }

    /// [`Engine::logits`] with at most `chunk` tokens per GPU step (1 = token-by-token decode).
    pub async fn logits_in_chunks(
        &mut self,
        tokens: &[u32],
        chunk: Option<usize>,
    ) -> WebResult<Vec<f32>> {
        let l = self.loaded.as_mut().ok_or_else(no_model)?;
        l.history.clear(); // raw logits calls leave the chat prefix unknown
        let result = l.model.forward_logits(tokens, chunk).await;
        result.map_err(|e| lost_or(&self.ctx, e.into()))
    }

    /// Destroys the GPU device, as a driver reset or the browser reclaiming the GPU would
    /// (tests of the device-lost path).
    pub fn lose_device(&self) {
        self.ctx.device.destroy();
    }

    /// The loaded model file (tests compare against the native engine with it).
    pub fn model_file(&self) -> Option<&ModelFile> {
        self.loaded.as_ref().map(|l| &l.file)
    }
}

/// A failed GPU call after the device was lost surfaces as whatever the call saw (a failed
/// readback, a validation error); report the loss itself, which tells the user what to do.
fn lost_or(ctx: &GpuContext, e: WebError) -> WebError {
    match ctx.check() {
        Err(lost @ mistral_engine::EngineError::DeviceLost(_)) => lost.into(),
        _ => e,
    }
}

fn no_model() -> WebError {
    WebError::new(Code::NoModel, "no model loaded: call loadModel first")
}

/// The prompt's tokens: the chat template rendered over the messages, fitted to the context
/// (the answer gets at least a quarter of the context, or its max_tokens if less, before old
/// turns are dropped).
fn fit_prompt(l: &Loaded, request: &ChatRequest, limits: ContextLimits) -> WebResult<Fitted> {
    let template = l.template.as_ref().ok_or_else(|| {
        WebError::new(
            Code::UnsupportedFile,
            "this model's chat template cannot be rendered, so it cannot chat",
        )
    })?;
    let messages = request.text_messages();
    let reserve = limits.answer_reserve(request.sampling.max_tokens);
    Ok(fit_messages(&messages, limits, reserve, |m| {
        encode_messages(template, &l.tokenizer, m, None)
    })?)
}

/// The load options made engine options. Without a `contextLength`, a model without a window
/// gets its trained context unless the adapter's binding limit or the KV budget says less
/// ([`plan_context`]); the returned plan says which (ModelInfo.contextLimit).
fn model_options(
    file: &ModelFile,
    options: &LoadOptions,
    adapter: &AdapterSummary,
) -> WebResult<(ModelOptions, ContextPlan)> {
    let c = &file.config;
    let defaults = ModelOptions::default();
    let kernels = kernel_choice(options.kernels.as_deref())?;
    // The family's default chunk sets the ring's length, which the KV precision below depends on.
    let (family, _) = kernels
        .resolve(&AdapterFacts::from(adapter))
        .map_err(|e| WebError::new(Code::BadRequest, e.to_string()))?;
    let precision = match options.kv_precision.as_deref().unwrap_or("auto") {
        "f32" => Some(KvStorage::F32),
        "f16" => Some(KvStorage::F16),
        "auto" => None,
        other => {
            return Err(WebError::new(
                Code::BadRequest,
                format!("kvPrecision must be \"f32\", \"f16\" or \"auto\", not {other:?}"),
            ))
        }
    };
    let opts = ModelOptions {
        prefill_chunk: options.prefill_chunk.unwrap_or(defaults.prefill_chunk),
        kv_storage: KvStorage::F32,
        kernels,
        ..ModelOptions::default()
    }
    .resolved(family);
    let weights = MemoryEstimate::of(file, &opts).weights;
    let max_binding = adapter
        .limits
        .max_storage_buffer_binding_size
        .min(adapter.limits.max_buffer_size);
    let plan = plan_context(
        c,
        options.context_length,
        precision,
        weights,
        max_binding,
        |n| {
            ModelOptions {
                context: n,
                ..opts.clone()
            }
            .ring_len(c)
        },
    );
    let opts = ModelOptions {
        context: plan.context,
        kv_storage: plan.kv_storage,
        ..opts
    };
    Ok((opts, plan))
}

/// The `kernels` load option: "auto" (default), "cpu" or "gpu".
fn kernel_choice(kernels: Option<&str>) -> WebResult<KernelChoice> {
    match kernels {
        None => Ok(KernelChoice::Auto),
        Some(k) => k.parse().map_err(|_| {
            WebError::new(
                Code::BadRequest,
                format!("kernels must be \"auto\", \"cpu\" or \"gpu\", not {k:?}"),
            )
        }),
    }
}
