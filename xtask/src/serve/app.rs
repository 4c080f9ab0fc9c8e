//! The routes and the layers every response passes through.

use super::counts::{self, Counts};
use super::files;
use super::Cors;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::routing::{any, get};
use axum::Router;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_http::cors::{AllowHeaders, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// `root` must be canonical.
pub fn router(
    root: PathBuf,
    counts: Arc<Mutex<Counts>>,
    cors: Cors,
    request_timeout: Duration,
) -> Router {
    let stats = Router::new()
        .route(counts::STATS, any(counts::stats))
        .route(counts::RESET, get(counts::reset).post(counts::reset))
        .with_state(counts.clone());
    let mut app = Router::new()
        .fallback(files::serve)
        .with_state(Arc::new(root))
        .merge(stats)
        // Until the answer's head: a body (a 4 GB model) may take as long as it takes.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ));
    if cors == Cors::AnyOrigin {
        app = app.layer(cors_layer());
    }
    // Outermost, so that preflights (answered by the CORS layer) are counted too (apart).
    app.layer(axum::middleware::from_fn_with_state(counts, counts::count))
}

/// What a cross-origin page needs to download a model in ranges: read the body, send `Range`
/// and `If-Range` (preflighted), and read the headers that size and validate each chunk.
fn cors_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            header::CONTENT_LENGTH,
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            header::ETAG,
            header::LAST_MODIFIED,
        ])
        .max_age(Duration::from_secs(600))
}
