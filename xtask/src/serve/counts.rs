//! Request counts per decoded path, for tests that assert what the page fetched (the e2e's
//! "a reload makes no model request", "a resumed download fetches only the missing chunks").
//!
//! CORS preflights (OPTIONS) are counted apart, under "preflights": a chunk request carrying
//! If-Range is preflighted, and Chromium does not reuse a cached preflight for a `no-store`
//! fetch, so counting them with the fetches would double every chunk (seen in the e2e: 5
//! chunk requests counted as 10).

use super::confine;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The endpoints that read and clear the counts; requests to them are not counted.
pub const STATS: &str = "/__requests";
pub const RESET: &str = "/__requests/reset";

#[derive(Default)]
pub struct Counts {
    total: u64,
    paths: BTreeMap<String, u64>,
    preflights: BTreeMap<String, u64>,
}

impl Counts {
    pub fn get(&self, path: &str) -> u64 {
        self.paths.get(path).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    fn add(&mut self, path: String, method: &Method) {
        if *method == Method::OPTIONS {
            *self.preflights.entry(path).or_default() += 1;
        } else {
            self.total += 1;
            *self.paths.entry(path).or_default() += 1;
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "total": self.total,
            "paths": self.paths,
            "preflights": self.preflights,
        })
    }
}

pub type Shared = Arc<Mutex<Counts>>;

/// Middleware, outside everything else (CORS too, so that preflights count).
pub async fn count(State(counts): State<Shared>, request: Request, next: Next) -> Response {
    let key = confine::key(request.uri().path());
    if key != STATS && key != RESET {
        counts.lock().unwrap().add(key, request.method());
    }
    next.run(request).await
}

/// `/__requests`, any method.
pub async fn stats(State(counts): State<Shared>) -> impl IntoResponse {
    json(counts.lock().unwrap().json())
}

/// `GET` or `POST /__requests/reset`.
pub async fn reset(State(counts): State<Shared>) -> impl IntoResponse {
    *counts.lock().unwrap() = Counts::default();
    json(serde_json::json!({ "reset": true }))
}

fn json(value: serde_json::Value) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
}
