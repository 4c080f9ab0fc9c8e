//! What the page, the npm smoke test and the e2e rely on: ranges, HEAD, validators, CORS,
//! Cache-Control, types, counts.

use super::super::{Cors, Limits};
use super::{agent, fixture, header, start, Scratch};

#[test]
fn a_range_is_206_with_its_content_range() {
    let (_dir, server) = fixture();
    let url = format!("{}/f.bin", server.url());
    for (range, body, content_range) in [
        ("bytes=2-4", "234", "bytes 2-4/10"),
        ("bytes=7-", "789", "bytes 7-9/10"),
        ("bytes=-3", "789", "bytes 7-9/10"),
        ("bytes=5-100", "56789", "bytes 5-9/10"),
    ] {
        let r = agent().get(&url).header("Range", range).call().unwrap();
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            header(&r, "content-range").as_deref(),
            Some(content_range),
            "{range}"
        );
        assert_eq!(header(&r, "accept-ranges").as_deref(), Some("bytes"));
        assert_eq!(
            header(&r, "content-length"),
            Some(body.len().to_string()),
            "{range}"
        );
        assert_eq!(r.into_body().read_to_string().unwrap(), body, "{range}");
    }
    let whole = agent().get(&url).call().unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.into_body().read_to_string().unwrap(), "0123456789");
}

#[test]
fn a_range_past_the_end_is_416() {
    let (_dir, server) = fixture();
    let url = format!("{}/f.bin", server.url());
    for range in ["bytes=10-", "bytes=10-20"] {
        let r = agent().get(&url).header("Range", range).call().unwrap();
        assert_eq!(r.status(), 416, "{range}");
        assert_eq!(
            header(&r, "content-range").as_deref(),
            Some("bytes */10"),
            "{range}"
        );
    }
}

#[test]
fn head_has_the_headers_and_no_body() {
    let (_dir, server) = fixture();
    let r = agent()
        .head(format!("{}/f.bin", server.url()))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-length").as_deref(), Some("10"));
    assert!(header(&r, "etag").is_some());
    assert!(header(&r, "last-modified").is_some());
    assert_eq!(r.into_body().read_to_vec().unwrap(), b"");
}

#[test]
fn etag_answers_if_none_match_with_304() {
    let (dir, server) = fixture();
    let url = format!("{}/f.bin", server.url());
    let etag = header(&agent().get(&url).call().unwrap(), "etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let r = agent()
        .get(&url)
        .header("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "etag").as_deref(), Some(etag.as_str()));
    for other in ["\"nope\"", "W/\"nope\""] {
        let r = agent()
            .get(&url)
            .header("If-None-Match", other)
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "{other}");
    }
    // A rewritten file (another size) has another tag, even with a fresh If-Modified-Since.
    dir.write("f.bin", b"changed!");
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let r = agent()
        .get(&url)
        .header("If-None-Match", &etag)
        .header("If-Modified-Since", &date)
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(header(&r, "etag"), Some(etag));
}

#[test]
fn if_range_serves_the_range_only_while_the_file_is_unchanged() {
    let (dir, server) = fixture();
    let url = format!("{}/f.bin", server.url());
    let first = agent().get(&url).call().unwrap();
    let etag = header(&first, "etag").unwrap();
    let date = header(&first, "last-modified").unwrap();
    let ranged = |validator: &str| {
        agent()
            .get(&url)
            .header("Range", "bytes=2-4")
            .header("If-Range", validator)
            .call()
            .unwrap()
    };
    for current in [etag.as_str(), date.as_str()] {
        let r = ranged(current);
        assert_eq!(r.status(), 206, "{current}");
        assert_eq!(r.into_body().read_to_string().unwrap(), "234");
    }
    // Weak tags never match (strong comparison); a stale tag gets the whole file.
    for stale in [format!("W/{etag}"), "\"other\"".to_string()] {
        let r = ranged(&stale);
        assert_eq!(r.status(), 200, "{stale}");
        assert_eq!(r.into_body().read_to_string().unwrap(), "0123456789");
    }
    dir.write("f.bin", b"abcdefghijklmnop");
    let r = ranged(&etag);
    assert_eq!(r.status(), 200, "changed file, old tag");
    assert_ne!(header(&r, "etag"), Some(etag));
    assert_eq!(r.into_body().read_to_string().unwrap(), "abcdefghijklmnop");
}

#[test]
fn cors_and_preflight_on_the_models_server() {
    let (_dir, server) = fixture();
    let url = format!("{}/f.bin", server.url());
    let r = agent()
        .get(&url)
        .header("Origin", "http://127.0.0.1:1")
        .header("Range", "bytes=0-0")
        .call()
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let exposed = header(&r, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in ["content-range", "content-length", "etag", "last-modified"] {
        assert!(exposed.contains(h), "{h} not in {exposed}");
    }
    let pre = agent()
        .options(&url)
        .header("Origin", "http://127.0.0.1:1")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "range,if-range")
        .call()
        .unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    assert_eq!(
        header(&pre, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let allowed = header(&pre, "access-control-allow-headers").unwrap();
    assert!(
        allowed.contains("range") && allowed.contains("if-range"),
        "{allowed}"
    );
    assert!(header(&pre, "access-control-allow-methods")
        .unwrap()
        .contains("GET"));
    // The preflight is counted apart from the fetches.
    assert_eq!(server.requests("/f.bin"), 1);
    let stats = agent()
        .get(format!("{}/__requests", server.url()))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["total"], 1, "{stats}");
    assert_eq!(stats["preflights"]["/f.bin"], 1, "{stats}");
}

#[test]
fn the_site_server_sends_no_cors() {
    let dir = Scratch::new();
    dir.write("a.js", b"export {}");
    let server = start(dir.path(), Cors::Off, Limits::default());
    let r = agent()
        .get(format!("{}/a.js", server.url()))
        .header("Origin", "http://127.0.0.1:1")
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "access-control-allow-origin"), None);
}

#[test]
fn types_index_and_no_cache() {
    let (dir, server) = fixture();
    dir.write("pkg/m.wasm", b"\0asm");
    dir.write("pkg/index.js", b"export {}");
    dir.write("models/x.gguf", b"GGUF");
    dir.write("sub/index.html", b"sub");
    for (path, want) in [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/sub/", "text/html"),
        ("/sub", "text/html"),
        ("/pkg/m.wasm", "application/wasm"),
        ("/pkg/index.js", "text/javascript"),
        ("/models/x.gguf", "application/octet-stream"),
    ] {
        let r = agent()
            .get(format!("{}{path}", server.url()))
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let got = header(&r, "content-type").unwrap();
        assert!(got.starts_with(want), "{path}: {got}");
        assert_eq!(
            header(&r, "cache-control").as_deref(),
            Some("no-cache"),
            "{path}"
        );
    }
    let missing = agent()
        .get(format!("{}/nope", server.url()))
        .call()
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        header(&missing, "cache-control").as_deref(),
        Some("no-cache")
    );
    let post = agent()
        .post(format!("{}/f.bin", server.url()))
        .send("")
        .unwrap();
    assert_eq!(post.status(), 405);
}

#[test]
fn requests_are_counted_per_decoded_path() {
    let (dir, server) = fixture();
    dir.write("a b.gguf", b"x");
    let base = server.url();
    agent().get(format!("{base}/f.bin")).call().unwrap();
    agent()
        .get(format!("{base}/f.bin"))
        .header("Range", "bytes=0-1")
        .call()
        .unwrap();
    agent().head(format!("{base}/f.bin")).call().unwrap();
    agent().get(format!("{base}/a%20b.gguf")).call().unwrap();
    agent().get(format!("{base}/nope")).call().unwrap();
    assert_eq!(server.requests("/f.bin"), 3);
    assert_eq!(server.requests("/a b.gguf"), 1);
    assert_eq!(server.total_requests(), 5);
    let stats = agent()
        .get(format!("{base}/__requests"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["total"], 5, "{stats}");
    assert_eq!(stats["paths"]["/f.bin"], 3, "{stats}");
    assert_eq!(stats["paths"]["/a b.gguf"], 1, "{stats}");
    // The stats endpoints are not counted; both methods reset.
    let reset = agent()
        .get(format!("{base}/__requests/reset"))
        .call()
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(server.total_requests(), 0);
    agent().get(format!("{base}/f.bin")).call().unwrap();
    agent()
        .post(format!("{base}/__requests/reset"))
        .send("")
        .unwrap();
    assert_eq!(server.total_requests(), 0);
    assert_eq!(server.requests("/f.bin"), 0);
}
