//! `--model hf:...`, the default model, `list` and `rm`, run as a process against a test
//! server on 127.0.0.1 playing the Hugging Face Hub (HF_ENDPOINT points there).

use mistral_hub::test_server::TestServer;
use mistral_testdata::fixture;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REPO: &str = "test-owner/tiny-w6-GGUF";

/// The binary with HF_ENDPOINT at `server`, no token, and its cache in `cache`.
fn bin(server: &TestServer, cache: &Path, args: &[&str]) -> Output {
    let xdg = std::env::temp_dir().join("mistral-wgpu-cli-xdg");
    let _ = std::fs::create_dir_all(&xdg);
    Command::new(env!("CARGO_BIN_EXE_mistral-wgpu"))
        .args(args)
        .env("XDG_RUNTIME_DIR", xdg)
        .env("HF_ENDPOINT", server.endpoint())
        .env("MISTRAL_WGPU_CACHE_DIR", cache)
        .env("HF_TOKEN_PATH", "/nonexistent/token")
        .env_remove("HF_TOKEN")
        .env_remove("HUGGING_FACE_HUB_TOKEN")
        .env_remove("MISTRAL_WGPU_KERNELS")
        .output()
        .expect("run mistral-wgpu")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn error_line(o: &Output) -> String {
    assert!(!o.status.success(), "expected failure");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    err.lines().last().unwrap().to_string()
}

fn temp_cache(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mw-cli-hub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn tiny(quant: &str) -> Vec<u8> {
    std::fs::read(fixture(&format!("tiny-w6/tiny-w6-{quant}.gguf"))).unwrap()
}

#[test]
fn info_downloads_an_hf_quant_then_list_and_rm_manage_it() {
    let server = TestServer::start();
    for q in ["Q4_K_M", "Q4_0", "Q8_0"] {
        server.add_hf_file(REPO, &format!("tiny-w6-{q}.gguf"), tiny(q));
    }
    let cache = temp_cache("quant");
    let o = bin(
        &server,
        &cache,
        &["info", "--model", &format!("hf:{REPO}:Q8_0")],
    );
    let info = ok(&o);
    assert!(info.contains("Q8_0 x16"), "{info}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("hf:{REPO}:Q8_0 is tiny-w6-Q8_0.gguf"))
            && stderr.contains("saved"),
        "{stderr}"
    );
    let file = cache.join("hf").join(REPO).join("tiny-w6-Q8_0.gguf");
    assert_eq!(std::fs::read(&file).unwrap(), tiny("Q8_0"));

    // Cached: the same command works with the server gone (here: nothing asked of it).
    server.clear_requests();
    ok(&bin(
        &server,
        &cache,
        &["info", "--model", &format!("hf:{REPO}:Q8_0")],
    ));
    assert!(server.requests().is_empty());

    let list = ok(&bin(&server, &cache, &["list"]));
    assert!(
        list.contains(&format!("hf:{REPO}/tiny-w6-Q8_0.gguf")) && list.contains("1.5 MB"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&bin(&server, &cache, &["list", "--json"]))).unwrap();
    assert_eq!(json["models"][0]["size"], tiny("Q8_0").len());
    assert_eq!(json["models"][0]["complete"], true);

    let e = error_line(&bin(&server, &cache, &["rm", "nope.gguf"]));
    assert!(e.contains("not in the cache"), "{e}");
    let rm = ok(&bin(&server, &cache, &["rm", "tiny-w6-Q8_0.gguf"]));
    assert!(rm.starts_with("removed tiny-w6-Q8_0.gguf"), "{rm}");
    assert!(!file.exists());
    assert!(ok(&bin(&server, &cache, &["list"])).contains("(empty"));
}

#[test]
fn without_model_the_default_is_fetched_from_the_hub() {
    let server = TestServer::start();
    server.add_hf_file(
        "TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
        "mistral-7b-instruct-v0.2.Q4_K_M.gguf",
        tiny("Q4_K_M"),
    );
    let cache = temp_cache("default");
    let info = ok(&bin(
        &server,
        &cache,
        &["info", "--cache-dir", cache.to_str().unwrap()],
    ));
    assert!(
        info.contains("mistral-7b-instruct-v0.2.Q4_K_M.gguf"),
        "{info}"
    );
    assert!(server.requests().iter().any(|l| l
        .path
        .ends_with("/resolve/main/mistral-7b-instruct-v0.2.Q4_K_M.gguf")));
}

#[test]
fn hub_failures_are_one_clear_line() {
    let server = TestServer::start();
    server.add_hf_file("gated/model-GGUF", "m.Q4_0.gguf", tiny("Q4_0"));
    server.gate("gated/model-GGUF", "hf_x");
    let cache = temp_cache("errors");
    let e = error_line(&bin(
        &server,
        &cache,
        &["info", "--model", "hf:gated/model-GGUF:Q4_0"],
    ));
    assert!(
        e.contains("gated or private") && e.contains("HF_TOKEN"),
        "{e}"
    );
    let e = error_line(&bin(
        &server,
        &cache,
        &["info", "--model", "hf:gated/model-GGUF/absent.gguf"],
    ));
    assert!(e.contains("HF_TOKEN"), "{e}");
    let e = error_line(&bin(
        &server,
        &cache,
        &["info", "--model", &format!("hf:{REPO}:Q4_0")],
    ));
    assert!(e.contains("404"), "{e}");
    let e = error_line(&bin(&server, &cache, &["info", "--model", "owner/repo"]));
    assert!(e.contains("hf:owner/repo:Q4_K_M"), "{e}");
    // Nothing reachable: says offline and how to run a local file.
    let o = Command::new(env!("CARGO_BIN_EXE_mistral-wgpu"))
        .args(["info", "--model", "hf:o/r:Q4_0", "--cache-dir"])
        .arg(&cache)
        .env("HF_ENDPOINT", "http://127.0.0.1:1")
        .output()
        .unwrap();
    let e = error_line(&o);
    assert!(e.contains("offline") && e.contains("--model PATH"), "{e}");
    assert!(
        !cache.join("hf").exists() || std::fs::read_dir(cache.join("hf")).unwrap().count() == 0,
        "nothing written"
    );
}
