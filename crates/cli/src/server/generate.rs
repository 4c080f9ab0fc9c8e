//! `POST /v1/chat/completions` and `POST /v1/completions`: parse the body with
//! mistral_generate's request types (unknown or unsupported fields are 400s), queue the work
//! on the model, and answer whole or as a server-sent event stream (stream.rs).

use super::errors::ApiError;
use super::openai::{Endpoint, Header};
use super::queue::{Event, Ticket, Work};
use super::routes::App;
use super::stream::{self, StreamOptions};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mistral_generate::{ChatRequest, CompletionRequest, SamplingParams};
use std::sync::Arc;

pub async fn chat(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    answer_chat(&app, body)
        .await
        .unwrap_or_else(|e| e.into_response())
}

pub async fn completions(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    answer_completion(&app, body)
        .await
        .unwrap_or_else(|e| e.into_response())
}

async fn answer_chat(app: &App, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let text = body_text(&body)?;
    let mut req = ChatRequest::from_json(text)?;
    with_model_defaults(app, text, &mut req.sampling);
    app.check_model(req.model.as_deref())?;
    let header = Header::new(
        Endpoint::Chat,
        &app.model_id,
        req.sampling.logprobs.is_some(),
    );
    let ticket = app
        .queue
        .submit(Work::Chat(req.text_messages()), req.sampling)?;
    let opts = StreamOptions {
        include_usage: req.include_usage,
        echo: None,
    };
    respond(ticket, header, req.stream, opts).await
}

async fn answer_completion(
    app: &App,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let text = body_text(&body)?;
    let mut req = CompletionRequest::from_json(text)?;
    with_model_defaults(app, text, &mut req.sampling);
    app.check_model(req.model.as_deref())?;
    if req.echo && req.sampling.logprobs.is_some() {
        // OpenAI then scores the prompt's tokens too, which the engine does not read back.
        return Err(ApiError::bad_request(
            "echo with logprobs is not supported (the prompt's tokens are not scored)",
        )
        .param("echo"));
    }
    let header = Header::new(
        Endpoint::Completion,
        &app.model_id,
        req.sampling.logprobs.is_some(),
    );
    let opts = StreamOptions {
        include_usage: req.include_usage,
        echo: req.echo.then(|| req.prompt.clone()),
    };
    let ticket = app.queue.submit(Work::Complete(req.prompt), req.sampling)?;
    respond(ticket, header, req.stream, opts).await
}

/// The model file's recommended settings for the sampling fields the request (already parsed
/// and valid JSON) leaves out, as llama.cpp's server does: a model whose file says temperature
/// 0.3 answers at 0.3 unless the client asks otherwise.
fn with_model_defaults(app: &App, body: &str, sampling: &mut SamplingParams) {
    let defaults = app.queue.sampling_defaults();
    if defaults.is_empty() {
        return;
    }
    if let Ok(request) = serde_json::from_str::<serde_json::Value>(body) {
        defaults.not_given_in(&request).apply_to(sampling);
    }
}

/// The body as text: too large (413) or not UTF-8 is the client's error, in OpenAI's shape.
fn body_text(body: &Result<Bytes, BytesRejection>) -> Result<&str, ApiError> {
    let bytes = match body {
        Ok(b) => b,
        Err(rejection) => {
            return Err(ApiError::new(
                rejection.status(),
                "invalid_request_error",
                format!(
                    "cannot read the request body: {} (the limit is {} MiB)",
                    rejection.body_text(),
                    super::BODY_LIMIT >> 20
                ),
            ))
        }
    };
    std::str::from_utf8(bytes)
        .map_err(|e| ApiError::bad_request(format!("the request body is not UTF-8: {e}")))
}

async fn respond(
    ticket: Ticket,
    header: Header,
    streamed: bool,
    opts: StreamOptions,
) -> Result<Response, ApiError> {
    if streamed {
        stream::respond(ticket, header, opts).await
    } else {
        whole(ticket, header, opts).await
    }
}

/// Waits for the whole answer. If the client disconnects meanwhile, hyper drops this future,
/// and with it the ticket, whose drop cancels the generation.
async fn whole(
    mut ticket: Ticket,
    header: Header,
    opts: StreamOptions,
) -> Result<Response, ApiError> {
    loop {
        match ticket.events.recv().await {
            Some(Event::Text(_)) => {}
            Some(Event::Done(outcome)) => {
                ticket.cancel.disarm();
                let reply = outcome?;
                let text = match &opts.echo {
                    Some(prompt) => format!("{prompt}{}", reply.text),
                    None => reply.text.clone(),
                };
                let body = header.answer(&reply, &text);
                return Ok(super::json_response(StatusCode::OK, &body));
            }
            None => return Err(ApiError::internal("the model's thread stopped")),
        }
    }
}
