//! `bench --profile`: GPU time per kernel of one prefill chunk and one decode step, from
//! timestamp queries (`GpuModel::profile_step`).

use anyhow::Result;
use mistral_engine::model::{GpuModel, StepProfile};
use serde_json::{json, Value};

/// Profiles a prefill step of up to one chunk of `prompt`, then the decode step after it.
pub fn profile(
    gpu: &mut GpuModel,
    prompt: &[u32],
    chunk: usize,
) -> Result<(StepProfile, StepProfile)> {
    gpu.reset();
    let first = &prompt[..prompt.len().min(chunk)];
    let prefill = pollster::block_on(gpu.profile_step(first))?;
    let decode = pollster::block_on(gpu.profile_step(&first[..1]))?;
    gpu.reset();
    Ok((prefill, decode))
}

pub fn to_json(p: &StepProfile) -> Value {
    json!({
        "tokens": p.tokens,
        "dispatches": p.dispatches,
        "total_ms": p.total_ns() / 1e6,
        "ops": p.ops.iter().map(|o| json!({
            "op": o.op, "calls": o.calls, "ms": o.ns / 1e6,
        })).collect::<Vec<_>>(),
    })
}

pub fn print(what: &str, p: &StepProfile) {
    let total = p.total_ns().max(1.0);
    println!(
        "profile: {what} ({} tokens, {} dispatches, {:.2} ms of GPU time)",
        p.tokens,
        p.dispatches,
        total / 1e6
    );
    println!(
        "  {:<34} {:>6} {:>10} {:>7}",
        "kernel", "calls", "ms", "share"
    );
    for o in &p.ops {
        println!(
            "  {:<34} {:>6} {:>10.3} {:>6.1}%",
            o.op,
            o.calls,
            o.ns / 1e6,
            100.0 * o.ns / total
        );
    }
}
