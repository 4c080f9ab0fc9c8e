//! A small HTTP client for the server's tests, over ureq (and raw TCP for a client that
//! vanishes mid-answer). Shared by the in-process tests (src/server/tests.rs) and the ones
//! against the `mistral-wgpu serve` process (tests/serve.rs).

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A client that reports 4xx/5xx as responses, not errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// A response: status, headers (names lowercase) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `data:` payloads of a server-sent event stream, in order.
    pub fn events(&self) -> Vec<String> {
        self.body
            .lines()
            .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
            .map(str::to_string)
            .collect()
    }

    /// Asserts an OpenAI error body and returns its `error` object.
    pub fn error(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        let e = self.json()["error"].clone();
        for key in ["message", "type", "param", "code"] {
            assert!(e.get(key).is_some(), "no error.{key}: {}", self.body);
        }
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        e
    }
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut r = r.expect("an HTTP response");
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = r.body_mut().read_to_string().expect("a UTF-8 body");
    Answer {
        status: r.status().as_u16(),
        headers,
        body,
    }
}

pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = agent().get(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.call())
}

pub fn post(addr: SocketAddr, path: &str, body: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = agent()
        .post(format!("http://{addr}{path}"))
        .header("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.send(body))
}

/// Any method, no body (a CORS preflight).
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(agent().run(req.body(()).unwrap()))
}

/// Posts `body` on a raw connection, reads the answer until `events` `data:` lines have come
/// (or the whole answer for 0), then closes the connection: a client that goes away.
pub fn post_and_vanish(addr: SocketAddr, path: &str, body: &str, events: usize) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    if events > 0 {
        let mut reader = BufReader::new(s.try_clone().unwrap());
        let mut seen = 0;
        while seen < events {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                panic!("the answer ended before {events} events");
            }
            if line.starts_with("data:") {
                seen += 1;
            }
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
}

/// Posts `body` and returns the open connection once the answer's head arrived: the caller
/// reads on, or drops it.
pub fn post_streaming(addr: SocketAddr, path: &str, body: &str) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    BufReader::new(s)
}

/// Reads a raw connection to its end.
pub fn read_all(mut r: BufReader<TcpStream>) -> String {
    let mut out = String::new();
    let _ = r.read_to_string(&mut out);
    out
}

/// Polls `f` until it is true, or panics after `timeout` with `what`.
pub fn wait_for(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `head` (a request head without a body; it should say `Connection: close`) on a fresh
/// connection and reads the answer to its end: a request too large to send.
pub fn raw_head(addr: SocketAddr, head: &str) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}
