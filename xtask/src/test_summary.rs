//! Runs `cargo test`, passing its output through, and ends with one line totalling every
//! test binary's result ("N passed, N failed"), so the run's last line speaks for all of it
//! rather than for the last (often empty) doc-test binary.

use crate::shell::root;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

pub fn cargo_test(args: &[&str]) -> Result<(), String> {
    eprintln!("$ cargo {}", args.join(" "));
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo test: {e}"))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    let stdout = child.stdout.take().expect("piped stdout");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(kind), Some(n)) = (words.next(), words.next()) else {
                    continue;
                };
                let n: u64 = n.parse().unwrap_or(0);
                match kind {
                    "passed" => passed += n,
                    "failed" => failed += n,
                    "ignored" => ignored += n,
                    _ => {}
                }
            }
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    println!("{passed} passed, {failed} failed, {ignored} skipped");
    if status.success() && failed == 0 && passed > 0 {
        Ok(())
    } else {
        Err(format!(
            "cargo test: {passed} passed, {failed} failed ({status})"
        ))
    }
}
