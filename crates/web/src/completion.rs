//! One chat completion, a token per call: the JavaScript layer drives the loop (`step` awaits
//! the GPU, so a worker handles abort messages between tokens) and turns the pieces into
//! OpenAI-shaped chunks. Sampling, stop conditions and the streamed text are the shared
//! `mistral_generate::Generation` (the CLI and the server use the same); this file only runs
//! the GPU for it and keeps the timings.

use std::rc::Rc;

use mistral_engine::model::GpuModel;
use mistral_engine::ops::TopK;
use mistral_generate::{
    FinishReason, Generation, KvHistory, Logits, LogitsNeed, SamplingParams, TokenLogprob,
};
use mistral_text::Tokenizer;
use serde::Serialize;
use ts_rs::TS;

use crate::errors::WebResult;

/// What `step` returns: one token's text and whether the answer is over.
#[derive(Serialize, TS)]
#[ts(rename = "EngineStep")]
pub struct StepOut {
    /// Text this token completes (may be empty: a piece of a character, or text held back
    /// while it may begin a stop string).
    pub text: String,
    pub done: bool,
    /// Why the answer ended, once `done`.
    #[serde(rename = "finishReason")]
    pub finish: Option<FinishReason>,
    /// With `logprobs` in the request: the token's log probability and the best alternatives,
    /// already in OpenAI's shape (the JavaScript layer only has ids, not the vocabulary).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub logprobs: Option<ChatLogprob>,
}

/// One generated token with its log probability: an entry of OpenAI's
/// `choices[].logprobs.content`, plus `id`.
#[derive(Serialize, TS)]
#[ts(rename = "ChatCompletionTokenLogprob")]
pub struct ChatLogprob {
    /// The token id (an extension, as llama.cpp's server gives it): what `logit_bias` takes,
    /// and token texts alone can be ambiguous.
    pub id: u32,
    /// The token's text (as decoded alone: a piece of a multi-byte character reads as U+FFFD;
    /// the end-of-sequence token, reported when it ends the answer, as `""`).
    pub token: String,
    /// Natural log of its probability, <= 0 (-9999 for a token the model rules out entirely).
    pub logprob: f32,
    /// The UTF-8 bytes of `token` (as the CLI server reports them).
    pub bytes: Vec<u8>,
    /// The most likely tokens at this position, most likely first (`top_logprobs` of them).
    pub top_logprobs: Vec<TopLogprob>,
}

/// One of the most likely tokens at a position (see `ChatCompletionTokenLogprob`).
#[derive(Serialize, TS)]
pub struct TopLogprob {
    pub id: u32,
    pub token: String,
    pub logprob: f32,
    pub bytes: Vec<u8>,
}

/// The token texts as the CLI server writes them (`decode` of the one id: special tokens such
/// as EOS read as ""). A logprob of -inf (a banned or NaN logit) becomes OpenAI's -9999: JSON
/// has no infinity and `null` would break clients that add logprobs up.
fn named(tok: &Tokenizer, l: &TokenLogprob) -> ChatLogprob {
    let text = |id: u32| tok.decode(&[id]).unwrap_or_default();
    let finite = |lp: f32| if lp.is_finite() { lp } else { -9999.0 };
    let token = text(l.id);
    ChatLogprob {
        id: l.id,
        bytes: token.as_bytes().to_vec(),
        token,
        logprob: finite(l.logprob),
        top_logprobs: l
            .top
            .iter()
            .map(|&(id, lp)| {
                let token = text(id);
                TopLogprob {
                    id,
                    bytes: token.as_bytes().to_vec(),
                    token,
                    logprob: finite(lp),
                }
            })
            .collect(),
    }
}

/// What `endChat` returns: the completion's token counts and timings.
#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "EngineUsage")]
pub struct Usage {
    /// Tokens of the prompt (reused ones included).
    pub prompt_tokens: usize,
    /// Tokens generated.
    pub completion_tokens: usize,
    /// Time spent on the first step (the prompt's prefill and the first token).
    pub prefill_seconds: f64,
    /// Time spent on the later steps.
    pub decode_seconds: f64,
}

pub struct Completion {
    /// For the token texts of logprobs.
    tokenizer: Rc<Tokenizer>,
    generation: Generation<Rc<Tokenizer>>,
    /// Tokens the next step feeds: the unseen part of the prompt, then each sampled token.
    pending: Vec<u32>,
    prompt_tokens: usize,
    prefill_ms: f64,
    decode_ms: f64,
}

impl Completion {
    /// `prompt` is the whole prompt; `pending` its part the KV cache does not hold yet.
    pub fn new(
        tokenizer: Rc<Tokenizer>,
        sampling: SamplingParams,
        prompt: &[u32],
        pending: Vec<u32>,
        max_tokens: usize,
        seed: u64,
    ) -> WebResult<Self> {
        Ok(Completion {
            tokenizer: tokenizer.clone(),
            generation: Generation::new(tokenizer, sampling, prompt, max_tokens, seed)?,
            pending,
            prompt_tokens: prompt.len(),
            prefill_ms: 0.0,
            decode_ms: 0.0,
        })
    }

    /// Runs the pending tokens, samples the next one and returns the text it completes.
    /// `history` receives every token fed to the model (the engine's KV contents).
    pub async fn step(
        &mut self,
        model: &mut GpuModel,
        history: &mut KvHistory,
    ) -> WebResult<StepOut> {
        if let Some(finish) = self.generation.finish_reason() {
            // Asked again after the end (or max_tokens 0): done, nothing more.
            return Ok(self.out(mistral_generate::Step {
                finish: Some(finish),
                ..Default::default()
            }));
        }
        let t0 = now_ms();
        let fed = std::mem::take(&mut self.pending);
        let first = self.generation.tokens().is_empty();
        let step = match self.generation.need(TopK::MAX_K) {
            LogitsNeed::Argmax => {
                let id = model.forward_argmax(&fed).await?;
                self.generation.push(Logits::Argmax(id))?
            }
            LogitsNeed::TopK(k) => {
                let candidates = model.forward_top_k(&fed, k).await?;
                self.generation.push(Logits::TopK(&candidates))?
            }
            LogitsNeed::FullRow => {
                let row = model.forward_last_logits(&fed).await?;
                self.generation.push(Logits::Row(&row))?
            }
        };
        history.extend(&fed);
        let ms = now_ms() - t0;
        if first {
            self.prefill_ms += ms;
        } else {
            self.decode_ms += ms;
        }
        if let Some(next) = self.generation.next_input() {
            self.pending.push(next);
        }
        Ok(self.out(step))
    }

    fn out(&self, step: mistral_generate::Step) -> StepOut {
        StepOut {
            text: step.text,
            done: step.finish.is_some(),
            finish: step.finish,
            logprobs: step.logprob.as_ref().map(|l| named(&self.tokenizer, l)),
        }
    }

    pub fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.generation.tokens().len(),
            prefill_seconds: self.prefill_ms / 1000.0,
            decode_seconds: self.decode_ms / 1000.0,
        }
    }
}

/// Milliseconds from the page's clock (`std::time::Instant` does not exist on wasm32).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
