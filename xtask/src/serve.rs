//! A static HTTP server for the web build (`cargo xtask serve-web`) and the page's tests.
//!
//! Serves one directory on 127.0.0.1: GET and HEAD, single byte ranges (206 / 416), ETag and
//! Last-Modified from size and mtime, `If-None-Match` (304), CORS for cross-origin model
//! fetches (preflight included), files streamed from disk (a 4 GB model is never read into
//! memory), `..` refused after percent-decoding. Every response says `Cache-Control: no-cache`,
//! so a browser revalidates instead of silently reusing its HTTP cache: a test that asserts
//! "a reload makes no model request" measures the page's own cache, not the browser's.
//!
//! Requests are counted per decoded path; `GET /__requests` answers
//! `{"total": 12, "paths": {"/models/x.gguf": 5}}` and `GET` or `POST /__requests/reset`
//! clears the counts (these two paths are not counted).

use crate::http1::{Listener, Method, Request, Response};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// A running server; stops when dropped.
pub struct Server {
    listener: Listener,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    total: u64,
    paths: BTreeMap<String, u64>,
}

impl Server {
    /// Serves `root` on 127.0.0.1:`port` (0: a free port; see [`Server::addr`]).
    pub fn start(root: &Path, port: u16) -> Result<Server, String> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("cannot serve {}: {e}", root.display()))?;
        let socket = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let counts = Arc::new(Mutex::new(Counts::default()));
        let handler = {
            let counts = counts.clone();
            Arc::new(move |request: &Request| respond(&root, &counts, request))
        };
        let listener = Listener::start(socket, handler).map_err(|e| e.to_string())?;
        Ok(Server { listener, counts })
    }

    /// Blocks until the process is killed (Ctrl-C).
    pub fn wait(self) {
        self.listener.wait();
    }
}

/// What the page's tests (test_web.rs) ask of a server.
#[allow(dead_code)]
impl Server {
    /// The bound address (the real port when started with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.listener.addr()
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Requests so far for one decoded path (e.g. "/models/x.gguf"), any method.
    pub fn requests(&self, path: &str) -> u64 {
        let counts = self.counts.lock().unwrap();
        counts.paths.get(path).copied().unwrap_or(0)
    }

    /// Requests so far, all paths (the `/__requests` endpoints excluded).
    pub fn total_requests(&self) -> u64 {
        self.counts.lock().unwrap().total
    }

    /// Forgets the counts (as `POST /__requests/reset` does).
    pub fn reset_requests(&self) {
        *self.counts.lock().unwrap() = Counts::default();
    }
}

type Reply = Response;
type Header = (String, String);

fn respond(root: &Path, counts: &Mutex<Counts>, request: &Request) -> Reply {
    let Some(rel) = sanitize(request.url()) else {
        return text(400, "bad path\n");
    };
    let path = format!("/{}", rel.join("/"));
    match path.as_str() {
        "/__requests" => return json(&counts_json(&counts.lock().unwrap())),
        "/__requests/reset" if matches!(request.method(), Method::Get | Method::Post) => {
            *counts.lock().unwrap() = Counts::default();
            return json("{\"reset\": true}");
        }
        _ => {}
    }
    {
        let mut counts = counts.lock().unwrap();
        counts.total += 1;
        *counts.paths.entry(path).or_default() += 1;
    }
    match request.method() {
        Method::Options => preflight(),
        Method::Get | Method::Head => serve_file(root, &rel, request),
        _ => with(
            text(405, "method not allowed\n"),
            "Allow",
            "GET, HEAD, OPTIONS",
        ),
    }
}

fn serve_file(root: &Path, rel: &[String], request: &Request) -> Reply {
    let mut file_path = root.to_path_buf();
    file_path.extend(rel);
    if file_path.is_dir() {
        file_path.push("index.html");
    }
    let opened = File::open(&file_path).and_then(|f| Ok((f.metadata()?, f)));
    let (meta, mut file) = match opened {
        Ok((meta, file)) if meta.is_file() => (meta, file),
        _ => return text(404, "not found\n"),
    };
    let len = meta.len();
    let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
    let etag = etag(len, mtime);
    let mut headers = vec![
        header("Content-Type", content_type(&file_path)),
        header("Accept-Ranges", "bytes"),
        header("ETag", &etag),
        header("Last-Modified", &http_date(mtime)),
    ];
    if request
        .header("If-None-Match")
        .is_some_and(|v| etag_matches(v, &etag))
    {
        return reply(304, headers, Box::new(std::io::empty()), 0);
    }
    let (status, start, count) = match parse_range(request.header("Range"), len) {
        Range::Full => (200, 0, len),
        Range::Partial(first, last) => {
            headers.push(header(
                "Content-Range",
                &format!("bytes {first}-{last}/{len}"),
            ));
            (206, first, last - first + 1)
        }
        Range::Unsatisfiable => {
            let r = text(416, "range not satisfiable\n");
            return with(r, "Content-Range", &format!("bytes */{len}"));
        }
    };
    if start > 0 && file.seek(SeekFrom::Start(start)).is_err() {
        return text(500, "seek failed\n");
    }
    reply(status, headers, Box::new(file.take(count)), count)
}

fn preflight() -> Reply {
    let r = reply(204, Vec::new(), Box::new(std::io::empty()), 0);
    let r = with(r, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    let r = with(r, "Access-Control-Allow-Headers", "Range, *");
    with(r, "Access-Control-Max-Age", "600")
}

/// Every response: CORS for cross-origin fetches, no heuristic caching, a fixed length.
fn reply(status: u16, headers: Vec<Header>, body: Box<dyn Read + Send>, len: u64) -> Reply {
    let mut r = Response {
        status,
        headers,
        body,
        len,
    };
    for (name, value) in [
        ("Access-Control-Allow-Origin", "*"),
        (
            "Access-Control-Expose-Headers",
            "Content-Length, Content-Range, Accept-Ranges, ETag",
        ),
        ("Cache-Control", "no-cache"),
    ] {
        r.headers.push(header(name, value));
    }
    r
}

fn with(mut r: Reply, name: &str, value: &str) -> Reply {
    r.headers.push(header(name, value));
    r
}

fn text(status: u16, body: &str) -> Reply {
    let body = body.as_bytes().to_vec();
    let len = body.len() as u64;
    let headers = vec![header("Content-Type", "text/plain; charset=utf-8")];
    reply(status, headers, Box::new(std::io::Cursor::new(body)), len)
}

fn json(body: &str) -> Reply {
    let body = body.as_bytes().to_vec();
    let len = body.len() as u64;
    let headers = vec![header("Content-Type", "application/json")];
    reply(200, headers, Box::new(std::io::Cursor::new(body)), len)
}

fn header(name: &str, value: &str) -> Header {
    (name.to_string(), value.to_string())
}

fn counts_json(counts: &Counts) -> String {
    let paths: Vec<String> = counts
        .paths
        .iter()
        .map(|(p, n)| format!("{}: {n}", json_string(p)))
        .collect();
    format!(
        "{{\"total\": {}, \"paths\": {{{}}}}}",
        counts.total,
        paths.join(", ")
    )
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The path segments of a request target, percent-decoded: no empty or `.` segments; `None`
/// for `..`, a backslash, NUL or bytes that are not UTF-8. The query and fragment are dropped.
fn sanitize(target: &str) -> Option<Vec<String>> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let decoded = String::from_utf8(percent_decode(path)?).ok()?;
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\\', '\0']) => return None,
            s => segments.push(s.to_string()),
        }
    }
    Some(segments)
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[derive(Debug, PartialEq)]
enum Range {
    /// No usable Range header (absent, malformed, several ranges): the whole file, 200.
    Full,
    /// Inclusive first and last byte, 206.
    Partial(u64, u64),
    /// 416.
    Unsatisfiable,
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range of a file of `len` bytes (RFC 9110 14.1).
/// A header we do not understand is ignored, as the RFC allows.
fn parse_range(header: Option<&str>, len: u64) -> Range {
    let Some(header) = header else {
        return Range::Full;
    };
    let Some((unit, spec)) = header.trim().split_once('=') else {
        return Range::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Range::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Range::Full;
    };
    let number = |s: &str| -> Option<Option<u64>> {
        let s = s.trim();
        if s.is_empty() {
            Some(None)
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            // Digits too many for u64: larger than any file.
            Some(Some(s.parse().unwrap_or(u64::MAX)))
        } else {
            None
        }
    };
    match (number(first), number(last)) {
        (Some(Some(first)), Some(last)) => {
            if last.is_some_and(|last| last < first) {
                Range::Full
            } else if first >= len {
                Range::Unsatisfiable
            } else {
                Range::Partial(first, last.unwrap_or(u64::MAX).min(len - 1))
            }
        }
        (Some(None), Some(Some(suffix))) => {
            if suffix == 0 || len == 0 {
                Range::Unsatisfiable
            } else {
                Range::Partial(len - suffix.min(len), len - 1)
            }
        }
        _ => Range::Full,
    }
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn etag(len: u64, mtime: SystemTime) -> String {
    let nanos = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("\"{len:x}-{nanos:x}\"")
}

/// `If-None-Match: "a", W/"b"` or `*`.
fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
fn http_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86400, secs % 86400);
    let (year, month, day) = civil_from_days(days as i64);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[month as usize - 1],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ranges() {
        use Range::*;
        let r = |h: &str, len| parse_range(Some(h), len);
        assert_eq!(parse_range(None, 10), Full);
        assert_eq!(r("bytes=0-4", 10), Partial(0, 4));
        assert_eq!(r("bytes=2-", 10), Partial(2, 9));
        assert_eq!(r("bytes=5-100", 10), Partial(5, 9));
        assert_eq!(r("bytes=9-9", 10), Partial(9, 9));
        assert_eq!(r("bytes=-3", 10), Partial(7, 9));
        assert_eq!(r("bytes=-30", 10), Partial(0, 9));
        assert_eq!(r("Bytes = 1-2", 10), Partial(1, 2));
        assert_eq!(r("bytes=10-", 10), Unsatisfiable);
        assert_eq!(r("bytes=10-20", 10), Unsatisfiable);
        assert_eq!(r("bytes=-0", 10), Unsatisfiable);
        assert_eq!(r("bytes=0-", 0), Unsatisfiable);
        assert_eq!(r("bytes=-5", 0), Unsatisfiable);
        assert_eq!(
            r("bytes=99999999999999999999999-", 10),
            Unsatisfiable,
            "u64 overflow"
        );
        // Ignored: the whole file.
        assert_eq!(r("bytes=4-2", 10), Full);
        assert_eq!(r("bytes=0-1,4-5", 10), Full);
        assert_eq!(r("items=0-1", 10), Full);
        assert_eq!(r("bytes=a-b", 10), Full);
        assert_eq!(r("bytes=-", 10), Full);
        assert_eq!(r("bytes=+1-2", 10), Full);
        assert_eq!(r("bytes", 10), Full);
    }

    #[test]
    fn paths() {
        let s = |t: &str| sanitize(t).map(|v| v.join("/"));
        assert_eq!(s("/").as_deref(), Some(""));
        assert_eq!(s("/index.html?x=1#y").as_deref(), Some("index.html"));
        assert_eq!(s("//pkg/./index.js").as_deref(), Some("pkg/index.js"));
        assert_eq!(s("/models/a%20b.gguf").as_deref(), Some("models/a b.gguf"));
        assert_eq!(s("/%C3%A9t%C3%A9").as_deref(), Some("été"));
        assert_eq!(s("/?model=http://x/../y").as_deref(), Some(""));
        for bad in [
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc",
            "/a/..",
            "/..%5cwin.ini",
            "/a%00b",
            "/%ff",
            "/%4",
            "/%zz",
        ] {
            assert_eq!(s(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_and_etags() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        let leap = UNIX_EPOCH + Duration::from_secs(951_825_600); // 2000-02-29 12:00
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 12:00:00 GMT");
        let e = etag(10, t);
        assert!(etag_matches(&e, &e));
        assert!(etag_matches(&format!("\"x\", W/{e}"), &e));
        assert!(etag_matches("*", &e));
        assert!(!etag_matches("\"x\"", &e));
    }

    #[test]
    fn types() {
        assert_eq!(content_type(Path::new("a/b.WASM")), "application/wasm");
        assert_eq!(
            content_type(Path::new("m.gguf")),
            "application/octet-stream"
        );
        assert!(content_type(Path::new("x.mjs")).starts_with("text/javascript"));
        assert!(content_type(Path::new("index.html")).starts_with("text/html"));
    }

    #[test]
    fn json_escapes() {
        let mut counts = Counts {
            total: 2,
            ..Counts::default()
        };
        counts.paths.insert("/a\"b".into(), 2);
        assert_eq!(
            counts_json(&counts),
            r#"{"total": 2, "paths": {"/a\"b": 2}}"#
        );
    }

    /// One real request over TCP: range, CORS, counts.
    #[test]
    fn serves_a_range() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("f.bin"), b"0123456789").unwrap();
        let server = Server::start(&dir, 0).unwrap();
        let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
        s.write_all(
            b"GET /f.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=2-4\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("HTTP/1.1 206"), "{out}");
        assert!(out.contains("Content-Range: bytes 2-4/10"), "{out}");
        assert!(out.contains("Access-Control-Allow-Origin: *"), "{out}");
        assert!(out.ends_with("\r\n\r\n234"), "{out}");
        assert_eq!(server.requests("/f.bin"), 1);
        assert_eq!(server.total_requests(), 1);
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
