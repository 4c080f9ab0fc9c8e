//! One answer as a state machine the engines drive: the engine runs tokens and reads back what
//! [`Generation::need`] asks for; [`Generation::push`] samples, decodes and checks the stop
//! conditions. No I/O and no waiting here, so the same code serves the CLI (blocking), the
//! server (a worker thread) and the browser (one `step` per JavaScript call).
//!
//! ```text
//! let mut gen = Generation::new(&tok, params, &prompt, max_tokens, seed)?;
//! let mut feed = prompt[reused..].to_vec();
//! while !gen.is_done() {
//!     let logits = engine.run(&feed, gen.need(TopK::MAX_K));   // Argmax | TopK(k) | FullRow
//!     let step = gen.push(logits.as_ref())?;                    // text, logprob, finish
//!     show(&step.text);
//!     feed = step.token.into_iter().collect();
//! }
//! ```

use std::ops::Deref;

use mistral_text::Tokenizer;

use crate::error::Result;
use crate::params::SamplingParams;
use crate::sampler::{Sampled, Sampler, TokenLogprob};
use crate::stops::{FinishReason, StopSet};
use crate::text_stream::TextStream;

/// What the engine should read back after running the next tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogitsNeed {
    /// Only the most likely id (4 bytes; the GPU may chain greedy steps).
    Argmax,
    /// The k best `(id, logit)`, ranked by logit then id (a GPU top-k).
    TopK(usize),
    /// The whole logits row of the last token.
    FullRow,
}

/// What the engine read back, as asked by [`LogitsNeed`].
#[derive(Clone, Copy, Debug)]
pub enum Logits<'a> {
    Argmax(u32),
    TopK(&'a [(u32, f32)]),
    Row(&'a [f32]),
}

/// One generated token's outcome.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Step {
    /// The token chosen; feed it next unless `finish` is set. None once the answer was over.
    pub token: Option<u32>,
    /// Text to show now (possibly empty).
    pub text: String,
    pub logprob: Option<TokenLogprob>,
    /// Set on the answer's last step.
    pub finish: Option<FinishReason>,
}

pub struct Generation<T: Deref<Target = Tokenizer>> {
    sampler: Sampler,
    stops: StopSet,
    text: TextStream<T>,
    max_tokens: usize,
    /// Answer tokens so far (EOS not counted, as the browser engine always reported).
    tokens: Vec<u32>,
    finish: Option<FinishReason>,
}

impl<T: Deref<Target = Tokenizer>> Generation<T> {
    /// An answer to `prompt` (all of its tokens, reused from the KV cache or not: the penalty
    /// window sees its tail). `max_tokens` is the final budget (see
    /// [`crate::ContextLimits::max_tokens`]); 0 finishes at once with `length`. The seed is
    /// `params.seed`, else `default_seed`.
    pub fn new(
        tokenizer: T,
        params: SamplingParams,
        prompt: &[u32],
        max_tokens: usize,
        default_seed: u64,
    ) -> Result<Self> {
        params.validate_for_vocab(tokenizer.vocab_size())?;
        let stops = StopSet::new(&tokenizer, &params.stop);
        let mut sampler = Sampler::new(params, default_seed);
        sampler.prime(prompt);
        Ok(Generation {
            text: TextStream::new(tokenizer, stops.matcher()),
            stops,
            sampler,
            max_tokens,
            tokens: Vec::new(),
            finish: (max_tokens == 0).then_some(FinishReason::Length),
        })
    }

    /// What to read back for the next token, given the most candidates the engine's top-k can
    /// return (`TopK::MAX_K` on the GPU, 0 for an engine without one, e.g. the CPU reference).
    pub fn need(&self, max_k: usize) -> LogitsNeed {
        match self.sampler.candidates_needed() {
            Some(1) => LogitsNeed::Argmax,
            Some(k) if k <= max_k => LogitsNeed::TopK(k),
            _ => LogitsNeed::FullRow,
        }
    }

    /// Samples the next token from what the engine read back and advances the answer.
    /// `Logits::Argmax` is only right when [`Self::need`] said so.
    pub fn push(&mut self, logits: Logits<'_>) -> Result<Step> {
        if self.finish.is_some() {
            return Ok(Step::default());
        }
        let sampled = match logits {
            Logits::Argmax(id) => {
                debug_assert!(
                    self.sampler.argmax_suffices(),
                    "argmax given, the sampler needs more"
                );
                self.sampler.accept(id);
                Sampled { id, logprob: None }
            }
            Logits::TopK(c) => self.sampler.sample_candidates(c),
            Logits::Row(row) => self.sampler.sample_row(row),
        };
        self.advance(sampled)
    }

    /// Ends the answer early (e.g. the engine has no room for another token): flushes the text
    /// held back and reports `reason`.
    pub fn end(&mut self, reason: FinishReason) -> Result<Step> {
        if self.finish.is_some() {
            return Ok(Step::default());
        }
        let text = self.text.finish()?;
        self.finish = Some(reason);
        Ok(Step {
            token: None,
            text,
            logprob: None,
            finish: Some(reason),
        })
    }

    fn advance(&mut self, sampled: Sampled) -> Result<Step> {
        let Sampled { id, logprob } = sampled;
        let mut step = Step {
            token: Some(id),
            logprob,
            ..Default::default()
        };
        if self.stops.is_eos(id) {
            step.text = self.text.finish()?;
            step.finish = Some(FinishReason::Stop);
        } else {
            self.tokens.push(id);
            let t = self.text.push(id)?;
            step.text = t.text;
            if t.stopped {
                step.finish = Some(FinishReason::Stop);
            } else if self.tokens.len() >= self.max_tokens {
                step.text.push_str(&self.text.finish()?);
                step.finish = Some(FinishReason::Length);
            }
        }
        self.finish = step.finish;
        Ok(step)
    }

    pub fn is_done(&self) -> bool {
        self.finish.is_some()
    }

    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.finish
    }

    /// The token to feed the engine next: the last one chosen, while the answer goes on.
    pub fn next_input(&self) -> Option<u32> {
        if self.finish.is_some() {
            return None;
        }
        self.tokens.last().copied()
    }

    /// Answer tokens so far (EOS not included).
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// The answer's text shown so far (the whole answer once done): the assistant message.
    pub fn text(&self) -> &str {
        self.text.shown()
    }

    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }
}
