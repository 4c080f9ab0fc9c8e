//! The engine in headless Chromium (WebGPU on SwiftShader: no shader-f16, no subgroups, so the
//! baseline kernels with integer f16 decoding run). Same fixtures and tolerances as the native
//! `model_logits` tests: relative Frobenius error <= 1e-4 against transformers run on the
//! dequantized weights, same top-1 everywhere; token-by-token decode == chunked prefill within
//! 1e-4 in log-probs.
//!
//! Run: `cargo xtask test-web` (installs Chromium, chromedriver and wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use mistral_engine::model::ModelOptions;
use mistral_web::Engine;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const Q8_0: &[u8] = include_bytes!("../../../tests/fixtures/tiny-w6/tiny-w6-Q8_0.gguf");
const Q8_0_LOGITS: &[u8] =
    include_bytes!("../../../tests/fixtures/tiny-w6/tiny-w6-Q8_0.logits.npy");
const INPUT_IDS: &str = include_str!("../../../tests/fixtures/tiny-w6/input_ids.json");

fn ids() -> Vec<u32> {
    serde_json::from_str(INPUT_IDS).unwrap()
}

async fn engine_with(opts: &ModelOptions) -> Engine {
    let mut e = Engine::create()
        .await
        .unwrap_or_else(|e| panic!("{:?}", wasm_bindgen::JsValue::from(e)));
    e.load_with(Q8_0.to_vec(), opts)
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    e
}

fn rel_frobenius(got: &[f32], want: &[f32]) -> f64 {
    let num: f64 = got
        .iter()
        .zip(want)
        .map(|(a, b)| ((a - b) as f64).powi(2))
        .sum();
    let den: f64 = want.iter().map(|b| (*b as f64).powi(2)).sum();
    (num / den).sqrt()
}

#[wasm_bindgen_test]
async fn adapter_is_webgpu_and_reported() {
    let e = Engine::create()
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    let info = e.adapter_info();
    console_log!("adapter: {info}");
    assert!(info.contains("BrowserWebGpu"), "{info}");
}

#[wasm_bindgen_test]
async fn tiny_w6_q8_0_logits_match_transformers() {
    let mut e = engine_with(&ModelOptions::default()).await;
    let vocab = e.vocab_size();
    let tokens = ids();
    let (shape, want) = mistral_formats::npy::read_f32(Q8_0_LOGITS).unwrap();
    assert_eq!(shape, [tokens.len(), vocab]);
    let got = e
        .logits(tokens)
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    assert_eq!(got.len(), want.len());
    let err = rel_frobenius(&got, &want);
    console_log!("tiny-w6 Q8_0 in the browser vs transformers: relative Frobenius {err:.3e}");
    assert!(err <= 1e-4, "relative error {err}");
    for (pos, (g, w)) in got.chunks(vocab).zip(want.chunks(vocab)).enumerate() {
        assert_eq!(
            mistral_reference::argmax(g),
            mistral_reference::argmax(w),
            "top-1 differs at position {pos}"
        );
    }
}

#[wasm_bindgen_test]
async fn decode_equals_chunked_prefill() {
    let mut e = engine_with(&ModelOptions {
        prefill_chunk: 5,
        context: 64,
        ..ModelOptions::default()
    })
    .await;
    let vocab = e.vocab_size();
    let tokens = ids();
    let logprobs = |l: Vec<f32>| -> Vec<f32> {
        l.chunks(vocab)
            .flat_map(mistral_reference::log_softmax)
            .collect()
    };
    let mut runs = Vec::new();
    for chunk in [1, 5] {
        e.reset();
        let l = e.logits_in_chunks(&tokens, Some(chunk)).await;
        runs.push(logprobs(l.map_err(wasm_bindgen::JsValue::from).unwrap()));
    }
    let (decode, prefill) = (&runs[0], &runs[1]);
    let d = decode
        .iter()
        .zip(prefill)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    console_log!("decode vs chunk-5 prefill: max log-prob difference {d:.3e}");
    assert!(d <= 1e-4, "max log-prob difference {d}");
}
