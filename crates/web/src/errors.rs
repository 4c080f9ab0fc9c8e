//! Errors as JavaScript values: an `Error` named "MistralError" with a `code` the JavaScript
//! layer and pages switch on, and browser-specific advice where the native message (install a
//! Vulkan driver...) would not help a web user.

use mistral_engine::EngineError;
use mistral_formats::FormatError;
use mistral_generate::GenerateError;
use mistral_text::TextError;
use serde::Serialize;
use ts_rs::TS;
use wasm_bindgen::prelude::*;

/// Shown when the browser has no `navigator.gpu`.
pub const NO_WEBGPU: &str = "WebGPU is not available in this browser. \
    Chrome/Edge 113+ have it on Windows, macOS and ChromeOS (on Linux enable chrome://flags/#enable-unsafe-webgpu \
    and chrome://flags/#enable-vulkan); Firefox 141+ has it on Windows (elsewhere set dom.webgpu.enabled to true \
    in about:config); Safari 26+ has it (Safari 17-18: Develop > Feature Flags > WebGPU). \
    The page must be served over HTTPS or from localhost.";

/// Shown when `navigator.gpu` exists but `requestAdapter()` gives nothing.
const NO_ADAPTER: &str = "WebGPU is enabled but the browser offered no GPU adapter (the GPU or driver may be \
    blocklisted: see chrome://gpu or about:support). Update the graphics driver, or in Chrome enable \
    chrome://flags/#enable-unsafe-webgpu.";

/// Whether `navigator.gpu` exists (in a page or a worker).
pub fn webgpu_available() -> bool {
    let global = js_sys::global();
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).ok();
    get(&global, "navigator")
        .filter(|n| !n.is_undefined())
        .and_then(|n| get(&n, "gpu"))
        .is_some_and(|g| !g.is_undefined() && !g.is_null())
}

/// What went wrong, as `MistralError.code`: the codes of the wasm engine (the npm package adds
/// those of its JavaScript layer to make `MistralErrorCode`).
/// - `no-webgpu`: the browser has no WebGPU (`navigator.gpu`);
/// - `no-adapter`: WebGPU gave no adapter (GPU or driver blocklisted);
/// - `limits`: the GPU's limits are too small for the model;
/// - `out-of-memory`: GPU (or wasm) memory ran out;
/// - `device-lost`: the GPU device was lost; the next loadModel re-creates it;
/// - `unsupported-file`: not a GGUF file the engine supports (or a server that ignores HTTP
///   range requests);
/// - `bad-request`: a malformed request (messages, sampling parameters, load options);
/// - `context`: the prompt does not fit in the context;
/// - `no-model`: no model is loaded;
/// - `internal`: a bug, such as a Rust panic in the engine (the message carries it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(rename = "EngineErrorCode")]
pub enum Code {
    NoWebgpu,
    NoAdapter,
    Limits,
    OutOfMemory,
    DeviceLost,
    UnsupportedFile,
    BadRequest,
    Context,
    NoModel,
    Internal,
}

impl Code {
    /// The code's name as JavaScript sees it (its serde name: one spelling for the value and
    /// the generated TypeScript type).
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => unreachable!("a unit variant serializes as a string"),
        }
    }
}

/// An error on its way to JavaScript: either ours (code + message) or a value JavaScript threw
/// (the model reader's network, quota or abort errors), passed through untouched.
#[derive(Debug)]
pub enum WebError {
    Coded(Code, String),
    Js(JsValue),
}

pub type WebResult<T> = Result<T, WebError>;

impl WebError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        WebError::Coded(code, message.into())
    }

    pub fn code(&self) -> Option<Code> {
        match self {
            WebError::Coded(c, _) => Some(*c),
            WebError::Js(_) => None,
        }
    }
}

impl From<EngineError> for WebError {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::NoAdapter { .. } => return WebError::new(Code::NoAdapter, NO_ADAPTER),
            EngineError::AdapterNotFound { .. } | EngineError::NoCompute { .. } => Code::NoAdapter,
            EngineError::RequestDevice { .. } | EngineError::AdapterLimit(_) => Code::Limits,
            EngineError::DeviceLost(_) => {
                return WebError::new(
                    Code::DeviceLost,
                    format!(
                    "{e}. Create the engine again (no page reload needed) and reload the model."
                ),
                )
            }
            EngineError::OutOfMemory { .. } | EngineError::TooLarge { .. } => Code::OutOfMemory,
            // Limits are requested at the adapter's maximum, so a validation failure while
            // creating buffers or bindings means the model needs more than the adapter allows.
            EngineError::Validation { message, .. } if message.contains("limit") => Code::Limits,
            EngineError::BadTensor { .. } => Code::UnsupportedFile,
            EngineError::Format(_) => {
                return WebError::new(
                    Code::UnsupportedFile,
                    format!("this file cannot be loaded as a model: {e}"),
                )
            }
            EngineError::PastContext { .. } => Code::Context,
            EngineError::BadToken { .. } | EngineError::Options(_) => Code::BadRequest,
            _ => Code::Internal,
        };
        WebError::new(code, e.to_string())
    }
}

impl From<FormatError> for WebError {
    fn from(e: FormatError) -> Self {
        WebError::new(
            Code::UnsupportedFile,
            format!("this file cannot be loaded as a model: {e}"),
        )
    }
}

impl From<TextError> for WebError {
    fn from(e: TextError) -> Self {
        WebError::new(Code::BadRequest, e.to_string())
    }
}

impl From<GenerateError> for WebError {
    fn from(e: GenerateError) -> Self {
        match e {
            GenerateError::Text(t) => t.into(),
            GenerateError::MessageTooLong { .. } => WebError::new(Code::Context, e.to_string()),
            _ => WebError::new(Code::BadRequest, e.to_string()),
        }
    }
}

impl From<WebError> for JsValue {
    fn from(e: WebError) -> Self {
        match e {
            WebError::Js(v) => v,
            WebError::Coded(code, message) => {
                let err = js_sys::Error::new(&message);
                err.set_name("MistralError");
                // Setting a property on a fresh Error cannot fail.
                let _ = js_sys::Reflect::set(&err, &"code".into(), &code.name().into());
                err.into()
            }
        }
    }
}
