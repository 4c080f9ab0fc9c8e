//! The HTTP layer over real sockets, with a fake model whose behaviour the last message (or
//! the prompt) picks: plain, streamed, errors, the queue, disconnects, the key and CORS.
//! `cargo test -p mistral-wgpu --bin mistral-wgpu server::`

#[path = "../../tests/support/http.rs"]
mod http;

use super::backend::{Backend, BackendError, Reply, TextDelta, TokenLogprob};
use super::{serve, CorsOrigins, Layers, Queue};
use http::{get, post, post_and_vanish, post_streaming, read_all, request, wait_for};
use mistral_generate::{FinishReason, GenerateError, SamplingDefaults, SamplingParams};
use mistral_text::Message;
use serde_json::{json, Value};
use std::io::BufRead;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MODEL: &str = "fake-model";
const T: Duration = Duration::from_secs(20);

/// What the fake saw, and the switch that ends its `wait` answers.
#[derive(Default)]
struct Shared {
    /// The text of each request it started, in order.
    started: Mutex<Vec<String>>,
    params: Mutex<Option<SamplingParams>>,
    release: AtomicBool,
    /// What the fake's model file "recommends".
    defaults: SamplingDefaults,
}

struct Fake(Arc<Shared>);

impl Fake {
    /// `wait...`: a dot every 5 ms until released or cancelled; `too long`, `fail`, `panic`:
    /// those outcomes; anything else: "Hello, world" in three pieces.
    fn answer(
        &mut self,
        text: &str,
        params: &SamplingParams,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&TextDelta),
    ) -> Result<Reply, BackendError> {
        self.0.started.lock().unwrap().push(text.to_string());
        *self.0.params.lock().unwrap() = Some(params.clone());
        let mut pieces: Vec<String> = Vec::new();
        let mut logprobs = Vec::new();
        if text.starts_with("wait") {
            while !self.0.release.load(Ordering::Relaxed) && !cancel.load(Ordering::Relaxed) {
                on_text(&TextDelta {
                    text: ".".into(),
                    logprobs: vec![],
                });
                pieces.push(".".into());
                std::thread::sleep(Duration::from_millis(5));
            }
        } else if text == "too long" {
            return Err(GenerateError::MessageTooLong {
                tokens: 9,
                capacity: 8,
            }
            .into());
        } else if text == "fail" {
            return Err(BackendError::Internal(anyhow::anyhow!("the GPU fell over")));
        } else if text == "panic" {
            panic!("fake panic");
        } else {
            for p in ["Hello", ",", " world"] {
                let lp = match params.logprobs {
                    Some(n) => vec![TokenLogprob {
                        token: p.into(),
                        bytes: p.as_bytes().to_vec(),
                        logprob: -0.5,
                        top: (0..n)
                            .map(|i| (format!("t{i}"), vec![b't'], -1.0))
                            .collect(),
                    }],
                    None => vec![],
                };
                logprobs.extend(lp.iter().cloned());
                on_text(&TextDelta {
                    text: p.into(),
                    logprobs: lp,
                });
                pieces.push(p.into());
            }
        }
        Ok(Reply {
            text: pieces.concat(),
            finish_reason: FinishReason::Stop,
            prompt_tokens: text.len(),
            completion_tokens: pieces.len(),
            logprobs,
        })
    }
}

impl Backend for Fake {
    fn sampling_defaults(&self) -> SamplingDefaults {
        self.0.defaults.clone()
    }

    fn chat(
        &mut self,
        messages: &[Message],
        params: &SamplingParams,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&TextDelta),
    ) -> Result<Reply, BackendError> {
        let last = messages.last().unwrap().content.clone();
        self.answer(&last, params, cancel, on_text)
    }

    fn complete(
        &mut self,
        prompt: &str,
        params: &SamplingParams,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&TextDelta),
    ) -> Result<Reply, BackendError> {
        self.answer(prompt, params, cancel, on_text)
    }
}

struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Server {
    fn start(max_waiting: usize, layers: Layers) -> Server {
        Self::start_with(max_waiting, layers, super::default_limits())
    }

    fn start_with(max_waiting: usize, layers: Layers, limits: super::Limits) -> Server {
        Self::start_shared(Shared::default(), max_waiting, layers, limits)
    }

    fn start_shared(
        shared: Shared,
        max_waiting: usize,
        layers: Layers,
        limits: super::Limits,
    ) -> Server {
        let shared = Arc::new(shared);
        let fake = shared.clone();
        let queue = Queue::start(move || Ok(Fake(fake)), max_waiting).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || serve(listener, queue, MODEL.into(), &layers, limits));
        Server { addr, shared }
    }

    fn plain() -> Server {
        Self::start(
            4,
            Layers {
                api_key: None,
                cors: None,
            },
        )
    }

    fn health(&self) -> Value {
        get(self.addr, "/health", &[]).json()
    }

    fn chat(&self, body: Value) -> http::Answer {
        post(self.addr, "/v1/chat/completions", &body.to_string(), &[])
    }
}

fn user(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}]})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[test]
fn chat_answers_whole_in_openais_shape() {
    let s = Server::plain();
    let a = s.chat(with(user("hi"), json!({"model": MODEL})));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type"), Some("application/json"));
    let v = a.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], MODEL);
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    let c = &v["choices"][0];
    assert_eq!(
        c["message"],
        json!({"role": "assistant", "content": "Hello, world"})
    );
    assert_eq!(c["finish_reason"], "stop");
    assert_eq!(c["logprobs"], Value::Null);
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5})
    );
}

#[test]
fn chat_streams_server_sent_events_ending_in_done() {
    let s = Server::plain();
    let body = with(
        user("hi"),
        json!({"stream": true, "stream_options": {"include_usage": true}}),
    );
    let a = s.chat(body);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    let events = a.events();
    assert_eq!(events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    let id = &chunks[0]["id"];
    assert!(chunks.iter().all(|c| &c["id"] == id), "one id per stream");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello, world");
    let n = chunks.len();
    assert_eq!(chunks[n - 2]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[n - 1]["choices"], json!([]));
    assert_eq!(chunks[n - 1]["usage"]["total_tokens"], 5);
}

#[test]
fn completions_plain_streamed_and_echoed() {
    let s = Server::plain();
    let a = post(s.addr, "/v1/completions", r#"{"prompt": "Once"}"#, &[]);
    let v = a.json();
    assert_eq!(v["object"], "text_completion");
    assert!(v["id"].as_str().unwrap().starts_with("cmpl-"));
    assert_eq!(v["choices"][0]["text"], "Hello, world");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");

    let a = post(
        s.addr,
        "/v1/completions",
        r#"{"prompt": "Once", "echo": true}"#,
        &[],
    );
    assert_eq!(a.json()["choices"][0]["text"], "OnceHello, world");

    let body = r#"{"prompt": "Once", "stream": true, "echo": true}"#;
    let events = post(s.addr, "/v1/completions", body, &[]).events();
    assert_eq!(events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let text: String = chunks
        .iter()
        .map(|c| c["choices"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "OnceHello, world");
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[test]
fn sampling_fields_reach_the_model() {
    let s = Server::plain();
    let body = with(
        user("hi"),
        json!({"temperature": 0.2, "top_k": 5, "seed": 7, "stop": "x", "max_tokens": 9}),
    );
    assert_eq!(s.chat(body).status, 200);
    let p = s.shared.params.lock().unwrap().clone().unwrap();
    assert_eq!(
        (p.temperature, p.top_k, p.seed, p.stop, p.max_tokens),
        (0.2, 5, Some(7), vec!["x".to_string()], Some(9))
    );
}

#[test]
fn the_model_files_sampling_settings_fill_what_a_request_leaves_out() {
    let defaults = SamplingDefaults {
        temperature: Some(0.3),
        top_k: Some(11),
        repetition_penalty: Some(1.2),
        ..SamplingDefaults::default()
    };
    let shared = Shared {
        defaults,
        ..Shared::default()
    };
    let layers = Layers {
        api_key: None,
        cors: None,
    };
    let s = Server::start_shared(shared, 4, layers, super::default_limits());
    let params = |s: &Server| s.shared.params.lock().unwrap().clone().unwrap();
    // Given fields win (an alias counts as given); the others come from the file.
    let body = with(
        user("hi"),
        json!({"temperature": 1.0, "repeat_penalty": 1.0}),
    );
    assert_eq!(s.chat(body).status, 200);
    let p = params(&s);
    assert_eq!(
        (p.temperature, p.top_k, p.repetition_penalty, p.top_p),
        (1.0, 11, 1.0, SamplingParams::default().top_p)
    );
    // Nothing given: the file's settings; a completion too.
    assert_eq!(s.chat(user("hi")).status, 200);
    let p = params(&s);
    assert_eq!(
        (p.temperature, p.top_k, p.repetition_penalty),
        (0.3, 11, 1.2)
    );
    let a = post(
        s.addr,
        "/v1/completions",
        r#"{"prompt": "a", "top_k": 2}"#,
        &[],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let p = params(&s);
    assert_eq!((p.temperature, p.top_k), (0.3, 2));
}

#[test]
fn logprobs_in_each_endpoints_format() {
    let s = Server::plain();
    let v = s
        .chat(with(
            user("hi"),
            json!({"logprobs": true, "top_logprobs": 2}),
        ))
        .json();
    let first = &v["choices"][0]["logprobs"]["content"][0];
    assert_eq!(first["token"], "Hello");
    assert_eq!(first["logprob"], -0.5);
    assert_eq!(first["bytes"], json!(b"Hello".to_vec()));
    assert_eq!(first["top_logprobs"].as_array().unwrap().len(), 2);
    assert_eq!(first["top_logprobs"][0]["token"], "t0");

    let body = r#"{"prompt": "a", "logprobs": 1, "stream": true}"#;
    let events = post(s.addr, "/v1/completions", body, &[]).events();
    let lps: Vec<Value> = events[..3]
        .iter()
        .map(|e| serde_json::from_str::<Value>(e).unwrap()["choices"][0]["logprobs"].clone())
        .collect();
    assert_eq!(lps[0]["tokens"], json!(["Hello"]));
    assert_eq!(lps[0]["token_logprobs"], json!([-0.5]));
    assert_eq!(lps[0]["top_logprobs"], json!([{"t0": -1.0}]));
    assert_eq!(lps[1]["text_offset"], json!([5]));
    assert_eq!(lps[2]["text_offset"], json!([6]));
}

#[test]
fn models_and_health() {
    let s = Server::plain();
    let v = get(s.addr, "/v1/models", &[]).json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], MODEL);
    assert_eq!(v["data"][0]["object"], "model");
    let one = get(s.addr, &format!("/v1/models/{MODEL}"), &[]);
    assert_eq!(one.json()["id"], MODEL);
    let e = get(s.addr, "/v1/models/gpt-4", &[]).error(404);
    assert_eq!(e["code"], "model_not_found");
    let h = s.health();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["model"], MODEL);
    assert_eq!(
        (h["running"].as_u64(), h["waiting"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(h["max_waiting"], 4);
}

#[test]
fn malformed_requests_get_400_with_openais_error_body() {
    let s = Server::plain();
    let chat = |body: &str| post(s.addr, "/v1/chat/completions", body, &[]);
    for (body, param) in [
        ("{not json", None),
        ("", None),
        ("[1, 2]", None),
        (r#"{"messages": "hi"}"#, Some("messages")),
        (r#"{"model": "x"}"#, None),
        (
            r#"{"messages": [{"role": "user", "content": "hi"}], "tools": []}"#,
            Some("tools"),
        ),
        (
            r#"{"messages": [{"role": "user", "content": "hi"}], "temprature": 1}"#,
            Some("temprature"),
        ),
        (
            r#"{"messages": [{"role": "user", "content": "hi"}], "n": 2}"#,
            Some("n"),
        ),
        (
            r#"{"messages": [{"role": "user", "content": "hi"}], "temperature": -1}"#,
            None,
        ),
        (
            r#"{"messages": [{"role": "user", "content": "hi"}], "top_p": "high"}"#,
            None,
        ),
        (
            r#"{"messages": [{"role": "user", "content": "hi", "extra": 1}]}"#,
            Some("messages"),
        ),
    ] {
        let e = chat(body).error(400);
        assert_eq!(e["type"], "invalid_request_error", "{body}");
        if let Some(p) = param {
            assert_eq!(e["param"], p, "{body}: {e}");
        }
    }
    let e =
        chat(r#"{"messages": [{"role": "user", "content": "hi"}], "temperature": -1}"#).error(400);
    assert!(
        e["message"].as_str().unwrap().contains("temperature"),
        "{e}"
    );
    // Nothing reached the model.
    assert!(s.shared.started.lock().unwrap().is_empty());

    let e = post(
        s.addr,
        "/v1/completions",
        r#"{"prompt": "a", "echo": true, "logprobs": 1}"#,
        &[],
    )
    .error(400);
    assert_eq!(e["param"], "echo");
    let e = post(s.addr, "/v1/completions", r#"{"prompt": ["a", "b"]}"#, &[]).error(400);
    assert_eq!(e["param"], "prompt");
    let e = s
        .chat(with(user("hi"), json!({"model": "gpt-4"})))
        .error(404);
    assert_eq!(e["code"], "model_not_found");
    let big = format!(
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        super::BODY_LIMIT + 1
    );
    http::raw_head(s.addr, &big).error(413);
    post(s.addr, "/v1/nothing", "{}", &[]).error(404);
    get(s.addr, "/v1/chat/completions", &[]).error(405);
}

#[test]
fn model_errors_keep_their_status_plain_and_streamed() {
    let s = Server::plain();
    for stream in [false, true] {
        let e = s
            .chat(with(user("too long"), json!({"stream": stream})))
            .error(400);
        assert_eq!(e["code"], "context_length_exceeded");
        assert_eq!(e["param"], "messages");
        let e = s
            .chat(with(user("fail"), json!({"stream": stream})))
            .error(500);
        assert_eq!(e["type"], "server_error");
        assert!(e["message"].as_str().unwrap().contains("the GPU fell over"));
    }
    assert_eq!(s.health()["failed"], 4);
}

/// Waits until the model is answering one request and `waiting` more wait.
fn wait_queue(s: &Server, running: u64, waiting: u64) {
    wait_for(T, &format!("{running} running, {waiting} waiting"), || {
        let h = s.health();
        h["running"] == running && h["waiting"] == waiting
    });
}

#[test]
fn the_queue_is_first_in_first_out_and_bounded() {
    let s = Server::start(
        2,
        Layers {
            api_key: None,
            cors: None,
        },
    );
    let addr = s.addr;
    // One answering (streamed, so its head shows it started), two waiting.
    let mut first = post_streaming(
        addr,
        "/v1/chat/completions",
        &with(user("wait 0"), json!({"stream": true})).to_string(),
    );
    let mut line = String::new();
    first.read_line(&mut line).unwrap();
    assert!(line.contains("200"), "{line}");
    wait_queue(&s, 1, 0);
    let mut waiting = Vec::new();
    for i in 1..=2 {
        let body = user(&format!("wait {i}")).to_string();
        waiting.push(std::thread::spawn(move || {
            post(addr, "/v1/chat/completions", &body, &[])
        }));
        wait_queue(&s, 1, i);
    }
    // The queue is full: refused at once.
    let full = s.chat(user("hi"));
    let e = full.error(503);
    assert_eq!(e["code"], "queue_full");
    assert_eq!(full.header("retry-after"), Some("1"));
    assert_eq!(s.health()["rejected"], 1);

    s.shared.release.store(true, Ordering::Relaxed);
    assert!(read_all(first).contains("data: [DONE]"));
    for w in waiting {
        assert_eq!(w.join().unwrap().status, 200);
    }
    let started = s.shared.started.lock().unwrap().clone();
    assert_eq!(started, ["wait 0", "wait 1", "wait 2"], "arrival order");
    let h = s.health();
    assert_eq!(
        (h["completed"].as_u64(), h["waiting"].as_u64()),
        (Some(3), Some(0))
    );
}

#[test]
fn a_streaming_client_that_disconnects_stops_its_generation() {
    let s = Server::plain();
    let body = with(user("wait"), json!({"stream": true})).to_string();
    post_and_vanish(s.addr, "/v1/chat/completions", &body, 3);
    wait_for(T, "the generation to be cancelled", || {
        let h = s.health();
        h["cancelled"] == 1 && h["running"] == 0
    });
    // The model is free again.
    assert_eq!(s.chat(user("hi")).status, 200);
}

#[test]
fn a_plain_client_that_disconnects_stops_its_generation() {
    let s = Server::plain();
    let conn = post_streaming(s.addr, "/v1/completions", r#"{"prompt": "wait"}"#);
    wait_queue(&s, 1, 0);
    drop(conn);
    wait_for(T, "the generation to be cancelled", || {
        let h = s.health();
        h["cancelled"] == 1 && h["running"] == 0
    });
}

#[test]
fn a_client_that_leaves_the_queue_is_never_answered() {
    let s = Server::plain();
    let running = post_streaming(
        s.addr,
        "/v1/completions",
        r#"{"prompt": "wait A", "stream": true}"#,
    );
    wait_queue(&s, 1, 0);
    let queued = post_streaming(
        s.addr,
        "/v1/completions",
        r#"{"prompt": "wait B", "stream": true}"#,
    );
    wait_queue(&s, 1, 1);
    drop(queued);
    // Its cancel flag is set now; the worker skips it once A is done.
    std::thread::sleep(Duration::from_millis(200));
    s.shared.release.store(true, Ordering::Relaxed);
    assert!(read_all(running).contains("[DONE]"));
    wait_queue(&s, 0, 0);
    assert_eq!(s.health()["cancelled"], 1);
    assert_eq!(*s.shared.started.lock().unwrap(), ["wait A"]);
}

#[test]
fn an_api_key_guards_v1_but_not_health() {
    let s = Server::start(
        4,
        Layers {
            api_key: Some("sesame".into()),
            cors: None,
        },
    );
    let body = user("hi").to_string();
    let e = post(s.addr, "/v1/chat/completions", &body, &[]).error(401);
    assert_eq!(e["code"], "invalid_api_key");
    let a = post(
        s.addr,
        "/v1/chat/completions",
        &body,
        &[("Authorization", "Bearer nope")],
    );
    a.error(401);
    assert_eq!(a.header("www-authenticate"), Some("Bearer"));
    get(s.addr, "/v1/models", &[("Authorization", "Basic sesame")]).error(401);
    let ok = post(
        s.addr,
        "/v1/chat/completions",
        &body,
        &[("Authorization", "Bearer sesame")],
    );
    assert_eq!(ok.status, 200);
    assert_eq!(
        get(s.addr, "/v1/models", &[("Authorization", "Bearer sesame")]).status,
        200
    );
    assert_eq!(get(s.addr, "/health", &[]).status, 200);
    assert_eq!(s.shared.started.lock().unwrap().len(), 1);
}

#[test]
fn cors_only_when_asked_and_preflights_need_no_key() {
    let origin = ("Origin", "http://app.test");
    let preflight = [
        origin,
        ("Access-Control-Request-Method", "POST"),
        (
            "Access-Control-Request-Headers",
            "authorization,content-type",
        ),
    ];
    // Off by default: no CORS header on answers, no preflight route.
    let s = Server::plain();
    let a = get(s.addr, "/v1/models", &[origin]);
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), None);
    let p = request(s.addr, "OPTIONS", "/v1/chat/completions", &preflight);
    assert_eq!(p.header("access-control-allow-origin"), None);

    let cors = CorsOrigins::parse(&["http://app.test".into()]).unwrap();
    let s = Server::start(
        4,
        Layers {
            api_key: Some("k".into()),
            cors,
        },
    );
    let p = request(s.addr, "OPTIONS", "/v1/chat/completions", &preflight);
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(
        p.header("access-control-allow-origin"),
        Some("http://app.test")
    );
    let allowed = p
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    // A 401 carries the header too, so the page can read why.
    let a = get(s.addr, "/v1/models", &[origin]);
    a.error(401);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("http://app.test")
    );
    let a = get(
        s.addr,
        "/v1/models",
        &[origin, ("Authorization", "Bearer k")],
    );
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("http://app.test")
    );
    let other = get(
        s.addr,
        "/v1/models",
        &[
            ("Origin", "http://evil.test"),
            ("Authorization", "Bearer k"),
        ],
    );
    assert_eq!(other.header("access-control-allow-origin"), None);

    let any = CorsOrigins::parse(&["*".into()]).unwrap();
    let s = Server::start(
        4,
        Layers {
            api_key: None,
            cors: any,
        },
    );
    let a = get(s.addr, "/v1/models", &[("Origin", "http://x.test")]);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn a_panicking_model_fails_clearly_and_health_says_so() {
    let s = Server::plain();
    let e = s.chat(user("panic")).error(500);
    assert!(e["message"].as_str().unwrap().contains("fake panic"), "{e}");
    let h = get(s.addr, "/health", &[]);
    assert_eq!(h.status, 503);
    assert_eq!(h.json()["status"], "error");
    let e = s.chat(user("hi")).error(500);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("restart the server"),
        "{e}"
    );
}

/// A client that connects and sends half a request head (slowloris) is dropped at the header
/// deadline, and a new client is still answered.
#[test]
fn a_half_sent_head_is_dropped_at_the_deadline() {
    use std::io::{Read, Write};
    let limits = super::Limits {
        header_timeout: std::time::Duration::from_millis(300),
        ..super::default_limits()
    };
    let server = Server::start_with(
        4,
        Layers {
            api_key: None,
            cors: None,
        },
        limits,
    );
    let mut slow = std::net::TcpStream::connect(server.addr).unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    slow.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    // The server answers 408 or closes; either way the read ends well before our 5 s.
    let _ = slow.read(&mut buf);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the half-sent head was held {:?}",
        started.elapsed()
    );
    let mut fresh = std::net::TcpStream::connect(server.addr).unwrap();
    fresh
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    fresh.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
