//! Flags shared by every command that loads a model.

use anyhow::{bail, Context, Result};
use clap::Args;
use mistral_formats::{open::open_model, ModelFile};
use std::path::PathBuf;

#[derive(Args, Clone)]
pub struct ModelArgs {
    /// The model: a .gguf file; a folder with config.json (Hugging Face) or params.json
    /// (Mistral) and safetensors; an http(s) URL of a .gguf (add #sha256=HEX to check it);
    /// hf:OWNER/REPO/FILE.gguf; or hf:OWNER/REPO:QUANT, the repository's one GGUF of that
    /// type (e.g. hf:TheBloke/Mistral-7B-Instruct-v0.2-GGUF:Q4_K_M). Remote files are
    /// downloaded once into the cache (resumable, checked) and used from there, also offline.
    /// HF_TOKEN is sent for gated or private repositories, HF_ENDPOINT picks a mirror. The
    /// default is Mistral-7B-Instruct-v0.2 Q4_K_M (4.37 GB).
    #[arg(long = "model", value_name = "MODEL", default_value = mistral_hub::DEFAULT_MODEL)]
    pub source: String,
    // --cache-dir: where downloads of --model go.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// The model on disk: --model itself for a path, the cached download otherwise (set by
    /// `resolve` before any command runs).
    #[arg(skip)]
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

/// `--cache-dir`, shared by every command that downloads or manages models.
#[derive(Args, Clone, Default)]
pub struct CacheArgs {
    /// Folder for downloaded models [default: $MISTRAL_WGPU_CACHE_DIR, else the platform
    /// cache folder: ~/.cache/mistral-wgpu on Linux, ~/Library/Caches/mistral-wgpu on macOS,
    /// %LOCALAPPDATA%\mistral-wgpu on Windows].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl CacheArgs {
    pub fn cache(&self) -> Result<mistral_hub::Cache> {
        Ok(mistral_hub::Cache::locate(self.cache_dir.as_deref())?)
    }
}

impl ModelArgs {
    /// Makes `model` a path on disk, downloading `--model` into the cache if it is remote.
    pub fn resolve(&mut self) -> Result<()> {
        self.model = crate::model_fetch::fetch(&self.source, &self.cache)?;
        Ok(())
    }

    /// Opens the model and applies the window override.
    pub fn open(&self) -> Result<ModelFile> {
        if self.model.as_os_str().is_empty() {
            bail!(
                "internal: --model {} was not resolved (commands::dispatch resolves it)",
                self.source
            );
        }
        let mut model = open_model(&self.model)
            .with_context(|| format!("cannot load model {}", self.model.display()))?;
        if let Some(WindowArg(w)) = self.window {
            model.config = model.config.clone().with_window_override(w);
        }
        Ok(model)
    }
}
