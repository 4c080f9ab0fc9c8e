//! Engine errors as JavaScript errors, with browser-specific advice where the native message
//! (install a Vulkan driver...) would not help a web user.

use mistral_engine::EngineError;
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

pub fn to_js(e: impl Into<EngineError>) -> JsError {
    match e.into() {
        EngineError::NoAdapter { .. } => JsError::new(NO_ADAPTER),
        other => JsError::new(&other.to_string()),
    }
}
