//! OpenAI request bodies: `/v1/chat/completions` ([`ChatRequest`]) and `/v1/completions`
//! ([`CompletionRequest`]), for the server and the browser engine. The request's own fields
//! are taken out and every other field must be a sampling field ([`SamplingParams`]), so an
//! unknown or unsupported field (`n: 2`, `tools`, a typo) is an error naming it.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{GenerateError, Result};
use crate::params::SamplingParams;

/// A chat message as OpenAI sends it (string content only).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestMessage {
    pub role: String,
    pub content: String,
    /// OpenAI's optional participant name: accepted, not shown to the model.
    #[serde(default)]
    pub name: Option<String>,
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
        let messages: Vec<RequestMessage> =
            f.take("messages")?.ok_or_else(|| missing("messages"))?;
        if messages.is_empty() {
            return Err(GenerateError::InvalidRequest("messages is empty".into()));
        }
        Ok(ChatRequest {
            model: f.take("model")?,
            messages,
            stream: f.take("stream")?.unwrap_or(false),
            include_usage: f.stream_options()?,
            sampling: f.common_then_sampling()?,
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
        Ok(CompletionRequest {
            model: f.take("model")?,
            prompt,
            stream: f.take("stream")?.unwrap_or(false),
            include_usage: f.stream_options()?,
            echo: f.take("echo")?.unwrap_or(false),
            sampling: f.common_then_sampling()?,
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

    fn stream_options(&mut self) -> Result<bool> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct StreamOptions {
            #[serde(default)]
            include_usage: bool,
        }
        Ok(self
            .take::<StreamOptions>("stream_options")?
            .is_some_and(|o| o.include_usage))
    }

    /// Fields both endpoints accept, then the sampling fields from what remains.
    fn common_then_sampling(mut self) -> Result<SamplingParams> {
        // One answer per request: `n` other than 1 is refused rather than ignored.
        if let Some(n) = self.take::<u64>("n")? {
            if n != 1 {
                return Err(GenerateError::InvalidRequest(format!(
                    "`n`: only 1 answer per request is supported, got {n}"
                )));
            }
        }
        // OpenAI's end-user id for abuse monitoring: meaningless locally, harmless to accept.
        self.take::<String>("user")?;
        serde_json::from_value(Value::Object(self.0))
            .map_err(|e| GenerateError::InvalidRequest(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_request_splits_its_fields_from_sampling() {
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
