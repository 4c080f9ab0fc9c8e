//! The CPU reference against transformers on the shared tiny-mistral-256 fixture quantized by
//! llama.cpp's own quantizer (gguf-py-written files and no-window references: tiny_w6.rs). References were computed on each file's dequantized
//! weights, so agreement is limited only by f32 summation order: we require a relative
//! Frobenius error below 1e-5 (measured ~1e-6) and the same top-1 token at every position.

mod common;
use common::*;
use mistral_testdata::fixture;

const TOLERANCE: f64 = 1e-5;

fn check(gguf: &str, reference: &str, window_override: Option<Option<usize>>) {
    let (model, _) = load(&fixture(gguf));
    let mut config = model.config.clone();
    if let Some(w) = window_override {
        config = config.with_window_override(w);
    }
    let mut weights = mistral_reference::ReferenceWeights::load(&model).unwrap();
    weights.config = config;
    let weights = std::sync::Arc::new(weights);
    let ids = read_ids(&fixture("tiny-mistral-256/input_ids.json"));
    let (shape, want) = read_npy(&fixture(reference));
    assert_eq!(shape, vec![ids.len(), 32000]);
    let got = run_chunked(&weights, &ids, ids.len());
    let c = compare(&got, &want, 32000);
    eprintln!("{gguf} vs {reference}: {c}");
    assert!(c.rel_frobenius < TOLERANCE, "{c}");
    assert_eq!(c.top1_agree, c.rows, "{c}");
}

#[test]
fn llama_cpp_q4_k_m_matches_transformers() {
    check(
        "tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf",
        "tiny-mistral-256/tiny-mistral-256-Q4_K_M.logits.npy",
        None,
    );
}
