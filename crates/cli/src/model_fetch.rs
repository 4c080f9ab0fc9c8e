//! Turning `--model` into a file on disk before a command runs: local paths as they are,
//! remote ones from the cache, downloaded with a progress bar (bytes, rate, ETA) when missing.

use crate::cli::Command;
use crate::model_args::{CacheArgs, ModelArgs};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use mistral_hub::{HubConfig, ModelSource, Progress, Resolver};
use std::path::PathBuf;

impl Command {
    /// The command's model flags, if it runs a model. Deliberately exhaustive: a new command
    /// must say whether it takes `ModelArgs`, or its `--model` would never be downloaded.
    pub fn model_args_mut(&mut self) -> Option<&mut ModelArgs> {
        match self {
            Command::Info { model, .. }
            | Command::Logits { model, .. }
            | Command::Run { model, .. }
            | Command::Bench { model, .. }
            | Command::Serve { model, .. }
            | Command::Chat { model, .. }
            | Command::Demo { model, .. } => Some(model),
            Command::Tokenize { .. }
            | Command::Devices
            | Command::Quantize { .. }
            | Command::List { .. }
            | Command::Rm { .. } => None,
        }
    }
}

/// Resolves the command's `--model` (downloading it if needed) before the command runs.
pub fn resolve_model(command: &mut Command) -> Result<()> {
    match command.model_args_mut() {
        Some(m) => m.resolve(),
        None => Ok(()),
    }
}

/// The local path of a `--model` value.
pub fn fetch(spec: &str, cache: &CacheArgs) -> Result<PathBuf> {
    let source = ModelSource::parse(spec)?;
    if let ModelSource::Local(p) = &source {
        if !p.exists() && looks_like_a_repo(spec) {
            bail!(
                "{spec} is not a file or folder here; for a Hugging Face repository write \
                 hf:{spec}:Q4_K_M (a quantization type) or hf:{spec}/FILE.gguf"
            );
        }
        return Ok(p.clone());
    }
    let resolver = Resolver::new(cache.cache()?, HubConfig::from_env());
    let mut bar = DownloadBar::default();
    resolver
        .resolve(&source, &mut bar)
        .with_context(|| format!("cannot get --model {spec}"))
}

/// `OWNER/REPO` with no extension: a Hub name missing its `hf:`.
fn looks_like_a_repo(s: &str) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    parts.len() == 2
        && parts.iter().all(|p| !p.is_empty() && !p.starts_with('.'))
        && !parts[1].contains('.')
}

/// Download progress on stderr: a byte bar with rate and ETA on a terminal (indicatif hides
/// it otherwise), and plain lines for what is fetched and where it went in any case.
#[derive(Default)]
struct DownloadBar {
    bar: Option<ProgressBar>,
}

impl Progress for DownloadBar {
    fn start(&mut self, name: &str, total: Option<u64>, done: u64) {
        let pb = match total {
            Some(t) => ProgressBar::new(t),
            None => ProgressBar::no_length(),
        };
        pb.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        pb.set_message(name.to_string());
        pb.set_position(done);
        // Rate and ETA over this run's bytes, not the ones a resumed download already had.
        pb.reset_eta();
        if done > 0 {
            eprintln!("resuming at byte {done}");
        }
        self.bar = Some(pb);
    }

    fn advance(&mut self, bytes: u64) {
        if let Some(pb) = &self.bar {
            pb.inc(bytes);
        }
    }

    fn note(&mut self, line: &str) {
        match &self.bar {
            Some(pb) if !pb.is_hidden() => pb.println(line),
            _ => eprintln!("{line}"),
        }
    }

    fn finish(&mut self) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
    }
}
