//! The server over real sockets: ureq for well-formed requests, raw TCP for the malformed,
//! the half-sent and the held-open ones. `cargo test -p xtask --release serve::`.

mod confinement;
mod http;
mod limits;

use super::{Cors, Limits, Server};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A scratch folder, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-serve-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `rel` (folders made as needed) and returns its path.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A folder with `f.bin` = "0123456789" and an index.html, served with CORS.
pub fn fixture() -> (Scratch, Server) {
    let dir = Scratch::new();
    dir.write("f.bin", b"0123456789");
    dir.write("index.html", b"<!doctype html><title>t</title>");
    let server = Server::models(dir.path(), 0).unwrap();
    (dir, server)
}

pub fn start(root: &Path, cors: Cors, limits: Limits) -> Server {
    Server::start(root, 0, cors, limits).unwrap()
}

/// A client that reports 4xx/5xx as responses, not errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

pub fn header<B>(r: &ureq::http::Response<B>, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

/// A raw response: status and body.
pub struct Raw {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends `request` as is on a fresh connection and reads to the end (the request should say
/// `Connection: close`).
pub fn raw(addr: SocketAddr, request: &str) -> Raw {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&out[..split]);
    let status = head[9..12].parse().unwrap();
    Raw {
        status,
        body: out[split + 4..].to_vec(),
    }
}

/// One keep-alive GET on an open connection, read through its body: (status, body).
pub fn get_on(c: &mut BufReader<TcpStream>, path: &str) -> std::io::Result<(u16, String)> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    c.get_mut().write_all(req.as_bytes())?;
    let (mut status, mut len) = (0, 0);
    loop {
        let mut line = String::new();
        if c.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let lower = line.to_ascii_lowercase();
        if let Some(s) = lower.strip_prefix("http/1.1 ") {
            status = s[..3].parse().unwrap();
        }
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; len];
    c.read_exact(&mut body)?;
    Ok((status, String::from_utf8(body).unwrap()))
}

/// A keep-alive connection with a read deadline.
pub fn connect(addr: SocketAddr, read_timeout: Duration) -> BufReader<TcpStream> {
    let c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(read_timeout)).unwrap();
    BufReader::new(c)
}
