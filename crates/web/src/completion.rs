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

use crate::errors::WebResult;

#[derive(Serialize)]
pub struct StepOut {
    pub text: String,
    pub done: bool,
    #[serde(rename = "finishReason")]
    pub finish: Option<FinishReason>,
    /// With `logprobs` in the request: the token's log probability and the best alternatives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<TokenLogprob>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub prefill_seconds: f64,
    pub decode_seconds: f64,
}

pub struct Completion {
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
            return Ok(out(mistral_generate::Step {
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
        Ok(out(step))
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

fn out(step: mistral_generate::Step) -> StepOut {
    StepOut {
        text: step.text,
        done: step.finish.is_some(),
        finish: step.finish,
        logprobs: step.logprob,
    }
}

/// Milliseconds from the page's clock (`std::time::Instant` does not exist on wasm32).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
