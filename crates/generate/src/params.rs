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

/// The accepted values of a numeric sampling field. [`SamplingParams::validate`] checks the
/// fractional ones with this table, and crates/web generates it into the npm package's
/// TypeScript (`NUMBER_RULES`), which the package and the chat page check requests and
/// settings with: one table, so the three cannot disagree.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NumberRule {
    /// The request field.
    pub field: &'static str,
    pub min: f64,
    pub max: f64,
    /// `min` itself is refused (top_p 0 would keep nothing; a repetition penalty of 0 divides by 0).
    pub min_exclusive: bool,
    /// Whole numbers only.
    pub integer: bool,
    /// The range in words, for messages: "must be {words}" in Rust, "must be a number {words}"
    /// (or "an integer ...") in JavaScript.
    pub words: &'static str,
}

/// Largest integer a JSON number carries exactly into JavaScript (2^53 - 1): the page's bound for
/// top_k and seed, which Rust takes as any usize/u64.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Every numeric sampling field's rule, in the order the chat page shows them.
pub const NUMBER_RULES: &[NumberRule] = &[
    rule(
        "temperature",
        0.0,
        100.0,
        false,
        false,
        "from 0 (greedy) to 100",
    ),
    rule(
        "max_tokens",
        1.0,
        MAX_TOKENS_LIMIT as f64,
        false,
        true,
        "from 1 to 16777216",
    ),
    rule(
        "top_k",
        0.0,
        MAX_SAFE_INTEGER,
        false,
        true,
        ">= 0 (0: no limit)",
    ),
    rule("top_p", 0.0, 1.0, true, false, "above 0 and at most 1"),
    rule("min_p", 0.0, 1.0, false, false, "from 0 to 1"),
    rule(
        "repetition_penalty",
        0.0,
        10.0,
        true,
        false,
        "above 0 and at most 10 (1 = off)",
    ),
    rule("presence_penalty", -2.0, 2.0, false, false, "from -2 to 2"),
    rule("frequency_penalty", -2.0, 2.0, false, false, "from -2 to 2"),
    rule(
        "penalty_last_n",
        0.0,
        MAX_TOKENS_LIMIT as f64,
        false,
        true,
        "from 0 to 16777216",
    ),
    rule("seed", 0.0, MAX_SAFE_INTEGER, false, true, ">= 0"),
];

const fn rule(
    field: &'static str,
    min: f64,
    max: f64,
    min_exclusive: bool,
    integer: bool,
    words: &'static str,
) -> NumberRule {
    NumberRule {
        field,
        min,
        max,
        min_exclusive,
        integer,
        words,
    }
}

impl NumberRule {
    /// The rule of `field` (one of [`NUMBER_RULES`]).
    pub fn of(field: &str) -> &'static NumberRule {
        NUMBER_RULES
            .iter()
            .find(|r| r.field == field)
            .unwrap_or_else(|| panic!("no number rule for {field}"))
    }

    pub fn accepts(&self, v: f64) -> bool {
        let above_min = if self.min_exclusive {
            v > self.min
        } else {
            v >= self.min
        };
        v.is_finite() && above_min && v <= self.max && (!self.integer || v.fract() == 0.0)
    }
}

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
        for (field, v) in [
            ("temperature", self.temperature),
            ("top_p", self.top_p),
            ("min_p", self.min_p),
            ("repetition_penalty", self.repetition_penalty),
            ("presence_penalty", self.presence_penalty),
            ("frequency_penalty", self.frequency_penalty),
        ] {
            let rule = NumberRule::of(field);
            if !rule.accepts(v as f64) {
                return Err(invalid(field, format!("must be {}, got {v}", rule.words)));
            }
        }
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

    #[test]
    fn the_number_rules_say_what_validate_enforces() {
        // The integer bounds are the constants the checks below the table use.
        assert_eq!(NumberRule::of("max_tokens").max, MAX_TOKENS_LIMIT as f64);
        assert_eq!(
            NumberRule::of("penalty_last_n").max,
            MAX_TOKENS_LIMIT as f64
        );
        assert!(NumberRule::of("max_tokens")
            .words
            .ends_with(&MAX_TOKENS_LIMIT.to_string()));
        assert!(NumberRule::of("penalty_last_n")
            .words
            .ends_with(&MAX_TOKENS_LIMIT.to_string()));
        // Each fractional rule's edges: accepted exactly where validate accepts.
        for r in NUMBER_RULES.iter().filter(|r| !r.integer) {
            for v in [
                r.min,
                r.max,
                r.min - 1e-3,
                r.max + 1e-3,
                (r.min + r.max) / 2.0,
            ] {
                let mut p = SamplingParams::default();
                let v32 = v as f32;
                match r.field {
                    "temperature" => p.temperature = v32,
                    "top_p" => p.top_p = v32,
                    "min_p" => p.min_p = v32,
                    "repetition_penalty" => p.repetition_penalty = v32,
                    "presence_penalty" => p.presence_penalty = v32,
                    "frequency_penalty" => p.frequency_penalty = v32,
                    other => panic!("a fractional rule validate does not check: {other}"),
                }
                assert_eq!(
                    p.validate().is_ok(),
                    r.accepts(v32 as f64),
                    "{} = {v}",
                    r.field
                );
            }
        }
    }
}
