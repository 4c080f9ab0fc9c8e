//! `run`: one prompt in, a streamed reply out (stdout); timings and logs on stderr.

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::runner::Runner;
use crate::template_sandbox;
use crate::text_loading::tokenizer_for_model;
use anyhow::{bail, Result};
use mistral_reference::sampling::{Sampler, SamplingParams};
use mistral_text::{ChatTemplate, Message};
use std::io::Write;
use std::time::Instant;

pub struct RunOptions {
    pub prompt: String,
    pub system: Option<String>,
    pub raw: bool,
    pub max_tokens: usize,
    pub sampling: SamplingParams,
    pub seed: u64,
}

pub fn run(args: &ModelArgs, dev: &DeviceArgs, opts: &RunOptions) -> Result<()> {
    let model = args.open()?;
    let tok = tokenizer_for_model(&model, &args.model, args.tokenizer.as_deref())?;
    let prompt_ids = if opts.raw {
        tok.encode(&opts.prompt, tok.add_bos())?
    } else {
        let mut messages = Vec::new();
        if let Some(s) = &opts.system {
            messages.push(Message::system(s.clone()));
        }
        messages.push(Message::user(opts.prompt.clone()));
        let template = ChatTemplate::for_tokenizer(&tok)?;
        template.encode_with(&tok, &messages, true, &|m, g| {
            template_sandbox::render(&template, m, g)
        })?
    };
    if prompt_ids.is_empty() {
        bail!("the prompt is empty and this model adds no BOS token: give some text with --prompt");
    }
    let config = &model.config;
    if config.sliding_window.is_none() && prompt_ids.len() + opts.max_tokens > args.context {
        bail!(
            "the prompt ({} tokens) plus --max-tokens {} exceeds the context of {} tokens; shorten the prompt, lower --max-tokens or raise --context",
            prompt_ids.len(),
            opts.max_tokens,
            args.context
        );
    }

    let t_load = Instant::now();
    let mut engine = Runner::load(&model, dev, args.context)?;
    eprintln!(
        "loaded {} on {:?} in {:.1} s",
        args.model.display(),
        dev.device,
        t_load.elapsed().as_secs_f32()
    );
    let mut sampler = Sampler::new(opts.sampling.clone(), opts.seed);
    let mut stream = tok.stream_decoder();
    let mut out = std::io::stdout().lock();
    let mut generated = 0;
    let t_prefill = Instant::now();
    let mut prefill_s = 0.0;
    let mut t_decode = Instant::now();
    if opts.sampling.temperature <= 0.0 {
        // Greedy: the steps are chained on the GPU (no wait for the CPU between tokens).
        let mut failed = None;
        engine.generate_greedy(&prompt_ids, opts.max_tokens, |next| {
            if generated == 0 {
                prefill_s = t_prefill.elapsed().as_secs_f32();
                t_decode = Instant::now();
            }
            if tok.is_eos(next) {
                return false;
            }
            generated += 1;
            let shown = stream
                .step(next)
                .map_err(anyhow::Error::from)
                .and_then(|piece| {
                    if let Some(piece) = piece {
                        out.write_all(piece.as_bytes())?;
                        out.flush()?;
                    }
                    Ok(())
                });
            match shown {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
    } else {
        // On the GPU top-k sampling reads back k candidates per token.
        let mut step = |engine: &mut Runner, ids: &[u32]| -> Result<u32> {
            engine.sample_step(ids, &mut sampler)
        };
        let mut next = step(&mut engine, &prompt_ids)?;
        prefill_s = t_prefill.elapsed().as_secs_f32();
        t_decode = Instant::now();
        while generated < opts.max_tokens && !tok.is_eos(next) {
            generated += 1;
            if let Some(piece) = stream.step(next)? {
                out.write_all(piece.as_bytes())?;
                out.flush()?;
            }
            if generated == opts.max_tokens {
                break;
            }
            next = step(&mut engine, &[next])?;
        }
    }
    if let Some(rest) = stream.finish()? {
        out.write_all(rest.as_bytes())?;
    }
    writeln!(out)?;
    let decode_s = t_decode.elapsed().as_secs_f32();
    eprintln!(
        "prompt {} tokens in {:.2} s ({:.1} tok/s); generated {generated} tokens in {:.2} s ({:.1} tok/s)",
        prompt_ids.len(),
        prefill_s,
        prompt_ids.len() as f32 / prefill_s,
        decode_s,
        generated as f32 / decode_s.max(1e-9)
    );
    Ok(())
}
