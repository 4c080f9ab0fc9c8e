//! `logits`: full logits of a token sequence as float32 .npy [n_tokens, vocab].

use crate::device_args::{DeviceArgs, KvPrecision};
use crate::model_args::ModelArgs;
use crate::runner::Runner;
use anyhow::{Context, Result};
use mistral_formats::npy;
use std::path::Path;

pub fn run(
    args: &ModelArgs,
    dev: &DeviceArgs,
    tokens: &[u32],
    out: &Path,
    chunk: Option<usize>,
) -> Result<()> {
    let model = args.open()?;
    // Logits are for comparisons: exact f32 K/V unless asked otherwise.
    let mut dev = dev.clone();
    dev.kv = Some(dev.kv.unwrap_or(KvPrecision::F32));
    let mut runner = Runner::load(&model, &dev, args.context)?;
    let vocab = runner.vocab();
    let logits = runner.all_logits(tokens, chunk)?;
    std::fs::write(out, npy::write_f32(&[tokens.len(), vocab], &logits))
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "wrote {} x {vocab} logits to {}",
        tokens.len(),
        out.display()
    );
    Ok(())
}
