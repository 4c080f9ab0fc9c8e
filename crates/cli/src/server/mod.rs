//! `mistral-wgpu serve`: an OpenAI-compatible HTTP API over one model, on axum and tokio.
//!
//! - routes.rs: the endpoints and layers; generate.rs: the two generating endpoints;
//!   stream.rs: their server-sent events; openai.rs: OpenAI's response shapes;
//!   errors.rs: OpenAI's error body; auth.rs: `--api-key`; cors.rs: `--cors`.
//! - queue.rs: the model's worker thread and the bounded FIFO queue in front of it.
//! - backend.rs: what the HTTP side needs from a model; model_backend.rs: the real one.
//! - Connections are accepted within limits (mistral-http-limits, shared with xtask's server).

mod auth;
pub mod backend;
mod cors;
mod errors;
mod generate;
mod model_backend;
mod openai;
mod queue;
mod routes;
mod stream;
#[cfg(test)]
mod tests;

pub use cors::CorsOrigins;
pub use model_backend::ModelBackend;
pub use queue::Queue;
pub use routes::Layers;

use anyhow::{Context, Result};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
pub use mistral_http_limits::Limits;
use std::sync::Arc;

/// Largest request body: a conversation filling a 128k-token context is about 0.5 MB of text.
pub const BODY_LIMIT: usize = 4 << 20;

/// Connection limits of the API server: clients a machine's own tools and a few people can
/// open, a head that must arrive within 10 s (a silent or half-sent one, slowloris, is
/// dropped), and a streaming client that stops reading for a minute is dropped (which cancels
/// its answer). No request timeout: a request may wait long in the queue, legitimately.
pub fn default_limits() -> Limits {
    Limits {
        max_connections: 64,
        header_timeout: std::time::Duration::from_secs(10),
        request_timeout: std::time::Duration::MAX,
        write_stall: std::time::Duration::from_secs(60),
    }
}

/// Serves `queue`'s model on `listener` until the process ends.
pub fn serve(
    listener: std::net::TcpListener,
    queue: Queue,
    model_id: String,
    layers: &Layers,
    limits: Limits,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let app = routes::router(Arc::new(routes::App::new(queue, model_id)), layers);
    runtime.block_on(async move {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        mistral_http_limits::accept_loop(listener, app, limits).await;
        std::io::Result::Ok(())
    })?;
    Ok(())
}

/// A JSON body with its content type (axum's Json extractor needs a feature we do without).
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
