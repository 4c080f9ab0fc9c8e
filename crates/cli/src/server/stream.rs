//! `stream: true`: the answer as server-sent events, one `data: {chunk}` per piece of text,
//! then the finish reason, the usage when asked, and `data: [DONE]`.
//!
//! The response waits for the model's first event: an error found before any text (a prompt
//! longer than the context) is still an HTTP error status, not a 200 with an error inside.
//! After that, an error arrives as a `data: {"error": ...}` event before `[DONE]`.
//!
//! The event stream owns the request's cancel guard: when the client disconnects, hyper drops
//! the stream and the worker stops generating at its next token. Keep-alive comments during
//! long silences (prefill) make a vanished client show up as a failed write.

use super::backend::Reply;
use super::errors::ApiError;
use super::openai::{Endpoint, Header};
use super::queue::{Event, Ticket};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde_json::Value;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

pub struct StreamOptions {
    /// `stream_options.include_usage`.
    pub include_usage: bool,
    /// Completions' `echo`: the prompt, sent as the first text.
    pub echo: Option<String>,
}

/// Builds the chunks of one answer as its events arrive.
struct Chunks {
    ticket: Ticket,
    header: Header,
    include_usage: bool,
    /// Chunks ready to send; `None` is `[DONE]`.
    ready: VecDeque<Option<Value>>,
    /// Bytes of answer text sent so far (completions' `text_offset`).
    offset: usize,
    ended: bool,
}

impl Chunks {
    fn push_text(&mut self, text: &str, logprobs: &[super::backend::TokenLogprob]) {
        if text.is_empty() && logprobs.is_empty() {
            return;
        }
        let chunk = self.header.text_chunk(text, logprobs, self.offset);
        self.offset += text.len();
        self.ready.push_back(Some(chunk));
    }

    fn push_end(&mut self, reply: &Reply) {
        self.ready.push_back(Some(self.header.finish_chunk(reply)));
        if self.include_usage {
            self.ready.push_back(Some(self.header.usage_chunk(reply)));
        }
        self.done();
    }

    fn push_error(&mut self, e: ApiError) {
        self.ready.push_back(Some(e.body()));
        self.done();
    }

    fn done(&mut self) {
        self.ready.push_back(None);
        self.ended = true;
        self.ticket.cancel.disarm();
    }

    /// Turns one worker event into chunks.
    fn take(&mut self, event: Option<Event>) {
        match event {
            Some(Event::Text(d)) => self.push_text(&d.text, &d.logprobs),
            Some(Event::Done(Ok(reply))) => self.push_end(&reply),
            Some(Event::Done(Err(e))) => self.push_error(e.into()),
            None => self.push_error(ApiError::internal("the model's thread stopped")),
        }
    }

    /// The next SSE event, waiting for the model when nothing is ready.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(chunk) = self.ready.pop_front() {
                return Some(match chunk {
                    Some(v) => SseEvent::default().data(v.to_string()),
                    None => SseEvent::default().data("[DONE]"),
                });
            }
            if self.ended {
                return None;
            }
            let event = self.ticket.events.recv().await;
            self.take(event);
        }
    }
}

pub async fn respond(
    mut ticket: Ticket,
    header: Header,
    opts: StreamOptions,
) -> Result<Response, ApiError> {
    let first = match ticket.events.recv().await {
        Some(Event::Done(Err(e))) => {
            ticket.cancel.disarm();
            return Err(e.into());
        }
        first => first,
    };
    let mut chunks = Chunks {
        ticket,
        header,
        include_usage: opts.include_usage,
        ready: VecDeque::new(),
        offset: 0,
        ended: false,
    };
    if chunks.header.endpoint == Endpoint::Chat {
        let role = chunks.header.role_chunk();
        chunks.ready.push_back(Some(role));
    }
    if let Some(prompt) = &opts.echo {
        // text_offset counts from the start of the returned text, echo included.
        chunks.push_text(prompt, &[]);
    }
    chunks.take(first);
    let events = stream::unfold(chunks, |mut chunks| async move {
        let event = chunks.next().await?;
        Some((Ok::<_, Infallible>(event), chunks))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(5)))
        .into_response())
}
