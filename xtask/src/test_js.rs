//! The JavaScript side of `cargo xtask test`, after the Rust tests: the npm package's unit
//! tests (node --test), its packed tarball type-checked in a scratch project, its smoke test in
//! headless Chromium (worker, range download, cache, Blob, abort, errors; tiny fixture model),
//! and the chat page end to end with Playwright (SmolLM2-135M-Instruct from a second local
//! origin: "Paris", streaming, stop, a reload from the cache with no model request, an error).
//! Each reports counts for the run's final "N passed, N failed" line.

use crate::build_web;
use crate::serve::Server;
use crate::shell::root;
use crate::shell::{run_capturing, run_in};
use crate::test_summary::Counts;
use std::process::Command;

/// A suite's counts, or its counts and what failed.
type Suite = fn() -> Result<Counts, (Counts, String)>;

/// Builds the site, then runs every JavaScript suite; counts add up across them, and the first
/// failure is returned after all have run.
pub fn run_all() -> (Counts, Option<String>) {
    let mut totals = Counts::default();
    let mut failure = None;
    let site = match build_web::build(false) {
        Ok(site) => site,
        Err(e) => return (Counts::failed(1), Some(format!("build-web: {e}"))),
    };
    println!("wasm size: {}", site.wasm);
    let suites: [(&str, Suite); 4] = [
        ("npm unit tests", unit_tests),
        ("npm pack check", pack_check),
        ("package smoke test in Chromium", smoke),
        ("chat page end to end (Playwright)", e2e),
    ];
    for (name, suite) in suites {
        eprintln!("== {name}");
        match suite() {
            Ok(c) => totals += c,
            Err((c, e)) => {
                totals += c;
                failure.get_or_insert(format!("{name}: {e}"));
            }
        }
    }
    (totals, failure)
}

fn unit_tests() -> Result<Counts, (Counts, String)> {
    let mut cmd = Command::new("npm");
    cmd.args(["test"]).current_dir(build_web::js_dir());
    // node --test prints TAP totals: "# pass 22", "# fail 0".
    let (out, ok) = run_capturing(&mut cmd).map_err(|e| (Counts::failed(1), e))?;
    let count = |key: &str| {
        out.lines()
            .rev()
            .filter_map(|l| l.trim().strip_prefix(key))
            .find_map(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let c = Counts::new(count("# pass"), count("# fail"));
    finish(c, ok && c.passed > 0, "npm test failed")
}

fn pack_check() -> Result<Counts, (Counts, String)> {
    crate::npm_pack_check::run()
        .map(|_| Counts::new(1, 0))
        .map_err(|e| (Counts::failed(1), e))
}

fn smoke() -> Result<Counts, (Counts, String)> {
    let mut cmd = Command::new("node");
    cmd.arg("test/browser-smoke.mjs")
        .current_dir(build_web::js_dir());
    let (_, ok) = run_capturing(&mut cmd).map_err(|e| (Counts::failed(1), e))?;
    finish(
        Counts::new(ok as u64, !ok as u64),
        ok,
        "the smoke test failed",
    )
}

fn e2e() -> Result<Counts, (Counts, String)> {
    let fail = |e: String| (Counts::failed(1), e);
    let e2e_dir = root().join("web/e2e");
    // Also after package-lock.json changed (a dependency added since the last install).
    if build_web::needs_npm_ci(&e2e_dir) {
        run_in(
            &e2e_dir,
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]),
        )
        .map_err(fail)?;
    }
    let model = crate::demo::smollm2().map_err(fail)?;
    let model_dir = model.parent().expect("the model lives in a folder");
    let name = model.file_name().expect("a file").to_string_lossy();
    let site = Server::site(&build_web::site_dir(), 0).map_err(fail)?;
    // A second origin, as a Hugging Face URL would be: CORS and range requests are exercised.
    let models = Server::models(model_dir, 0).map_err(fail)?;
    let artifacts = root().join("target/e2e");
    std::fs::create_dir_all(&artifacts).map_err(|e| fail(e.to_string()))?;
    let mut cmd = Command::new("node");
    cmd.arg(e2e_dir.join("e2e.mjs"))
        .current_dir(root())
        .env("PAGE_URL", format!("{}/", site.url()))
        .env("MODEL_URL", format!("{}/{name}", models.url()))
        .env("MODEL_STATS_URL", format!("{}/__requests", models.url()))
        .env("ARTIFACTS_DIR", &artifacts);
    let (out, ok) = run_capturing(&mut cmd).map_err(fail)?;
    // "e2e: N passed, N failed"
    let c = out
        .lines()
        .rev()
        .filter_map(|l| l.strip_prefix("e2e: "))
        .find_map(|rest| {
            let mut n = rest
                .split(|ch: char| !ch.is_ascii_digit())
                .filter(|s| !s.is_empty());
            Some(Counts::new(
                n.next()?.parse().ok()?,
                n.next()?.parse().ok()?,
            ))
        })
        .unwrap_or(Counts::failed(1));
    println!(
        "e2e artifacts (screenshots, results JSON): {}",
        artifacts.display()
    );
    finish(
        c,
        ok && c.failed == 0 && c.passed > 0,
        "the end-to-end test failed",
    )
}

fn finish(c: Counts, ok: bool, what: &str) -> Result<Counts, (Counts, String)> {
    if ok {
        Ok(c)
    } else {
        // A suite that failed without counting a failure still counts as one.
        let c = if c.failed == 0 {
            c + Counts::failed(1)
        } else {
            c
        };
        Err((c, what.to_string()))
    }
}
