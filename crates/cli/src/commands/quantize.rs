//! `quantize`: re-encode a model's tensors into another GGUF type.

use crate::progress::bar;
use anyhow::{Context, Result};
use mistral_formats::open::open_model;
use mistral_formats::requantize::{requantize, QuantTarget};
use std::path::Path;

pub fn run(input: &Path, output: &Path, ty: &str) -> Result<()> {
    let target = QuantTarget::parse(ty)?;
    let model =
        open_model(input).with_context(|| format!("cannot load model {}", input.display()))?;
    let pb = bar(model.tensors.len() as u64, "quantizing");
    let writer = requantize(&model, target, |done, _| pb.set_position(done as u64))?;
    pb.finish_and_clear();
    let tmp = output.with_extension("gguf.partial");
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?,
    );
    writer.write_to(&mut file)?;
    drop(file);
    // Rename last, so an interrupted run never leaves a plausible-looking truncated model.
    std::fs::rename(&tmp, output).with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!(
        "wrote {} ({} tensors, {:.1} MiB)",
        output.display(),
        model.tensors.len(),
        std::fs::metadata(output)?.len() as f64 / (1 << 20) as f64
    );
    Ok(())
}
