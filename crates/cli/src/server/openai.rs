//! Response bodies in OpenAI's shapes: chat completions and their stream chunks, text
//! completions and theirs, with usage and logprobs in each endpoint's own format (chat:
//! `{"content": [{token, logprob, bytes, top_logprobs}]}`; completions: parallel arrays).

use super::backend::{Reply, TokenLogprob};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Which endpoint answers: fixes the object names, the text's place and the logprobs format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Completion,
}

/// What every chunk and answer of one request repeats.
#[derive(Clone, Debug)]
pub struct Header {
    pub endpoint: Endpoint,
    pub id: String,
    pub created: u64,
    pub model: String,
    /// Completions only: whether logprobs were asked (`null` otherwise, as OpenAI).
    pub logprobs: bool,
}

impl Header {
    pub fn new(endpoint: Endpoint, model: &str, logprobs: bool) -> Self {
        // Unique within this process and unlikely to repeat across restarts: clients use it
        // to tell streams apart, nothing more.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let created = now();
        let prefix = match endpoint {
            Endpoint::Chat => "chatcmpl",
            Endpoint::Completion => "cmpl",
        };
        Header {
            endpoint,
            id: format!(
                "{prefix}-{created:x}{:04x}{n:x}",
                std::process::id() & 0xffff
            ),
            created,
            model: model.to_string(),
            logprobs,
        }
    }

    fn object(&self, chunk: bool) -> &'static str {
        match (self.endpoint, chunk) {
            (Endpoint::Chat, false) => "chat.completion",
            (Endpoint::Chat, true) => "chat.completion.chunk",
            (Endpoint::Completion, _) => "text_completion",
        }
    }

    fn envelope(&self, chunk: bool, choices: Value) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("object".into(), self.object(chunk).into());
        m.insert("created".into(), self.created.into());
        m.insert("model".into(), self.model.clone().into());
        m.insert("system_fingerprint".into(), Value::Null);
        m.insert("choices".into(), choices);
        m
    }

    /// The whole answer (no stream). `text` is the reply's, with the prompt first for `echo`.
    pub fn answer(&self, reply: &Reply, text: &str) -> Value {
        let choice = match self.endpoint {
            Endpoint::Chat => json!({
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": self.logprobs_value(&reply.logprobs, 0),
                "finish_reason": reply.finish_reason.as_str(),
            }),
            Endpoint::Completion => json!({
                "index": 0,
                "text": text,
                "logprobs": self.logprobs_value(&reply.logprobs, 0),
                "finish_reason": reply.finish_reason.as_str(),
            }),
        };
        let mut m = self.envelope(false, json!([choice]));
        m.insert("usage".into(), usage(reply));
        Value::Object(m)
    }

    /// A stream chunk carrying `text` (and its tokens' logprobs); `offset` is the text's byte
    /// offset in the answer (completions' `text_offset`).
    pub fn text_chunk(&self, text: &str, logprobs: &[TokenLogprob], offset: usize) -> Value {
        let lp = self.logprobs_value(logprobs, offset);
        let choice = match self.endpoint {
            Endpoint::Chat => json!({
                "index": 0, "delta": {"content": text}, "logprobs": lp, "finish_reason": null,
            }),
            Endpoint::Completion => json!({
                "index": 0, "text": text, "logprobs": lp, "finish_reason": null,
            }),
        };
        Value::Object(self.envelope(true, json!([choice])))
    }

    /// Chat streams open with the assistant's role, as OpenAI's do (clients key on it).
    pub fn role_chunk(&self) -> Value {
        let choice = json!({
            "index": 0, "delta": {"role": "assistant", "content": ""},
            "logprobs": null, "finish_reason": null,
        });
        Value::Object(self.envelope(true, json!([choice])))
    }

    /// The stream's last choice chunk: no text, the finish reason.
    pub fn finish_chunk(&self, reply: &Reply) -> Value {
        let reason = reply.finish_reason.as_str();
        let choice = match self.endpoint {
            Endpoint::Chat => json!({
                "index": 0, "delta": {}, "logprobs": null, "finish_reason": reason,
            }),
            Endpoint::Completion => json!({
                "index": 0, "text": "", "logprobs": null, "finish_reason": reason,
            }),
        };
        Value::Object(self.envelope(true, json!([choice])))
    }

    /// `stream_options.include_usage`: a chunk with no choices and the token counts.
    pub fn usage_chunk(&self, reply: &Reply) -> Value {
        let mut m = self.envelope(true, json!([]));
        m.insert("usage".into(), usage(reply));
        Value::Object(m)
    }

    fn logprobs_value(&self, tokens: &[TokenLogprob], offset: usize) -> Value {
        match self.endpoint {
            Endpoint::Chat if tokens.is_empty() => Value::Null,
            Endpoint::Chat => {
                json!({"content": tokens.iter().map(chat_logprob).collect::<Vec<_>>()})
            }
            Endpoint::Completion if !self.logprobs => Value::Null,
            Endpoint::Completion => completion_logprobs(tokens, offset),
        }
    }
}

fn usage(reply: &Reply) -> Value {
    json!({
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    })
}

fn chat_logprob(t: &TokenLogprob) -> Value {
    json!({
        "token": t.token,
        "logprob": t.logprob,
        "bytes": t.bytes,
        "top_logprobs": t.top.iter().map(|(token, bytes, logprob)| json!({
            "token": token, "logprob": logprob, "bytes": bytes,
        })).collect::<Vec<_>>(),
    })
}

/// The legacy completions format: parallel arrays, alternatives as {token: logprob}.
fn completion_logprobs(tokens: &[TokenLogprob], offset: usize) -> Value {
    let mut offsets = Vec::with_capacity(tokens.len());
    let mut at = offset;
    for t in tokens {
        offsets.push(at);
        at += t.token.len();
    }
    json!({
        "tokens": tokens.iter().map(|t| t.token.clone()).collect::<Vec<_>>(),
        "token_logprobs": tokens.iter().map(|t| t.logprob).collect::<Vec<_>>(),
        "top_logprobs": tokens.iter().map(|t| {
            t.top.iter().map(|(tok, _, lp)| (tok.clone(), json!(lp))).collect::<Map<_, _>>()
        }).collect::<Vec<_>>(),
        "text_offset": offsets,
    })
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
