//! One file per command.

mod bench;
mod bench_profile;
mod devices;
mod info;
mod logits;
mod quantize;
mod run;
mod tokenize;

use crate::cli::{Cli, Command};
use anyhow::Result;

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Info { model, gpu } => info::run(&model, &gpu),
        Command::Logits {
            model,
            tokens,
            out,
            chunk,
            device,
        } => logits::run(&model, &device, &tokens, &out, chunk),
        Command::Devices => devices::run(),
        Command::Bench {
            model,
            device,
            prompt_tokens,
            gen_tokens,
            repetitions,
            warmup,
            json,
            profile,
        } => bench::run(
            &model,
            &device,
            &bench::BenchOptions {
                prompt_tokens,
                gen_tokens,
                repetitions,
                warmup,
                json,
                profile,
            },
        ),
        Command::Quantize {
            model,
            out,
            tokenizer,
            ty,
        } => quantize::run(&model, &out, tokenizer.as_deref(), &ty),
        Command::Tokenize { model, text, input } => {
            tokenize::run(&model, text.as_deref(), input.as_deref())
        }
        Command::Run {
            model,
            prompt,
            system,
            raw,
            max_tokens,
            temperature,
            top_p,
            seed,
            device,
        } => run::run(
            &model,
            &device,
            &run::RunOptions {
                prompt,
                system,
                raw,
                max_tokens,
                sampling: mistral_reference::sampling::SamplingParams {
                    temperature,
                    top_p,
                    top_k: 40,
                },
                seed,
            },
        ),
    }
}
