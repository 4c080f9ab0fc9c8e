//! The f32 CPU reference of the Mistral/Llama forward pass: the oracle every GPU op and the whole
//! GPU model are checked against, and the engine behind `--device cpu`.
//!
//! [`forward`] reads top to bottom like mistral-inference's one_file_ref.py; [`weights`] loads
//! and dequantizes a [`mistral_formats::ModelFile`]; [`linalg`] holds the few loops they share.

pub mod forward;
pub mod linalg;
pub mod weights;

pub use forward::{ForwardError, KvRing, ReferenceModel};
pub use weights::{LayerWeights, ReferenceWeights};

/// Log-softmax of one row of logits (f64 accumulation), used by tests and the `logits` command.
pub fn log_softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&x| ((x - max) as f64).exp()).sum();
    let log_sum = sum.ln() as f32 + max;
    logits.iter().map(|&x| x - log_sum).collect()
}

/// Index of the largest value (first on ties), the greedy sampler.
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}
