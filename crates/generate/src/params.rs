//! Every sampling setting, with the ranges [`SamplingParams::validate`] enforces. The JSON
//! shape (OpenAI's names plus llama.cpp's extensions) lives in `params_wire.rs`.

use std::collections::BTreeMap;

use crate::error::{invalid, Result};

/// Most stop strings a request may give (each is matched against every piece of text).
pub const MAX_STOPS: usize = 16;
/// Longest stop string, in bytes (the matcher holds back up to this much text).
pub const MAX_STOP_BYTES: usize = 1024;
/// Most alternatives per token with logprobs (OpenAI allows 20).
pub const MAX_TOP_LOGPROBS: usize = 20;
/// Largest |bias| (OpenAI's range: -100 bans a token, +100 forces it).
pub const MAX_LOGIT_BIAS: f32 = 100.0;
/// Most logit bias entries (bounds the work per token).
pub const MAX_BIAS_ENTRIES: usize = 1 << 16;
/// Longest penalty window and answer: a KV cache never holds more tokens than this.
pub const MAX_TOKENS_LIMIT: usize = 1 << 24;

/// How the next token is chosen, and when the answer ends.
///
/// Order of the stages (as Hugging Face's logits processors): logit bias, penalties,
/// temperature, top-k, top-p, min-p, then a draw from what is left. Temperature 0 is greedy
/// (the most likely token after bias and penalties).
#[derive(Clone, Debug, PartialEq)]
pub struct SamplingParams {
    /// Divides the logits; 0 is greedy. 0 to 100.
    pub temperature: f32,
    /// Keep only the k most likely tokens (0 = no limit).
    pub top_k: usize,
    /// Keep the smallest set of most likely tokens whose probability reaches top_p. (0, 1].
    pub top_p: f32,
    /// Drop tokens less likely than min_p times the most likely one. [0, 1].
    pub min_p: f32,
    /// llama.cpp's repeat penalty over the window: a positive logit is divided by it, a negative
    /// one multiplied (1 = off). (0, 10].
    pub repetition_penalty: f32,
    /// OpenAI's: subtracted once from the logit of every token in the window. [-2, 2].
    pub presence_penalty: f32,
    /// OpenAI's: subtracted once per occurrence in the window. [-2, 2].
    pub frequency_penalty: f32,
    /// The penalties look at the last this-many tokens (prompt and answer). 0 = penalties off.
    pub penalty_last_n: usize,
    /// Added to the logits of these ids before anything else. Each in [-100, 100].
    pub logit_bias: BTreeMap<u32, f32>,
    /// Seed of the draw; None lets the front end pick one (the same seed, the same text).
    pub seed: Option<u64>,
    /// The answer ends before the first of these strings (not included in it).
    pub stop: Vec<String>,
    /// Most tokens in the answer; None lets the front end decide (e.g. what the context holds).
    pub max_tokens: Option<usize>,
    /// Per-token log probabilities with this many most likely alternatives (None = off).
    pub logprobs: Option<usize>,
}

impl Default for SamplingParams {
    /// What a request that sets nothing gets: temperature 0.7, top-k 40, no other filter or
    /// penalty (the browser engine's defaults since its first release).
    fn default() -> Self {
        SamplingParams {
            temperature: 0.7,
            top_k: 40,
            top_p: 1.0,
            min_p: 0.0,
            repetition_penalty: 1.0,
            presence_penalty: 0.0,
            frequency_penalty: 0.0,
            penalty_last_n: 64,
            logit_bias: BTreeMap::new(),
            seed: None,
            stop: Vec::new(),
            max_tokens: None,
            logprobs: None,
        }
    }
}

impl SamplingParams {
    /// Greedy decoding with no other setting.
    pub fn greedy() -> Self {
        SamplingParams {
            temperature: 0.0,
            ..Default::default()
        }
    }

    /// Checks every setting's range. NaN is never in range.
    pub fn validate(&self) -> Result<()> {
        let in_range = |field, v: f32, lo: f32, hi: f32, lo_open: bool, what: &str| {
            let ok = v.is_finite() && v <= hi && if lo_open { v > lo } else { v >= lo };
            if ok {
                Ok(())
            } else {
                Err(invalid(field, format!("must be {what}, got {v}")))
            }
        };
        in_range(
            "temperature",
            self.temperature,
            0.0,
            100.0,
            false,
            "from 0 (greedy) to 100",
        )?;
        in_range("top_p", self.top_p, 0.0, 1.0, true, "above 0 and at most 1")?;
        in_range("min_p", self.min_p, 0.0, 1.0, false, "from 0 to 1")?;
        in_range(
            "repetition_penalty",
            self.repetition_penalty,
            0.0,
            10.0,
            true,
            "above 0 and at most 10 (1 = off)",
        )?;
        in_range(
            "presence_penalty",
            self.presence_penalty,
            -2.0,
            2.0,
            false,
            "from -2 to 2",
        )?;
        in_range(
            "frequency_penalty",
            self.frequency_penalty,
            -2.0,
            2.0,
            false,
            "from -2 to 2",
        )?;
        if self.penalty_last_n > MAX_TOKENS_LIMIT {
            return Err(invalid(
                "penalty_last_n",
                format!(
                    "must be at most {MAX_TOKENS_LIMIT}, got {}",
                    self.penalty_last_n
                ),
            ));
        }
        if self.logit_bias.len() > MAX_BIAS_ENTRIES {
            return Err(invalid(
                "logit_bias",
                format!(
                    "at most {MAX_BIAS_ENTRIES} entries, got {}",
                    self.logit_bias.len()
                ),
            ));
        }
        for (&id, &bias) in &self.logit_bias {
            if !(bias.is_finite() && bias.abs() <= MAX_LOGIT_BIAS) {
                return Err(invalid(
                    "logit_bias",
                    format!("the bias of token {id} must be from -100 to 100, got {bias}"),
                ));
            }
        }
        if self.stop.len() > MAX_STOPS {
            return Err(invalid(
                "stop",
                format!("at most {MAX_STOPS} strings, got {}", self.stop.len()),
            ));
        }
        if let Some(s) = self.stop.iter().find(|s| s.len() > MAX_STOP_BYTES) {
            return Err(invalid(
                "stop",
                format!(
                    "a stop string is at most {MAX_STOP_BYTES} bytes, got {}",
                    s.len()
                ),
            ));
        }
        if let Some(m) = self.max_tokens.filter(|&m| m > MAX_TOKENS_LIMIT) {
            return Err(invalid(
                "max_tokens",
                format!("must be at most {MAX_TOKENS_LIMIT}, got {m}"),
            ));
        }
        if let Some(n) = self.logprobs.filter(|&n| n > MAX_TOP_LOGPROBS) {
            return Err(invalid(
                "top_logprobs",
                format!("must be from 0 to {MAX_TOP_LOGPROBS}, got {n}"),
            ));
        }
        Ok(())
    }

    /// [`Self::validate`], plus the logit bias ids against the vocabulary.
    pub fn validate_for_vocab(&self, vocab: usize) -> Result<()> {
        self.validate()?;
        if let Some(&id) = self.logit_bias.keys().find(|&&id| id as usize >= vocab) {
            return Err(invalid(
                "logit_bias",
                format!("token {id} is outside the vocabulary ({vocab} tokens)"),
            ));
        }
        Ok(())
    }

    /// Whether any penalty changes logits.
    pub fn has_penalties(&self) -> bool {
        self.penalty_last_n > 0
            && (self.repetition_penalty != 1.0
                || self.presence_penalty != 0.0
                || self.frequency_penalty != 0.0)
    }

    /// Whether the choice is the most likely token (no randomness).
    pub fn is_greedy(&self) -> bool {
        self.temperature == 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_out_of_range_values_name_the_field() {
        SamplingParams::default().validate().unwrap();
        let cases: Vec<(SamplingParams, &str)> = vec![
            (
                SamplingParams {
                    temperature: f32::NAN,
                    ..Default::default()
                },
                "temperature",
            ),
            (
                SamplingParams {
                    temperature: -0.1,
                    ..Default::default()
                },
                "temperature",
            ),
            (
                SamplingParams {
                    temperature: f32::INFINITY,
                    ..Default::default()
                },
                "temperature",
            ),
            (
                SamplingParams {
                    top_p: 0.0,
                    ..Default::default()
                },
                "top_p",
            ),
            (
                SamplingParams {
                    top_p: 1.5,
                    ..Default::default()
                },
                "top_p",
            ),
            (
                SamplingParams {
                    min_p: f32::NAN,
                    ..Default::default()
                },
                "min_p",
            ),
            (
                SamplingParams {
                    min_p: 1.1,
                    ..Default::default()
                },
                "min_p",
            ),
            (
                SamplingParams {
                    repetition_penalty: 0.0,
                    ..Default::default()
                },
                "repetition_penalty",
            ),
            (
                SamplingParams {
                    presence_penalty: 2.5,
                    ..Default::default()
                },
                "presence_penalty",
            ),
            (
                SamplingParams {
                    frequency_penalty: -3.0,
                    ..Default::default()
                },
                "frequency_penalty",
            ),
            (
                SamplingParams {
                    penalty_last_n: 1 << 30,
                    ..Default::default()
                },
                "penalty_last_n",
            ),
            (
                SamplingParams {
                    logit_bias: [(5, 101.0)].into(),
                    ..Default::default()
                },
                "logit_bias",
            ),
            (
                SamplingParams {
                    logit_bias: [(5, f32::NAN)].into(),
                    ..Default::default()
                },
                "logit_bias",
            ),
            (
                SamplingParams {
                    stop: vec!["x".into(); 17],
                    ..Default::default()
                },
                "stop",
            ),
            (
                SamplingParams {
                    stop: vec!["x".repeat(2000)],
                    ..Default::default()
                },
                "stop",
            ),
            (
                SamplingParams {
                    max_tokens: Some(1 << 30),
                    ..Default::default()
                },
                "max_tokens",
            ),
            (
                SamplingParams {
                    logprobs: Some(21),
                    ..Default::default()
                },
                "top_logprobs",
            ),
        ];
        for (p, field) in cases {
            let e = p.validate().unwrap_err().to_string();
            assert!(e.starts_with(field), "{p:?}: {e}");
        }
        let p = SamplingParams {
            logit_bias: [(10, -100.0)].into(),
            ..Default::default()
        };
        p.validate_for_vocab(11).unwrap();
        let e = p.validate_for_vocab(10).unwrap_err().to_string();
        assert!(e.contains("token 10 is outside the vocabulary"), "{e}");
    }
}
