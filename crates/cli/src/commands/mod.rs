//! One file per command.

mod bench;
mod bench_profile;
mod chat;
mod demo;
mod devices;
mod info;
mod list;
mod logits;
mod quantize;
mod rm;
mod run;
pub(crate) mod serve;
mod tokenize;

use crate::cli::{Cli, Command};
use anyhow::Result;

pub fn dispatch(mut cli: Cli) -> Result<()> {
    // Every command that runs a model gets its --model as a file on disk first (downloaded
    // into the cache when it names a URL or a Hugging Face file).
    crate::model_fetch::resolve_model(&mut cli.command)?;
    match cli.command {
        Command::Chat {
            model,
            system,
            max_tokens,
            sampling,
            device,
        } => chat::run(
            &model,
            &device,
            chat::ChatOptions {
                system,
                max_tokens,
                sampling,
            },
        ),
        Command::Demo {
            model,
            max_tokens,
            device,
        } => demo::run(&model, &device, max_tokens),
        Command::List { cache, json } => list::run(&cache, json),
        Command::Rm { names, cache } => rm::run(&cache, &names),
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
            sampling,
            device,
        } => run::run(
            &model,
            &device,
            &run::RunOptions {
                prompt,
                system,
                raw,
                max_tokens,
                sampling,
            },
        ),
        Command::Serve {
            model,
            host,
            port,
            max_queue,
            api_key,
            cors,
            device,
        } => serve::run(
            &model,
            &device,
            &serve::ServeOptions {
                host,
                port,
                max_queue,
                api_key,
                cors,
            },
        ),
    }
}
