//! A loaded model that answers one request after another: the chat REPL, the demo and the HTTP
//! server all drive it. It owns the engine (GPU or CPU reference), the tokenizer and the chat
//! template, and keeps track of what the KV cache holds so that a new turn prefills only the
//! tokens that are new (the previous prompt and answer are usually a prefix of the next
//! prompt). Sampling, stops and text are mistral_generate's, as in the browser engine.

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::runner::Runner;
use crate::template_sandbox;
use crate::text_loading::tokenizer_for_model;
use anyhow::{bail, Result};
use mistral_generate::{
    encode_messages, fit_messages, ContextLimits, FinishReason, GenerateError, Generation,
    KvHistory, Logits, LogitsNeed, SamplingDefaults, SamplingParams, Step, TokenLogprob,
};
use mistral_text::{ChatTemplate, Message, Tokenizer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Answer budget of a windowed model when the request gives none (it never fills up, so
/// something must end a runaway answer).
pub const DEFAULT_MAX_TOKENS: usize = 1024;

/// One finished answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub text: String,
    pub finish: FinishReason,
    /// Prompt tokens, and how many of them the KV cache already held.
    pub prompt_tokens: usize,
    pub reused_tokens: usize,
    pub completion_tokens: usize,
    /// Time to the first answer token (the prefill of the new prompt tokens).
    pub first_token_s: f32,
    /// Time from the first answer token to the last.
    pub decode_s: f32,
    /// Said to the user when old turns were dropped to fit the context.
    pub notice: Option<String>,
    /// How many messages (after the system prompt) were dropped from the front to fit.
    pub dropped: usize,
    /// Per answer token, when the request asked for logprobs.
    pub logprobs: Vec<TokenLogprob>,
}

impl Reply {
    /// Prefill speed over the tokens actually run.
    pub fn prefill_tok_s(&self) -> f32 {
        (self.prompt_tokens - self.reused_tokens) as f32 / self.first_token_s.max(1e-9)
    }

    /// Decode speed over the tokens after the first.
    pub fn decode_tok_s(&self) -> f32 {
        self.completion_tokens.saturating_sub(1) as f32 / self.decode_s.max(1e-9)
    }
}

pub struct Session {
    runner: Runner,
    tokenizer: Arc<Tokenizer>,
    template: ChatTemplate,
    history: KvHistory,
    limits: ContextLimits,
    name: String,
    /// The model file's recommended sampling settings.
    sampling_defaults: SamplingDefaults,
}

impl Session {
    /// Opens the model (downloading it first when `--model` names one to fetch), its tokenizer
    /// and template, and loads it on the device.
    pub fn load(args: &ModelArgs, dev: &DeviceArgs) -> Result<Self> {
        let model = args.open()?;
        let model_path = args.model.clone();
        let tokenizer = Arc::new(tokenizer_for_model(
            &model,
            &model_path,
            args.tokenizer.as_deref(),
        )?);
        let template = ChatTemplate::for_tokenizer(&tokenizer)?;
        let windowed = model.config.sliding_window.is_some();
        let sampling_defaults = crate::sampling_args::file_defaults(&model);
        let runner = Runner::load(&model, dev, args.context)?;
        let capacity = runner_capacity(&runner);
        let name = model_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| model_path.display().to_string());
        Ok(Session {
            runner,
            tokenizer,
            template,
            history: KvHistory::new(),
            limits: ContextLimits { capacity, windowed },
            name,
            sampling_defaults,
        })
    }

    /// The sampling settings the model file recommends (the chat REPL's defaults).
    pub fn sampling_defaults(&self) -> &SamplingDefaults {
        &self.sampling_defaults
    }

    /// The tokenizer, for showing token ids as text (the API's logprobs).
    pub fn tokenizer(&self) -> Arc<Tokenizer> {
        Arc::clone(&self.tokenizer)
    }

    /// The model's file (or folder) name, as the API's model id.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn limits(&self) -> ContextLimits {
        self.limits
    }

    /// The adapter's name on the GPU, "cpu-reference" otherwise.
    pub fn device(&self) -> String {
        match self.runner.gpu() {
            Some(g) => g.ctx.adapter.name.clone(),
            None => "cpu-reference".into(),
        }
    }

    /// Forgets the cached conversation (the next prompt is prefilled from the start).
    pub fn reset(&mut self) {
        self.runner.reset();
        self.history.clear();
    }

    /// Answers a conversation with the model's chat template. Old turns are dropped (after the
    /// system prompt) when the prompt and `reserve` answer tokens would not fit the context of
    /// a model without a window; `Reply::notice` then says so. `cancel` stops the answer
    /// between tokens; `on_step` sees each piece of text as it comes.
    pub fn reply(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        max_tokens: Option<usize>,
        cancel: &AtomicBool,
        on_step: &mut dyn FnMut(&Step),
    ) -> Result<Reply> {
        let reserve = self.limits.answer_reserve(max_tokens);
        let template = &self.template;
        let render = |m: &[Message], g: bool| template_sandbox::render(template, m, g);
        let fitted = fit_messages(messages, self.limits, reserve, |m| {
            encode_messages(template, &self.tokenizer, m, Some(&render))
        })?;
        let dropped = fitted.dropped;
        let mut reply = self.run(
            fitted.tokens,
            params,
            max_tokens,
            cancel,
            on_step,
            fitted.notice,
        )?;
        reply.dropped = dropped;
        Ok(reply)
    }

    /// Continues raw text (no chat template): the OpenAI completions API.
    pub fn complete(
        &mut self,
        prompt: &str,
        params: &SamplingParams,
        max_tokens: Option<usize>,
        cancel: &AtomicBool,
        on_step: &mut dyn FnMut(&Step),
    ) -> Result<Reply> {
        let tokens = self.tokenizer.encode(prompt, self.tokenizer.add_bos())?;
        // Typed, so that the HTTP server answers these with 400 (the request's fault).
        let refuse = |message: String| GenerateError::InvalidParam {
            field: "prompt",
            message,
        };
        if tokens.is_empty() {
            return Err(refuse("is empty and this model adds no BOS token".into()).into());
        }
        if !self.limits.windowed && tokens.len() >= self.limits.capacity {
            return Err(refuse(format!(
                "is {} tokens, the context holds {}: shorten it or raise --context",
                tokens.len(),
                self.limits.capacity
            ))
            .into());
        }
        self.run(tokens, params, max_tokens, cancel, on_step, None)
    }

    fn run(
        &mut self,
        prompt: Vec<u32>,
        params: &SamplingParams,
        max_tokens: Option<usize>,
        cancel: &AtomicBool,
        on_step: &mut dyn FnMut(&Step),
        notice: Option<String>,
    ) -> Result<Reply> {
        let result = self.generate(&prompt, params, max_tokens, cancel, on_step);
        match result {
            Ok(Generated {
                generation,
                reused,
                first_token_s,
                decode_s,
                logprobs,
            }) => {
                // What the engine ran: the prompt, then the answer's tokens it was fed (the
                // last one usually not).
                let ran = runner_position(&self.runner);
                let all: Vec<u32> = prompt.iter().chain(generation.tokens()).copied().collect();
                self.history.clear();
                if ran <= all.len() {
                    self.history.extend(&all[..ran]);
                } else {
                    self.runner.reset();
                }
                Ok(Reply {
                    text: generation.text().to_string(),
                    finish: generation.finish_reason().unwrap_or(FinishReason::Length),
                    prompt_tokens: prompt.len(),
                    reused_tokens: reused,
                    completion_tokens: generation.tokens().len(),
                    first_token_s,
                    decode_s,
                    notice,
                    dropped: 0,
                    logprobs,
                })
            }
            Err(e) => {
                // The cache's contents are unknown after a failed step: start over next time.
                self.reset();
                Err(e)
            }
        }
    }

    /// Prefills what is new of `prompt` and generates.
    fn generate(
        &mut self,
        prompt: &[u32],
        params: &SamplingParams,
        max_tokens: Option<usize>,
        cancel: &AtomicBool,
        on_step: &mut dyn FnMut(&Step),
    ) -> Result<Generated> {
        let position = runner_position(&self.runner);
        let reused = self
            .history
            .reusable(prompt, position, self.limits.capacity);
        runner_rewind(&mut self.runner, reused)?;
        self.history.truncate(reused);
        let max = self
            .limits
            .max_tokens(max_tokens, prompt.len(), DEFAULT_MAX_TOKENS);
        let mut generation =
            Generation::new(Arc::clone(&self.tokenizer), params.clone(), prompt, max, 0)?;
        let started = Instant::now();
        let mut first: Option<Instant> = None;
        let mut logprobs = Vec::new();
        let mut emit = |step: &Step, first: &mut Option<Instant>| {
            first.get_or_insert_with(Instant::now);
            if let Some(l) = &step.logprob {
                logprobs.push(l.clone());
            }
            on_step(step);
        };
        let feed = &prompt[reused..];
        let max_k = self.runner.max_top_k();
        if !generation.is_done() && generation.need(max_k) == LogitsNeed::Argmax {
            // Greedy: the steps are chained on the GPU (no wait for the CPU between tokens).
            let mut failed = None;
            self.runner.generate_greedy(feed, max, |next| {
                match generation.push(Logits::Argmax(next)) {
                    Ok(step) => emit(&step, &mut first),
                    Err(e) => failed = Some(e),
                }
                failed.is_none() && !generation.is_done() && !cancel.load(Ordering::Relaxed)
            })?;
            if let Some(e) = failed {
                return Err(e.into());
            }
        } else {
            let mut feed = feed.to_vec();
            while !generation.is_done() && !cancel.load(Ordering::Relaxed) {
                let back = self.runner.read_back(&feed, generation.need(max_k))?;
                let step = generation.push(back.logits())?;
                emit(&step, &mut first);
                feed = generation.next_input().into_iter().collect();
            }
        }
        // Text held back for a possible stop string, when the answer ended another way.
        let reason = if cancel.load(Ordering::Relaxed) {
            FinishReason::Stop
        } else {
            FinishReason::Length
        };
        let rest = generation.end(reason)?;
        if !rest.text.is_empty() {
            emit(&rest, &mut first);
        }
        let first = first.unwrap_or_else(Instant::now);
        Ok(Generated {
            generation,
            reused,
            first_token_s: (first - started).as_secs_f32(),
            decode_s: first.elapsed().as_secs_f32(),
            logprobs,
        })
    }
}

/// A finished generation with what the reply reports about it.
struct Generated {
    generation: Generation<Arc<Tokenizer>>,
    reused: usize,
    first_token_s: f32,
    decode_s: f32,
    logprobs: Vec<TokenLogprob>,
}

fn runner_position(r: &Runner) -> usize {
    match r {
        Runner::Cpu(m) => m.pos,
        Runner::Gpu(m) => m.position(),
    }
}

fn runner_capacity(r: &Runner) -> usize {
    match r {
        Runner::Cpu(m) => m.cache.ring_len,
        Runner::Gpu(m) => m.ring_capacity(),
    }
}

/// Goes back to position `pos` of the cache, as the GPU model's own `rewind` does: only while
/// the ring has not wrapped (older slots would have been overwritten), or to 0.
fn runner_rewind(r: &mut Runner, pos: usize) -> Result<()> {
    match r {
        Runner::Gpu(m) => Ok(m.rewind(pos)?),
        Runner::Cpu(m) => {
            let wrapped = m.pos > m.cache.ring_len;
            if pos > m.pos || (pos > 0 && pos < m.pos && wrapped) {
                bail!("cannot rewind the CPU reference from {} to {pos}", m.pos);
            }
            m.pos = pos;
            Ok(())
        }
    }
}
