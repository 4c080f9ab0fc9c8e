//! What the HTTP layer needs from a model: answer a conversation or continue a prompt,
//! streaming text as it comes and stopping when asked. The server drives one [`Backend`] on
//! one worker thread (worker.rs), so an implementation need not be `Send` (a GPU model holds
//! wgpu objects) and never sees two requests at once.
//!
//! The real implementation (model_backend.rs) runs the CLI's engine; the tests use a fake.

use mistral_generate::{FinishReason, GenerateError, SamplingDefaults, SamplingParams};
use mistral_text::{Message, TextError};
use std::sync::atomic::AtomicBool;

pub trait Backend {
    /// Answers `messages` through the model's chat template.
    fn chat(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&TextDelta),
    ) -> Result<Reply, BackendError>;

    /// The model file's recommended sampling settings, filled in for the fields a request
    /// leaves out (as the CLI's run and chat do for flags not given).
    fn sampling_defaults(&self) -> SamplingDefaults {
        SamplingDefaults::default()
    }

    /// Continues `prompt` as raw text (no template).
    fn complete(
        &mut self,
        prompt: &str,
        params: &SamplingParams,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&TextDelta),
    ) -> Result<Reply, BackendError>;
}

/// Text ready to show, with the log probabilities of the tokens it came from (when asked).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextDelta {
    pub text: String,
    pub logprobs: Vec<TokenLogprob>,
}

/// A token's log probability, with its text already decoded (the API shows text, not ids).
#[derive(Clone, Debug, PartialEq)]
pub struct TokenLogprob {
    pub token: String,
    /// The token's own bytes (a piece of a multi-byte character is not valid UTF-8 alone).
    pub bytes: Vec<u8>,
    pub logprob: f32,
    /// The most likely alternatives, most likely first: (text, bytes, logprob).
    pub top: Vec<(String, Vec<u8>, f32)>,
}

/// A finished answer. When cancelled, whatever was produced until then (nobody reads it).
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub text: String,
    pub finish_reason: FinishReason,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub logprobs: Vec<TokenLogprob>,
}

/// Why an answer failed: the request's fault (HTTP 400), or ours (500).
#[derive(Debug)]
pub enum BackendError {
    /// A request the model cannot answer: a prompt longer than the context, a logit bias id
    /// outside the vocabulary, a conversation the chat template refuses.
    BadRequest {
        message: String,
        /// The request field at fault, when one is.
        param: Option<String>,
        /// OpenAI's code for it, when it has one (`context_length_exceeded`).
        code: Option<&'static str>,
    },
    Internal(anyhow::Error),
}

impl BackendError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        BackendError::BadRequest {
            message: message.into(),
            param: None,
            code: None,
        }
    }
}

impl From<GenerateError> for BackendError {
    /// Generation errors are about the request (its settings, its length, its messages),
    /// except a tokenizer failing on its own.
    fn from(e: GenerateError) -> Self {
        if let GenerateError::Text(t) = e {
            return t.into();
        }
        let (param, code) = match &e {
            GenerateError::InvalidParam { field, .. } => (Some(field.to_string()), None),
            GenerateError::MessageTooLong { .. } => (
                Some("messages".to_string()),
                Some("context_length_exceeded"),
            ),
            GenerateError::NoMessages => (Some("messages".to_string()), None),
            _ => (None, None),
        };
        BackendError::BadRequest {
            message: e.to_string(),
            param,
            code,
        }
    }
}

impl From<anyhow::Error> for BackendError {
    /// A generation error anywhere in the chain is the request's fault; anything else is ours.
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<GenerateError>() {
            Ok(g) => g.into(),
            Err(e) => match e.downcast::<TextError>() {
                Ok(t) => t.into(),
                Err(e) => BackendError::Internal(e),
            },
        }
    }
}

impl From<TextError> for BackendError {
    /// The chat template refusing the conversation (roles that do not alternate, a system
    /// message where the model takes none) is the request's fault; the rest is ours.
    fn from(e: TextError) -> Self {
        match e {
            TextError::Template(_) => BackendError::BadRequest {
                message: e.to_string(),
                param: Some("messages".to_string()),
                code: None,
            },
            e => BackendError::Internal(e.into()),
        }
    }
}
