//! Opening a model from a path (native only): a `.gguf` file, or a folder (or a file inside it)
//! holding safetensors with an HF `config.json` or a Mistral `params.json`.

use crate::byte_source::MappedFile;
use crate::config::ModelConfig;
use crate::error::{FormatError, Result};
use crate::model_file::{ModelFile, ModelFormat, SharedSource};
use crate::safetensors;
use std::path::Path;

/// Opens any supported checkpoint. The error says what was looked for when nothing matches.
pub fn open_model(path: &Path) -> Result<ModelFile> {
    if !path.exists() {
        return Err(FormatError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("model file {} does not exist", path.display()),
        )));
    }
    if path.is_file() && !has_extension(path, "safetensors") && !has_extension(path, "json") {
        return ModelFile::from_gguf(Box::new(MappedFile::open(path)?));
    }
    let dir = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(Path::new("."))
    };
    open_safetensors_dir(dir)
}

fn has_extension(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn read_text(p: &Path) -> Result<String> {
    std::fs::read_to_string(p).map_err(|e| {
        FormatError::Io(std::io::Error::new(
            e.kind(),
            format!("cannot read {}: {e}", p.display()),
        ))
    })
}

fn open_safetensors_dir(dir: &Path) -> Result<ModelFile> {
    let (format, config, files) = if dir.join("config.json").exists() {
        let config = ModelConfig::from_hf_config_json(&read_text(&dir.join("config.json"))?)?;
        let index = dir.join("model.safetensors.index.json");
        let files = if index.exists() {
            safetensors::shard_files(&read_text(&index)?)?
        } else {
            vec!["model.safetensors".to_string()]
        };
        (ModelFormat::HfSafetensors, config, files)
    } else if dir.join("params.json").exists() {
        let config = ModelConfig::from_mistral_params_json(&read_text(&dir.join("params.json"))?)?;
        (
            ModelFormat::MistralSafetensors,
            config,
            vec!["consolidated.safetensors".to_string()],
        )
    } else {
        return Err(FormatError::BadConfig(format!(
            "{} holds neither config.json (Hugging Face) nor params.json (Mistral); pass a .gguf file or a checkpoint folder",
            dir.display()
        )));
    };
    let mut shards = Vec::new();
    for f in files {
        let source = MappedFile::open(&dir.join(&f))?;
        let entries = safetensors::read_header(&source)?;
        shards.push((Box::new(source) as SharedSource, entries));
    }
    ModelFile::from_safetensors(format, config, shards)
}
