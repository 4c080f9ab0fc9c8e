//! Errors as OpenAI sends them: an HTTP status and `{"error": {"message", "type", "param",
//! "code"}}`, so OpenAI clients raise their usual exceptions (BadRequestError,
//! AuthenticationError, ...) with our message in them.

use super::backend::BackendError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mistral_generate::GenerateError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// OpenAI's `type`: invalid_request_error, authentication_error, server_error...
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            kind,
            param: None,
            code: None,
        }
    }

    /// 400: the request is malformed or asks for what we do not do.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = super::json_response(self.status, &self.body());
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // The queue drains one answer at a time: worth a retry soon.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<GenerateError> for ApiError {
    /// A request body mistral_generate refused: the field it names becomes `param`.
    fn from(e: GenerateError) -> Self {
        let param = match &e {
            GenerateError::InvalidParam { field, .. } => Some(field.to_string()),
            GenerateError::InvalidRequest(m) => field_named_in(m),
            _ => None,
        };
        ApiError {
            param,
            ..ApiError::bad_request(e.to_string())
        }
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::BadRequest {
                message,
                param,
                code,
            } => ApiError {
                param,
                code,
                ..ApiError::bad_request(message)
            },
            // The chain of causes, as the CLI prints it: the user of a local server is its
            // operator, there is nothing to hide.
            BackendError::Internal(e) => ApiError::internal(format!("{e:#}")),
        }
    }
}

/// The field a serde or request error names in backquotes (`unknown field `tools``, "`n`:
/// ..."), for `param`. serde also lists the expected fields in backquotes after "expected":
/// only the first quoted name is the one at fault.
fn field_named_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    let name = &message[start..start + len];
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    plain.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_at_fault_becomes_param() {
        let e: ApiError =
            GenerateError::InvalidRequest("unknown field `tools`, expected one of `a`".into())
                .into();
        assert_eq!(e.param.as_deref(), Some("tools"));
        let e: ApiError = GenerateError::InvalidRequest("expected value at line 1".into()).into();
        assert_eq!(e.param, None);
        let body = ApiError::bad_request("x").param("top_p").body();
        assert_eq!(
            body,
            json!({"error": {"message": "x", "type": "invalid_request_error", "param": "top_p", "code": null}})
        );
    }
}
