//! Accepting connections within limits, each served by hyper's HTTP/1.1 on a task of its own:
//! shared by xtask's dev server and `mistral-wgpu serve`, the two servers hostile or broken
//! clients can reach.
//!
//! A task per connection, like the thread per connection before it: an idle keep-alive
//! connection never holds up another (tiny_http's pool once stranded module scripts in
//! headless Chromium that way). What the hand-written server lacked, and hostile or broken
//! clients exploit, is bounded here:
//! - `max_connections`: past it, new connections wait in the kernel's backlog until one ends
//!   (not refused: a browser opening its seventh connection is merely slowed).
//! - `header_timeout`: a request's head must arrive whole within it, counted from when the
//!   server starts waiting for it, so a client that connects and sends nothing, sends half a
//!   head (slowloris), or leaves a keep-alive connection idle is dropped after it.
//! - `request_timeout`: the answer's head must be ready within it (408); applied by the router
//!   (xtask's app.rs), not here, so a server whose requests may wait long (an API queue) sets none.
//! - `write_stall`: a client that stops reading a response (its window full) for this long is
//!   dropped; one that reads slowly but steadily never is, however big the file.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub write_stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Chromium opens at most 6 per origin; the page's tests use two origins.
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            // Opening and stat-ing a local file; anything near this is a wedged disk.
            request_timeout: Duration::from_secs(30),
            write_stall: Duration::from_secs(60),
        }
    }
}

/// Runs until the runtime is shut down.
pub async fn accept_loop(listener: TcpListener, app: Router, limits: Limits) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        // Taken before accept(): at the cap, connections stay queued in the kernel.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors, or a connection reset before it was accepted:
                // wait a little rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app.clone();
        tokio::spawn(async move {
            serve_connection(stream, app, limits).await;
            drop(slot);
        });
    }
}

async fn serve_connection(stream: TcpStream, app: Router, limits: Limits) {
    let _ = stream.set_nodelay(true);
    let mut stream = TimeoutStream::new(stream);
    stream.set_write_timeout(Some(limits.write_stall));
    let io = TokioIo::new(Box::pin(stream));
    let service = TowerToHyperService::new(app);
    // Errors (a client gone, a deadline passed) concern that client only.
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}
