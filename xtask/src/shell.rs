//! Running commands with their output passed through, failing with the command line.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Runs `cmd` in the workspace root.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    run_in(&root(), cmd)
}

/// Runs `cmd` in `dir`, its output passed through.
pub fn run_in(dir: &std::path::Path, cmd: &mut Command) -> Result<(), String> {
    // The Debug form of a command with a directory reads `cd "dir" && "program" "args"`.
    let cmd = cmd.current_dir(dir);
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

pub fn cargo(args: &[&str]) -> Result<(), String> {
    run(Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args(args))
}

/// True when `program --version` runs.
pub fn has(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `cmd`, passing its output through and keeping stdout to read counts from.
pub fn run_capturing(cmd: &mut Command) -> Result<(String, bool), String> {
    eprintln!("$ {cmd:?}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let mut out = String::new();
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let Ok(line) = line else { break };
        println!("{line}");
        out.push_str(&line);
        out.push('\n');
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((out, status.success()))
}
