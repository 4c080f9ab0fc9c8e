//! `cargo xtask test-web [ARGS]`: the engine's browser tests (crates/web/tests) in headless
//! Chromium on WebGPU (SwiftShader on a machine without a GPU). Installs what is missing first:
//! Debian's chromium and chromium-driver, the wasm32 target, and wasm-bindgen-cli at exactly the
//! wasm-bindgen version Cargo.lock holds (the test runner refuses any other). ARGS go to the test
//! harness (e.g. `--nocapture`, a test name).

use crate::shell::{has, root, run as sh};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// `cargo test` arguments and environment of the browser tests (also run by `cargo xtask test`).
pub const CARGO_ARGS: &[&str] = &[
    "test",
    "-p",
    "mistral-web",
    "--target",
    "wasm32-unknown-unknown",
];
pub const ENV: &[(&str, &str)] = &[
    (
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        "wasm-bindgen-test-runner",
    ),
    ("CHROMEDRIVER", CHROMEDRIVER),
    // SwiftShader compiles every pipeline on the CPU: the default 20 s per test is short.
    ("WASM_BINDGEN_TEST_TIMEOUT", "300"),
];

pub fn run(args: &[String]) -> Result<(), String> {
    let start = Instant::now();
    prepare()?;
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(CARGO_ARGS);
    // `cargo xtask test-web -- --nocapture` and `cargo xtask test-web --nocapture` mean the same.
    let args = args.strip_prefix(&["--".to_string()]).unwrap_or(args);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    let result = sh(cmd.envs(ENV.iter().copied()));
    eprintln!("test-web took {:.0} s", start.elapsed().as_secs_f64());
    result
}

/// Installs what the browser tests need when it is missing.
pub fn prepare() -> Result<(), String> {
    if !Path::new("/usr/bin/chromium").exists() || !Path::new(CHROMEDRIVER).exists() {
        crate::setup::apt_install(&[], &["chromium", "chromium-driver"])?;
    }
    if !wasm32_installed() {
        sh(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let want = locked_wasm_bindgen()?;
    let have = runner_version();
    if have.as_deref() != Some(want.as_str()) {
        eprintln!(
            "wasm-bindgen-test-runner {} != Cargo.lock's wasm-bindgen {want}: installing (~4 min)",
            have.as_deref().unwrap_or("(missing)")
        );
        sh(Command::new("cargo").args([
            "install",
            "--force",
            "wasm-bindgen-cli",
            "--version",
            &want,
        ]))?;
    }
    // The runner reads the Chromium flags (headless, WebGPU on) from the crate's directory.
    if !root().join("crates/web/webdriver.json").exists() {
        return Err("crates/web/webdriver.json (Chromium flags for the tests) is missing".into());
    }
    Ok(())
}

fn wasm32_installed() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
}

/// The `wasm-bindgen` crate's version in Cargo.lock.
fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package (is crates/web in the workspace?)".into())
}

/// `wasm-bindgen-test-runner --version` prints "wasm-bindgen-test-runner 0.2.130".
fn runner_version() -> Option<String> {
    if !has("wasm-bindgen-test-runner") {
        return None;
    }
    let out = Command::new("wasm-bindgen-test-runner")
        .arg("--version")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .map(str::to_string)
}
