//! A small HTTP/1.1 server on 127.0.0.1 that plays the Hugging Face Hub for tests: the file
//! list API, resolve URLs that redirect to a "CDN" with `X-Linked-Etag`/`X-Linked-Size` (as
//! huggingface.co does for LFS files), gated repositories, plain URLs, Range/If-Range, and
//! faults: a connection dropped midway, a body shorter than announced, a wrong SHA-256.
//! Standard library only; one thread per connection, `Connection: close` on every answer.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A file the server holds.
#[derive(Clone, Debug)]
pub struct Served {
    pub bytes: Arc<Vec<u8>>,
    /// The SHA-256 announced in `X-Linked-Etag` (the real one unless a test lies).
    pub sha256: String,
    /// The strong ETag the CDN sends (for If-Range).
    pub etag: String,
    /// Next GET only: send the full Content-Length, then this many bytes, then hang up.
    pub drop_after: Option<usize>,
    /// Next GET only: no Content-Length, this many bytes, then a clean close (a truncated
    /// body only a known size can reveal).
    pub short_body: Option<usize>,
}

impl Served {
    pub fn new(bytes: Vec<u8>) -> Self {
        let sha256 = hex(&Sha256::digest(&bytes));
        Served {
            etag: format!("\"{}\"", &sha256[..16]),
            sha256,
            bytes: Arc::new(bytes),
            drop_after: None,
            short_body: None,
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub authorization: Option<String>,
    pub status: u16,
    /// Body bytes sent (all of them, or up to the fault's cut).
    pub body_bytes: u64,
}

#[derive(Default)]
struct State {
    /// Repository -> required token (None: public).
    repos: BTreeMap<String, Option<String>>,
    /// Server path -> file. Hub files live under `/cdn/OWNER/REPO/PATH`.
    files: BTreeMap<String, Served>,
    log: Vec<Logged>,
}

pub struct TestServer {
    endpoint: String,
    cdn: String,
    state: Arc<Mutex<State>>,
}

impl Default for TestServer {
    fn default() -> Self {
        Self::start()
    }
}

impl TestServer {
    /// Listens on two free ports of 127.0.0.1, the Hub's and its CDN's (another origin, as on
    /// huggingface.co, so tests see that the token is not sent there); the threads live as
    /// long as the test process.
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let cdn = listen(state.clone(), None);
        let endpoint = listen(state.clone(), Some(cdn.clone()));
        TestServer {
            endpoint,
            cdn,
            state,
        }
    }

    /// The CDN's origin, where resolve URLs redirect.
    pub fn cdn(&self) -> &str {
        &self.cdn
    }

    /// `http://127.0.0.1:PORT`, for HF_ENDPOINT.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Adds a file to a Hub repository (created public if new).
    pub fn add_hf_file(&self, repo: &str, path: &str, bytes: Vec<u8>) {
        let mut st = self.state.lock().unwrap();
        st.repos.entry(repo.to_string()).or_insert(None);
        st.files.insert(cdn_path(repo, path), Served::new(bytes));
    }

    /// Makes a repository answer 401 unless the request carries `Bearer TOKEN`.
    pub fn gate(&self, repo: &str, token: &str) {
        let mut st = self.state.lock().unwrap();
        st.repos.insert(repo.to_string(), Some(token.to_string()));
    }

    /// Serves `bytes` at `path` (e.g. `/models/m.gguf`); returns the full URL.
    pub fn add_url(&self, path: &str, bytes: Vec<u8>) -> String {
        let mut st = self.state.lock().unwrap();
        st.files.insert(path.to_string(), Served::new(bytes));
        format!("{}{path}", self.endpoint)
    }

    /// Changes a served file: `path` as given to `add_url`, or `hf_path(repo, file)`.
    pub fn modify(&self, path: &str, f: impl FnOnce(&mut Served)) {
        let mut st = self.state.lock().unwrap();
        f(st.files.get_mut(path).expect("no such served file"));
    }

    /// The server path of a Hub file (for `modify`).
    pub fn hf_path(repo: &str, file: &str) -> String {
        cdn_path(repo, file)
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_requests(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

/// Serves on a new port; `cdn` is the origin resolve redirects point to (None: this is it).
fn listen(state: Arc<Mutex<State>>, cdn: Option<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let cdn = cdn.unwrap_or_else(|| origin.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (s, cdn) = (state.clone(), cdn.clone());
            std::thread::spawn(move || {
                let _ = serve(stream, &s, &cdn);
            });
        }
    });
    origin
}

fn cdn_path(repo: &str, file: &str) -> String {
    format!("/cdn/{repo}/{file}")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Some(n): announce the headers as they are but write only n body bytes, then close.
    cut: Option<usize>,
}

impl Answer {
    fn new(status: u16) -> Self {
        Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            cut: None,
        }
    }
    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    fn text(mut self, s: &str) -> Self {
        self.body = s.as_bytes().to_vec();
        self.headers
            .push(("Content-Length".into(), self.body.len().to_string()));
        self
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, cdn: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let path = target.split('?').next().unwrap_or("").to_string();
    let answer = route(&method, &path, &headers, state, cdn);
    let head_only = method == "HEAD";
    let body = match (head_only, answer.cut) {
        (true, _) => &answer.body[..0],
        (false, Some(n)) => &answer.body[..n.min(answer.body.len())],
        (false, None) => &answer.body[..],
    };
    // Logged before anything is sent: once the client has its answer, a test that reads the
    // log right after must find this request in it.
    state.lock().unwrap().log.push(Logged {
        method,
        path,
        range: headers.get("range").cloned(),
        if_range: headers.get("if-range").cloned(),
        authorization: headers.get("authorization").cloned(),
        status: answer.status,
        body_bytes: body.len() as u64,
    });
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", answer.status);
    for (k, v) in &answer.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    // Several writes, so a reader sees the body arrive in pieces as from a network.
    for chunk in body.chunks(1 << 16) {
        out.write_all(chunk)?;
    }
    out.flush()?;
    let _ = out.shutdown(Shutdown::Both);
    Ok(())
}

fn route(
    method: &str,
    path: &str,
    headers: &BTreeMap<String, String>,
    state: &Mutex<State>,
    cdn: &str,
) -> Answer {
    let mut st = state.lock().unwrap();
    let auth = headers.get("authorization").map(String::as_str);
    // /api/models/OWNER/REPO/tree/main
    if let Some(rest) = path.strip_prefix("/api/models/") {
        let repo = rest.split("/tree/").next().unwrap_or(rest);
        if let Some(denied) = check_repo(&st, repo, auth) {
            return denied;
        }
        let prefix = cdn_path(repo, "");
        let items: Vec<String> = st
            .files
            .iter()
            .filter_map(|(p, f)| {
                let file = p.strip_prefix(&prefix)?;
                Some(format!(
                    r#"{{"type":"file","path":"{file}","size":{},"lfs":{{"oid":"{}","size":{}}}}}"#,
                    f.bytes.len(),
                    f.sha256,
                    f.bytes.len()
                ))
            })
            .collect();
        let json = format!(
            r#"[{{"type":"directory","path":"sub"}},{}]"#,
            items.join(",")
        );
        return Answer::new(200)
            .header("Content-Type", "application/json")
            .text(&json);
    }
    // /OWNER/REPO/resolve/main/FILE: a redirect carrying the LFS hash and size.
    if let Some((repo, file)) = path.trim_start_matches('/').split_once("/resolve/main/") {
        if let Some(denied) = check_repo(&st, repo, auth) {
            return denied;
        }
        let file = percent_decode(file);
        return match st.files.get(&cdn_path(repo, &file)) {
            Some(f) => Answer::new(302)
                .header("Location", format!("{cdn}{}", cdn_path(repo, &file)))
                .header("X-Linked-Etag", format!("\"{}\"", f.sha256))
                .header("X-Linked-Size", f.bytes.len().to_string())
                .header("ETag", format!("\"{}\"", f.sha256))
                .text(""),
            None => Answer::new(404)
                .header("X-Error-Code", "EntryNotFound")
                .text("Entry not found"),
        };
    }
    let Some(file) = st.files.get_mut(path) else {
        return Answer::new(404).text("not found");
    };
    let len = file.bytes.len();
    let mut answer = Answer::new(200).header("ETag", file.etag.clone());
    let mut start = 0;
    if let Some(range) = headers.get("range") {
        let fresh = headers.get("if-range").is_none_or(|v| *v == file.etag);
        let from = range
            .strip_prefix("bytes=")
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse::<usize>().ok());
        match from {
            Some(n) if fresh && n >= len => {
                return Answer::new(416).header("Content-Range", format!("bytes */{len}"));
            }
            Some(n) if fresh => {
                start = n;
                answer = Answer::new(206)
                    .header("ETag", file.etag.clone())
                    .header("Content-Range", format!("bytes {n}-{}/{len}", len - 1));
            }
            _ => {}
        }
    }
    answer.body = file.bytes[start..].to_vec();
    if method == "GET" {
        if let Some(n) = file.short_body.take() {
            answer.cut = Some(n);
            return answer;
        }
        answer.cut = file.drop_after.take();
    }
    answer.header("Content-Length", (len - start).to_string())
}

/// 401 for a gated repository without its token, 404 for an unknown one (as the Hub answers).
fn check_repo(st: &State, repo: &str, auth: Option<&str>) -> Option<Answer> {
    match st.repos.get(repo) {
        None => Some(
            Answer::new(404)
                .header("X-Error-Code", "RepoNotFound")
                .text("Repository not found"),
        ),
        Some(Some(token)) if auth != Some(&format!("Bearer {token}")) => Some(
            Answer::new(401)
                .header("X-Error-Code", "GatedRepo")
                .text("Access to this model is restricted"),
        ),
        _ => None,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
