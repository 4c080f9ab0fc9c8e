//! When an answer ends: an end-of-sequence token (the ids the tokenizer's metadata names), a
//! stop string, or the token budget.

use mistral_text::{StopMatcher, Tokenizer};
use serde::Serialize;

/// Why an answer ended, with OpenAI's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "EngineFinishReason"))]
pub enum FinishReason {
    /// An end-of-sequence token or a stop string.
    Stop,
    /// max_tokens reached, or the context of a model without a sliding window is full.
    Length,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
        }
    }
}

/// The stop conditions of one answer: EOS ids and stop strings.
#[derive(Clone, Debug, Default)]
pub struct StopSet {
    eos: Vec<u32>,
    strings: Vec<String>,
}

impl StopSet {
    /// The tokenizer's EOS ids (`tokenizer.ggml.eos_token_id` and friends, or tokenizer.json's)
    /// and the request's stop strings (empty ones ignored).
    pub fn new(tokenizer: &Tokenizer, strings: &[String]) -> Self {
        Self::from_ids(tokenizer.eos_ids().to_vec(), strings)
    }

    pub fn from_ids(eos: Vec<u32>, strings: &[String]) -> Self {
        StopSet {
            eos,
            strings: strings.iter().filter(|s| !s.is_empty()).cloned().collect(),
        }
    }

    pub fn is_eos(&self, id: u32) -> bool {
        self.eos.contains(&id)
    }

    pub fn eos_ids(&self) -> &[u32] {
        &self.eos
    }

    pub fn strings(&self) -> &[String] {
        &self.strings
    }

    /// A fresh matcher for the stop strings of one answer.
    pub fn matcher(&self) -> StopMatcher {
        StopMatcher::new(self.strings.iter().cloned())
    }
}
