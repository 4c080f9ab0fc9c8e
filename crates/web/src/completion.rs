//! One chat completion, a token per call: the JavaScript layer drives the loop (`step` awaits
//! the GPU, so a worker handles abort messages between tokens) and turns the pieces into
//! OpenAI-shaped chunks. Text comes out through the stream decoder (never half a character) and
//! the stop matcher (never a stop string, nothing shown that has to be taken back).

use std::rc::Rc;

use mistral_engine::model::GpuModel;
use mistral_engine::ops::TopK;
use mistral_reference::sampling::{Sampler, SamplingParams};
use mistral_text::{StopMatcher, StreamDecoder, Tokenizer};
use serde::{Deserialize, Serialize};

use crate::errors::{Code, WebError, WebResult};

#[derive(Deserialize)]
pub struct MessageIn {
    pub role: String,
    pub content: String,
}

/// The request as the JavaScript layer passes it (OpenAI's field names).
#[derive(Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<MessageIn>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<usize>,
    pub max_tokens: Option<usize>,
    #[serde(default)]
    pub stop: Vec<String>,
    pub seed: Option<u64>,
}

impl ChatRequest {
    pub fn sampling(&self) -> WebResult<SamplingParams> {
        let d = SamplingParams::default();
        let p = SamplingParams {
            temperature: self.temperature.unwrap_or(d.temperature),
            top_p: self.top_p.unwrap_or(1.0),
            top_k: self.top_k.unwrap_or(d.top_k),
        };
        if !(p.temperature >= 0.0 && p.temperature.is_finite()) {
            return Err(bad(format!(
                "temperature must be >= 0, got {}",
                p.temperature
            )));
        }
        if !(p.top_p > 0.0 && p.top_p <= 1.0) {
            return Err(bad(format!("top_p must be in (0, 1], got {}", p.top_p)));
        }
        Ok(p)
    }
}

fn bad(msg: String) -> WebError {
    WebError::new(Code::BadRequest, msg)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Finish {
    /// End of sequence or a stop string.
    Stop,
    /// max_tokens reached, or the context of a model without a sliding window is full.
    Length,
}

#[derive(Serialize)]
pub struct StepOut {
    pub text: String,
    pub done: bool,
    #[serde(rename = "finishReason")]
    pub finish: Option<Finish>,
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
    decoder: StreamDecoder<Rc<Tokenizer>>,
    tokenizer: Rc<Tokenizer>,
    stops: StopMatcher,
    sampler: Sampler,
    /// Tokens the next step feeds: the unseen part of the prompt, then each sampled token.
    pending: Vec<u32>,
    max_tokens: usize,
    generated: usize,
    prompt_tokens: usize,
    finish: Option<Finish>,
    prefill_ms: f64,
    decode_ms: f64,
}

impl Completion {
    pub fn new(
        tokenizer: Rc<Tokenizer>,
        request: &ChatRequest,
        pending: Vec<u32>,
        prompt_tokens: usize,
        max_tokens: usize,
        seed: u64,
    ) -> WebResult<Self> {
        Ok(Completion {
            decoder: StreamDecoder::new(tokenizer.clone()),
            tokenizer,
            stops: StopMatcher::new(request.stop.iter().cloned()),
            sampler: Sampler::new(request.sampling()?, seed),
            pending,
            max_tokens,
            generated: 0,
            prompt_tokens,
            finish: None,
            prefill_ms: 0.0,
            decode_ms: 0.0,
        })
    }

    /// Runs the pending tokens, samples the next one and returns the text it completes.
    /// `history` receives every token fed to the model (the engine's KV contents).
    pub async fn step(
        &mut self,
        model: &mut GpuModel,
        history: &mut Vec<u32>,
    ) -> WebResult<StepOut> {
        if let Some(finish) = self.finish {
            return Ok(done(String::new(), finish));
        }
        if self.max_tokens == 0 {
            return Ok(self.end(String::new(), Finish::Length));
        }
        let t0 = now_ms();
        let fed = std::mem::take(&mut self.pending);
        let next = sample_next(model, &fed, &mut self.sampler).await?;
        history.extend_from_slice(&fed);
        let ms = now_ms() - t0;
        if self.generated == 0 {
            self.prefill_ms += ms;
        } else {
            self.decode_ms += ms;
        }
        if self.tokenizer.is_eos(next) {
            return Ok(self.end(String::new(), Finish::Stop));
        }
        self.generated += 1;
        let piece = self.decoder.step(next)?.unwrap_or_default();
        let step = self.stops.push(&piece);
        if step.stopped {
            return Ok(self.end_plain(step.text, Finish::Stop));
        }
        let out_of_context =
            model.config().sliding_window.is_none() && model.position() + 1 > model.ring_capacity();
        if self.generated >= self.max_tokens || out_of_context {
            return Ok(self.end(step.text, Finish::Length));
        }
        self.pending.push(next);
        Ok(StepOut {
            text: step.text,
            done: false,
            finish: None,
        })
    }

    pub fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.generated,
            prefill_seconds: self.prefill_ms / 1000.0,
            decode_seconds: self.decode_ms / 1000.0,
        }
    }

    /// Ends with `text` plus whatever the decoder and the stop matcher still hold.
    fn end(&mut self, mut text: String, finish: Finish) -> StepOut {
        if let Ok(Some(rest)) = self.decoder.finish() {
            text.push_str(&self.stops.push(&rest).text);
        }
        if !self.stops.is_stopped() {
            text.push_str(&self.stops.finish());
        }
        self.end_plain(text, finish)
    }

    fn end_plain(&mut self, text: String, finish: Finish) -> StepOut {
        self.finish = Some(finish);
        done(text, finish)
    }
}

fn done(text: String, finish: Finish) -> StepOut {
    StepOut {
        text,
        done: true,
        finish: Some(finish),
    }
}

/// The next token: greedy reads back one id, top-k (1..=64) sampling k candidates from the
/// GPU; any other setting reads the logits row.
async fn sample_next(
    model: &mut GpuModel,
    tokens: &[u32],
    sampler: &mut Sampler,
) -> WebResult<u32> {
    let p = &sampler.params;
    if p.temperature <= 0.0 {
        return Ok(model.forward_argmax(tokens).await?);
    }
    if (1..=TopK::MAX_K).contains(&p.top_k) {
        let candidates = model.forward_top_k(tokens, p.top_k).await?;
        return Ok(sampler.sample_candidates(&candidates));
    }
    let logits = model.forward_last_logits(tokens).await?;
    Ok(sampler.sample(&logits))
}

/// Milliseconds from the page's clock (`std::time::Instant` does not exist on wasm32).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
