//! Runs `cargo test`, passing its output through, and ends with one line totalling every
//! test binary's result ("N passed, N failed"), so the run's last line speaks for all of it
//! rather than for the last (often empty) doc-test binary.

use crate::shell::root;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// One `cargo` invocation: its arguments and extra environment.
pub type TestRun<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

/// Runs each cargo invocation in turn, then prints the combined total.
pub fn cargo_tests(runs: &[TestRun]) -> Result<(), String> {
    let mut totals = (0u64, 0u64, 0u64);
    let mut failure = None;
    for (args, env) in runs {
        match run_one(args, env) {
            Ok((p, f, i)) => {
                totals.0 += p;
                totals.1 += f;
                totals.2 += i;
            }
            Err((p, f, i, e)) => {
                totals.0 += p;
                totals.1 += f;
                totals.2 += i;
                failure.get_or_insert(e);
            }
        }
    }
    let (passed, failed, ignored) = totals;
    println!("{passed} passed, {failed} failed, {ignored} skipped");
    match failure {
        None if passed > 0 => Ok(()),
        None => Err("no test ran".into()),
        Some(e) => Err(e),
    }
}

type Counts = (u64, u64, u64);

fn run_one(args: &[&str], env: &[(&str, &str)]) -> Result<Counts, (u64, u64, u64, String)> {
    eprintln!(
        "$ {} cargo {}",
        env.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        args.join(" ")
    );
    let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| (0, 0, 0, format!("cannot start cargo test: {e}")))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    let stdout = child.stdout.take().expect("piped stdout");
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
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
    let status = child
        .wait()
        .map_err(|e| (passed, failed, ignored, e.to_string()))?;
    if status.success() && failed == 0 {
        Ok((passed, failed, ignored))
    } else {
        Err((
            passed,
            failed,
            ignored,
            format!("cargo {}: {failed} failed ({status})", args.join(" ")),
        ))
    }
}
