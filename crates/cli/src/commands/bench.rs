//! `bench`: prefill and decode speed, time to first token, and the weight bandwidth decode
//! achieves; median, min and max over repetitions, as a table or one JSON object.

use crate::device_args::{Device, DeviceArgs};
use crate::model_args::ModelArgs;
use crate::runner::Runner;
use anyhow::Result;
use serde_json::{json, Value};
use std::time::Instant;

pub struct BenchOptions {
    pub prompt_tokens: usize,
    pub gen_tokens: usize,
    pub repetitions: usize,
    pub warmup: usize,
    pub json: bool,
    pub profile: bool,
}

/// One timed repetition.
struct Timing {
    /// Prompt in, first generated token id back (TTFT).
    prefill_s: f64,
    /// `gen_tokens` single-token steps.
    decode_s: f64,
}

/// Median, min and max of a measure over the repetitions.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Summary {
    median: f64,
    min: f64,
    max: f64,
}

impl Summary {
    fn of(mut v: Vec<f64>) -> Summary {
        assert!(!v.is_empty(), "at least one repetition");
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Summary {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }

    fn json(self) -> Value {
        json!({ "median": self.median, "min": self.min, "max": self.max })
    }

    /// "12.34 [12.00 .. 12.50]" with `decimals` digits.
    fn show(self, decimals: usize) -> String {
        format!(
            "{:.d$} [{:.d$} .. {:.d$}]",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

pub fn run(args: &ModelArgs, dev: &DeviceArgs, o: &BenchOptions) -> Result<()> {
    if o.profile && dev.device == Device::Cpu {
        anyhow::bail!("--profile times GPU kernels: use it with --device gpu");
    }
    let model = args.open()?;
    let weight_bytes = model.weight_bytes();
    let vocab = model.config.vocab_size.max(2) as u32;
    let context = args.context.max(o.prompt_tokens + o.gen_tokens + 1);
    let mut runner = Runner::load(&model, dev, context)?;
    // Tokens per prefill step: the GPU's effective chunk; the CPU reference runs the whole
    // prompt as one forward pass.
    let prefill_chunk = match dev.device {
        Device::Gpu => runner.gpu().map_or(o.prompt_tokens, |g| g.prefill_chunk()),
        Device::Cpu => o.prompt_tokens,
    };
    // Deterministic, in-vocabulary ids: speed does not depend on which tokens they are.
    let prompt: Vec<u32> = (0..o.prompt_tokens as u32)
        .map(|i| 1 + (i * 7919) % (vocab - 1))
        .collect();

    // Short and untimed: one full prefill chunk plus a single-token step (so both graphs run),
    // then two decode steps.
    let warm_prompt = &prompt[..prompt.len().min(prefill_chunk + 1)];
    for _ in 0..o.warmup {
        runner.reset();
        let mut next = runner.greedy(warm_prompt)?;
        for _ in 0..o.gen_tokens.min(2) {
            next = runner.greedy(&[next])?;
        }
    }
    if o.warmup > 0 {
        eprintln!(
            "warmup: {} untimed run(s) of {} prompt tokens + {} decode steps",
            o.warmup,
            warm_prompt.len(),
            o.gen_tokens.min(2)
        );
    }

    let mut timings = Vec::with_capacity(o.repetitions);
    for r in 0..o.repetitions {
        runner.reset();
        // Greedy generation as `run` does it (chained on the GPU): the first token's arrival is
        // the TTFT, the next gen_tokens arrivals time the decode.
        let t = Instant::now();
        let mut arrivals = Vec::with_capacity(o.gen_tokens + 1);
        runner.generate_greedy(&prompt, o.gen_tokens + 1, |_| {
            arrivals.push(t.elapsed().as_secs_f64());
            true
        })?;
        let prefill_s = arrivals[0].max(1e-9);
        let decode_s = (arrivals[arrivals.len() - 1] - arrivals[0]).max(1e-9);
        eprintln!(
            "repetition {}/{}: prefill {:.1} tok/s (TTFT {:.1} ms), decode {:.2} tok/s",
            r + 1,
            o.repetitions,
            o.prompt_tokens as f64 / prefill_s,
            prefill_s * 1e3,
            o.gen_tokens as f64 / decode_s
        );
        timings.push(Timing {
            prefill_s,
            decode_s,
        });
    }
    let summary = |f: &dyn Fn(&Timing) -> f64| Summary::of(timings.iter().map(f).collect());
    let prefill_tps = summary(&|t| o.prompt_tokens as f64 / t.prefill_s);
    let decode_tps = summary(&|t| o.gen_tokens as f64 / t.decode_s);
    let ttft_ms = summary(&|t| t.prefill_s * 1e3);
    let weight_gb_s = summary(&|t| weight_bytes as f64 * (o.gen_tokens as f64 / t.decode_s) / 1e9);

    let profiles = match (o.profile, runner.gpu_mut()) {
        (true, Some(g)) => Some(super::bench_profile::profile(g, &prompt, prefill_chunk)?),
        _ => None,
    };
    let gpu = runner.gpu();
    let kernels = gpu.map(|g| {
        let (family, why) = g.kernel_family();
        (family.name(), why.to_string())
    });
    let kv = match dev.device {
        Device::Gpu => dev.kv_precision().name(),
        Device::Cpu => "f32",
    };

    if o.json {
        let report = json!({
            "model": args.model.display().to_string(),
            "model_name": model.config.name,
            "weights_bytes": weight_bytes,
            "adapter": gpu.map_or("cpu-reference".to_string(), |g| g.ctx.adapter.name.clone()),
            "backend": gpu.map(|g| format!("{:?}", g.ctx.adapter.backend)),
            "device_type": gpu.map(|g| format!("{:?}", g.ctx.adapter.device_type)),
            "kernels": kernels.as_ref().map(|k| k.0),
            "kernels_reason": kernels.as_ref().map(|k| k.1.clone()),
            "kv": kv,
            "prefill_chunk": prefill_chunk,
            "prompt_tokens": o.prompt_tokens,
            "gen_tokens": o.gen_tokens,
            "repetitions": o.repetitions,
            "prefill_tok_s": prefill_tps.json(),
            "decode_tok_s": decode_tps.json(),
            "ttft_ms": ttft_ms.json(),
            "weight_gb_s": weight_gb_s.json(),
            // GPU work items one greedy decode token records (null on the CPU reference).
            "dispatches_per_token": gpu.map(|g| g.dispatches_per_token()),
            "profile": profiles.as_ref().map(|(p, d)| json!({
                "prefill": super::bench_profile::to_json(p),
                "decode": super::bench_profile::to_json(d),
            })),
        });
        println!("{report}");
        return Ok(());
    }

    match &model.config.name {
        Some(name) => println!("model            {} ({name})", args.model.display()),
        None => println!("model            {}", args.model.display()),
    }
    match (gpu, &kernels) {
        (Some(g), Some((family, why))) => {
            let a = &g.ctx.adapter;
            println!(
                "device           gpu: {} ({:?}, {:?})",
                a.name, a.backend, a.device_type
            );
            println!("kernels          {family} ({why})");
            println!(
                "dispatches       {} per decode token ({} per layer)",
                g.dispatches_per_token(),
                g.dispatches_per_layer()
            );
        }
        _ => println!("device           cpu: the f32 CPU reference"),
    }
    println!(
        "weights          {:.1} MiB",
        weight_bytes as f64 / (1 << 20) as f64
    );
    println!(
        "setup            KV {kv}, prefill chunk {prefill_chunk}, {} prompt + {} generated tokens, \
         {} repetition(s) after {} warmup: median [min .. max]",
        o.prompt_tokens, o.gen_tokens, o.repetitions, o.warmup
    );
    println!("prefill          {} tok/s", prefill_tps.show(1));
    println!(
        "TTFT             {} ms (prompt in, first token id back)",
        ttft_ms.show(1)
    );
    println!("decode           {} tok/s", decode_tps.show(2));
    println!(
        "weight bandwidth {} GB/s (weight bytes x decode tok/s)",
        weight_gb_s.show(2)
    );
    if let Some((p, d)) = &profiles {
        super::bench_profile::print("prefill", p);
        super::bench_profile::print("decode", d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn summary_takes_the_middle_or_the_mean_of_the_two_middles() {
        let s = Summary::of(vec![3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Summary::of(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        let s = Summary::of(vec![7.0]);
        assert_eq!((s.median, s.min, s.max), (7.0, 7.0, 7.0));
    }
}
