//! The one model, its worker thread, and the queue in front of it.
//!
//! - **One at a time.** The model lives on a thread of its own (a GPU model holds wgpu objects,
//!   and one KV cache cannot serve two answers at once); requests reach it over a channel and
//!   its text comes back over another, so the HTTP side never blocks on the model.
//! - **Fair order.** The channel is first in, first out, and one thread takes from it: requests
//!   are answered in the order they arrived.
//! - **Bounded.** At most `max_waiting` requests wait behind the one being answered; past that
//!   a request is refused at once (503 with Retry-After) instead of waiting without end.
//! - **Cancellable.** Each request has a flag the HTTP side sets when its client goes away:
//!   the backend stops generating at the next token, and a request still waiting is skipped.

use super::backend::{Backend, BackendError, Reply, TextDelta};
use super::errors::ApiError;
use anyhow::{anyhow, Context, Result};
use axum::http::StatusCode;
use mistral_generate::{SamplingDefaults, SamplingParams};
use mistral_text::Message;
use serde_json::json;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// What a request asks of the model.
pub enum Work {
    Chat(Vec<Message>),
    Complete(String),
}

/// What the worker sends back for one request: text as it comes, then the outcome.
pub enum Event {
    Text(TextDelta),
    Done(Result<Reply, BackendError>),
}

struct Job {
    work: Work,
    params: SamplingParams,
    cancel: Arc<AtomicBool>,
    events: UnboundedSender<Event>,
}

/// Counters for `/health` (and the tests: a cancelled generation shows here).
#[derive(Default)]
struct Stats {
    /// Admitted and not finished: the one running plus those waiting.
    in_flight: AtomicUsize,
    running: AtomicUsize,
    completed: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
    rejected: AtomicU64,
    generated_tokens: AtomicU64,
    /// Set when the backend panicked: its state cannot be trusted any more.
    broken: std::sync::Mutex<Option<String>>,
}

/// The HTTP side's handle on the worker. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    jobs: mpsc::Sender<Job>,
    stats: Arc<Stats>,
    max_waiting: usize,
    /// The model's recommended sampling settings (the backend's, read once it loaded).
    sampling_defaults: SamplingDefaults,
}

/// A request admitted to the queue: its events, and the flag that stops it.
pub struct Ticket {
    pub events: UnboundedReceiver<Event>,
    pub cancel: CancelOnDrop,
}

/// Sets the request's cancel flag when dropped before [`CancelOnDrop::disarm`]: the handler's
/// future (plain answers) or the event stream (streamed ones) is dropped when the client
/// disconnects, and that is how the worker learns of it.
pub struct CancelOnDrop {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl CancelOnDrop {
    /// The answer reached its end: nothing to cancel any more.
    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Relaxed);
        }
    }
}

impl Queue {
    /// Starts the worker thread, builds the backend on it with `load` (the model never leaves
    /// that thread), and returns once it is loaded (or with the load's error).
    pub fn start<B, F>(load: F, max_waiting: usize) -> Result<Queue>
    where
        B: Backend + 'static,
        F: FnOnce() -> Result<B> + Send + 'static,
    {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (loaded_tx, loaded_rx) = mpsc::sync_channel::<Result<SamplingDefaults>>(1);
        let stats = Arc::new(Stats::default());
        let worker_stats = stats.clone();
        std::thread::Builder::new()
            .name("model".into())
            .spawn(move || match load() {
                Ok(backend) => {
                    let _ = loaded_tx.send(Ok(backend.sampling_defaults()));
                    work(backend, rx, &worker_stats);
                }
                Err(e) => {
                    let _ = loaded_tx.send(Err(e));
                }
            })
            .context("cannot start the model's thread")?;
        let sampling_defaults = loaded_rx
            .recv()
            .map_err(|_| anyhow!("the model's thread ended while loading"))??;
        Ok(Queue {
            jobs,
            stats,
            max_waiting,
            sampling_defaults,
        })
    }

    /// The model file's recommended sampling settings, for the fields a request leaves out.
    pub fn sampling_defaults(&self) -> &SamplingDefaults {
        &self.sampling_defaults
    }

    /// Admits a request behind those already queued, or refuses it (503) when `max_waiting`
    /// are already waiting.
    pub fn submit(&self, work: Work, params: SamplingParams) -> Result<Ticket, ApiError> {
        if let Some(why) = self.stats.broken.lock().unwrap().clone() {
            return Err(ApiError::internal(broken_message(&why)));
        }
        let limit = self.max_waiting + 1;
        let admitted =
            self.stats
                .in_flight
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < limit).then_some(n + 1)
                });
        if admitted.is_err() {
            self.stats.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                format!(
                    "the server is busy: one request is being answered and {} are waiting \
                     (the most --max-queue allows); retry later",
                    self.max_waiting
                ),
            )
            .code("queue_full"));
        }
        let flag = Arc::new(AtomicBool::new(false));
        let (events, rx) = unbounded_channel();
        let job = Job {
            work,
            params,
            cancel: flag.clone(),
            events,
        };
        if self.jobs.send(job).is_err() {
            self.stats.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::internal("the model's thread has stopped"));
        }
        Ok(Ticket {
            events: rx,
            cancel: CancelOnDrop { flag, armed: true },
        })
    }

    /// `/health`'s numbers.
    pub fn health(&self) -> serde_json::Value {
        let s = &self.stats;
        let in_flight = s.in_flight.load(Ordering::Acquire);
        let running = s.running.load(Ordering::Acquire);
        let broken = s.broken.lock().unwrap().clone();
        json!({
            "status": if broken.is_some() { "error" } else { "ok" },
            "error": broken.map(|w| broken_message(&w)),
            "running": running,
            "waiting": in_flight.saturating_sub(running),
            "max_waiting": self.max_waiting,
            "completed": s.completed.load(Ordering::Relaxed),
            "failed": s.failed.load(Ordering::Relaxed),
            "cancelled": s.cancelled.load(Ordering::Relaxed),
            "rejected": s.rejected.load(Ordering::Relaxed),
            "generated_tokens": s.generated_tokens.load(Ordering::Relaxed),
        })
    }

    pub fn is_broken(&self) -> bool {
        self.stats.broken.lock().unwrap().is_some()
    }
}

fn broken_message(why: &str) -> String {
    format!("the model's thread panicked ({why}); restart the server")
}

/// The worker thread's loop: one job at a time, in arrival order.
fn work<B: Backend>(mut backend: B, jobs: mpsc::Receiver<Job>, stats: &Stats) {
    while let Ok(job) = jobs.recv() {
        let outcome = run_job(&mut backend, &job, stats);
        // Counted before the answer goes out, so that a client that reads /health right after
        // its answer sees it counted.
        let counter = if job.cancel.load(Ordering::Relaxed) {
            &stats.cancelled
        } else if outcome.is_ok() {
            &stats.completed
        } else {
            &stats.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Ok(reply) = &outcome {
            stats
                .generated_tokens
                .fetch_add(reply.completion_tokens as u64, Ordering::Relaxed);
        }
        stats.running.store(0, Ordering::Release);
        stats.in_flight.fetch_sub(1, Ordering::AcqRel);
        // The receiver is gone when the client is: nothing to do about it.
        let _ = job.events.send(Event::Done(outcome));
    }
}

fn run_job<B: Backend>(backend: &mut B, job: &Job, stats: &Stats) -> Result<Reply, BackendError> {
    if job.cancel.load(Ordering::Relaxed) {
        // Its client left while it waited.
        return Err(BackendError::bad_request("cancelled"));
    }
    if let Some(why) = stats.broken.lock().unwrap().clone() {
        return Err(BackendError::Internal(anyhow!(broken_message(&why))));
    }
    stats.running.store(1, Ordering::Release);
    let mut on_text = |delta: &TextDelta| {
        let _ = job.events.send(Event::Text(delta.clone()));
    };
    let cancel = &job.cancel;
    let answered = catch_unwind(AssertUnwindSafe(|| match &job.work {
        Work::Chat(messages) => backend.chat(messages, &job.params, cancel, &mut on_text),
        Work::Complete(prompt) => backend.complete(prompt, &job.params, cancel, &mut on_text),
    }));
    answered.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "no message".into());
        let message = broken_message(&why);
        *stats.broken.lock().unwrap() = Some(why);
        Err(BackendError::Internal(anyhow!(message)))
    })
}
