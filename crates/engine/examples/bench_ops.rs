//! Weight-streaming ops on the current adapter against its copy bandwidth: the decode matvec and
//! the prefill matmul for every weight type and every kernel variant the device has (both kernel
//! families), on Mistral-7B's shapes, with the weights read from memory rather than a cache.
//!
//! ```text
//! cargo run --release -p mistral-engine --example bench_ops                  # 7B shapes, chunk 32
//! cargo run --release -p mistral-engine --example bench_ops -- --quick       # smoke run, small shapes
//! cargo run --release -p mistral-engine --example bench_ops -- --chunk 32,128,512 --json > ops.json
//! cargo run --release -p mistral-engine --example bench_ops -- --types q4_0,q4k --variants selected \
//!     --shapes gate,down --ops matvec
//! ```
//!
//! Options (defaults in brackets):
//! - `--types LIST`     weight types: f32,f16,bf16,q8_0,q6k,q4k,q4_1,q4_0 [f32,f16,q8_0,q6k,q4k,q4_1,q4_0]
//! - `--variants LIST`  all | selected (the table's pick for this adapter) | cpu | gpu (one
//!   family's variants) | names: baseline, subgroup, coalesced, coalesced-subgroup (matvec),
//!   rows, rows-subgroup, tiled (matmul) [all]. Variants the device lacks are skipped.
//! - `--shapes LIST`    ROWSxCOLS (rows = outputs) or q, o (4096x4096), gate, up (14336x4096),
//!   down (4096x14336), 7b (those three) [7b; --quick: 1024x1024,3584x1024,1024x3584]
//! - `--ops LIST`       matvec (decode, one token), matmul (prefill, --chunk tokens) [both]
//! - `--chunk LIST`     prefill chunk sizes in tokens, each > 1 [32]
//! - `--iters N`        timed calls per measurement, at most [256; --quick: 64]
//! - `--per-submit N`   calls recorded in one compute pass and submission, as a layer's
//!   dispatches are [32]; fewer when one call takes long (see --max-secs)
//! - `--max-secs S`     time budget per measurement after warm-up: stops early (slow CPU
//!   adapters), and bounds a submission to half of it [1.0; --quick: 0.25]
//! - `--rotate-mib N`   distinct copies of each tensor are uploaded until they exceed N MiB
//!   together, and calls cycle through them, so that no call finds its weights in a cache
//!   (H100 L2 50 MB, RTX 4090 72 MB); 0 = one copy, every call on the same tensor (to see
//!   what a cache gives) [256; --quick: 32]
//! - `--copy-mib N`     buffer size of the copy-bandwidth measurement, capped by the device's
//!   max buffer size [256; --quick: 64]
//! - `--wall-clock`     time with the wall clock even where the device has timestamps
//! - `--json`           one JSON object on stdout instead of the markdown table (progress on stderr)
//! - `--quick`          the smaller defaults above (a smoke run; explicit options still win)
//!
//! First the device's copy bandwidth: `copy_buffer_to_buffer` of a `--copy-mib` buffer, 8 copies
//! per submission; GB/s = 2 x bytes / time (each byte read and written), and the read-only
//! equivalent bytes / time. The first is the decode roofline: a matvec streams its weights once,
//! so "% copy" = weight GB/s / copy GB/s.
//!
//! Then per (shape, type) the tensor is quantized once (256 distinct rows, repeated: the f32
//! quantizers are too slow for 256 MiB of floats), uploaded N times into separate buffers, and
//! each variant is timed: a warm-up call, then submissions of `--per-submit` calls, each call on
//! the next copy. Per call: us, GB/s of GGUF weight bytes (what the file stores, not the
//! repacked GPU arrays), % of the copy bandwidth, tok/s (1 per matvec call, --chunk per matmul
//! call). With `Features::TIMESTAMP_QUERY` on the device the time is GPU time, between
//! timestamps at the start and end of each submission's compute pass (copies: between two empty
//! passes around them); `wall us` is always submit-to-idle wall-clock time per call. Without the
//! feature (the context does not request it, or the adapter lacks it) both are wall-clock.
//!
//! `sel`: `auto` marks the variant the kernel table picks for this adapter (what `mistral-wgpu`
//! runs; `MISTRAL_WGPU_KERNELS` / `MISTRAL_WGPU_NO_SUBGROUPS` change it as they change the
//! engine), `cpu` / `gpu` the pick of the other family (`--kernels cpu|gpu`).
//! `MISTRAL_WGPU_ADAPTER` / `WGPU_BACKEND` choose the adapter.
//!
//! On lavapipe (2 cores shared with builds) `--quick` takes ~45 s and the defaults ~4.5 min,
//! most of it in the prefill kernels; on a GPU, seconds. lavapipe's copy is likely a memcpy on
//! its queue thread while kernels run on its thread pool: there "% copy" is a reference, not a
//! roofline.

#[path = "common/bench.rs"]
#[allow(dead_code)]
mod bench;

use std::time::Instant;

use mistral_engine::ops::{Matmul, MatmulVariant, Matvec, MatvecVariant};
use mistral_engine::step::StepBuffer;
use mistral_engine::wgpu;
use mistral_engine::{buffers, AdapterFacts, GpuContext, GpuTensor, KernelChoice, KernelFamily};
use mistral_formats::{quant, TensorType};
use serde_json::{json, Value};

/// Copies per submission in the copy-bandwidth measurement.
const COPIES_PER_SUBMIT: usize = 8;
/// Distinct rows quantized per (type, cols); the rest of a tensor repeats them.
const BASE_ROWS: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Matvec,
    Matmul,
}

/// A kernel to time: one of the engine's variants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Matvec(MatvecVariant),
    Matmul(MatmulVariant),
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Matvec(MatvecVariant::Baseline) => "baseline",
            Variant::Matvec(MatvecVariant::Subgroup) => "subgroup",
            Variant::Matvec(MatvecVariant::Coalesced) => "coalesced",
            Variant::Matvec(MatvecVariant::CoalescedSubgroup) => "coalesced-subgroup",
            Variant::Matmul(MatmulVariant::Rows) => "rows",
            Variant::Matmul(MatmulVariant::RowsSubgroup) => "rows-subgroup",
            Variant::Matmul(MatmulVariant::Tiled) => "tiled",
        }
    }

    fn family(self) -> KernelFamily {
        match self {
            Variant::Matvec(v) => v.family(),
            Variant::Matmul(MatmulVariant::Rows | MatmulVariant::RowsSubgroup) => KernelFamily::Cpu,
            Variant::Matmul(MatmulVariant::Tiled) => KernelFamily::Gpu,
        }
    }

    fn supported(self, ctx: &GpuContext) -> bool {
        match self {
            Variant::Matvec(v) => v.supported(ctx),
            Variant::Matmul(v) => v.supported(ctx),
        }
    }

    /// The variant `family` selects on this device for this op.
    fn selected(self, ctx: &GpuContext, family: KernelFamily) -> bool {
        match self {
            Variant::Matvec(v) => MatvecVariant::select(ctx, family) == v,
            Variant::Matmul(v) => MatmulVariant::select(ctx, family) == v,
        }
    }

    fn all() -> Vec<Variant> {
        let mv = MatvecVariant::ALL.into_iter().map(Variant::Matvec);
        mv.chain(MatmulVariant::ALL.into_iter().map(Variant::Matmul))
            .collect()
    }
}

struct Args {
    types: Vec<TensorType>,
    /// Names or groups as given; resolved against the device.
    variants: Vec<String>,
    shapes: Vec<(usize, usize)>,
    ops: Vec<Op>,
    chunks: Vec<usize>,
    iters: usize,
    per_submit: usize,
    max_secs: f64,
    rotate_mib: usize,
    copy_mib: usize,
    wall_clock: bool,
    json: bool,
}

fn fail(msg: &str) -> ! {
    eprintln!(
        "error: {msg}\n(see the doc comment at the top of crates/engine/examples/bench_ops.rs)"
    );
    std::process::exit(2)
}

fn parse_type(name: &str) -> TensorType {
    match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "f32" => TensorType::F32,
        "f16" => TensorType::F16,
        "bf16" => TensorType::BF16,
        "q8_0" => TensorType::Q8_0,
        "q6k" | "q6_k" => TensorType::Q6K,
        "q4k" | "q4_k" => TensorType::Q4K,
        "q4_1" => TensorType::Q4_1,
        "q4_0" => TensorType::Q4_0,
        other => fail(&format!(
            "unknown type {other} (f32 f16 bf16 q8_0 q6k q4k q4_1 q4_0)"
        )),
    }
}

fn parse_shapes(list: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for s in list.split(',') {
        match s {
            "q" | "o" => out.push((4096, 4096)),
            "gate" | "up" => out.push((14336, 4096)),
            "down" => out.push((4096, 14336)),
            "7b" => out.extend([(4096, 4096), (14336, 4096), (4096, 14336)]),
            _ => {
                let dims: Option<(usize, usize)> = s
                    .split_once('x')
                    .and_then(|(r, c)| Some((r.parse().ok()?, c.parse().ok()?)));
                match dims {
                    Some((r, c)) if r > 0 && c > 0 => out.push((r, c)),
                    _ => fail(&format!(
                        "bad shape {s}: ROWSxCOLS, q, o, gate, up, down or 7b"
                    )),
                }
            }
        }
    }
    out
}

fn parse_args() -> Args {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let quick = argv.iter().any(|a| a == "--quick");
    let mut a = Args {
        types: [
            TensorType::F32,
            TensorType::F16,
            TensorType::Q8_0,
            TensorType::Q6K,
            TensorType::Q4K,
            TensorType::Q4_1,
            TensorType::Q4_0,
        ]
        .to_vec(),
        variants: vec!["all".into()],
        shapes: if quick {
            vec![(1024, 1024), (3584, 1024), (1024, 3584)]
        } else {
            parse_shapes("7b")
        },
        ops: vec![Op::Matvec, Op::Matmul],
        chunks: vec![32],
        iters: if quick { 64 } else { 256 },
        per_submit: 32,
        max_secs: if quick { 0.25 } else { 1.0 },
        rotate_mib: if quick { 32 } else { 256 },
        copy_mib: if quick { 64 } else { 256 },
        wall_clock: false,
        json: false,
    };
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| fail(&format!("{flag} needs a value")))
        };
        let num = |v: String| -> usize {
            v.parse()
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or_else(|| fail(&format!("not a positive number: {v}")))
        };
        match flag.as_str() {
            "--quick" => {}
            "--json" => a.json = true,
            "--wall-clock" => a.wall_clock = true,
            "--types" => a.types = value().split(',').map(parse_type).collect(),
            "--variants" => a.variants = value().split(',').map(str::to_string).collect(),
            "--shapes" => a.shapes = parse_shapes(&value()),
            "--ops" => {
                a.ops = value()
                    .split(',')
                    .map(|o| match o {
                        "matvec" => Op::Matvec,
                        "matmul" => Op::Matmul,
                        _ => fail(&format!("unknown op {o} (matvec, matmul)")),
                    })
                    .collect()
            }
            "--chunk" => {
                a.chunks = value().split(',').map(|c| num(c.to_string())).collect();
                if a.chunks.iter().any(|&c| c < 2) {
                    fail("--chunk sizes must be at least 2 (one token is the matvec)");
                }
            }
            "--iters" => a.iters = num(value()),
            "--per-submit" => a.per_submit = num(value()),
            "--max-secs" => {
                let v = value();
                a.max_secs = v
                    .parse()
                    .ok()
                    .filter(|&s: &f64| s > 0.0)
                    .unwrap_or_else(|| fail(&format!("not a positive number of seconds: {v}")))
            }
            "--rotate-mib" => {
                let v = value();
                a.rotate_mib = v
                    .parse()
                    .unwrap_or_else(|_| fail(&format!("not a number of MiB: {v}")))
            }
            "--copy-mib" => a.copy_mib = num(value()),
            "-h" | "--help" => {
                // This file's doc comment.
                for line in include_str!("bench_ops.rs").lines() {
                    match line.strip_prefix("//!") {
                        Some(text) => println!("{}", text.strip_prefix(' ').unwrap_or(text)),
                        None => break,
                    }
                }
                std::process::exit(0)
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    a
}

/// The variants to time: those `args.variants` names that the device supports.
fn chosen_variants(ctx: &GpuContext, args: &Args, auto: KernelFamily) -> Vec<Variant> {
    let mut out: Vec<Variant> = Vec::new();
    for want in &args.variants {
        let matched: Vec<Variant> = Variant::all()
            .into_iter()
            .filter(|v| match want.as_str() {
                "all" => true,
                "selected" => v.selected(ctx, auto),
                "cpu" => v.family() == KernelFamily::Cpu,
                "gpu" => v.family() == KernelFamily::Gpu,
                name => v.name() == name,
            })
            .collect();
        if matched.is_empty() {
            fail(&format!(
                "unknown variant {want} (all, selected, cpu, gpu, baseline, subgroup, coalesced, \
                 coalesced-subgroup, rows, rows-subgroup, tiled)"
            ));
        }
        for v in matched {
            if v.supported(ctx) && !out.contains(&v) {
                out.push(v);
            } else if !v.supported(ctx) && want.as_str() == v.name() {
                eprintln!(
                    "note: {} needs subgroups, which this device lacks",
                    v.name()
                );
            }
        }
    }
    out
}

/// Times submissions and reads back their GPU timestamps where the device has them.
struct Timer<'a> {
    ctx: &'a GpuContext,
    /// Query set of two (pass start, pass end), its resolve buffer and a mappable copy.
    queries: Option<(wgpu::QuerySet, wgpu::Buffer, wgpu::Buffer)>,
    period_ns: f64,
}

/// Seconds of one submission: GPU (timestamps) where available, and wall-clock.
struct Times {
    gpu: Option<f64>,
    wall: f64,
}

impl<'a> Timer<'a> {
    fn new(ctx: &'a GpuContext, wall_clock: bool) -> Self {
        let has = !wall_clock
            && ctx
                .device
                .features()
                .contains(wgpu::Features::TIMESTAMP_QUERY);
        let queries = has.then(|| {
            let set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("bench_ops timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let buf = |usage| {
                ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("bench_ops timestamps"),
                    size: 16,
                    usage,
                    mapped_at_creation: false,
                })
            };
            let resolve = buf(wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC);
            let read = buf(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
            (set, resolve, read)
        });
        Timer {
            ctx,
            queries,
            period_ns: ctx.queue.get_timestamp_period() as f64,
        }
    }

    fn gpu_timestamps(&self) -> bool {
        self.queries.is_some()
    }

    fn writes(&self, begin: bool, end: bool) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        self.queries
            .as_ref()
            .map(|(set, _, _)| wgpu::ComputePassTimestampWrites {
                query_set: set,
                beginning_of_pass_write_index: begin.then_some(0),
                end_of_pass_write_index: end.then_some(1),
            })
    }

    fn wait(&self) {
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("poll");
    }

    /// Submits `enc` (whose passes wrote the two timestamps, if any) and waits for the device.
    fn finish(&self, mut enc: wgpu::CommandEncoder, start: Instant) -> Times {
        if let Some((set, resolve, read)) = &self.queries {
            enc.resolve_query_set(set, 0..2, resolve, 0);
            enc.copy_buffer_to_buffer(resolve, 0, read, 0, 16);
        }
        self.ctx.queue.submit(Some(enc.finish()));
        self.wait();
        let wall = start.elapsed().as_secs_f64();
        let gpu = self.queries.as_ref().map(|(_, _, read)| {
            let slice = read.slice(..);
            slice.map_async(wgpu::MapMode::Read, |r| r.expect("map timestamps"));
            self.wait();
            let stamps: [u64; 2] =
                bytemuck::pod_read_unaligned(&slice.get_mapped_range().expect("mapped")[..16]);
            read.unmap();
            stamps[1].saturating_sub(stamps[0]) as f64 * self.period_ns * 1e-9
        });
        if let Err(e) = self.ctx.check() {
            fail(&e.to_string());
        }
        Times { gpu, wall }
    }

    /// One submission: a compute pass recording `calls` calls, `record(i)` the i-th.
    fn pass(&self, calls: usize, record: &mut dyn FnMut(&mut wgpu::ComputePass<'_>)) -> Times {
        let start = Instant::now();
        let mut enc = self.ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("bench_ops"),
                timestamp_writes: self.writes(true, true),
            });
            for _ in 0..calls {
                record(&mut pass);
            }
        }
        self.finish(enc, start)
    }
}

/// Time per call (GPU or wall) and wall time per call, and how many calls were timed.
struct Measured {
    secs: f64,
    wall_secs: f64,
    calls: usize,
}

/// Warm-up, then submissions of up to `per_submit` calls until `iters` calls or `max_secs`.
fn measure(
    timer: &Timer,
    args: &Args,
    record: &mut dyn FnMut(&mut wgpu::ComputePass<'_>),
) -> Measured {
    let warm = timer.pass(1, record);
    let one = warm.gpu.unwrap_or(warm.wall).max(1e-7);
    // Long calls (CPU adapters): keep one submission within half the budget.
    let per_submit = ((args.max_secs / 2.0 / one) as usize).clamp(1, args.per_submit);
    if one * per_submit as f64 <= args.max_secs / 4.0 {
        // A full submission to settle clocks and caches of the command path.
        timer.pass(per_submit, record);
    }
    let (mut gpu, mut wall, mut calls) = (0.0, 0.0, 0);
    while calls < args.iters && (calls == 0 || wall < args.max_secs) {
        let n = per_submit.min(args.iters - calls);
        let t = timer.pass(n, record);
        gpu += t.gpu.unwrap_or(t.wall);
        wall += t.wall;
        calls += n;
    }
    Measured {
        secs: gpu / calls as f64,
        wall_secs: wall / calls as f64,
        calls,
    }
}

/// The copy-bandwidth measurement: bytes per copy, seconds per copy (GPU or wall) and wall.
struct CopyBw {
    bytes: u64,
    secs: f64,
    wall_secs: f64,
}

impl CopyBw {
    /// Read + write GB/s: each byte is read and written.
    fn gbps(&self) -> f64 {
        2.0 * self.bytes as f64 / self.secs / 1e9
    }

    fn describe(&self) -> String {
        format!(
            "{} MiB copy_buffer_to_buffer in {:.0} us ({:.0} us wall): **{:.1} GB/s** read + write \
             (2 x bytes / time), {:.1} GB/s read-only equivalent (bytes / time)",
            self.bytes >> 20,
            self.secs * 1e6,
            self.wall_secs * 1e6,
            self.gbps(),
            self.gbps() / 2.0
        )
    }
}

fn copy_bandwidth(ctx: &GpuContext, timer: &Timer, args: &Args) -> CopyBw {
    let bytes = ((args.copy_mib as u64) << 20).min(ctx.limits.max_buffer_size) & !255;
    let buf = |label, usage| {
        ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage,
            mapped_at_creation: false,
        })
    };
    let src = buf(
        "copy src",
        wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
    );
    let dst = buf("copy dst", wgpu::BufferUsages::COPY_DST);
    let run = |copies: usize| {
        let start = Instant::now();
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        // Empty passes carry the timestamps (the context has no timestamps inside encoders).
        enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("copy start"),
            timestamp_writes: timer.writes(true, false),
        });
        for _ in 0..copies {
            enc.copy_buffer_to_buffer(&src, 0, &dst, 0, bytes);
        }
        enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("copy end"),
            timestamp_writes: timer.writes(false, true),
        });
        timer.finish(enc, start)
    };
    // Touch both buffers (first use clears and maps them), then time.
    ctx.queue.write_buffer(&src, 0, &vec![1u8; 1 << 20]);
    run(1);
    let (mut secs, mut wall, mut copies) = (0.0, 0.0, 0);
    let submits = if args.max_secs < 1.0 { 2 } else { 4 };
    for _ in 0..submits {
        let t = run(COPIES_PER_SUBMIT);
        secs += t.gpu.unwrap_or(t.wall);
        wall += t.wall;
        copies += COPIES_PER_SUBMIT;
    }
    let n = copies as f64;
    CopyBw {
        bytes,
        secs: secs / n,
        wall_secs: wall / n,
    }
}

/// GGUF bytes of a `rows x cols` tensor of `ty`: BASE_ROWS rows quantized, then repeated.
fn weights(ty: TensorType, rows: usize, cols: usize) -> Vec<u8> {
    let base_rows = rows.min(BASE_ROWS);
    let w = bench::values(base_rows * cols, 0x2545f4914f6cdd1d ^ cols as u64);
    let base = quant::quantize(ty, &w)
        .unwrap_or_else(|e| fail(&format!("{} {rows}x{cols}: {e}", ty.name())));
    let row_bytes = base.len() / base_rows;
    let mut raw = Vec::with_capacity(rows * row_bytes);
    while raw.len() < rows * row_bytes {
        let need = rows * row_bytes - raw.len();
        raw.extend_from_slice(&base[..need.min(base.len())]);
    }
    raw
}

struct Row {
    op: Op,
    rows: usize,
    cols: usize,
    ty: TensorType,
    variant: Variant,
    sel: &'static str,
    tokens: usize,
    bytes: usize,
    copies: usize,
    m: Measured,
}

fn main() {
    let args = parse_args();
    let ctx = GpuContext::new_blocking(None).unwrap_or_else(|e| fail(&e.to_string()));
    let (auto, why) = KernelChoice::Auto
        .resolve(&AdapterFacts::from(&ctx.adapter))
        .unwrap_or_else(|e| fail(&e.to_string()));
    let other = match auto {
        KernelFamily::Cpu => KernelFamily::Gpu,
        KernelFamily::Gpu => KernelFamily::Cpu,
    };
    let variants = chosen_variants(&ctx, &args, auto);
    let timer = Timer::new(&ctx, args.wall_clock);
    let clock = if timer.gpu_timestamps() {
        "GPU timestamps"
    } else {
        "wall-clock (submit to idle; --wall-clock, or no Features::TIMESTAMP_QUERY on the device)"
    };
    let f16 = ctx.features.f16_decode();
    eprintln!("adapter: {}", ctx.adapter);
    eprintln!("kernels (auto): {auto} ({why}); timing: {clock}");

    let copy = copy_bandwidth(&ctx, &timer, &args);
    let copy_gbps = copy.gbps();
    eprintln!("copy: {}", copy.describe());

    let step = StepBuffer::new(&ctx);
    let max_chunk = args.chunks.iter().copied().max().unwrap_or(1);
    let mut results: Vec<Row> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for &(rows, cols) in &args.shapes {
        let x = bench::values(max_chunk * cols, 7);
        let x_buf = buffers::storage_from(&ctx, "x", &x);
        let y_buf = buffers::storage(&ctx, "y", max_chunk * rows);
        for &ty in &args.types {
            if cols % ty.block_elems() != 0 {
                errors.push(format!(
                    "{} {rows}x{cols}: cols not a multiple of {}",
                    ty.name(),
                    ty.block_elems()
                ));
                continue;
            }
            let t0 = Instant::now();
            let raw = weights(ty, rows, cols);
            let copies = match args.rotate_mib {
                0 => 1,
                mib => ((mib << 20) / raw.len() + 1).max(2),
            };
            let tensors: Vec<GpuTensor> = (0..copies)
                .map(|i| {
                    let name = format!("w{i}");
                    pollster::block_on(GpuTensor::upload(&ctx, &name, ty, rows, cols, &raw))
                        .unwrap_or_else(|e| fail(&e.to_string()))
                })
                .collect();
            eprintln!(
                "{rows}x{cols} {}: {copies} copies of {:.1} MiB ({:.1} s to make and upload)",
                ty.name(),
                raw.len() as f64 / (1 << 20) as f64,
                t0.elapsed().as_secs_f64()
            );
            let format = tensors[0].format;
            for &variant in &variants {
                let sel = if variant.selected(&ctx, auto) {
                    "auto"
                } else if variant.selected(&ctx, other) {
                    other.name()
                } else {
                    ""
                };
                match variant {
                    Variant::Matvec(v) if args.ops.contains(&Op::Matvec) => {
                        let kernel = pollster::block_on(Matvec::with_variant(&ctx, format, f16, v))
                            .unwrap_or_else(|e| fail(&e.to_string()));
                        let bindings: Vec<_> = tensors
                            .iter()
                            .map(|t| kernel.bind(&ctx, t, &x_buf, &y_buf, 0).expect("bind"))
                            .collect();
                        let mut i = 0;
                        let m = measure(&timer, &args, &mut |p| {
                            kernel.encode(p, &bindings[i % bindings.len()]);
                            i += 1;
                        });
                        results.push(Row {
                            op: Op::Matvec,
                            rows,
                            cols,
                            ty,
                            variant,
                            sel,
                            tokens: 1,
                            bytes: raw.len(),
                            copies,
                            m,
                        });
                        progress(results.last().unwrap(), copy_gbps);
                    }
                    Variant::Matmul(v) if args.ops.contains(&Op::Matmul) => {
                        let kernel = pollster::block_on(Matmul::with_variants(
                            &ctx,
                            format,
                            f16,
                            MatvecVariant::Baseline,
                            v,
                        ))
                        .unwrap_or_else(|e| fail(&e.to_string()));
                        for &chunk in &args.chunks {
                            let bound: Result<Vec<_>, _> = tensors
                                .iter()
                                .map(|t| kernel.bind(&ctx, t, &x_buf, &y_buf, &step.buffer, chunk))
                                .collect();
                            let bindings = match bound {
                                Ok(b) => b,
                                Err(e) => {
                                    errors.push(format!(
                                        "matmul {} {rows}x{cols} {} chunk {chunk}: {e}",
                                        variant.name(),
                                        ty.name()
                                    ));
                                    continue;
                                }
                            };
                            step.write(&ctx, 0, chunk);
                            let mut i = 0;
                            let m = measure(&timer, &args, &mut |p| {
                                kernel.encode(p, &bindings[i % bindings.len()]);
                                i += 1;
                            });
                            results.push(Row {
                                op: Op::Matmul,
                                rows,
                                cols,
                                ty,
                                variant,
                                sel,
                                tokens: chunk,
                                bytes: raw.len(),
                                copies,
                                m,
                            });
                            progress(results.last().unwrap(), copy_gbps);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    if args.json {
        print_json(&ctx, &args, auto, &why, &timer, &copy, &results, &errors);
    } else {
        print_table(&ctx, &args, auto, &why, clock, &copy, &results);
        for e in &errors {
            println!("skipped: {e}");
        }
    }
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Matvec => "matvec",
        Op::Matmul => "matmul",
    }
}

fn gbps(r: &Row) -> f64 {
    r.bytes as f64 / r.m.secs / 1e9
}

fn progress(r: &Row, copy_gbps: f64) {
    eprintln!(
        "  {} {:<18} x{:<3} {:>10.1} us {:>8.2} GB/s {:>5.1}% ({} calls)",
        op_name(r.op),
        r.variant.name(),
        r.tokens,
        r.m.secs * 1e6,
        gbps(r),
        100.0 * gbps(r) / copy_gbps,
        r.m.calls
    );
}

fn print_table(
    ctx: &GpuContext,
    args: &Args,
    auto: KernelFamily,
    why: &str,
    clock: &str,
    copy: &CopyBw,
    results: &[Row],
) {
    let copy_gbps = copy.gbps();
    println!("adapter: {}", ctx.adapter);
    println!("kernels (auto): {auto} ({why}); timing: {clock}");
    println!("copy bandwidth: {}", copy.describe());
    println!(
        "per call: up to {} calls, {} per submission, rotating over >= {} MiB of copies; \
         GB/s of GGUF weight bytes; % copy = GB/s / copy GB/s",
        args.iters, args.per_submit, args.rotate_mib
    );
    println!();
    println!("| op | shape | type | variant | sel | tokens | MiB | us/call | wall us | GB/s | % copy | tok/s |");
    println!("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let g = gbps(r);
        println!(
            "| {} | {}x{} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} |",
            op_name(r.op),
            r.rows,
            r.cols,
            r.ty.name(),
            r.variant.name(),
            r.sel,
            r.tokens,
            r.bytes as f64 / (1 << 20) as f64,
            r.m.secs * 1e6,
            r.m.wall_secs * 1e6,
            g,
            100.0 * g / copy_gbps,
            r.tokens as f64 / r.m.secs,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn print_json(
    ctx: &GpuContext,
    args: &Args,
    auto: KernelFamily,
    why: &str,
    timer: &Timer,
    copy: &CopyBw,
    results: &[Row],
    errors: &[String],
) {
    let copy_gbps = copy.gbps();
    let rows: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "op": op_name(r.op),
                "rows": r.rows,
                "cols": r.cols,
                "type": r.ty.name(),
                "variant": r.variant.name(),
                "family": r.variant.family().name(),
                "selected": r.sel,
                "tokens": r.tokens,
                "gguf_bytes": r.bytes,
                "copies": r.copies,
                "calls": r.m.calls,
                "us_per_call": r.m.secs * 1e6,
                "wall_us_per_call": r.m.wall_secs * 1e6,
                "gbps": gbps(r),
                "frac_of_copy": gbps(r) / copy_gbps,
                "tok_per_s": r.tokens as f64 / r.m.secs,
            })
        })
        .collect();
    let out = json!({
        "adapter": ctx.adapter.name,
        "backend": format!("{:?}", ctx.adapter.backend),
        "device_type": format!("{:?}", ctx.adapter.device_type),
        "driver": format!("{} {}", ctx.adapter.driver, ctx.adapter.driver_info),
        "kernels_auto": auto.name(),
        "kernels_why": why,
        "timing": if timer.gpu_timestamps() { "gpu-timestamps" } else { "wall-clock" },
        "settings": {
            "iters": args.iters,
            "per_submit": args.per_submit,
            "max_secs": args.max_secs,
            "rotate_mib": args.rotate_mib,
            "chunks": args.chunks,
        },
        "copy": {
            "bytes": copy.bytes,
            "us": copy.secs * 1e6,
            "wall_us": copy.wall_secs * 1e6,
            "gbps_read_write": copy_gbps,
            "gbps_read_only_equivalent": copy_gbps / 2.0,
        },
        "results": rows,
        "skipped": errors,
    });
    println!("{out}");
}
