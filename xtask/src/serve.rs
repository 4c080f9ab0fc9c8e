//! A static HTTP server for the web build (`cargo xtask serve-web`, `serve DIR`) and the page's
//! tests: axum on a tokio runtime of its own, files from tower-http's `ServeFile`.
//!
//! What it offers (each in a file of its own under serve/):
//! - files.rs: GET and HEAD, single byte ranges (206 / 416), Last-Modified, an ETag from size
//!   and mtime, `If-None-Match` (304) and `If-Range`; files streamed from disk (a 4 GB model is
//!   never read into memory). Every response says `Cache-Control: no-cache`, so a browser
//!   revalidates instead of silently reusing its HTTP cache: a test that asserts "a reload makes
//!   no model request" measures the page's own cache, not the browser's.
//! - confine.rs: nothing outside the served folder, `..` (also percent-encoded) and symlinks
//!   that lead out included.
//! - counts.rs: requests counted per decoded path; `GET /__requests` answers
//!   `{"total": 12, "paths": {"/models/x.gguf": 5}, "preflights": {"/models/x.gguf": 4}}` (CORS
//!   preflights apart) and `GET` or `POST /__requests/reset` clears the counts (these two paths
//!   are not counted).
//! - app.rs: CORS (preflight included) on the model server only: the page fetches its model
//!   from another origin, as it would from Hugging Face; the site itself needs none.
//! - listen.rs: a cap on open connections, a deadline for a request's head (slowloris), a
//!   deadline for the answer's head and for a client that stops reading.

mod app;
mod confine;
mod counts;
mod files;
#[cfg(test)]
mod tests;
mod validators;

pub use mistral_http_limits::Limits;

use counts::Counts;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// How a server answers other origins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cors {
    /// Same origin only (the site): no CORS headers, OPTIONS is not a preflight.
    Off,
    /// Any origin may read (the models, `serve DIR`): `Access-Control-Allow-Origin: *`, the
    /// validators and range headers exposed, preflights answered.
    AnyOrigin,
}

/// A running server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    counts: Arc<Mutex<Counts>>,
    accept: Option<JoinHandle<()>>,
    /// Owned here so that dropping the server ends every connection with it.
    runtime: Option<Runtime>,
}

impl Server {
    /// The page's own origin: `root` on 127.0.0.1:`port` (0: a free port), no CORS.
    pub fn site(root: &Path, port: u16) -> Result<Server, String> {
        Server::start(root, port, Cors::Off, Limits::default())
    }

    /// A second origin for models (and `serve DIR`): CORS for any origin.
    pub fn models(root: &Path, port: u16) -> Result<Server, String> {
        Server::start(root, port, Cors::AnyOrigin, Limits::default())
    }

    /// Serves `root` on 127.0.0.1:`port` (0: a free port; see [`Server::addr`]).
    pub fn start(root: &Path, port: u16, cors: Cors, limits: Limits) -> Result<Server, String> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("cannot serve {}: {e}", root.display()))?;
        // Bound here, not on the runtime, so that a taken port is an error of this call.
        let socket = TcpListener::bind(("127.0.0.1", port))
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let addr = socket.local_addr().map_err(|e| e.to_string())?;
        // Two workers: file reads run on tokio's blocking pool, the workers only shuffle bytes.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("xtask-serve")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
        let counts = Arc::new(Mutex::new(Counts::default()));
        let app = app::router(root, counts.clone(), cors, limits.request_timeout);
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(socket).map_err(|e| e.to_string())?
        };
        let accept = runtime.spawn(mistral_http_limits::accept_loop(listener, app, limits));
        Ok(Server {
            addr,
            counts,
            accept: Some(accept),
            runtime: Some(runtime),
        })
    }

    /// Blocks until the process is killed (Ctrl-C).
    pub fn wait(mut self) {
        if let (Some(runtime), Some(accept)) = (&self.runtime, self.accept.take()) {
            let _ = runtime.block_on(accept);
        }
    }

    /// The bound address (the real port when started with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }
}

/// What the page's tests ask of a server.
#[allow(dead_code)]
impl Server {
    /// Requests so far for one decoded path (e.g. "/models/x.gguf"), preflights excluded.
    pub fn requests(&self, path: &str) -> u64 {
        self.counts.lock().unwrap().get(path)
    }

    /// Requests so far, all paths (preflights and the `/__requests` endpoints excluded).
    pub fn total_requests(&self) -> u64 {
        self.counts.lock().unwrap().total()
    }

    /// Forgets the counts (as `POST /__requests/reset` does).
    pub fn reset_requests(&self) {
        *self.counts.lock().unwrap() = Counts::default();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Not waiting for connections: a test's server goes away with its held connections.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
