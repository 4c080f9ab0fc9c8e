//! Finding a model's tokenizer: in its GGUF, in a tokenizer.json beside a safetensors
//! checkpoint, or where `--tokenizer` points.

use anyhow::{bail, Context, Result};
use mistral_formats::ModelFile;
use mistral_text::Tokenizer;
use std::path::Path;

/// Loads a tokenizer from a path that is a tokenizer.json or a GGUF.
pub fn tokenizer_from_path(path: &Path) -> Result<Tokenizer> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return Tokenizer::from_json_file(path)
            .with_context(|| format!("cannot load tokenizer {}", path.display()));
    }
    let source = mistral_formats::byte_source::MappedFile::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let gguf = mistral_formats::gguf::GgufFile::read(&source)
        .with_context(|| format!("{} is neither a GGUF nor a tokenizer.json", path.display()))?;
    Tokenizer::from_gguf(&gguf)
        .with_context(|| format!("cannot build the tokenizer of {}", path.display()))
}

/// The tokenizer for a loaded model: `explicit` if given, else the GGUF's own, else a
/// tokenizer.json in the checkpoint folder; refused when it has ids past the model's
/// embedding (a tokenizer of another model).
pub fn tokenizer_for_model(
    model: &ModelFile,
    model_path: &Path,
    explicit: Option<&Path>,
) -> Result<Tokenizer> {
    let tokenizer = find_tokenizer(model, model_path, explicit)?;
    tokenizer
        .check_fits(model.config.vocab_size)
        .with_context(|| format!("cannot use this tokenizer with {}", model_path.display()))?;
    Ok(tokenizer)
}

fn find_tokenizer(
    model: &ModelFile,
    model_path: &Path,
    explicit: Option<&Path>,
) -> Result<Tokenizer> {
    if let Some(p) = explicit {
        return tokenizer_from_path(p);
    }
    if let Some(gguf) = &model.gguf {
        return Tokenizer::from_gguf(gguf).with_context(|| {
            format!(
                "cannot build the tokenizer of {} (pass --tokenizer tokenizer.json)",
                model_path.display()
            )
        });
    }
    let dir = if model_path.is_dir() {
        model_path
    } else {
        model_path.parent().unwrap_or(Path::new("."))
    };
    let json = dir.join("tokenizer.json");
    if json.exists() {
        return tokenizer_from_path(&json);
    }
    bail!(
        "no tokenizer found for {}: pass --tokenizer PATH (a tokenizer.json or a GGUF)",
        model_path.display()
    )
}
