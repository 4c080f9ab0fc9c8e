//! The engine in the browser: a wasm-bindgen API over the same Rust core the CLI uses, running on
//! the page's (or a worker's) WebGPU. This is the first, minimal surface: create an engine, load a
//! GGUF from bytes, get logits. The npm package, the Web Worker client and chat completions build
//! on it.
//!
//! Loading takes the whole GGUF as one `Vec<u8>` in wasm memory. That is fine for the test
//! fixtures and small models; 4 GB models need the streaming loader (HTTP range requests feeding
//! tensors to the GPU one at a time), which replaces [`Engine::load_gguf_bytes`] as the main path.

mod errors;

use std::sync::Arc;

use mistral_engine::model::{GpuModel, ModelOptions};
use mistral_engine::GpuContext;
use mistral_formats::ModelFile;
use wasm_bindgen::prelude::*;

pub use errors::{webgpu_available, NO_WEBGPU};

#[wasm_bindgen]
pub struct Engine {
    ctx: Arc<GpuContext>,
    model: Option<GpuModel>,
}

#[wasm_bindgen]
impl Engine {
    /// Opens the browser's WebGPU adapter and a device with the adapter's limits.
    pub async fn create() -> Result<Engine, JsError> {
        if !webgpu_available() {
            return Err(JsError::new(NO_WEBGPU));
        }
        let ctx =
            GpuContext::new_with_backends(None, mistral_engine::wgpu::Backends::BROWSER_WEBGPU)
                .await
                .map_err(errors::to_js)?;
        // The engine's API takes an Arc (native callers share the device across threads); on
        // wasm32 the WebGPU handles are neither Send nor Sync, and there is only one thread.
        #[allow(clippy::arc_with_non_send_sync)]
        let ctx = Arc::new(ctx);
        Ok(Engine { ctx, model: None })
    }

    /// The adapter's name, features and limits, as the CLI's `devices` prints them.
    #[wasm_bindgen(js_name = adapterInfo)]
    pub fn adapter_info(&self) -> String {
        self.ctx.adapter.to_string()
    }

    /// Parses a GGUF held in memory and uploads it; replaces any model loaded before.
    #[wasm_bindgen(js_name = loadGgufBytes)]
    pub async fn load_gguf_bytes(&mut self, bytes: Vec<u8>) -> Result<(), JsError> {
        self.load_with(bytes, &ModelOptions::default()).await
    }

    /// Runs `tokens` after what the model has already seen and returns their logits,
    /// `[tokens.length x vocab]` row-major.
    pub async fn logits(&mut self, tokens: Vec<u32>) -> Result<Vec<f32>, JsError> {
        self.logits_in_chunks(&tokens, None).await
    }

    /// Forgets the sequence so far (the next token is at position 0).
    pub fn reset(&mut self) {
        if let Some(m) = &mut self.model {
            m.reset();
        }
    }

    /// Vocabulary size of the loaded model (0 without one).
    #[wasm_bindgen(getter, js_name = vocabSize)]
    pub fn vocab_size(&self) -> usize {
        self.model.as_ref().map_or(0, |m| m.config().vocab_size)
    }
}

/// Rust-side helpers the browser tests use; not part of the JavaScript API.
impl Engine {
    pub async fn load_with(&mut self, bytes: Vec<u8>, opts: &ModelOptions) -> Result<(), JsError> {
        // Drop the old model first so that its buffers are freed before the new upload.
        self.model = None;
        let file = ModelFile::from_gguf(Box::new(bytes)).map_err(errors::to_js)?;
        let model = GpuModel::load(self.ctx.clone(), &file, opts, None, |_| {})
            .await
            .map_err(errors::to_js)?;
        self.model = Some(model);
        Ok(())
    }

    /// [`Engine::logits`] with at most `chunk` tokens per GPU step (1 = token-by-token decode).
    pub async fn logits_in_chunks(
        &mut self,
        tokens: &[u32],
        chunk: Option<usize>,
    ) -> Result<Vec<f32>, JsError> {
        let model = self
            .model
            .as_mut()
            .ok_or_else(|| JsError::new("no model loaded: call loadGgufBytes first"))?;
        model
            .forward_logits(tokens, chunk)
            .await
            .map_err(errors::to_js)
    }
}
