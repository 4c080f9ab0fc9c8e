//! `run`: one prompt in, a streamed reply out (stdout); timings and logs on stderr. Sampling,
//! stops and the streamed text are mistral_generate's `Generation`, as in the browser engine.

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::runner::Runner;
use crate::sampling_args::{file_defaults, SamplingArgs};
use crate::template_sandbox;
use crate::text_loading::tokenizer_for_model;
use anyhow::{bail, Result};
use mistral_generate::{Generation, Logits, LogitsNeed, Step};
use mistral_text::{ChatTemplate, Message};
use std::io::Write;
use std::time::Instant;

pub struct RunOptions {
    pub prompt: String,
    pub system: Option<String>,
    pub raw: bool,
    pub max_tokens: usize,
    /// The flags; what they leave out comes from the model file, else the defaults.
    pub sampling: SamplingArgs,
}

pub fn run(args: &ModelArgs, dev: &DeviceArgs, opts: &RunOptions) -> Result<()> {
    let model = args.open()?;
    let sampling = opts.sampling.params(&file_defaults(&model));
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
    let mut generation = Generation::new(&tok, sampling, &prompt_ids, opts.max_tokens, 0)?;

    let t_load = Instant::now();
    let mut engine = Runner::load(&model, dev, args.context)?;
    eprintln!(
        "loaded {} on {:?} in {:.1} s",
        args.model.display(),
        dev.device,
        t_load.elapsed().as_secs_f32()
    );
    let mut out = std::io::stdout().lock();
    let t_prefill = Instant::now();
    let mut prefill_s = None;
    let mut t_decode = Instant::now();
    // Shows a step's text; the first step's arrival ends the prefill timing.
    let mut show = |step: &Step| -> Result<()> {
        if prefill_s.is_none() {
            prefill_s = Some(t_prefill.elapsed().as_secs_f32());
            t_decode = Instant::now();
        }
        out.write_all(step.text.as_bytes())?;
        out.flush()?;
        Ok(())
    };
    if generation.need(engine.max_top_k()) == LogitsNeed::Argmax {
        // Greedy: the steps are chained on the GPU (no wait for the CPU between tokens).
        let mut failed = None;
        engine.generate_greedy(&prompt_ids, opts.max_tokens, |next| {
            let shown = generation
                .push(Logits::Argmax(next))
                .map_err(anyhow::Error::from)
                .and_then(|step| show(&step));
            if let Err(e) = shown {
                failed = Some(e);
            }
            failed.is_none() && !generation.is_done()
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
    } else {
        // On the GPU, top-k sampling reads back only the candidates it needs.
        let mut feed = prompt_ids.clone();
        while !generation.is_done() {
            let need = generation.need(engine.max_top_k());
            let back = engine.read_back(&feed, need)?;
            let step = generation.push(back.logits())?;
            show(&step)?;
            feed = generation.next_input().into_iter().collect();
        }
    }
    // Text still held back (e.g. a possible stop string when the engine ran out of context).
    let rest = generation.end(mistral_generate::FinishReason::Length)?;
    show(&rest)?;
    writeln!(out)?;
    let generated = generation.tokens().len();
    let prefill_s = prefill_s.unwrap_or_default();
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
