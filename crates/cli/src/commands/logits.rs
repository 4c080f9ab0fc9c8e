//! `logits`: full logits of a token sequence as float32 .npy [n_tokens, vocab].

use crate::model_args::ModelArgs;
use anyhow::{Context, Result};
use mistral_formats::npy;
use mistral_reference::{ReferenceModel, ReferenceWeights};
use std::path::Path;
use std::sync::Arc;

pub fn run(args: &ModelArgs, tokens: &[u32], out: &Path, chunk: Option<usize>) -> Result<()> {
    let model = args.open()?;
    let weights = Arc::new(ReferenceWeights::load(&model)?);
    let vocab = weights.config.vocab_size;
    let mut m = ReferenceModel::new(weights, args.context);
    let chunk = chunk.unwrap_or(tokens.len()).max(1);
    let mut logits = Vec::with_capacity(tokens.len() * vocab);
    for c in tokens.chunks(chunk) {
        logits.extend(m.forward(c)?);
    }
    std::fs::write(out, npy::write_f32(&[tokens.len(), vocab], &logits))
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "wrote {} x {vocab} logits to {}",
        tokens.len(),
        out.display()
    );
    Ok(())
}
