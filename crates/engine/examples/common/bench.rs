//! What the kernel benchmarks (bench_matvec, bench_matmul, bench_ops) share: the adapter,
//! deterministic inputs, and the timing loop (bench_ops has its own, with GPU timestamps and
//! weights rotated out of the caches).

use std::time::Instant;

use mistral_engine::wgpu;
use mistral_engine::GpuContext;

/// The adapter `MISTRAL_WGPU_ADAPTER` / `WGPU_BACKEND` choose; exits with the error otherwise.
pub fn gpu() -> GpuContext {
    let ctx = GpuContext::new_blocking(None).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    println!("adapter: {}", ctx.adapter);
    ctx
}

/// Deterministic values in [-1, 1) (an LCG is plenty for a benchmark).
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Seconds per call of `record`, timed over `iters` calls in one compute pass after a warm-up.
pub fn time_per_call(
    ctx: &GpuContext,
    iters: usize,
    record: &dyn Fn(&mut wgpu::ComputePass<'_>),
) -> f64 {
    let run = |n: usize| {
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            for _ in 0..n {
                record(&mut pass);
            }
        }
        ctx.queue.submit(Some(enc.finish()));
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("poll");
    };
    run(2);
    let start = Instant::now();
    run(iters);
    start.elapsed().as_secs_f64() / iters as f64
}
