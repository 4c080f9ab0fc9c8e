//! `bench`: prefill and decode speed, and the weight bandwidth decode achieves.

use crate::device_args::DeviceArgs;
use crate::model_args::ModelArgs;
use crate::runner::Runner;
use anyhow::Result;
use std::time::Instant;

pub fn run(
    args: &ModelArgs,
    dev: &DeviceArgs,
    prompt_tokens: usize,
    gen_tokens: usize,
) -> Result<()> {
    let model = args.open()?;
    let weight_bytes = model.weight_bytes();
    let vocab = model.config.vocab_size as u32;
    let mut runner = Runner::load(
        &model,
        dev,
        args.context.max(prompt_tokens + gen_tokens + 1),
    )?;
    // Deterministic, in-vocabulary ids: speed does not depend on which tokens they are.
    let prompt: Vec<u32> = (0..prompt_tokens as u32)
        .map(|i| 1 + (i * 7919) % (vocab - 1))
        .collect();
    let t = Instant::now();
    let mut next = runner.greedy(&prompt)?;
    let prefill_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..gen_tokens {
        next = runner.greedy(&[next])?;
    }
    let decode_s = t.elapsed().as_secs_f64();
    let decode_tps = gen_tokens as f64 / decode_s;
    println!("model            {}", args.model.display());
    println!("device           {:?}", dev.device);
    println!(
        "weights          {:.1} MiB",
        weight_bytes as f64 / (1 << 20) as f64
    );
    println!(
        "prefill          {prompt_tokens} tokens in {prefill_s:.3} s = {:.1} tok/s",
        prompt_tokens as f64 / prefill_s
    );
    println!("decode           {gen_tokens} tokens in {decode_s:.3} s = {decode_tps:.2} tok/s");
    println!(
        "weight bandwidth {:.2} GB/s (weight bytes x decode tok/s)",
        weight_bytes as f64 * decode_tps / 1e9
    );
    Ok(())
}
