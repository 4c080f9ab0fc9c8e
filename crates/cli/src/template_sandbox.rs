//! Renders a model file's chat template in a child process with bounded memory and time.
//!
//! The template engine's own limits (instructions, nesting, output size; see
//! `mistral_text::TemplateLimits`) cannot bound memory a template holds in variables: a loop that
//! doubles a string takes 40 steps to ask for a terabyte, and a failed allocation aborts the
//! whole process. So a template that came with a model file is rendered by this same binary
//! started as `mistral-wgpu __render-template`, under an address-space and CPU-time limit, and
//! a child that dies is reported as a refused template while the parent (a chat, a server)
//! carries on. The built-in template is trusted and renders in-process.

use mistral_text::{ChatTemplate, Message, TextError};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand the child runs.
pub const SUBCOMMAND: &str = "__render-template";

/// Address space of the child: the binary's own mappings are ~100 MiB; the rest is room for a
/// prompt (the output cap is 64 MiB) and the template's variables.
const MEMORY_LIMIT: u64 = 1 << 30;
/// CPU seconds of the child; fuel stops real loops long before.
const CPU_LIMIT_S: u64 = 10;
/// Wall-clock limit, for a child that sleeps or is starved rather than spinning.
const WALL_LIMIT: Duration = Duration::from_secs(30);

#[derive(Serialize, Deserialize)]
struct Request {
    source: String,
    bos_token: String,
    eos_token: String,
    messages: Vec<Message>,
    add_generation_prompt: bool,
}

#[derive(Serialize, Deserialize)]
enum Reply {
    Rendered(String),
    Refused(String),
}

/// Renders `template` for `messages`: in a bounded child process for a model's template, in
/// this process for the built-in one.
pub fn render(
    template: &ChatTemplate,
    messages: &[Message],
    add_generation_prompt: bool,
) -> Result<String, TextError> {
    if template.is_builtin() {
        return template.render(messages, add_generation_prompt);
    }
    let request = Request {
        source: template.source().to_string(),
        bos_token: template.bos_token().to_string(),
        eos_token: template.eos_token().to_string(),
        messages: messages.to_vec(),
        add_generation_prompt,
    };
    render_in_child(&request).map_err(TextError::Template)
}

fn render_in_child(request: &Request) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let mut command = Command::new(exe);
    command
        .arg(SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    limit_child(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the template renderer: {e}"))?;
    let input = serde_json::to_vec(request).expect("a request serializes");
    let mut stdin = child.stdin.take().expect("piped");
    // Written from a thread so a child that never reads cannot block us.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).map(|_| out)
    });
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = stderr.read_to_string(&mut out);
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > WALL_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the model's template took more than {} s to render; refusing it",
                    WALL_LIMIT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("template renderer: {e}")),
        }
    };
    let _ = writer.join();
    let out = reader.join().ok().and_then(|r| r.ok()).unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(died(&err));
    }
    match serde_json::from_slice(&out) {
        Ok(Reply::Rendered(text)) => Ok(text),
        Ok(Reply::Refused(msg)) => Err(msg),
        Err(_) => Err(died(&err)),
    }
}

/// Why a child that did not answer died, in the user's terms.
fn died(stderr: &str) -> String {
    if stderr.contains("memory allocation") || stderr.contains("capacity overflow") {
        format!(
            "the model's template used more than {} MiB of memory while rendering; refusing it",
            MEMORY_LIMIT >> 20
        )
    } else {
        format!(
            "the model's template could not be rendered: its renderer stopped ({})",
            stderr
                .lines()
                .last()
                .unwrap_or("killed, likely past its CPU time limit")
        )
    }
}

#[cfg(unix)]
fn limit_child(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (setrlimit) run between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let set = |resource, value: u64| {
                let limit = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_AS, MEMORY_LIMIT)?;
            set(libc::RLIMIT_CPU, CPU_LIMIT_S)?;
            Ok(())
        });
    }
}

/// Elsewhere the child still isolates the parent from an abort, and the wall-clock limit holds.
#[cfg(not(unix))]
fn limit_child(_command: &mut Command) {}

/// The child's side: reads one request on stdin, writes one reply on stdout.
pub fn serve_one() -> ! {
    let mut input = Vec::new();
    let reply = match std::io::stdin().read_to_end(&mut input) {
        Err(e) => Reply::Refused(format!("template renderer: {e}")),
        Ok(_) => match serde_json::from_slice::<Request>(&input) {
            Err(e) => Reply::Refused(format!("template renderer: bad request: {e}")),
            Ok(r) => match ChatTemplate::new(r.source, r.bos_token, r.eos_token)
                .and_then(|t| t.render(&r.messages, r.add_generation_prompt))
            {
                Ok(text) => Reply::Rendered(text),
                Err(e) => {
                    Reply::Refused(e.to_string().trim_start_matches("chat template: ").into())
                }
            },
        },
    };
    let out = serde_json::to_vec(&reply).expect("a reply serializes");
    let ok = std::io::stdout().write_all(&out).is_ok();
    std::process::exit(if ok { 0 } else { 1 })
}
