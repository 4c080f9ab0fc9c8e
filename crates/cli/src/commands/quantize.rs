//! `quantize`: convert a model into a GGUF of another type, streaming one tensor at a time.

use crate::progress::bar;
use crate::text_loading::tokenizer_for_model;
use anyhow::{Context, Result};
use mistral_formats::open::open_model;
use mistral_formats::requantize::{requantize_to, QuantTarget};
use mistral_text::gguf_tokenizer_metadata;
use std::path::Path;

pub fn run(input: &Path, output: &Path, tokenizer: Option<&Path>, ty: &str) -> Result<()> {
    let target = QuantTarget::parse(ty)?;
    let model =
        open_model(input).with_context(|| format!("cannot load model {}", input.display()))?;
    // A GGUF carries its tokenizer in the metadata it keeps; a checkpoint folder's tokenizer is
    // written in, so the output chats on its own (as llama.cpp's converter does).
    let extra = if model.gguf.is_some() && tokenizer.is_none() {
        Vec::new()
    } else {
        match tokenizer_for_model(&model, input, tokenizer) {
            Ok(tok) => gguf_tokenizer_metadata(&tok).context("cannot embed the tokenizer")?,
            Err(e) => {
                eprintln!(
                    "warning: {e:#}; the GGUF will have no tokenizer (pass --tokenizer to embed one)"
                );
                Vec::new()
            }
        }
    };
    let tmp = output.with_extension("gguf.partial");
    let file = std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?,
    );
    let pb = bar(model.tensors.len() as u64, "quantizing");
    let written = requantize_to(&model, target, &extra, file, |done, _| {
        pb.set_position(done as u64)
    });
    pb.finish_and_clear();
    if let Err(e) = written.map_err(anyhow::Error::from).and_then(|mut w| {
        use std::io::Write;
        w.flush()?;
        Ok(())
    }) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", output.display()));
    }
    // Rename last, so an interrupted run never leaves a plausible-looking truncated model.
    std::fs::rename(&tmp, output).with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!(
        "wrote {} ({} tensors, {:.1} MiB{})",
        output.display(),
        model.tensors.len(),
        std::fs::metadata(output)?.len() as f64 / (1 << 20) as f64,
        if extra.is_empty() {
            ""
        } else {
            ", with its tokenizer"
        }
    );
    Ok(())
}
