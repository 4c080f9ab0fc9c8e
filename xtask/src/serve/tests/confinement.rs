//! Nothing outside the served folder: `..` in any spelling, symlinks that lead out.

use super::super::confine::segments;
use super::{agent, raw, Scratch};
use crate::serve::Server;

const SECRET: &[u8] = b"outside the root";

/// scratch/outside/secret.txt, and scratch/root served, with links out and in.
fn linked() -> (Scratch, Server) {
    let dir = Scratch::new();
    dir.write("outside/secret.txt", SECRET);
    dir.write("root/real.bin", b"inside");
    let root = dir.path().join("root");
    let link = |target: &str, name: &str| std::os::unix::fs::symlink(target, root.join(name));
    link("../outside/secret.txt", "leak.txt").unwrap();
    link("../outside", "leakdir").unwrap();
    link(dir.path().join("outside").to_str().unwrap(), "abs").unwrap();
    link("/etc", "etc").unwrap();
    link("real.bin", "alias.gguf").unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    link("../real.bin", "sub/up.bin").unwrap();
    let server = Server::models(&root, 0).unwrap();
    (dir, server)
}

#[test]
fn symlinks_out_of_the_root_are_not_found() {
    let (_dir, server) = linked();
    for path in [
        "/leak.txt",
        "/leakdir/secret.txt",
        "/leakdir/",
        "/abs/secret.txt",
        "/etc/passwd",
        "/etc/hostname",
    ] {
        let r = agent()
            .get(format!("{}{path}", server.url()))
            .call()
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body = r.into_body().read_to_vec().unwrap();
        assert!(!body.windows(SECRET.len()).any(|w| w == SECRET), "{path}");
    }
}

#[test]
fn symlinks_inside_the_root_are_served_by_their_own_name() {
    let (_dir, server) = linked();
    for path in ["/alias.gguf", "/sub/up.bin", "/real.bin"] {
        let r = agent()
            .get(format!("{}{path}", server.url()))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/octet-stream",
            "{path}"
        );
        assert_eq!(r.into_body().read_to_string().unwrap(), "inside", "{path}");
    }
}

#[test]
fn dot_dot_is_refused_in_every_spelling() {
    let (_dir, server) = linked();
    for target in [
        "/../outside/secret.txt",
        "/sub/../../outside/secret.txt",
        "/%2e%2e/outside/secret.txt",
        "/%2E%2E/outside/secret.txt",
        "/sub/%2e%2e/%2e%2e/outside/secret.txt",
        "/%2e%2e%2foutside%2fsecret.txt",
        "/..%2foutside%2fsecret.txt",
        "/..%5coutside%5csecret.txt",
        "/real.bin%00",
        "/%ff",
    ] {
        let r = raw(
            server.addr(),
            &format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        assert!(r.status == 400 || r.status == 404, "{target}: {}", r.status);
        assert!(
            !r.body.windows(SECRET.len()).any(|w| w == SECRET),
            "{target}"
        );
    }
}

#[test]
fn path_segments() {
    let s = |t: &str| segments(t).map(|v| v.join("/"));
    assert_eq!(s("/").as_deref(), Some(""));
    assert_eq!(s("//pkg/./index.js").as_deref(), Some("pkg/index.js"));
    assert_eq!(s("/models/a%20b.gguf").as_deref(), Some("models/a b.gguf"));
    assert_eq!(s("/%C3%A9t%C3%A9").as_deref(), Some("été"));
    for bad in [
        "/../etc/passwd",
        "/a/../../b",
        "/%2e%2e/etc/passwd",
        "/%2E%2E%2Fetc",
        "/a/..",
        "/..%5cwin.ini",
        "/a%00b",
        "/%ff",
    ] {
        assert_eq!(s(bad), None, "{bad}");
    }
}
