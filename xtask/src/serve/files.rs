//! The file handler: confine the path, answer the conditional headers tower-http leaves out,
//! then let `ServeFile` do ranges, HEAD, Content-Type/Length and streaming.

use super::confine::{self, Resolved};
use super::validators::Validators;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// The canonical folder served.
pub type Root = Arc<PathBuf>;

pub async fn serve(State(root): State<Root>, mut request: Request) -> Response {
    match *request.method() {
        Method::GET | Method::HEAD => {}
        // Not a preflight (the CORS layer answers those): what the resource allows.
        Method::OPTIONS => return allow(StatusCode::NO_CONTENT),
        _ => return allow(StatusCode::METHOD_NOT_ALLOWED),
    }
    let path = request.uri().path().to_owned();
    // canonicalize() and stat() block: off the runtime's workers.
    let resolved = tokio::task::spawn_blocking(move || {
        let resolved = confine::resolve(&root, &path);
        let meta = match &resolved {
            Resolved::File { path, .. } => std::fs::metadata(path).ok(),
            _ => None,
        };
        (resolved, meta)
    })
    .await;
    let (file, name, meta) = match resolved {
        Ok((Resolved::File { path, name }, Some(meta))) => (path, name, meta),
        Ok((Resolved::BadPath, _)) => return text(StatusCode::BAD_REQUEST, "bad path\n"),
        _ => return text(StatusCode::NOT_FOUND, "not found\n"),
    };
    let validators = Validators::of(&meta);
    let headers = request.headers_mut();
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        if validators.none_match_hits(inm) {
            return not_modified(&validators, &meta);
        }
        // RFC 9110 13.1.3: If-Modified-Since is ignored when If-None-Match is sent (a file
        // rewritten within the same second is modified although its date is not).
        headers.remove(header::IF_MODIFIED_SINCE);
    }
    if let Some(if_range) = headers.get(header::IF_RANGE) {
        if !validators.if_range_holds(if_range) {
            headers.remove(header::RANGE);
        }
    }
    let mime = content_type(&name);
    let service = ServeFile::new_with_mime(&file, &mime);
    let mut response = match service.oneshot(request).await {
        Ok(r) => r.into_response(),
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    };
    if let Ok(etag) = HeaderValue::from_str(&validators.etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// By the name asked for, not the symlink target's (a blob without an extension).
fn content_type(name: &Path) -> mime_guess::Mime {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT && mime.get_param("charset").is_none() {
        if let Ok(with) = format!("{mime}; charset=utf-8").parse() {
            return with;
        }
    }
    mime
}

fn not_modified(validators: &Validators, meta: &std::fs::Metadata) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    let h = r.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&validators.etag) {
        h.insert(header::ETAG, etag);
    }
    if let Some(date) = meta.modified().ok().map(httpdate::fmt_http_date) {
        if let Ok(date) = HeaderValue::from_str(&date) {
            h.insert(header::LAST_MODIFIED, date);
        }
    }
    r
}

fn allow(status: StatusCode) -> Response {
    (status, [(header::ALLOW, "GET, HEAD, OPTIONS")]).into_response()
}

fn text(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}
