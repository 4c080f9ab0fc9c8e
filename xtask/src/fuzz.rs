//! `cargo xtask fuzz [TARGET|all] [SECONDS]`: a fuzz target under libFuzzer (fuzz/ is its own
//! workspace, built with the nightly toolchain's sanitizers), with the memory and time limits
//! every committed run used. The corpus grows in fuzz/corpus/<target> (ignored by git), seeded
//! from the committed one in tests/fixtures/fuzz-corpus/<target>, which `cargo test` replays.

use crate::shell::{has, root, run as sh};
use std::process::Command;

pub const TARGETS: &[&str] = &[
    "gguf_header",
    "safetensors_header",
    "tokenizer_gguf",
    "chat_template",
    "prefix_source",
    "config_json",
];

pub fn run(args: &[String]) -> Result<(), String> {
    // `cargo xtask fuzz 600` (seconds only) still fuzzes the GGUF parser, as it always did.
    let (target, seconds) = match args.first().map(String::as_str) {
        Some(s) if s.parse::<u64>().is_ok() => ("gguf_header", s),
        t => (
            t.unwrap_or("gguf_header"),
            args.get(1).map(String::as_str).unwrap_or("600"),
        ),
    };
    let targets: Vec<&str> = match target {
        "all" => TARGETS.to_vec(),
        t if TARGETS.contains(&t) => vec![t],
        t => {
            return Err(format!(
                "unknown fuzz target {t:?}; one of {TARGETS:?} or all"
            ))
        }
    };
    if !has("cargo-fuzz") {
        sh(Command::new("cargo").args(["install", "cargo-fuzz"]))?;
    }
    for t in targets {
        let work = root().join("fuzz/corpus").join(t);
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        let committed = root().join("tests/fixtures/fuzz-corpus").join(t);
        let mut cmd = Command::new("cargo");
        cmd.current_dir(root().join("fuzz"))
            .args(["+nightly", "fuzz", "run", t])
            .arg(&work);
        if committed.is_dir() {
            cmd.arg(&committed);
        }
        sh(cmd
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args(["-rss_limit_mb=2048", "-malloc_limit_mb=1024", "-timeout=10"]))?;
    }
    Ok(())
}
