//! The HTTP/1.1 plumbing of the static server: a thread per connection, requests on a
//! connection answered in turn (keep-alive), bodies streamed with a Content-Length.
//!
//! Hand-written on std::net because tiny_http 0.12's connection pool can strand a connection:
//! two connections accepted while one idle worker wakes up leave the second queued with no
//! worker while keep-alive connections hold the others (seen as module scripts that never load
//! in headless Chromium, 4 runs in 9). A thread per connection cannot starve.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Longest request head accepted (request line and headers).
const MAX_HEAD_BYTES: usize = 64 << 10;
/// An idle keep-alive connection is closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Options,
    Other(String),
}

pub struct Request {
    method: Method,
    target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request target as sent (path and query, not decoded).
    pub fn url(&self) -> &str {
        &self.target
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn Read + Send>,
    /// Bytes `body` yields: the Content-Length.
    pub len: u64,
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// Accepts connections on a thread of its own until dropped.
pub struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Listener {
    pub fn start(listener: TcpListener, handler: Handler) -> std::io::Result<Listener> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = handler.clone();
                    std::thread::spawn(move || serve_connection(stream, &handler));
                }
            })
        };
        Ok(Listener {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks until the process ends.
    pub fn wait(mut self) {
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the blocking accept so that the loop sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve_connection(stream: TcpStream, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let request = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => return, // the client closed, or went idle
            Err(status) => {
                let _ = write_response(&mut writer, plain(status), false, true);
                return;
            }
        };
        let close = request
            .header("Connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let response = handler(&request);
        let head_only = request.method == Method::Head;
        if write_response(&mut writer, response, head_only, close).is_err() || close {
            return;
        }
    }
}

/// The next request head; `Ok(None)` at a clean end of the connection, `Err(status)` for a
/// request to refuse.
fn read_request(reader: &mut impl BufRead) -> Result<Option<Request>, u16> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        match reader
            .by_ref()
            .take((MAX_HEAD_BYTES + 1 - head.len()) as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) if head.is_empty() => return Ok(None),
            Ok(0) => return Err(400),
            Ok(_) => {}
            Err(_) if head.is_empty() => return Ok(None),
            Err(_) => return Err(400),
        }
        if head.is_empty() && (line == b"\r\n" || line == b"\n") {
            continue; // a stray empty line between requests is allowed
        }
        head.extend_from_slice(&line);
        if head.len() > MAX_HEAD_BYTES {
            return Err(431);
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !line.ends_with(b"\n") {
            return Err(400);
        }
    }
    let head = String::from_utf8(head).map_err(|_| 400u16)?;
    let mut lines = head.lines();
    let mut parts = lines.next().unwrap_or("").split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(505);
    }
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_string()),
    };
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(400u16)?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let request = Request {
        method,
        target: target.to_string(),
        headers,
    };
    // A request body (a POST to /__requests/reset) is not used; refuse one we would have to
    // skip, rather than misread it as the next request.
    if request
        .header("Content-Length")
        .is_some_and(|n| n.trim() != "0")
        || request.header("Transfer-Encoding").is_some()
    {
        return Err(413);
    }
    Ok(Some(request))
}

fn plain(status: u16) -> Response {
    let body = format!("{status}\n").into_bytes();
    Response {
        status,
        headers: vec![("Content-Type".into(), "text/plain".into())],
        len: body.len() as u64,
        body: Box::new(std::io::Cursor::new(body)),
    }
}

fn write_response(
    w: &mut TcpStream,
    mut r: Response,
    head_only: bool,
    close: bool,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (name, value) in &r.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    // 204 and 304 carry no body and (204) no length.
    if r.status != 204 && r.status != 304 {
        head.push_str(&format!("Content-Length: {}\r\n", r.len));
    }
    head.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    w.write_all(head.as_bytes())?;
    if !head_only && r.status != 204 && r.status != 304 {
        let sent = std::io::copy(&mut r.body.by_ref().take(r.len), w)?;
        if sent != r.len {
            // The file shrank under us: the length promised cannot be kept; end the connection.
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    w.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Listener {
        let socket = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let handler: Handler = Arc::new(|r: &Request| {
            let body = r.url().as_bytes().to_vec();
            Response {
                status: 200,
                headers: Vec::new(),
                len: body.len() as u64,
                body: Box::new(std::io::Cursor::new(body)),
            }
        });
        Listener::start(socket, handler).unwrap()
    }

    /// Sends one GET on `stream` and reads the response through its body.
    fn get(stream: &mut BufReader<TcpStream>, path: &str) -> String {
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.get_mut().write_all(req.as_bytes()).unwrap();
        let mut len = 0;
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).unwrap();
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; len];
        stream.read_exact(&mut body).unwrap();
        String::from_utf8(body).unwrap()
    }

    #[test]
    fn idle_keep_alive_connections_never_starve_a_new_one() {
        // What stranded module scripts with tiny_http: many connections held open after a
        // request each, then one more. Every connection must be served.
        let server = start();
        let mut held = Vec::new();
        for i in 0..12 {
            let mut c = BufReader::new(TcpStream::connect(server.addr()).unwrap());
            c.get_mut()
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            assert_eq!(get(&mut c, &format!("/held/{i}")), format!("/held/{i}"));
            held.push(c);
        }
        // And each held connection still answers a second request (keep-alive).
        for (i, c) in held.iter_mut().enumerate() {
            assert_eq!(get(c, &format!("/again/{i}")), format!("/again/{i}"));
        }
    }

    #[test]
    fn malformed_heads_are_refused() {
        let server = start();
        let mut c = TcpStream::connect(server.addr()).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(b"NONSENSE\r\n\r\n").unwrap();
        let mut reply = String::new();
        c.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    }
}
