//! `chat`: an interactive conversation, as `ollama run` offers: streamed answers with the
//! model's chat template, multi-turn memory that reuses the KV cache (a new turn prefills only
//! its new tokens), slash commands for the system prompt and every sampling setting, Ctrl-C
//! stopping the answer (not the program), and timings after each answer. With stdin that is not
//! a terminal, each line is one user message and only the answers go to stdout.

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::sampling_args::SamplingArgs;
use crate::session::{Reply, Session};
use anyhow::Result;
use mistral_generate::{FinishReason, SamplingParams};
use mistral_text::Message;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct ChatOptions {
    pub system: Option<String>,
    pub max_tokens: Option<usize>,
    /// The flags; what they leave out comes from the model file, else the defaults.
    pub sampling: SamplingArgs,
}

const HELP: &str = "\
Commands:
  /system TEXT      set the system prompt (and start a new conversation); /system alone clears it
  /set NAME VALUE   change a setting: temperature, top_k, top_p, min_p, repeat_penalty,
                    presence_penalty, frequency_penalty, repeat_last_n, seed, max_tokens, stop
                    (/set stop TEXT adds a stop string; /set stop clears them)
  /show             the current settings
  /reset            forget the conversation (keeps the system prompt and settings)
  /help             this help
  /exit             quit (also /bye, or Ctrl-D)
Ctrl-C stops an answer. A line ending with \\ continues on the next line.";

/// The conversation the REPL remembers: the system prompt and the turns so far.
struct Memory {
    system: Option<String>,
    turns: Vec<Message>,
}

impl Memory {
    fn messages(&self) -> Vec<Message> {
        self.system
            .iter()
            .map(|s| Message::system(s.clone()))
            .chain(self.turns.iter().cloned())
            .collect()
    }
}

pub fn run(args: &ModelArgs, dev: &DeviceArgs, opts: ChatOptions) -> Result<()> {
    let interactive = std::io::stdin().is_terminal();
    let mut session = Session::load(args, dev)?;
    let mut params = opts.sampling.params(session.sampling_defaults());
    params.validate()?;
    let cancel = Arc::new(AtomicBool::new(false));
    let answering = Arc::new(AtomicBool::new(false));
    {
        let (cancel, answering) = (Arc::clone(&cancel), Arc::clone(&answering));
        ctrlc::set_handler(move || {
            if answering.load(Ordering::Relaxed) {
                cancel.store(true, Ordering::Relaxed);
            } else {
                eprint!("\n(Ctrl-C stops an answer; /exit or Ctrl-D quits)\n>>> ");
            }
        })?;
    }
    if interactive {
        eprintln!(
            "{} on {} ({}). /help for commands, /exit to quit.",
            session.name(),
            session.device(),
            context_line(&session)
        );
    }
    let mut memory = Memory {
        system: opts.system,
        turns: Vec::new(),
    };
    let mut max_tokens = opts.max_tokens;
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if interactive {
            eprint!(">>> ");
            std::io::stderr().flush()?;
        }
        let Some(line) = read_message(&mut lines, interactive)? else {
            break;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(command) = line.strip_prefix('/') {
            match slash(
                command,
                &mut memory,
                &mut params,
                &mut max_tokens,
                &mut session,
            ) {
                Flow::Quit => break,
                Flow::Continue => continue,
            }
        }
        memory.turns.push(Message::user(line));
        cancel.store(false, Ordering::Relaxed);
        answering.store(true, Ordering::Relaxed);
        let mut out = std::io::stdout().lock();
        let result = session.reply(
            &memory.messages(),
            &params,
            max_tokens,
            &cancel,
            &mut |step| {
                let _ = out.write_all(step.text.as_bytes());
                let _ = out.flush();
            },
        );
        answering.store(false, Ordering::Relaxed);
        let _ = writeln!(out);
        drop(out);
        match result {
            Ok(reply) => {
                if let Some(n) = &reply.notice {
                    eprintln!("note: {n}");
                }
                forget_dropped(&mut memory, &reply);
                memory.turns.push(Message::assistant(reply.text.clone()));
                report(&reply, cancel.load(Ordering::Relaxed));
            }
            Err(e) => {
                // The message is not kept: the conversation stays as it was before it.
                memory.turns.pop();
                eprintln!("error: {e:#}");
                if !interactive {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

enum Flow {
    Continue,
    Quit,
}

fn slash(
    command: &str,
    memory: &mut Memory,
    params: &mut SamplingParams,
    max_tokens: &mut Option<usize>,
    session: &mut Session,
) -> Flow {
    let (name, rest) = command
        .split_once(char::is_whitespace)
        .map(|(n, r)| (n, r.trim()))
        .unwrap_or((command, ""));
    match name {
        "exit" | "bye" | "quit" => return Flow::Quit,
        "help" | "?" => eprintln!("{HELP}"),
        "reset" | "clear" => {
            memory.turns.clear();
            session.reset();
            eprintln!("(new conversation)");
        }
        "system" => {
            memory.system = (!rest.is_empty()).then(|| rest.to_string());
            memory.turns.clear();
            eprintln!(
                "(system prompt {}; new conversation)",
                if rest.is_empty() { "cleared" } else { "set" }
            );
        }
        "show" => eprintln!("{}", settings(params, *max_tokens)),
        "set" => match set(params, max_tokens, rest) {
            Ok(()) => eprintln!("{}", settings(params, *max_tokens)),
            Err(e) => eprintln!("error: {e}"),
        },
        other => eprintln!("unknown command /{other}; /help lists them"),
    }
    Flow::Continue
}

/// `/set NAME VALUE`: applied only if the new settings validate.
fn set(
    params: &mut SamplingParams,
    max_tokens: &mut Option<usize>,
    rest: &str,
) -> Result<(), String> {
    let (name, value) = rest
        .split_once(char::is_whitespace)
        .map(|(n, v)| (n, v.trim()))
        .unwrap_or((rest, ""));
    let mut p = params.clone();
    let float = || {
        value
            .parse::<f32>()
            .map_err(|_| format!("{name} needs a number, got {value:?}"))
    };
    let int = || {
        value
            .parse::<usize>()
            .map_err(|_| format!("{name} needs a whole number, got {value:?}"))
    };
    match name {
        "temperature" => p.temperature = float()?,
        "top_k" => p.top_k = int()?,
        "top_p" => p.top_p = float()?,
        "min_p" => p.min_p = float()?,
        "repeat_penalty" | "repetition_penalty" => p.repetition_penalty = float()?,
        "presence_penalty" => p.presence_penalty = float()?,
        "frequency_penalty" => p.frequency_penalty = float()?,
        "repeat_last_n" => p.penalty_last_n = int()?,
        "seed" => p.seed = Some(int()? as u64),
        "stop" if value.is_empty() => p.stop.clear(),
        "stop" => p.stop.push(value.to_string()),
        "max_tokens" => {
            let n = int()?;
            if n == 0 {
                return Err("max_tokens must be at least 1".into());
            }
            *max_tokens = Some(n);
            return Ok(());
        }
        "" => return Err("usage: /set NAME VALUE (/help lists the names)".into()),
        other => return Err(format!("unknown setting {other:?}; /help lists them")),
    }
    p.validate().map_err(|e| e.to_string())?;
    *params = p;
    Ok(())
}

fn settings(p: &SamplingParams, max_tokens: Option<usize>) -> String {
    format!(
        "temperature {} | top_k {} | top_p {} | min_p {} | repeat_penalty {} | presence_penalty {} | frequency_penalty {} | repeat_last_n {} | seed {} | max_tokens {} | stop {:?}",
        p.temperature,
        p.top_k,
        p.top_p,
        p.min_p,
        p.repetition_penalty,
        p.presence_penalty,
        p.frequency_penalty,
        p.penalty_last_n,
        p.seed.map_or("random".into(), |s| s.to_string()),
        max_tokens.map_or("auto".into(), |m| m.to_string()),
        p.stop
    )
}

/// One message: a line, or several when lines end with a backslash (interactive only).
fn read_message(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    interactive: bool,
) -> Result<Option<String>> {
    let mut message = String::new();
    loop {
        let Some(line) = lines.next().transpose()? else {
            return Ok((!message.is_empty()).then_some(message));
        };
        match line.strip_suffix('\\') {
            Some(part) if interactive => {
                message.push_str(part);
                message.push('\n');
                eprint!("... ");
            }
            _ => {
                message.push_str(&line);
                return Ok(Some(message));
            }
        }
    }
}

/// Old turns the context could not hold were dropped from the prompt: drop them from memory
/// too, so what the REPL remembers is what the model saw.
fn forget_dropped(memory: &mut Memory, reply: &Reply) {
    let n = reply.dropped.min(memory.turns.len().saturating_sub(1));
    memory.turns.drain(..n);
}

fn report(reply: &Reply, stopped: bool) {
    eprintln!(
        "[{} prompt tokens ({} new) in {:.2} s: {:.1} tok/s | {} tokens in {:.2} s: {:.1} tok/s | first token after {:.2} s{}]",
        reply.prompt_tokens,
        reply.prompt_tokens - reply.reused_tokens,
        reply.first_token_s,
        reply.prefill_tok_s(),
        reply.completion_tokens,
        reply.decode_s,
        reply.decode_tok_s(),
        reply.first_token_s,
        if stopped {
            " | stopped"
        } else if reply.finish == FinishReason::Length {
            " | cut at max tokens"
        } else {
            ""
        }
    );
}

fn context_line(session: &Session) -> String {
    let l = session.limits();
    if l.windowed {
        format!(
            "sliding window of {} tokens: the context rolls on",
            l.capacity
        )
    } else {
        format!(
            "context of {} tokens: the oldest turns are dropped past it",
            l.capacity
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_validates_and_keeps_the_old_value_on_error() {
        let mut p = SamplingParams::default();
        let mut m = None;
        set(&mut p, &mut m, "temperature 0.2").unwrap();
        assert_eq!(p.temperature, 0.2);
        assert!(set(&mut p, &mut m, "temperature NaN").is_err());
        assert!(set(&mut p, &mut m, "top_p 3").is_err());
        assert_eq!(p.temperature, 0.2);
        set(&mut p, &mut m, "stop END").unwrap();
        assert_eq!(p.stop, ["END"]);
        set(&mut p, &mut m, "max_tokens 12").unwrap();
        assert_eq!(m, Some(12));
        assert!(set(&mut p, &mut m, "bogus 1").is_err());
    }
}
