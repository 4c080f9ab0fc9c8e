//! Every sampling setting as command-line flags, shared by the commands that generate (`run`,
//! and the chat REPL's defaults): the same names as the server's JSON fields, with dashes. Each
//! value is range-checked while the command line is parsed (a usage error naming the flag);
//! the ranges are mistral_generate's, checked once more by `SamplingParams::validate`.

use clap::Args;
use mistral_generate::SamplingParams;

#[derive(Args, Clone, Debug)]
pub struct SamplingArgs {
    /// 0 is greedy decoding; higher is more random (at most 100).
    #[arg(long, default_value_t = 0.7, value_parser = crate::arg_values::temperature)]
    pub temperature: f32,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p
    /// (above 0, at most 1).
    #[arg(long, default_value_t = 0.95, value_parser = crate::arg_values::probability)]
    pub top_p: f32,
    /// Keep only the k most likely tokens (0 = no limit). Up to 64 the GPU reads back only
    /// the k best logits per token.
    #[arg(long, default_value_t = 40)]
    pub top_k: usize,
    /// Drop tokens less likely than min_p times the most likely one (0 to 1; 0 = off).
    #[arg(long, default_value_t = 0.0, value_parser = unit)]
    pub min_p: f32,
    /// Repeat penalty over the last --repeat-last-n tokens, as llama.cpp's (1 = off, above 0,
    /// at most 10).
    #[arg(long, default_value_t = 1.0, value_parser = repeat_penalty)]
    pub repeat_penalty: f32,
    /// Subtracted from the logit of each token seen in the window (-2 to 2).
    #[arg(long, default_value_t = 0.0, value_parser = openai_penalty)]
    pub presence_penalty: f32,
    /// Subtracted once per occurrence in the window (-2 to 2).
    #[arg(long, default_value_t = 0.0, value_parser = openai_penalty)]
    pub frequency_penalty: f32,
    /// How many recent tokens (prompt included) the penalties look at.
    #[arg(long, default_value_t = 64, value_parser = crate::arg_values::token_count_or_zero)]
    pub repeat_last_n: usize,
    /// Stop the answer before this string (repeatable).
    #[arg(long = "stop", value_name = "TEXT")]
    pub stop: Vec<String>,
    /// Seed of the sampler: the same seed gives the same text.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl SamplingArgs {
    pub fn params(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temperature,
            top_k: self.top_k,
            top_p: self.top_p,
            min_p: self.min_p,
            repetition_penalty: self.repeat_penalty,
            presence_penalty: self.presence_penalty,
            frequency_penalty: self.frequency_penalty,
            penalty_last_n: self.repeat_last_n,
            seed: Some(self.seed),
            stop: self.stop.clone(),
            ..Default::default()
        }
    }
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

    #[test]
    fn ranges_match_the_shared_validation() {
        assert!(unit("1.1").is_err() && unit("NaN").is_err() && unit("0.05").is_ok());
        assert!(repeat_penalty("0").is_err() && repeat_penalty("1.1").is_ok());
        assert!(openai_penalty("2.5").is_err() && openai_penalty("-2").is_ok());
    }
}
