//! Connections: none starves, a slow head is dropped, the cap holds and frees.

use super::super::{Cors, Limits};
use super::{connect, get_on, start, Scratch};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn limits(max_connections: usize, header_timeout: Duration) -> Limits {
    Limits {
        max_connections,
        header_timeout,
        ..Limits::default()
    }
}

/// Waits for the server to end the connection: true when it did within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {} // a 408 before closing is fine
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn idle_keep_alive_connections_never_starve_a_new_one() {
    // What stranded module scripts with tiny_http: many connections held open after a
    // request each, then one more. Every connection must be served.
    let dir = Scratch::new();
    dir.write("x", b"x");
    let server = start(dir.path(), Cors::Off, Limits::default());
    let mut held = Vec::new();
    for i in 0..12 {
        let mut c = connect(server.addr(), Duration::from_secs(5));
        assert_eq!(get_on(&mut c, &format!("/held/{i}")).unwrap().0, 404);
        held.push(c);
    }
    let mut last = connect(server.addr(), Duration::from_secs(5));
    assert_eq!(get_on(&mut last, "/x").unwrap(), (200, "x".to_string()));
    // And each held connection still answers a second request (keep-alive).
    for c in held.iter_mut() {
        assert_eq!(get_on(c, "/x").unwrap(), (200, "x".to_string()));
    }
    assert_eq!(server.requests("/x"), 13);
}

#[test]
fn a_slow_head_is_dropped_at_the_deadline() {
    let dir = Scratch::new();
    let deadline = Duration::from_millis(400);
    let server = start(dir.path(), Cors::Off, limits(256, deadline));
    // Slowloris: half a head, then nothing.
    let started = Instant::now();
    let mut half = TcpStream::connect(server.addr()).unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    // Connected and silent.
    let mut silent = TcpStream::connect(server.addr()).unwrap();
    assert!(
        closed_within(&mut half, Duration::from_secs(5)),
        "half head"
    );
    assert!(closed_within(&mut silent, Duration::from_secs(5)), "silent");
    let took = started.elapsed();
    assert!(took >= deadline - Duration::from_millis(50), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // An idle keep-alive connection goes the same way after its request.
    let mut idle = connect(server.addr(), Duration::from_secs(5));
    assert_eq!(get_on(&mut idle, "/").unwrap().0, 404);
    assert!(
        closed_within(idle.get_mut(), Duration::from_secs(5)),
        "idle"
    );
}

#[test]
fn connections_past_the_cap_wait_for_a_slot() {
    let dir = Scratch::new();
    dir.write("x", b"x");
    let server = start(dir.path(), Cors::Off, limits(3, Duration::from_secs(30)));
    let mut held: Vec<_> = (0..3)
        .map(|_| {
            let mut c = connect(server.addr(), Duration::from_secs(5));
            assert_eq!(get_on(&mut c, "/x").unwrap().0, 200);
            c
        })
        .collect();
    // The fourth is queued by the kernel, not accepted: no answer while three are open.
    let mut fourth = connect(server.addr(), Duration::from_millis(500));
    let err = get_on(&mut fourth, "/x").unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err}"
    );
    assert_eq!(server.requests("/x"), 3);
    // One ends: the fourth is accepted and its request (already sent) answered.
    held.pop();
    fourth
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut status = String::new();
    std::io::BufRead::read_line(&mut fourth, &mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(server.requests("/x"), 4);
}

#[test]
fn a_client_that_stops_reading_frees_its_slot() {
    let dir = Scratch::new();
    // Sparse: larger than the socket buffers can take, no disk written.
    let big = std::fs::File::create(dir.path().join("big.bin")).unwrap();
    big.set_len(256 << 20).unwrap();
    let stall = Duration::from_millis(500);
    let server = start(
        dir.path(),
        Cors::Off,
        Limits {
            max_connections: 1,
            write_stall: stall,
            ..Limits::default()
        },
    );
    let mut stalled = TcpStream::connect(server.addr()).unwrap();
    stalled
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // The only slot is taken until the stalled client is dropped; then the next one is served.
    let started = Instant::now();
    let mut next = connect(server.addr(), Duration::from_secs(10));
    get_on(&mut next, "/").unwrap();
    let took = started.elapsed();
    assert!(took >= stall - Duration::from_millis(100), "{took:?}");
    assert!(took < Duration::from_secs(8), "{took:?}");
    drop(stalled);
}
