//! Flags shared by every command that loads a model.

use anyhow::{Context, Result};
use clap::Args;
use mistral_formats::{open::open_model, ModelFile};
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct ModelArgs {
    /// A .gguf file, or a folder with config.json (Hugging Face) or params.json (Mistral) and
    /// safetensors.
    #[arg(long)]
    pub model: PathBuf,
    /// Tokenizer to use instead of the model's own (a tokenizer.json or a GGUF).
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Override the sliding window: a number of tokens, or "none" for full causal attention.
    #[arg(long, value_parser = parse_window)]
    pub window: Option<WindowArg>,
    /// KV cache length for models without a sliding window (their maximum sequence length;
    /// 1 to 16M tokens).
    #[arg(long, default_value_t = 4096, value_parser = crate::arg_values::token_count)]
    pub context: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct WindowArg(pub Option<usize>);

fn parse_window(s: &str) -> Result<WindowArg, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(WindowArg(None));
    }
    crate::arg_values::token_count(s)
        .map(|w| WindowArg(Some(w)))
        .map_err(|e| format!("{e}, or \"none\""))
}

impl ModelArgs {
    /// Opens the model and applies the window override.
    pub fn open(&self) -> Result<ModelFile> {
        let mut model = open_model(&self.model)
            .with_context(|| format!("cannot load model {}", self.model.display()))?;
        if let Some(WindowArg(w)) = self.window {
            model.config = model.config.clone().with_window_override(w);
        }
        Ok(model)
    }
}
