//! `demo`: a few fixed questions, each answered greedily with its timings, then a summary: what
//! the model and this machine do, in one command.

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::session::Session;
use anyhow::Result;
use mistral_generate::SamplingParams;
use mistral_text::Message;
use std::io::Write;
use std::sync::atomic::AtomicBool;

/// The questions, one short factual, one creative, one explanatory.
pub const PROMPTS: [&str; 3] = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Explain in two sentences what a GPU is.",
];

pub fn run(args: &ModelArgs, dev: &DeviceArgs, max_tokens: usize) -> Result<()> {
    let mut session = Session::load(args, dev)?;
    println!("{} on {}", session.name(), session.device());
    let never = AtomicBool::new(false);
    let mut rows = Vec::new();
    for prompt in PROMPTS {
        // Each question alone: a fresh conversation, greedy, so the demo is reproducible.
        session.reset();
        println!("\n>>> {prompt}");
        let mut out = std::io::stdout().lock();
        let reply = session.reply(
            &[Message::user(prompt)],
            &SamplingParams::greedy(),
            Some(max_tokens),
            &never,
            &mut |step| {
                let _ = out.write_all(step.text.as_bytes());
                let _ = out.flush();
            },
        )?;
        drop(out);
        println!(
            "\n[{} prompt tokens: {:.1} tok/s | {} tokens: {:.1} tok/s | first token after {:.2} s]",
            reply.prompt_tokens,
            reply.prefill_tok_s(),
            reply.completion_tokens,
            reply.decode_tok_s(),
            reply.first_token_s
        );
        rows.push(reply);
    }
    let n = rows.len() as f32;
    println!(
        "\naverage: prefill {:.1} tok/s, decode {:.1} tok/s, first token after {:.2} s",
        rows.iter().map(|r| r.prefill_tok_s()).sum::<f32>() / n,
        rows.iter().map(|r| r.decode_tok_s()).sum::<f32>() / n,
        rows.iter().map(|r| r.first_token_s).sum::<f32>() / n
    );
    Ok(())
}
