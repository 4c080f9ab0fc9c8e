//! `cargo xtask bench-web [--model FILE.gguf] [--tokens N] [--runs N] [--no-build]`: decode and
//! prefill speed in headless Chromium (WebGPU; SwiftShader on a machine without a GPU) and the
//! wasm memory before and after loading. Serves the site and the model (default: SmolLM2-135M-
//! Instruct Q4_1 from .cache/smollm2) on two local origins and runs web/e2e/bench.mjs.
//! The native counterpart: `mistral-wgpu bench --model FILE.gguf`.

use crate::build_web;
use crate::serve::Server;
use crate::shell::{root, run, run_in};
use std::path::PathBuf;
use std::process::Command;

const USAGE: &str = "bench-web [--model FILE.gguf] [--tokens N] [--runs N] [--no-build]";

pub fn run_bench(args: &[String]) -> Result<(), String> {
    let (mut model, mut tokens, mut runs, mut build) =
        (None, "64".to_string(), "3".to_string(), true);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or(format!("{arg} needs a value ({USAGE})"))
        };
        match arg.as_str() {
            "--model" => model = Some(PathBuf::from(value()?)),
            "--tokens" => tokens = value()?,
            "--runs" => runs = value()?,
            "--no-build" => build = false,
            other => return Err(format!("unknown argument {other:?} ({USAGE})")),
        }
    }
    let model = match model {
        Some(m) => std::fs::canonicalize(&m).map_err(|e| format!("{}: {e}", m.display()))?,
        None => crate::demo::smollm2()?,
    };
    if build {
        build_web::build(false)?;
    }
    let e2e = root().join("web/e2e");
    if build_web::needs_npm_ci(&e2e) {
        run_in(
            &e2e,
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]),
        )?;
    }
    let site = Server::site(&build_web::site_dir(), 0)?;
    let dir = model.parent().ok_or("the model has no folder")?;
    let name = model.file_name().ok_or("no file name")?.to_string_lossy();
    let models = Server::models(dir, 0)?;
    run(Command::new("node")
        .arg(e2e.join("bench.mjs"))
        .env("PAGE_URL", format!("{}/", site.url()))
        .env("MODEL_URL", format!("{}/{name}", models.url()))
        .env("TOKENS", tokens)
        .env("RUNS", runs))
}
