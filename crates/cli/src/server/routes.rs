//! The routes, and the layers around them: body limit, API key (on `/v1/`), CORS (outermost,
//! so preflights and 401s carry its headers).

use super::auth;
use super::cors::CorsOrigins;
use super::errors::ApiError;
use super::generate;
use super::openai::now;
use super::queue::Queue;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use std::sync::Arc;

/// What every handler shares.
pub struct App {
    pub queue: Queue,
    /// The one model's name in `/v1/models` and in every answer.
    pub model_id: String,
    pub created: u64,
}

impl App {
    pub fn new(queue: Queue, model_id: String) -> Self {
        App {
            queue,
            model_id,
            created: now(),
        }
    }

    /// A request's `model`: absent, or the served model's id. Another name is refused (404,
    /// as OpenAI answers an unknown model) rather than answered by a model it did not ask for.
    pub fn check_model(&self, asked: Option<&str>) -> Result<(), ApiError> {
        match asked {
            None => Ok(()),
            Some(m) if m == self.model_id => Ok(()),
            Some(m) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                format!(
                    "the model `{m}` is not served here; this server runs `{}` (see /v1/models)",
                    self.model_id
                ),
            )
            .param("model")
            .code("model_not_found")),
        }
    }
}

pub struct Layers {
    pub api_key: Option<String>,
    pub cors: Option<CorsOrigins>,
}

pub fn router(app: Arc<App>, layers: &Layers) -> Router {
    let mut v1 = Router::new()
        .route("/v1/chat/completions", post(generate::chat))
        .route("/v1/completions", post(generate::completions))
        .route("/v1/models", get(models))
        .route("/v1/models/{id}", get(model));
    if let Some(key) = &layers.api_key {
        let key: Arc<str> = key.as_str().into();
        v1 = v1.route_layer(axum::middleware::from_fn_with_state(key, auth::require_key));
    }
    let mut router = v1
        .route("/health", get(health))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(app)
        .layer(DefaultBodyLimit::max(super::BODY_LIMIT))
        .layer(axum::middleware::from_fn(refuse_declared_oversize));
    if let Some(cors) = &layers.cors {
        router = router.layer(cors.layer());
    }
    router
}

/// A body whose Content-Length is over the limit is refused before it is read (the body
/// limit alone would read up to the limit first, and the client would be mid-send).
async fn refuse_declared_oversize(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > super::BODY_LIMIT as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!(
                "the request body is larger than the limit of {} MiB",
                super::BODY_LIMIT >> 20
            ),
        )
        .into_response();
    }
    next.run(req).await
}

fn model_object(app: &App) -> serde_json::Value {
    json!({"id": app.model_id, "object": "model", "created": app.created, "owned_by": "mistral-wgpu"})
}

async fn models(State(app): State<Arc<App>>) -> Response {
    let body = json!({"object": "list", "data": [model_object(&app)]});
    super::json_response(StatusCode::OK, &body)
}

async fn model(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match app.check_model(Some(&id)) {
        Ok(()) => super::json_response(StatusCode::OK, &model_object(&app)),
        Err(e) => e.into_response(),
    }
}

/// Whether the model answers, and the queue's counters: 200 while it can, 503 once its thread
/// has failed.
async fn health(State(app): State<Arc<App>>) -> Response {
    let mut body = app.queue.health();
    body["model"] = app.model_id.clone().into();
    let status = if app.queue.is_broken() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    super::json_response(status, &body)
}

async fn not_found(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!(
            "no such endpoint: {method} {}; this server has POST /v1/chat/completions, POST \
             /v1/completions, GET /v1/models and GET /health",
            uri.path()
        ),
    )
    .into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request_error",
        format!("{} does not take {method}", uri.path()),
    )
    .into_response()
}
