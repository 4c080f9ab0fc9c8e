//! Runs `cargo test`, passing its output through, and ends with one line totalling every
//! test binary's result ("N passed, N failed"), so the run's last line speaks for all of it
//! rather than for the last (often empty) doc-test binary. The JavaScript suites add their
//! counts to the same line.

use crate::shell::{root, run_capturing};
use std::process::Command;

/// One `cargo` invocation: its arguments and extra environment.
pub type TestRun<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

/// Tests passed, failed and skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Counts {
    pub fn new(passed: u64, failed: u64) -> Self {
        Counts {
            passed,
            failed,
            ignored: 0,
        }
    }

    pub fn failed(n: u64) -> Self {
        Counts::new(0, n)
    }
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts {
            passed: self.passed + o.passed,
            failed: self.failed + o.failed,
            ignored: self.ignored + o.ignored,
        }
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        *self = *self + o;
    }
}

/// Runs each cargo invocation in turn; returns the totals and the first failure.
pub fn cargo_tests(runs: &[TestRun]) -> (Counts, Option<String>) {
    let mut totals = Counts::default();
    let mut failure = None;
    for (args, env) in runs {
        match run_one(args, env) {
            Ok(c) => totals += c,
            Err((c, e)) => {
                totals += c;
                failure.get_or_insert(e);
            }
        }
    }
    (totals, failure)
}

/// Prints the one closing line and turns the outcome into the task's result.
pub fn report(totals: Counts, failure: Option<String>) -> Result<(), String> {
    println!(
        "{} passed, {} failed, {} skipped",
        totals.passed, totals.failed, totals.ignored
    );
    match failure {
        None if totals.passed > 0 => Ok(()),
        None => Err("no test ran".into()),
        Some(e) => Err(e),
    }
}

fn run_one(args: &[&str], env: &[(&str, &str)]) -> Result<Counts, (Counts, String)> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args).envs(env.iter().copied()).current_dir(root());
    let (out, success) = run_capturing(&mut cmd).map_err(|e| (Counts::failed(1), e))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    for rest in out.lines().filter_map(|l| l.strip_prefix("test result: ")) {
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
    let counts = Counts {
        passed,
        failed,
        ignored,
    };
    if success && failed == 0 {
        Ok(counts)
    } else {
        // A build failure runs no test: count it as one failure so the total shows it.
        let counts = counts + Counts::failed((failed == 0) as u64);
        Err((counts, format!("cargo {}: {failed} failed", args.join(" "))))
    }
}
