//! Shared by the GPU tests: one device per test binary, a deterministic PRNG, and helpers to
//! run a compute pass and read results back.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use mistral_engine::{readback, GpuContext};

/// The device every GPU test uses. Panics (the test FAILS, it never skips) when there is no
/// adapter, with the message saying what to install.
pub fn gpu() -> &'static GpuContext {
    static CTX: OnceLock<GpuContext> = OnceLock::new();
    CTX.get_or_init(|| {
        ensure_xdg_runtime_dir();
        let ctx = GpuContext::new_blocking(None)
            .unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}"));
        eprintln!("adapter: {}", ctx.adapter);
        ctx
    })
}

/// The same kind of device, shared as the `Arc` that `GpuModel::load` takes (one per test
/// binary; fails, never skips, without an adapter).
pub fn gpu_arc() -> Arc<GpuContext> {
    static CTX: OnceLock<Arc<GpuContext>> = OnceLock::new();
    CTX.get_or_init(|| {
        ensure_xdg_runtime_dir();
        Arc::new(
            GpuContext::new_blocking(None)
                .unwrap_or_else(|e| panic!("GPU tests need an adapter: {e}")),
        )
    })
    .clone()
}

/// Mesa's Vulkan loader warns (and some drivers misbehave) without XDG_RUNTIME_DIR; CI
/// containers often lack it, so give it a private one.
fn ensure_xdg_runtime_dir() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mistral-engine-xdg-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_ok() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        // SAFETY (edition 2021: set_var is safe to call): done once, before wgpu starts threads.
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
}

/// SplitMix64: a tiny deterministic PRNG so inputs are reproducible without the rand crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform() * scale).collect()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Records one compute pass with `f`, submits it, and checks for device errors.
pub fn run_pass(ctx: &GpuContext, f: impl FnOnce(&mut mistral_engine::wgpu::ComputePass<'_>)) {
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        f(&mut pass);
    }
    ctx.queue.submit(Some(enc.finish()));
    ctx.check().unwrap_or_else(|e| panic!("{e}"));
}

pub fn read_f32(ctx: &GpuContext, buf: &mistral_engine::wgpu::Buffer, len: usize) -> Vec<f32> {
    pollster::block_on(readback::read_f32(ctx, buf, 0, len)).unwrap_or_else(|e| panic!("{e}"))
}

pub fn read_u32(ctx: &GpuContext, buf: &mistral_engine::wgpu::Buffer, len: usize) -> Vec<u32> {
    pollster::block_on(readback::read_u32(ctx, buf, 0, len)).unwrap_or_else(|e| panic!("{e}"))
}

/// One line of the op table.
pub struct Outcome {
    pub op: String,
    pub case: String,
    pub error: f64,
    pub tolerance: f64,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.error <= self.tolerance
    }
}

/// Prints the table and panics listing every failing line.
pub fn report(title: &str, outcomes: &[Outcome]) {
    println!("{title}");
    println!(
        "{:<10} {:<44} {:>10} {:>10}  result",
        "op", "case", "error", "tolerance"
    );
    for o in outcomes {
        println!(
            "{:<10} {:<44} {:>10.2e} {:>10.0e}  {}",
            o.op,
            o.case,
            o.error,
            o.tolerance,
            if o.ok() { "ok" } else { "FAIL" }
        );
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.ok())
        .map(|o| {
            format!(
                "{} {}: error {:.3e} > {:.0e}",
                o.op, o.case, o.error, o.tolerance
            )
        })
        .collect();
    println!(
        "op table: {} ok, {} failing",
        outcomes.len() - failed.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "op table failures:\n{}",
        failed.join("\n")
    );
}
