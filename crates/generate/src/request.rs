//! OpenAI request bodies: `/v1/chat/completions` ([`ChatRequest`]) and `/v1/completions`
//! ([`CompletionRequest`]), for the server and the browser engine. The request's own fields
//! are taken out and every other field must be a sampling field ([`SamplingParams`]), so an
//! unknown or unsupported field (`n: 2`, `tools`, a typo) is an error naming it. A chat
//! request's own fields are [`ChatFields`], its sampling fields [`crate::WireParams`]: the npm
//! package's `ChatCompletionRequest` type is generated from those two.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{GenerateError, Result};
use crate::params::SamplingParams;

/// A chat message as OpenAI sends it (string content only).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ChatMessage"))]
pub struct RequestMessage {
    /// Who speaks. The chat template decides which roles it takes (and where a system
    /// message may stand).
    #[cfg_attr(feature = "ts", ts(type = r#""system" | "user" | "assistant""#))]
    pub role: String,
    pub content: String,
    /// OpenAI's participant name: accepted, not shown to the model.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
}

/// The fields of a chat request besides the sampling ones (OpenAI's names). Absent or `null`
/// means the default; any other field must be a sampling field, or the request is refused.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "ChatRequestFields", optional_fields = nullable)
)]
pub struct ChatFields {
    /// The conversation, oldest first; the answer continues it. At least one message.
    #[cfg_attr(feature = "ts", ts(optional = false))]
    pub messages: Vec<RequestMessage>,
    /// Accepted and ignored: the engine runs the model it loaded.
    pub model: Option<String>,
    /// Stream the answer as `chat.completion.chunk`s (default false).
    pub stream: Option<bool>,
    /// Accepted for compatibility: the last chunk of a stream carries `usage`.
    pub stream_options: Option<StreamOptions>,
    /// One answer per request: only 1 is accepted.
    #[cfg_attr(feature = "ts", ts(type = "1 | null", optional))]
    pub n: Option<u64>,
    /// OpenAI's end-user id: accepted and ignored.
    pub user: Option<String>,
}

/// OpenAI's `stream_options`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct StreamOptions {
    /// A last chunk with the token counts.
    pub include_usage: Option<bool>,
}

impl From<&RequestMessage> for mistral_text::Message {
    fn from(m: &RequestMessage) -> Self {
        mistral_text::Message::new(m.role.clone(), m.content.clone())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub model: Option<String>,
    pub messages: Vec<RequestMessage>,
    pub stream: bool,
    /// `stream_options.include_usage`: a last chunk with the token counts.
    pub include_usage: bool,
    pub sampling: SamplingParams,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompletionRequest {
    pub model: Option<String>,
    /// One prompt (OpenAI also takes lists and token arrays: refused, not guessed).
    pub prompt: String,
    pub stream: bool,
    pub include_usage: bool,
    /// Prepend the prompt to the answer.
    pub echo: bool,
    pub sampling: SamplingParams,
}

impl ChatRequest {
    pub fn from_json(json: &str) -> Result<Self> {
        let mut f = Fields::parse(json)?;
        // A struct literal: a field added to ChatFields must be read here too.
        let fields = ChatFields {
            messages: f.take("messages")?.ok_or_else(|| missing("messages"))?,
            model: f.take("model")?,
            stream: f.take("stream")?,
            stream_options: f.take("stream_options")?,
            n: f.take("n")?,
            user: f.take("user")?,
        };
        if fields.messages.is_empty() {
            return Err(GenerateError::InvalidRequest("messages is empty".into()));
        }
        one_answer(fields.n)?;
        Ok(ChatRequest {
            model: fields.model,
            messages: fields.messages,
            stream: fields.stream.unwrap_or(false),
            include_usage: include_usage(fields.stream_options),
            sampling: f.sampling()?,
        })
    }

    /// The messages as the chat template takes them.
    pub fn text_messages(&self) -> Vec<mistral_text::Message> {
        self.messages.iter().map(Into::into).collect()
    }
}

impl CompletionRequest {
    pub fn from_json(json: &str) -> Result<Self> {
        let mut f = Fields::parse(json)?;
        let prompt = f.take("prompt")?.ok_or_else(|| missing("prompt"))?;
        let model = f.take("model")?;
        let stream = f.take("stream")?.unwrap_or(false);
        let include_usage = include_usage(f.take("stream_options")?);
        let echo = f.take("echo")?.unwrap_or(false);
        one_answer(f.take("n")?)?;
        // OpenAI's end-user id for abuse monitoring: meaningless locally, harmless to accept.
        f.take::<String>("user")?;
        Ok(CompletionRequest {
            model,
            prompt,
            stream,
            include_usage,
            echo,
            sampling: f.sampling()?,
        })
    }
}

fn missing(field: &str) -> GenerateError {
    GenerateError::InvalidRequest(format!("missing field `{field}`"))
}

/// A request's top-level fields, taken out one by one; what is left must be sampling fields.
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(json: &str) -> Result<Self> {
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => Ok(Fields(map)),
            Ok(_) => Err(GenerateError::InvalidRequest(
                "the body must be a JSON object".into(),
            )),
            Err(e) => Err(GenerateError::InvalidRequest(e.to_string())),
        }
    }

    /// The field's value (None when absent or null).
    fn take<T: serde::de::DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>> {
        match self.0.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| GenerateError::InvalidRequest(format!("`{key}`: {e}"))),
        }
    }

    /// What remains must be sampling fields.
    fn sampling(self) -> Result<SamplingParams> {
        serde_json::from_value(Value::Object(self.0))
            .map_err(|e| GenerateError::InvalidRequest(e.to_string()))
    }
}

/// One answer per request: `n` other than 1 is refused rather than ignored.
fn one_answer(n: Option<u64>) -> Result<()> {
    match n {
        Some(n) if n != 1 => Err(GenerateError::InvalidRequest(format!(
            "`n`: only 1 answer per request is supported, got {n}"
        ))),
        _ => Ok(()),
    }
}

fn include_usage(options: Option<StreamOptions>) -> bool {
    options.and_then(|o| o.include_usage).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_request_splits_its_fields_from_sampling() {
        // Every field of ChatFields, under its JSON name.
        let r = ChatRequest::from_json(
            r#"{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": true,
                "stream_options": {"include_usage": true}, "n": 1, "user": "u",
                "temperature": 0, "stop": ["x"]}"#,
        )
        .unwrap();
        assert_eq!(r.model.as_deref(), Some("m"));
        assert!(r.stream && r.include_usage);
        assert_eq!(r.text_messages(), [mistral_text::Message::user("hi")]);
        assert_eq!(r.sampling.temperature, 0.0);
        assert_eq!(r.sampling.stop, ["x"]);
    }

    #[test]
    fn unknown_unsupported_and_malformed_fields_are_errors() {
        for (json, needle) in [
            (
                r#"{"messages": [{"role": "user", "content": "hi"}], "tools": []}"#,
                "unknown field `tools`",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "hi"}], "n": 2}"#,
                "only 1 answer",
            ),
            (r#"{"messages": []}"#, "messages is empty"),
            (r#"{}"#, "missing field `messages`"),
            (r#"[1]"#, "JSON object"),
            (
                r#"{"messages": [{"role": "user", "content": [1]}]}"#,
                "`messages`",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}"#,
                "`stream`",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "stream_options": {"x": 1}}"#,
                "unknown field `x`",
            ),
            (
                r#"{"messages": [{"role": "user", "content": "x"}], "top_p": 2}"#,
                "top_p",
            ),
        ] {
            let e = ChatRequest::from_json(json).unwrap_err().to_string();
            assert!(e.contains(needle), "{json}: {e}");
        }
    }

    #[test]
    fn completion_request() {
        let r = CompletionRequest::from_json(r#"{"prompt": "Once", "echo": true, "logprobs": 2}"#)
            .unwrap();
        assert_eq!((r.prompt.as_str(), r.echo), ("Once", true));
        assert_eq!(r.sampling.logprobs, Some(2));
        let e = CompletionRequest::from_json(r#"{"prompt": ["a", "b"]}"#).unwrap_err();
        assert!(e.to_string().contains("`prompt`"), "{e}");
    }
}
