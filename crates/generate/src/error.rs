//! One error type for generation. Each message names the setting or the limit, so a front end
//! can show it as is (the server as a 400, the CLI as a usage error).

use mistral_text::TextError;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A sampling setting outside its range (`field` is its JSON / flag name).
    #[error("{field}: {message}")]
    InvalidParam {
        field: &'static str,
        message: String,
    },
    /// A request body that is not what the API takes (unknown field, wrong type).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Even with every older turn dropped, the prompt leaves no room in the context.
    #[error("the message is {tokens} tokens with the chat template, but the context holds {capacity}: shorten it or raise the context")]
    MessageTooLong { tokens: usize, capacity: usize },
    #[error("there are no messages to answer")]
    NoMessages,
    #[error(transparent)]
    Text(#[from] TextError),
}

pub type Result<T, E = GenerateError> = std::result::Result<T, E>;

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> GenerateError {
    GenerateError::InvalidParam {
        field,
        message: message.into(),
    }
}
