//! `mistral-wgpu chat` through a pipe: one user message per line, answers on stdout, timings and
//! notices on stderr. SmolLM2-135M-Instruct answers for real (greedy), on lavapipe.

use mistral_testdata::smollm2_gguf;
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};

fn chat(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mistral-wgpu"))
        .arg("chat")
        .arg("--model")
        .arg(smollm2_gguf())
        .args(["--temperature", "0"])
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `[59 prompt tokens (15 new) ...]`: (prompt tokens, new tokens) of each answer.
fn stats(stderr: &str) -> Vec<(usize, usize)> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('[')?;
            let (prompt, rest) = rest.split_once(" prompt tokens (")?;
            let (new, _) = rest.split_once(" new)")?;
            Some((prompt.parse().ok()?, new.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_conversation_remembers_and_reuses_the_kv_cache() {
    let o = chat(
        &["--max-tokens", "24"],
        "What is the capital of France?\nAnd of Italy?\n",
    );
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    let answers: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(answers.len(), 2, "{out}");
    assert!(answers[0].contains("Paris"), "{out}");
    // "And of Italy?" only makes sense with the first turn remembered.
    assert!(answers[1].contains("Rome"), "{out}");
    let s = stats(&err);
    assert_eq!(s.len(), 2, "{err}");
    assert_eq!(s[0].0, s[0].1, "the first turn prefills everything");
    // The second prompt starts with the first prompt and answer, which the cache holds.
    assert!(
        s[1].1 < s[1].0 / 2,
        "second turn prefilled {} of {}",
        s[1].1,
        s[1].0
    );
}

#[test]
fn slash_commands_change_settings_and_bad_values_are_refused() {
    let o = chat(
        &["--max-tokens", "16"],
        "/set temperature NaN\n/set top_p 0.5\n/bogus\n/system Reply in French.\n/show\nWhat is the capital of France?\n/exit\nNever answered\n",
    );
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    assert!(err.contains("error: temperature"), "{err}");
    assert!(err.contains("top_p 0.5"), "{err}");
    assert!(err.contains("unknown command /bogus"), "{err}");
    assert!(err.contains("system prompt set"), "{err}");
    assert_eq!(
        stats(&err).len(),
        1,
        "nothing is answered after /exit: {out}"
    );
}

#[test]
fn old_turns_are_dropped_past_the_context_with_a_notice() {
    // SmolLM2 has no sliding window: an 80-token context holds two short turns, not three.
    let o = chat(
        &["--context", "80", "--max-tokens", "8"],
        "What is the capital of France?\nWhat is the capital of Italy?\nWhat is the capital of Spain?\n",
    );
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("note: "), "{err}");
    assert_eq!(stats(&err).len(), 3, "{err}");
    // A message that cannot fit even alone is an error, not a truncated prompt.
    let long = "word ".repeat(200);
    let o = chat(&["--context", "80"], &format!("{long}\n"));
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("error: "), "{}", text(&o.stderr));
}

/// Ctrl-C during an answer stops the answer; the program goes on to the next message.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_answer_not_the_program() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mistral-wgpu"))
        .args(["chat", "--model"])
        .arg(smollm2_gguf())
        .args(["--temperature", "0", "--max-tokens", "400"])
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"Write a long story about a dragon.\n")
        .unwrap();
    // Wait for the answer to start streaming, then interrupt it.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    stdin
        .write_all(b"What is the capital of France?\n")
        .unwrap();
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{err}");
    let s = stats(&err);
    assert_eq!(s.len(), 2, "{err}");
    assert!(err.contains("| stopped"), "{err}");
    assert!(rest.contains("Paris"), "{rest}");
}
