//! The engine in headless Chromium (WebGPU on SwiftShader: no shader-f16, no subgroups, so the
//! baseline kernels with integer f16 decoding run). Same fixtures and tolerances as the native
//! `model_logits` tests: relative Frobenius error <= 1e-4 against transformers run on the
//! dequantized weights, same top-1 everywhere; token-by-token decode == chunked prefill within
//! 1e-4 in log-probs. Both kernel families run: the one `kernels: "auto"` picks on SwiftShader
//! (cpu) and the gpu family forced (coalesced GEMV and tiled GEMM in workgroup memory).
//!
//! Run: `cargo xtask test-web` (installs Chromium, chromedriver and wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use mistral_web::{Engine, LoadOptions};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const Q8_0: &[u8] = include_bytes!("../../../tests/fixtures/tiny-w6/tiny-w6-Q8_0.gguf");
const Q8_0_LOGITS: &[u8] =
    include_bytes!("../../../tests/fixtures/tiny-w6/tiny-w6-Q8_0.logits.npy");
/// The native engine's logits (lavapipe), kept equal to it by crates/engine/tests/model_logits.rs.
const Q8_0_NATIVE_LOGITS: &[u8] =
    include_bytes!("../../../tests/fixtures/tiny-w6/tiny-w6-Q8_0.native-logits.npy");
const INPUT_IDS: &str = include_str!("../../../tests/fixtures/tiny-w6/input_ids.json");

fn ids() -> Vec<u32> {
    serde_json::from_str(INPUT_IDS).unwrap()
}

async fn engine_with(opts: &LoadOptions) -> Engine {
    let mut e = Engine::create().await.unwrap_or_else(|e| panic!("{e:?}"));
    e.load_bytes(Q8_0.to_vec(), opts)
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
    let e = Engine::create().await.unwrap();
    let info = e.adapter_info();
    console_log!("adapter: {info}");
    assert!(info.contains(r#""backend":"BrowserWebGpu""#), "{info}");
}

#[wasm_bindgen_test]
async fn tiny_w6_q8_0_logits_match_transformers() {
    let mut e = engine_with(&LoadOptions::default()).await;
    let vocab = e.vocab_size();
    let tokens = ids();
    let (shape, want) = mistral_formats::npy::read_f32(Q8_0_LOGITS).unwrap();
    assert_eq!(shape, [tokens.len(), vocab]);
    let got = e.logits(tokens).await.unwrap();
    assert_close(&got, &want, vocab, 1e-4, "transformers");
}

/// Relative Frobenius error within `tolerance` and the same top-1 token at every position.
fn assert_close(got: &[f32], want: &[f32], vocab: usize, tolerance: f64, reference: &str) {
    assert_eq!(got.len(), want.len());
    let err = rel_frobenius(got, want);
    console_log!("tiny-w6 Q8_0 in the browser vs {reference}: relative Frobenius {err:.3e}");
    assert!(err <= tolerance, "relative error {err} vs {reference}");
    for (pos, (g, w)) in got.chunks(vocab).zip(want.chunks(vocab)).enumerate() {
        assert_eq!(
            mistral_reference::argmax(g),
            mistral_reference::argmax(w),
            "top-1 differs from {reference} at position {pos}"
        );
    }
}

/// Load options forcing the gpu kernel family.
fn gpu_kernels() -> LoadOptions {
    LoadOptions {
        kernels: Some("gpu".into()),
        ..LoadOptions::default()
    }
}

/// The loaded model's info, as JSON.
fn model_info(e: &Engine) -> serde_json::Value {
    serde_json::from_str(&e.model_info().expect("a model is loaded")).unwrap()
}

/// The fixture with llama.cpp's recommended-sampling keys added: a valid temperature and a
/// top_k out of range (llama.cpp's -1).
fn with_sampling_keys(bytes: &[u8]) -> Vec<u8> {
    use mistral_formats::gguf::{GgufFile, GgufWriter, MetadataValue};
    let gguf = GgufFile::read(bytes).unwrap();
    let mut w = GgufWriter::new();
    w.metadata = gguf.metadata.clone();
    w.metadata
        .set("general.sampling.temp", MetadataValue::F32(0.5));
    w.metadata
        .set("general.sampling.top_k", MetadataValue::I32(-1));
    for t in &gguf.tensors {
        let data = gguf.tensor_bytes(bytes, t).unwrap();
        w.add_tensor(&t.name, &t.dims, t.ty, data).unwrap();
    }
    w.to_bytes().unwrap()
}

#[wasm_bindgen_test]
async fn the_files_sampling_settings_reach_model_info() {
    let mut e = engine_with(&LoadOptions::default()).await;
    let plain = model_info(&e);
    assert_eq!(plain["samplingDefaults"], serde_json::json!({}), "{plain}");
    assert_eq!(plain["warnings"], serde_json::json!([]), "{plain}");
    e.load_bytes(with_sampling_keys(Q8_0), &LoadOptions::default())
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    let info = model_info(&e);
    assert_eq!(
        info["samplingDefaults"],
        serde_json::json!({"temperature": 0.5}),
        "the valid key, under its request name; the bad one left out: {info}"
    );
    let warnings = info["warnings"].to_string();
    assert!(
        warnings.contains("general.sampling.top_k: ignored"),
        "{warnings}"
    );
}

#[wasm_bindgen_test]
async fn decode_equals_chunked_prefill() {
    decode_equals_chunked_prefill_with(LoadOptions::default()).await;
}

#[wasm_bindgen_test]
async fn decode_equals_chunked_prefill_with_gpu_kernels() {
    decode_equals_chunked_prefill_with(gpu_kernels()).await;
}

async fn decode_equals_chunked_prefill_with(opts: LoadOptions) {
    let mut e = engine_with(&LoadOptions {
        prefill_chunk: Some(5),
        context_length: Some(64),
        ..opts
    })
    .await;
    let kernels = model_info(&e)["kernels"].as_str().unwrap().to_string();
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
        let l = l.map_err(wasm_bindgen::JsValue::from);
        runs.push(logprobs(l.unwrap()));
    }
    let (decode, prefill) = (&runs[0], &runs[1]);
    let d = decode
        .iter()
        .zip(prefill)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    console_log!("{kernels} kernels, decode vs chunk-5 prefill: max log-prob difference {d:.3e}");
    assert!(d <= 1e-4, "max log-prob difference {d}");
}

#[wasm_bindgen_test]
async fn header_parses_through_growing_range_reads() {
    // Starting from 64 bytes, the loader must grow its prefix until the header parses, and
    // reach the same tensor table as parsing the whole file.
    let stepped = Engine::header_in_steps(Q8_0.to_vec(), 64)
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    let whole = mistral_formats::ModelFile::from_gguf(Box::new(Q8_0.to_vec())).unwrap();
    assert_eq!(stepped.tensors, whole.tensors);
    assert_eq!(stepped.config, whole.config);
}

#[wasm_bindgen_test]
async fn truncated_gguf_is_an_unsupported_file_error() {
    let mut e = Engine::create().await.unwrap();
    let cut = Q8_0[..Q8_0.len() - 1000].to_vec();
    let err = e
        .load_bytes(cut, &LoadOptions::default())
        .await
        .expect_err("a truncated file must not load");
    let err = format!("{err:?}");
    assert!(err.contains("UnsupportedFile"), "{err}");
    // The engine stays usable: the whole file loads afterwards.
    e.load_bytes(Q8_0.to_vec(), &LoadOptions::default())
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    assert_eq!(e.vocab_size(), 512);
}

/// Runs a chat completion to the end: (text, finish reason, begin's JSON).
async fn complete(
    e: &mut Engine,
    request: serde_json::Value,
) -> (String, String, serde_json::Value) {
    let begun = e.begin_chat(&request.to_string()).unwrap();
    let mut text = String::new();
    loop {
        let step: serde_json::Value = serde_json::from_str(&e.step().await.unwrap()).unwrap();
        text.push_str(step["text"].as_str().unwrap());
        if step["done"].as_bool().unwrap() {
            let usage: serde_json::Value = serde_json::from_str(&e.end_chat()).unwrap();
            assert!(usage["completionTokens"].as_u64().is_some(), "{usage}");
            let finish = step["finishReason"].as_str().unwrap().to_string();
            return (text, finish, serde_json::from_str(&begun).unwrap());
        }
    }
}

fn chat(messages: &[(&str, &str)], extra: serde_json::Value) -> serde_json::Value {
    let mut r = serde_json::json!({
        "messages": messages.iter().map(|(role, content)| serde_json::json!({"role": role, "content": content})).collect::<Vec<_>>(),
        "temperature": 0,
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

#[wasm_bindgen_test]
async fn greedy_chat_is_the_argmax_chain_of_the_rendered_prompt() {
    let mut e = engine_with(&LoadOptions::default()).await;
    let n = 10;
    let (text, finish, begun) = complete(
        &mut e,
        chat(
            &[("user", "Hello there")],
            serde_json::json!({"max_tokens": n}),
        ),
    )
    .await;
    // The reference: render the template with mistral-text, run the prompt, take argmaxes.
    let file = e.model_file().unwrap();
    let tok = mistral_text::Tokenizer::from_gguf(file.gguf.as_ref().unwrap()).unwrap();
    let template = mistral_text::ChatTemplate::for_tokenizer(&tok).unwrap();
    let mut ids = template
        .encode(&tok, &[mistral_text::Message::user("Hello there")], true)
        .unwrap();
    assert_eq!(begun["promptTokens"].as_u64().unwrap() as usize, ids.len());
    e.reset();
    let vocab = e.vocab_size();
    let mut generated = Vec::new();
    let mut next_input = ids.clone();
    while generated.len() < n {
        let l = e.logits_in_chunks(&next_input, None).await.unwrap();
        let next = mistral_reference::argmax(&l[l.len() - vocab..]) as u32;
        if tok.is_eos(next) {
            break;
        }
        generated.push(next);
        next_input = vec![next];
    }
    ids.extend(&generated);
    let want = tok.decode(&generated).unwrap();
    console_log!("greedy chat: {text:?} ({finish})");
    assert_eq!(text, want);
    assert_eq!(
        finish,
        if generated.len() == n {
            "length"
        } else {
            "stop"
        }
    );
}

#[wasm_bindgen_test]
async fn second_turn_reuses_the_prefix_and_matches_a_fresh_run() {
    let mut e = engine_with(&LoadOptions::default()).await;
    let max = serde_json::json!({"max_tokens": 6});
    let (first, _, _) = complete(&mut e, chat(&[("user", "Hi")], max.clone())).await;
    let turn2 = chat(
        &[("user", "Hi"), ("assistant", &first), ("user", "And then?")],
        max.clone(),
    );
    let (reused, _, begun) = complete(&mut e, turn2.clone()).await;
    assert!(begun["reusedTokens"].as_u64().unwrap() > 0, "{begun}");
    e.reset();
    let (fresh, _, begun) = complete(&mut e, turn2).await;
    assert_eq!(begun["reusedTokens"], 0);
    assert_eq!(reused, fresh);
}

#[wasm_bindgen_test]
async fn stop_strings_cut_the_answer_and_seeds_repeat() {
    let mut e = engine_with(&LoadOptions::default()).await;
    let q = [("user", "Tell me more")];
    let (full, _, _) = complete(&mut e, chat(&q, serde_json::json!({"max_tokens": 16}))).await;
    let chars: Vec<char> = full.chars().collect();
    assert!(chars.len() >= 4, "answer too short to test stops: {full:?}");
    let stop: String = chars[chars.len() / 2..chars.len() / 2 + 2].iter().collect();
    let (cut, finish, _) = complete(
        &mut e,
        chat(&q, serde_json::json!({"max_tokens": 16, "stop": [stop]})),
    )
    .await;
    assert_eq!(cut, full[..full.find(&stop).unwrap()]);
    assert_eq!(finish, "stop");

    let sampled = serde_json::json!({"max_tokens": 8, "temperature": 1.0, "seed": 7});
    let (a, _, _) = complete(&mut e, chat(&q, sampled.clone())).await;
    let (b, _, _) = complete(&mut e, chat(&q, sampled)).await;
    assert_eq!(a, b);
}

#[wasm_bindgen_test]
async fn tiny_w6_q8_0_logits_match_the_native_engine() {
    // Both are f32 on the GPU; the browser runs the baseline kernels (no subgroups, no f16) on
    // SwiftShader, native runs subgroup kernels on lavapipe: only summation order and the
    // platforms' exp/sqrt differ, ~1e-6 relative. 1e-5 leaves room without hiding a wrong op
    // (which gives O(1)).
    let mut e = engine_with(&LoadOptions::default()).await;
    let vocab = e.vocab_size();
    let (shape, want) = mistral_formats::npy::read_f32(Q8_0_NATIVE_LOGITS).unwrap();
    let got = e.logits(ids()).await.unwrap();
    assert_eq!(shape, [got.len() / vocab, vocab]);
    assert_close(&got, &want, vocab, 1e-5, "the native engine");
}

#[wasm_bindgen_test]
async fn tiny_w6_q8_0_logits_with_gpu_kernels_match_transformers_and_the_native_engine() {
    let mut e = engine_with(&gpu_kernels()).await;
    let info = model_info(&e);
    assert_eq!(info["kernels"], "gpu", "{info}");
    assert_eq!(
        info["kernelsReason"], "forced by the kernels load option",
        "{info}"
    );
    let vocab = e.vocab_size();
    let (_, transformers) = mistral_formats::npy::read_f32(Q8_0_LOGITS).unwrap();
    let (_, native) = mistral_formats::npy::read_f32(Q8_0_NATIVE_LOGITS).unwrap();
    // Prefill (chunks of W = 6 tokens: the tiled GEMM) and token-by-token decode (the
    // coalesced GEMV), each against both references.
    let mut decode = Vec::new();
    for chunk in [None, Some(1)] {
        e.reset();
        let got = e.logits_in_chunks(&ids(), chunk).await;
        let got = got.map_err(wasm_bindgen::JsValue::from).unwrap();
        let how = if chunk.is_some() { "decode" } else { "prefill" };
        assert_close(
            &got,
            &transformers,
            vocab,
            1e-4,
            &format!("transformers (gpu kernels, {how})"),
        );
        // The committed native logits come from the cpu family on lavapipe. The gpu family sums
        // each dot product in another order (decode: 64 invocations over interleaved words, then
        // a tree reduction in workgroup memory): ~1e-6 relative against transformers, like the
        // cpu family, so the families differ by ~2e-6 at most (measured on SwiftShader: 7.8e-7
        // in prefill and 1.0e-6 in decode against the native logits, 6.0e-7 against the cpu
        // family's decode). 1e-5 is the bound of the cpu-family browser test: room for summation
        // order and the platforms' exp/sqrt, while a wrong op or tile edge is O(1).
        assert_close(
            &got,
            &native,
            vocab,
            1e-5,
            &format!("the native engine (gpu kernels, {how})"),
        );
        decode = got;
    }
    // The option reached the kernels (not only the model info): the cpu family's decode sums
    // in another order, so its logits agree closely but not bit for bit.
    let mut cpu = engine_with(&LoadOptions {
        kernels: Some("cpu".into()),
        ..LoadOptions::default()
    })
    .await;
    let cpu_decode = cpu.logits_in_chunks(&ids(), Some(1)).await;
    let cpu_decode = cpu_decode.map_err(wasm_bindgen::JsValue::from).unwrap();
    let same = decode
        .iter()
        .zip(&cpu_decode)
        .filter(|(a, b)| a.to_bits() == b.to_bits())
        .count();
    console_log!(
        "gpu vs cpu kernels, decode: {same} of {} logits bit-identical",
        decode.len()
    );
    assert!(
        same < decode.len(),
        "the gpu kernels computed the cpu kernels' bits"
    );
    assert_close(
        &decode,
        &cpu_decode,
        vocab,
        1e-5,
        "the cpu kernels (decode)",
    );
}

/// `navigator.gpu.requestAdapter()` as the page sees it: GPUAdapterInfo's fields and
/// isFallbackAdapter (wgpu maps description -> name, isFallbackAdapter -> DeviceType::Cpu).
async fn raw_adapter_info() -> String {
    let get = |o: &wasm_bindgen::JsValue, k: &str| {
        js_sys::Reflect::get(o, &k.into()).unwrap_or(wasm_bindgen::JsValue::UNDEFINED)
    };
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    let request: js_sys::Function = get(&gpu, "requestAdapter").unchecked_into();
    let promise: js_sys::Promise = request.call0(&gpu).unwrap().unchecked_into();
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
    let info = get(&adapter, "info");
    let fields = [
        "vendor",
        "architecture",
        "device",
        "description",
        "isFallbackAdapter",
    ];
    let mut out = serde_json::Map::new();
    for f in fields {
        let v = get(&info, f);
        let v = match (v.as_string(), v.as_bool()) {
            (Some(s), _) => serde_json::Value::String(s),
            (None, Some(b)) => serde_json::Value::Bool(b),
            _ => serde_json::Value::Null,
        };
        out.insert(f.to_string(), v);
    }
    // Older Chromium had isFallbackAdapter on the adapter, not on its info.
    if out["isFallbackAdapter"].is_null() {
        if let Some(b) = get(&adapter, "isFallbackAdapter").as_bool() {
            out.insert("adapter.isFallbackAdapter".into(), b.into());
        }
    }
    serde_json::Value::Object(out).to_string()
}

#[wasm_bindgen_test]
async fn auto_picks_the_cpu_family_on_swiftshader() {
    console_log!("GPUAdapterInfo: {}", raw_adapter_info().await);
    let mut e = engine_with(&LoadOptions {
        kernels: Some("auto".into()),
        ..LoadOptions::default()
    })
    .await;
    let adapter: serde_json::Value = serde_json::from_str(&e.adapter_info()).unwrap();
    let info = model_info(&e);
    console_log!(
        "adapter name {:?}, device type {}: auto picks {} ({}); the model runs {} ({})",
        adapter["name"],
        adapter["deviceType"],
        adapter["kernels"],
        adapter["kernelsReason"],
        info["kernels"],
        info["kernelsReason"]
    );
    // What adapterInfo says auto would pick is what a load with auto runs.
    assert_eq!(info["kernels"], adapter["kernels"]);
    assert_eq!(info["kernelsReason"], adapter["kernelsReason"]);
    // SwiftShader is a CPU implementation: the cpu family.
    assert_eq!(info["kernels"], "cpu", "{adapter}");
    // The default (no option) is auto.
    e.load_bytes(Q8_0.to_vec(), &LoadOptions::default())
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    assert_eq!(model_info(&e)["kernels"], adapter["kernels"]);
}

#[wasm_bindgen_test]
async fn a_bad_kernels_value_is_a_bad_request() {
    let mut e = Engine::create().await.unwrap();
    let opts = LoadOptions {
        kernels: Some("fast".into()),
        ..LoadOptions::default()
    };
    let err = e
        .load_bytes(Q8_0.to_vec(), &opts)
        .await
        .expect_err("an unknown kernel family must be refused");
    // What JavaScript receives: a MistralError with code "bad-request" naming the values.
    let err = wasm_bindgen::JsValue::from(err);
    let field = |k: &str| {
        js_sys::Reflect::get(&err, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    console_log!("kernels \"fast\": {} ({})", field("message"), field("code"));
    assert_eq!(field("name"), "MistralError");
    assert_eq!(field("code"), "bad-request");
    assert!(
        field("message").contains(r#""auto", "cpu" or "gpu""#),
        "{}",
        field("message")
    );
    // The engine stays usable.
    e.load_bytes(Q8_0.to_vec(), &LoadOptions::default())
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_lost_device_is_reported_and_a_new_engine_works() {
    let mut e = engine_with(&LoadOptions::default()).await;
    e.lose_device();
    // The loss is reported asynchronously (device.lost resolves); give it a turn.
    let wait = js_sys::Promise::new(&mut |resolve, _| {
        let global: web_sys_like::Global = js_sys::global().unchecked_into();
        global.set_timeout(&resolve, 50);
    });
    wasm_bindgen_futures::JsFuture::from(wait).await.unwrap();
    let err = e
        .logits_in_chunks(&ids(), None)
        .await
        .expect_err("the device is gone");
    let err = format!("{err:?}");
    assert!(err.contains("DeviceLost"), "{err}");
    // What the page does: create a new engine (no reload) and load again.
    let mut fresh = engine_with(&LoadOptions::default()).await;
    assert_eq!(fresh.logits(ids()).await.unwrap().len(), ids().len() * 512);
}

/// A Rust panic (wasm32 aborts: the call traps) keeps its message for JavaScript, which the npm
/// package turns into a MistralError of code "internal"; a new engine works afterwards.
#[wasm_bindgen_test]
async fn a_panic_keeps_its_message_and_a_new_engine_works() {
    let _first = Engine::create().await.unwrap(); // installs the panic hook
    assert!(mistral_web::take_panic().is_none());
    // Called through JavaScript, as the package calls the engine, so the trap is a catchable
    // exception rather than the end of this test.
    let exports = wasm_bindgen::exports();
    let name = js_sys::Object::keys(exports.unchecked_ref::<js_sys::Object>())
        .iter()
        .find(|k| {
            k.as_string()
                .is_some_and(|k| k.contains("panicNowForTests"))
        })
        .expect("the test-only panicking export");
    let f: js_sys::Function = js_sys::Reflect::get(&exports, &name)
        .unwrap()
        .unchecked_into();
    let trap = js_sys::Reflect::apply(&f, &wasm_bindgen::JsValue::UNDEFINED, &js_sys::Array::new())
        .expect_err("it panics");
    console_log!("the trap JavaScript sees: {trap:?}");
    let message = mistral_web::take_panic().expect("the hook kept the message");
    assert!(message.contains("panic requested by a test"), "{message}");
    assert!(mistral_web::take_panic().is_none(), "taken once");
    let mut fresh = engine_with(&LoadOptions::default()).await;
    assert_eq!(fresh.logits(ids()).await.unwrap().len(), ids().len() * 512);
}

mod web_sys_like {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `globalThis`, for setTimeout (in a window or a worker).
        pub type Global;
        #[wasm_bindgen(method, js_name = setTimeout)]
        pub fn set_timeout(this: &Global, handler: &js_sys::Function, ms: i32) -> JsValue;
    }
}

#[wasm_bindgen_test]
async fn a_context_past_the_adapter_limits_is_a_limits_error() {
    // Without a window the KV ring is the whole context: 16 M slots x 64 values in f16 is 1.9
    // GiB per layer, past SwiftShader's 1 GiB per binding (and any adapter's 128 MiB default).
    const NO_WINDOW: &[u8] =
        include_bytes!("../../../tests/fixtures/tiny-w6/tiny-w6-nowindow-Q4_0.gguf");
    let mut e = Engine::create().await.unwrap();
    let opts = LoadOptions {
        context_length: Some(16_000_000),
        kv_precision: Some("f16".into()),
        ..LoadOptions::default()
    };
    let err = e
        .load_bytes(NO_WINDOW.to_vec(), &opts)
        .await
        .expect_err("too long");
    let err = format!("{err:?}");
    assert!(
        err.contains("Limits") && err.contains("shorter context"),
        "{err}"
    );
    // Past the engine's own bound (16M tokens) the options are refused before anything is sized.
    let past_bound = LoadOptions {
        context_length: Some(20_000_000),
        ..LoadOptions::default()
    };
    let err = e
        .load_bytes(NO_WINDOW.to_vec(), &past_bound)
        .await
        .expect_err("out of range");
    let err = format!("{err:?}");
    assert!(
        err.contains("BadRequest") && err.contains("out of range"),
        "{err}"
    );
    // A sensible context loads on the same engine: without contextLength, the model's trained
    // context (a tiny model is far inside the KV budget and SwiftShader's binding limit).
    e.load_bytes(NO_WINDOW.to_vec(), &LoadOptions::default())
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&e.model_info().unwrap()).unwrap();
    assert_eq!(info["contextLimit"], "trained", "{info}");
    assert_eq!(info["usableContext"], info["contextLength"], "{info}");
    // A requested length is taken as given and said so.
    let short = LoadOptions {
        context_length: Some(48),
        ..LoadOptions::default()
    };
    e.load_bytes(NO_WINDOW.to_vec(), &short)
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&e.model_info().unwrap()).unwrap();
    assert_eq!(
        (&info["contextLimit"], &info["usableContext"]),
        (&serde_json::json!("requested"), &serde_json::json!(48)),
        "{info}"
    );
    // A windowed model's context is its window.
    e.load_bytes(Q8_0.to_vec(), &LoadOptions::default())
        .await
        .map_err(wasm_bindgen::JsValue::from)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&e.model_info().unwrap()).unwrap();
    assert_eq!(info["contextLimit"], "window", "{info}");
}
