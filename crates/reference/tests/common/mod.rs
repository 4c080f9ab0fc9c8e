//! Shared helpers: open fixtures, run the reference, compare against numpy references.
#![allow(dead_code)]

use mistral_formats::{npy, open::open_model, ModelFile};
use mistral_reference::{ReferenceModel, ReferenceWeights};
use std::path::Path;
use std::sync::Arc;

pub fn load(path: &Path) -> (ModelFile, Arc<ReferenceWeights>) {
    let model = open_model(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let weights = Arc::new(ReferenceWeights::load(&model).unwrap());
    (model, weights)
}

pub fn read_npy(path: &Path) -> (Vec<usize>, Vec<f32>) {
    npy::read_f32(&std::fs::read(path).unwrap()).unwrap()
}

pub fn read_ids(path: &Path) -> Vec<u32> {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `ids` through the model in chunks of `chunk`, returns all logits.
pub fn run_chunked(weights: &Arc<ReferenceWeights>, ids: &[u32], chunk: usize) -> Vec<f32> {
    let mut m = ReferenceModel::new(Arc::clone(weights), ids.len().max(1));
    ids.chunks(chunk)
        .flat_map(|c| m.forward(c).unwrap())
        .collect()
}

/// Relative Frobenius error, max |diff|, and rows whose argmax agrees.
pub struct Comparison {
    pub rel_frobenius: f64,
    pub max_abs: f32,
    pub top1_agree: usize,
    pub rows: usize,
}

pub fn compare(got: &[f32], want: &[f32], vocab: usize) -> Comparison {
    assert_eq!(got.len(), want.len(), "logit counts differ");
    let (mut num, mut den, mut max_abs) = (0f64, 0f64, 0f32);
    for (g, w) in got.iter().zip(want) {
        num += ((g - w) as f64).powi(2);
        den += (*w as f64).powi(2);
        max_abs = max_abs.max((g - w).abs());
    }
    let rows = want.len() / vocab;
    let top1_agree = (0..rows)
        .filter(|&r| {
            let s = r * vocab..(r + 1) * vocab;
            mistral_reference::argmax(&got[s.clone()]) == mistral_reference::argmax(&want[s])
        })
        .count();
    Comparison {
        rel_frobenius: (num / den).sqrt(),
        max_abs,
        top1_agree,
        rows,
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "relative Frobenius {:.3e}, max |diff| {:.3e}, top-1 {}/{}",
            self.rel_frobenius, self.max_abs, self.top1_agree, self.rows
        )
    }
}
