//! Every sampling setting as command-line flags, shared by the commands that generate (`run`,
//! and the chat REPL's defaults): the same names as the server's JSON fields, with dashes. Each
//! value is range-checked while the command line is parsed (a usage error naming the flag);
//! the ranges are mistral_generate's, checked once more by `SamplingParams::validate`.
//!
//! A setting without its flag takes the model file's recommendation (llama.cpp's
//! `general.sampling.*` GGUF keys: temperature, top-k, top-p, min-p, repeat penalty and window)
//! where the file has one, else the CLI's default.

use clap::Args;
use mistral_formats::ModelFile;
use mistral_generate::{SamplingDefaults, SamplingParams};

#[derive(Args, Clone, Debug)]
pub struct SamplingArgs {
    /// 0 is greedy decoding; higher is more random (at most 100). Default: the model file's
    /// recommendation, else 0.7.
    #[arg(long, value_parser = crate::arg_values::temperature)]
    pub temperature: Option<f32>,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p
    /// (above 0, at most 1). Default: the model file's recommendation, else 0.95.
    #[arg(long, value_parser = crate::arg_values::probability)]
    pub top_p: Option<f32>,
    /// Keep only the k most likely tokens (0 = no limit). Up to 64 the GPU reads back only
    /// the k best logits per token. Default: the model file's recommendation, else 40.
    #[arg(long)]
    pub top_k: Option<usize>,
    /// Drop tokens less likely than min_p times the most likely one (0 to 1; 0 = off).
    /// Default: the model file's recommendation, else 0.
    #[arg(long, value_parser = unit)]
    pub min_p: Option<f32>,
    /// Repeat penalty over the last --repeat-last-n tokens, as llama.cpp's (1 = off, above 0,
    /// at most 10). Default: the model file's recommendation, else 1.
    #[arg(long, value_parser = repeat_penalty)]
    pub repeat_penalty: Option<f32>,
    /// Subtracted from the logit of each token seen in the window (-2 to 2).
    #[arg(long, default_value_t = 0.0, value_parser = openai_penalty)]
    pub presence_penalty: f32,
    /// Subtracted once per occurrence in the window (-2 to 2).
    #[arg(long, default_value_t = 0.0, value_parser = openai_penalty)]
    pub frequency_penalty: f32,
    /// How many recent tokens (prompt included) the penalties look at. Default: the model
    /// file's recommendation, else 64.
    #[arg(long, value_parser = crate::arg_values::token_count_or_zero)]
    pub repeat_last_n: Option<usize>,
    /// Stop the answer before this string (repeatable).
    #[arg(long = "stop", value_name = "TEXT")]
    pub stop: Vec<String>,
    /// Seed of the sampler: the same seed gives the same text.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl SamplingArgs {
    /// The flags given, over the model file's recommendations, over the CLI's defaults.
    pub fn params(&self, model: &SamplingDefaults) -> SamplingParams {
        let mut p = SamplingParams {
            top_p: 0.95,
            presence_penalty: self.presence_penalty,
            frequency_penalty: self.frequency_penalty,
            seed: Some(self.seed),
            stop: self.stop.clone(),
            ..Default::default()
        };
        model.apply_to(&mut p);
        let flags = SamplingDefaults {
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            min_p: self.min_p,
            repetition_penalty: self.repeat_penalty,
            penalty_last_n: self.repeat_last_n,
        };
        flags.apply_to(&mut p);
        p
    }
}

/// The model file's recommended sampling settings (none for safetensors); what it got wrong is
/// said on stderr, and left out.
pub fn file_defaults(model: &ModelFile) -> SamplingDefaults {
    let Some(gguf) = &model.gguf else {
        return SamplingDefaults::default();
    };
    let read = SamplingDefaults::from_metadata(&gguf.metadata);
    for w in &read.warnings {
        eprintln!("warning: {w}");
    }
    read.defaults
}

fn ranged(s: &str, ok: impl Fn(f32) -> bool, what: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if v.is_finite() && ok(v) => Ok(v),
        _ => Err(format!("expected {what}, got {s:?}")),
    }
}

fn unit(s: &str) -> Result<f32, String> {
    ranged(s, |v| (0.0..=1.0).contains(&v), "a number from 0 to 1")
}

fn repeat_penalty(s: &str) -> Result<f32, String> {
    ranged(
        s,
        |v| v > 0.0 && v <= 10.0,
        "a number above 0 and at most 10 (1 = off)",
    )
}

fn openai_penalty(s: &str) -> Result<f32, String> {
    ranged(s, |v| (-2.0..=2.0).contains(&v), "a number from -2 to 2")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(flags: &[&str]) -> SamplingArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            sampling: SamplingArgs,
        }
        let argv = std::iter::once("test").chain(flags.iter().copied());
        <Cli as clap::Parser>::parse_from(argv).sampling
    }

    #[test]
    fn flags_beat_the_model_file_which_beats_the_defaults() {
        let file = SamplingDefaults {
            temperature: Some(0.3),
            top_k: Some(20),
            ..Default::default()
        };
        let p = args(&["--temperature", "0.9"]).params(&file);
        assert_eq!((p.temperature, p.top_k, p.top_p), (0.9, 20, 0.95));
        let p = args(&[]).params(&SamplingDefaults::default());
        assert_eq!(
            (p.temperature, p.top_k, p.top_p, p.penalty_last_n, p.seed),
            (0.7, 40, 0.95, 64, Some(0))
        );
        p.validate().unwrap();
    }

    #[test]
    fn ranges_match_the_shared_validation() {
        assert!(unit("1.1").is_err() && unit("NaN").is_err() && unit("0.05").is_ok());
        assert!(repeat_penalty("0").is_err() && repeat_penalty("1.1").is_ok());
        assert!(openai_penalty("2.5").is_err() && openai_penalty("-2").is_ok());
    }
}
