//! Rust panics in the browser. wasm32 aborts on a panic: the call traps with a bare
//! "RuntimeError: unreachable" and the message is lost; worse, a panic inside an async method
//! traps in a microtask, so the method's Promise never settles. The hook installed by
//! `Engine.create()` keeps the message (`Engine.takePanic()`), logs it, and calls the listener
//! the JavaScript layer registered (`Engine.onPanic(fn)`), which rejects the call in flight with
//! a `MistralError` of code `internal` carrying the message. The engine that panicked stays
//! unusable (wasm-bindgen's borrow of it is never released); a new one can be created.

use std::cell::RefCell;
use std::sync::Once;

use wasm_bindgen::prelude::*;

use crate::Engine;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

thread_local! {
    /// The message of the last panic not yet taken by JavaScript.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Called with the message at every panic (the npm package's EngineCore).
    static LISTENER: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Installs the hook (once per wasm instance). The previous hook (e.g. the test runner's) still
/// runs after ours.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.to_string();
            console_error(&format!("mistral-wgpu: Rust panic: {message}"));
            // try_borrow: a panic while one of these is borrowed must not panic again.
            LAST.with(|l| {
                if let Ok(mut l) = l.try_borrow_mut() {
                    *l = Some(message.clone());
                }
            });
            LISTENER.with(|f| {
                if let Ok(f) = f.try_borrow() {
                    if let Some(f) = f.as_ref() {
                        let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&message));
                    }
                }
            });
            previous(info);
        }));
    });
}

/// The last panic's message, taken (later calls return nothing until the next panic).
pub fn take() -> Option<String> {
    LAST.with(|l| l.try_borrow_mut().ok().and_then(|mut l| l.take()))
}

#[wasm_bindgen]
impl Engine {
    /// The message of the last Rust panic (once), or undefined.
    #[wasm_bindgen(js_name = takePanic)]
    pub fn take_panic() -> Option<String> {
        take()
    }

    /// Registers `listener(message)`, called synchronously inside every later Rust panic (it
    /// must not call back into the engine). Installs the panic hook.
    #[wasm_bindgen(js_name = onPanic)]
    pub fn on_panic(listener: js_sys::Function) {
        install();
        LISTENER.with(|f| *f.borrow_mut() = Some(listener));
    }

    /// Test-only: panics with `message` after one turn of the event loop, as a panic inside
    /// `loadModel` or `step` would (the async path, whose Promise never settles by itself).
    #[doc(hidden)]
    #[wasm_bindgen(js_name = panicForTests)]
    pub async fn panic_for_tests(&mut self, message: String) -> Result<(), JsValue> {
        let tick = js_sys::Promise::resolve(&JsValue::UNDEFINED);
        wasm_bindgen_futures::JsFuture::from(tick).await?;
        panic!("{message}");
    }
}

/// Test-only: panics at once (a synchronous trap). Exported without a wrapper's arguments so
/// the browser tests can call it through `wasm_bindgen::exports()` and catch the trap.
#[doc(hidden)]
#[wasm_bindgen(js_name = panicNowForTests)]
pub fn panic_now_for_tests() {
    panic!("panic requested by a test");
}
