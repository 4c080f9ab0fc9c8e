//! The CPU reference against transformers on our own tiny random Mistral (window 6, 32 tokens),
//! in every format we read: GGUF F32/F16/Q8_0/Q4_0 (gguf-py), Q4_K_M (our quantizer), HF
//! safetensors single and sharded (rotate_half Q/K un-permuted at load).
//!
//! Tolerance: relative Frobenius error <= 1e-5 and top-1 agreement at every position. The
//! references ran transformers in f32 on each file's dequantized weights, so the only
//! difference is f32 summation order (measured 1e-6 .. 3e-6).

mod common;
use common::*;
use mistral_formats::open::open_model;
use mistral_reference::ReferenceWeights;
use mistral_testdata::fixture;
use std::sync::Arc;

const TOLERANCE: f64 = 1e-5;
const VOCAB: usize = 512;

fn check(model_path: &str, reference: &str, no_window: bool) {
    let model = open_model(&fixture(model_path)).unwrap();
    let mut w = ReferenceWeights::load(&model).unwrap();
    if no_window {
        w.config = w.config.clone().with_window_override(None);
    }
    assert_eq!(
        w.config.sliding_window,
        (!no_window).then_some(6),
        "{model_path}"
    );
    let w = Arc::new(w);
    let ids = read_ids(&fixture("tiny-w6/input_ids.json"));
    let (shape, want) = read_npy(&fixture(reference));
    assert_eq!(shape, vec![ids.len(), VOCAB]);
    let got = run_chunked(&w, &ids, 5);
    let c = compare(&got, &want, VOCAB);
    eprintln!("{model_path} vs {reference}: {c}");
    assert!(c.rel_frobenius <= TOLERANCE, "{model_path}: {c}");
    assert_eq!(c.top1_agree, c.rows, "{model_path}: {c}");
}

#[test]
fn float_files_and_safetensors_match_one_reference() {
    for m in [
        "tiny-w6/tiny-w6-F32.gguf",
        "tiny-w6/tiny-w6-F16.gguf",
        "tiny-w6/model.safetensors",
        "tiny-w6/sharded",
    ] {
        check(m, "tiny-w6/reference.logits.npy", false);
        check(m, "tiny-w6/reference.logits-nowindow.npy", true);
    }
}

#[test]
fn quantized_files_match_their_dequantized_references() {
    for q in ["Q8_0", "Q4_0", "Q4_K_M"] {
        check(
            &format!("tiny-w6/tiny-w6-{q}.gguf"),
            &format!("tiny-w6/tiny-w6-{q}.logits.npy"),
            false,
        );
    }
    for q in ["Q8_0", "Q4_0"] {
        check(
            &format!("tiny-w6/tiny-w6-{q}.gguf"),
            &format!("tiny-w6/tiny-w6-{q}.logits-nowindow.npy"),
            true,
        );
    }
}

#[test]
fn safetensors_and_gguf_give_identical_weights() {
    let gguf = open_model(&fixture("tiny-w6/tiny-w6-F16.gguf")).unwrap();
    for st in ["tiny-w6/model.safetensors", "tiny-w6/sharded"] {
        let st = open_model(&fixture(st)).unwrap();
        for t in &gguf.tensors {
            assert_eq!(
                st.read_f32(&t.name).unwrap(),
                gguf.read_f32(&t.name).unwrap(),
                "{}",
                t.name
            );
        }
    }
}

#[test]
fn a_file_without_a_window_key_runs_full_causal_attention() {
    // Same tensors as tiny-w6-Q4_0.gguf, no sliding_window key: no override needed.
    let model = open_model(&fixture("tiny-w6/tiny-w6-nowindow-Q4_0.gguf")).unwrap();
    assert_eq!(model.config.sliding_window, None);
    let w = Arc::new(ReferenceWeights::load(&model).unwrap());
    let ids = read_ids(&fixture("tiny-w6/input_ids.json"));
    let (_, want) = read_npy(&fixture("tiny-w6/tiny-w6-Q4_0.logits-nowindow.npy"));
    let c = compare(&run_chunked(&w, &ids, 7), &want, VOCAB);
    assert!(c.rel_frobenius <= TOLERANCE, "{c}");
}
