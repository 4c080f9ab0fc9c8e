//! `cargo xtask fuzz [SECONDS]`: the GGUF parser under libFuzzer (fuzz/ is its own workspace,
//! built with the nightly toolchain's sanitizers).

use crate::shell::{has, run as sh};
use std::process::Command;

pub fn run(args: &[String]) -> Result<(), String> {
    let seconds = args.first().map(String::as_str).unwrap_or("600");
    if !has("cargo-fuzz") {
        sh(Command::new("cargo").args(["install", "cargo-fuzz"]))?;
    }
    sh(Command::new("cargo")
        .current_dir(crate::shell::root().join("fuzz"))
        .args([
            "+nightly",
            "fuzz",
            "run",
            "gguf_header",
            "--",
            "-max_total_time",
        ])
        .arg(seconds))
}
