//! Generation shared by every front end (the CLI's `run` and `chat`, the HTTP server, the
//! browser engine): the engines produce logits, this crate turns them into text.
//!
//! - [`SamplingParams`]: every sampling setting, validated, deserializable from OpenAI-shaped
//!   JSON (unknown fields are errors).
//! - [`Sampler`]: logit bias, repetition/presence/frequency penalties, temperature, top-k,
//!   top-p, min-p and a seeded draw, over a full logits row or over the few best candidates a
//!   GPU top-k reads back ([`Sampler::candidates_needed`] says when those suffice).
//! - [`Generation`]: one answer as a state machine: ask it what the engine should read back
//!   ([`Generation::need`]), push what came back, get text pieces, logprobs and a finish reason
//!   (EOS from the tokenizer's metadata, stop strings, max tokens).
//! - [`Conversation`], [`fit_messages`], [`KvHistory`]: the chat state and the context policy
//!   (reuse the KV prefix, roll a windowed model on, drop the oldest turns of one without).
//! - [`ChatRequest`], [`CompletionRequest`]: OpenAI request bodies for the server and npm.
//! - [`SamplingDefaults`]: the sampling settings a GGUF recommends (`general.sampling.*`).
//!
//! With the `ts` feature, the request types ([`ChatFields`], [`WireParams`], [`RequestMessage`]),
//! [`FinishReason`] and [`SamplingDefaults`] derive `ts_rs::TS`: crates/web generates the npm
//! package's TypeScript declarations from them.
//!
//! No GPU or async dependency: everything builds for wasm32 too.

mod context;
mod conversation;
mod error;
mod generation;
mod kv_history;
mod model_defaults;
mod params;
mod params_wire;
mod request;
mod rng;
pub mod sampler;
mod stops;
mod text_stream;

pub use context::{fit_messages, ContextLimits, Fitted};
pub use conversation::{encode_messages, Conversation};
pub use error::{GenerateError, Result};
pub use generation::{Generation, Logits, LogitsNeed, Step};
pub use kv_history::KvHistory;
pub use model_defaults::{ReadDefaults, SamplingDefaults};
pub use params::{
    NumberRule, SamplingParams, MAX_BIAS_ENTRIES, MAX_LOGIT_BIAS, MAX_STOPS, MAX_STOP_BYTES,
    MAX_TOKENS_LIMIT, MAX_TOP_LOGPROBS, NUMBER_RULES,
};
pub use params_wire::WireParams;
pub use request::{ChatFields, ChatRequest, CompletionRequest, RequestMessage, StreamOptions};
pub use rng::Rng;
pub use sampler::{Sampled, Sampler, TokenLogprob};
pub use stops::{FinishReason, StopSet};
pub use text_stream::{TextStep, TextStream};
