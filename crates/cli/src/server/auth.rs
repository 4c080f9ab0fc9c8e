//! `--api-key`: every `/v1/` request must carry `Authorization: Bearer KEY` (401 otherwise, in
//! OpenAI's shape, so its clients raise AuthenticationError). `/health` stays open for
//! monitors, and CORS preflights are answered before this layer (browsers send no credentials
//! on a preflight).

use super::errors::ApiError;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn require_key(State(key): State<Arc<str>>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim());
    let refusal = match given {
        None => {
            "no API key given: send the header `Authorization: Bearer KEY` with the key \
                 the server was started with (--api-key)"
        }
        Some(v) => match bearer(v) {
            Some(k) if same(k.as_bytes(), key.as_bytes()) => return next.run(req).await,
            Some(_) => "incorrect API key",
            None => "the Authorization header must be `Bearer KEY`",
        },
    };
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", refusal)
        .code("invalid_api_key")
        .into_response()
}

/// The token of `Bearer TOKEN` (the scheme is case-insensitive, RFC 7235).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares without stopping at the first difference, so response times do not reveal how
/// much of a guessed key was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("abc"), None);
        assert!(same(b"key", b"key"));
        assert!(!same(b"key", b"kez"));
        assert!(!same(b"key", b"key2"));
    }
}
