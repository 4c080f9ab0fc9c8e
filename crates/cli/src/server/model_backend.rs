//! The real [`Backend`]: the CLI's [`Session`] (the engine on the GPU or the CPU reference,
//! the model's tokenizer and chat template, KV-prefix reuse between requests), as the chat
//! REPL uses it. This adapter only adds what the API needs: a fresh seed per request when
//! none is given, token ids shown as text for logprobs, and errors sorted into the request's
//! (400) and ours (500).

use super::backend::{Backend, BackendError, Reply, TextDelta, TokenLogprob};
use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::session::{self, Session};
use anyhow::Result;
use mistral_generate::{SamplingDefaults, SamplingParams, Step};
use mistral_text::{Message, Tokenizer};
use std::sync::atomic::AtomicBool;

pub struct ModelBackend {
    session: Session,
}

impl ModelBackend {
    /// Loads the model (with progress on stderr). Call it on the thread that will use it.
    pub fn load(args: &ModelArgs, dev: &DeviceArgs) -> Result<Self> {
        let session = Session::load(args, dev)?;
        eprintln!("loaded {} on {}", session.name(), session.device());
        Ok(ModelBackend { session })
    }
}

impl Backend for ModelBackend {
    fn sampling_defaults(&self) -> SamplingDefaults {
        self.session.sampling_defaults().clone()
    }

    fn chat(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&TextDelta),
    ) -> Result<Reply, BackendError> {
        self.generate(params, on_text, |session, params, on_step| {
            let reply = session.reply(messages, params, params.max_tokens, cancel, on_step)?;
            if let Some(notice) = &reply.notice {
                eprintln!("serve: {notice}");
            }
            Ok(reply)
        })
    }

    fn complete(
        &mut self,
        prompt: &str,
        params: &SamplingParams,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&TextDelta),
    ) -> Result<Reply, BackendError> {
        self.generate(params, on_text, |session, params, on_step| {
            session.complete(prompt, params, params.max_tokens, cancel, on_step)
        })
    }
}

impl ModelBackend {
    /// What chat and complete share: a seed for an unseeded request, each step handed on as
    /// text with its logprobs, the session's reply in the HTTP side's shape. `run` is the one
    /// call that differs.
    fn generate(
        &mut self,
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&TextDelta),
        run: impl FnOnce(&mut Session, &SamplingParams, &mut dyn FnMut(&Step)) -> Result<session::Reply>,
    ) -> Result<Reply, BackendError> {
        let params = seeded(params);
        let tokenizer = self.session.tokenizer();
        let mut on_step = |step: &Step| show(&tokenizer, step, on_text);
        let reply = run(&mut self.session, &params, &mut on_step)?;
        Ok(convert(&tokenizer, reply))
    }
}

/// Hands a generation step to the HTTP side as text with its logprobs (skipping empty steps:
/// text held back for a possible stop string).
fn show(tokenizer: &Tokenizer, step: &Step, on_text: &mut dyn FnMut(&TextDelta)) {
    let logprobs: Vec<TokenLogprob> = step.logprob.iter().map(|l| named(tokenizer, l)).collect();
    if !step.text.is_empty() || !logprobs.is_empty() {
        on_text(&TextDelta {
            text: step.text.clone(),
            logprobs,
        });
    }
}

/// OpenAI's API gives a different answer to the same unseeded request; the session's own
/// default seed is fixed (the REPL's reproducibility), so an unseeded request gets one here.
fn seeded(params: &SamplingParams) -> SamplingParams {
    let mut p = params.clone();
    if p.seed.is_none() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        p.seed = Some(nanos);
    }
    p
}

fn convert(tokenizer: &Tokenizer, r: session::Reply) -> Reply {
    Reply {
        text: r.text,
        finish_reason: r.finish,
        prompt_tokens: r.prompt_tokens,
        completion_tokens: r.completion_tokens,
        logprobs: r.logprobs.iter().map(|l| named(tokenizer, l)).collect(),
    }
}

/// A sampled token's logprobs with the tokens as text.
fn named(tok: &Tokenizer, l: &mistral_generate::TokenLogprob) -> TokenLogprob {
    let text = |id: u32| tok.decode(&[id]).unwrap_or_default();
    let token = text(l.id);
    TokenLogprob {
        bytes: token.as_bytes().to_vec(),
        token,
        logprob: l.logprob,
        top: l
            .top
            .iter()
            .map(|&(id, lp)| {
                let t = text(id);
                (t.clone(), t.into_bytes(), lp)
            })
            .collect(),
    }
}
