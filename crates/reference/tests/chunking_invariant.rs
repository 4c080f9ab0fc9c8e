//! The rolling-buffer invariant (mistral-inference tests/test_generate.py): per-token log-probs
//! are the same whether a sequence runs token by token, as one prefill, or in chunks whose size
//! does not divide the window. Tolerance 1e-5 absolute on log-probs, as in mistral-inference.

mod common;
use common::*;
use mistral_reference::{log_softmax, ReferenceModel, ReferenceWeights};
use mistral_testdata::fixture;
use std::sync::Arc;

const LOGPROB_TOLERANCE: f32 = 1e-5;
const VOCAB: usize = 32000;

fn weights(window: Option<usize>) -> Arc<ReferenceWeights> {
    let (model, _) = load(&fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf"));
    let mut w = ReferenceWeights::load(&model).unwrap();
    w.config = w.config.clone().with_window_override(window);
    Arc::new(w)
}

fn logprobs(logits: &[f32]) -> Vec<f32> {
    logits.chunks(VOCAB).flat_map(log_softmax).collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn decode_prefill_and_chunked_prefill_agree() {
    let ids = read_ids(&fixture("tiny-mistral-256/input_ids.json"));
    // Window 16; 40 tokens is more than 2W. Chunks of 5 and 7 do not divide 16; 16 equals W.
    for window in [Some(16), Some(7), None] {
        let w = weights(window);
        let one_shot = logprobs(&run_chunked(&w, &ids, ids.len()));
        for chunk in [1, 5, 7, 16] {
            let chunked = logprobs(&run_chunked(&w, &ids, chunk));
            let d = max_diff(&one_shot, &chunked);
            assert!(
                d <= LOGPROB_TOLERANCE,
                "window {window:?} chunk {chunk}: max log-prob diff {d}"
            );
        }
    }
}

#[test]
fn window_changes_logits_exactly_from_position_w() {
    let ids = read_ids(&fixture("tiny-mistral-256/input_ids.json"));
    let windowed = run_chunked(&weights(Some(16)), &ids, 6);
    let full = run_chunked(&weights(None), &ids, 6);
    for p in 0..ids.len() {
        let row = p * VOCAB..(p + 1) * VOCAB;
        let d = max_diff(&windowed[row.clone()], &full[row]);
        if p < 16 {
            assert!(
                d <= 1e-5,
                "position {p} differs by {d} before the window fills"
            );
        } else {
            assert!(d > 1e-2, "position {p} differs by only {d} past the window");
        }
    }
}

#[test]
fn no_window_model_refuses_positions_past_its_context() {
    let mut m = ReferenceModel::new(weights(None), 8);
    m.forward(&[1, 2, 3, 4, 5, 6]).unwrap();
    let err = m.forward(&[7, 8, 9]).unwrap_err();
    assert!(err.to_string().contains("past the context of 8"), "{err}");
    let mut m = ReferenceModel::new(weights(Some(4)), 8);
    assert_eq!(m.forward(&[1; 20]).unwrap().len(), 20 * VOCAB);
    assert!(m.forward(&[40000]).is_err());
}
