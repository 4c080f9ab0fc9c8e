//! Matrix product throughput per weight type on the current adapter, at 4096x4096 by default:
//! for a one-token binding (decode: the matvec path) in GB/s of GGUF weight bytes, and for a
//! chunk of `--chunk` tokens (prefill) in tokens/s and the weight GB/s that equals.
//!
//!     cargo run --release -p mistral-engine --example bench_matmul [-- --rows R --cols C --chunk N --iters N --types q4_0,q8_0,q4k]
//!
//! `MISTRAL_WGPU_ADAPTER` / `WGPU_BACKEND` choose the adapter.

#[path = "common/bench.rs"]
mod bench;

use bench::{time_per_call, values};
use mistral_engine::ops::Matmul;
use mistral_engine::step::StepBuffer;
use mistral_engine::{buffers, AdapterFacts, GpuTensor, KernelChoice};
use mistral_formats::{quant, TensorType};

struct Args {
    rows: usize,
    cols: usize,
    chunk: usize,
    iters: usize,
    types: Vec<TensorType>,
}

fn parse_type(name: &str) -> TensorType {
    match name {
        "f32" => TensorType::F32,
        "f16" => TensorType::F16,
        "q4_0" => TensorType::Q4_0,
        "q4_1" => TensorType::Q4_1,
        "q8_0" => TensorType::Q8_0,
        "q4k" => TensorType::Q4K,
        "q6k" => TensorType::Q6K,
        other => panic!("unknown type {other} (f32 f16 q4_0 q4_1 q8_0 q4k q6k)"),
    }
}

fn parse_args() -> Args {
    let mut a = Args {
        rows: 4096,
        cols: 4096,
        chunk: 16,
        iters: 5,
        types: vec![TensorType::Q4_0, TensorType::Q8_0, TensorType::Q4K],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} needs a value"));
        let num =
            |v: String| -> usize { v.parse().unwrap_or_else(|_| panic!("not a number: {v}")) };
        match flag.as_str() {
            "--rows" => a.rows = num(value("--rows")),
            "--cols" => a.cols = num(value("--cols")),
            "--chunk" => a.chunk = num(value("--chunk")),
            "--iters" => a.iters = num(value("--iters")),
            "--types" => a.types = value("--types").split(',').map(parse_type).collect(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn main() {
    let args = parse_args();
    let ctx = bench::gpu();
    // The table's family for this adapter, or MISTRAL_WGPU_KERNELS=cpu|gpu.
    let (family, _) = KernelChoice::Auto
        .resolve(&AdapterFacts::from(&ctx.adapter))
        .expect("MISTRAL_WGPU_KERNELS");
    println!("kernels: {family}");
    println!(
        "matmul {}x{}, chunk {} tokens, {} iterations",
        args.rows, args.cols, args.chunk, args.iters
    );
    println!(
        "{:<6} {:>8} {:>12} {:>12} {:>14} {:>14} {:>10}",
        "type", "MiB", "cap1 us", "cap1 GB/s", "chunk us", "chunk tok/s", "chunk GB/s"
    );
    let w = values(args.rows * args.cols, 0x2545f4914f6cdd1d);
    let step = StepBuffer::new(&ctx);
    let x = values(args.chunk * args.cols, 7);
    let x_buf = buffers::storage_from(&ctx, "x", &x);
    let y_buf = buffers::storage(&ctx, "y", args.chunk * args.rows);
    for &ty in &args.types {
        let raw = quant::quantize(ty, &w).expect("quantize");
        let t = pollster::block_on(GpuTensor::upload(&ctx, "w", ty, args.rows, args.cols, &raw))
            .expect("upload");
        let kernel = pollster::block_on(Matmul::new(&ctx, t.format, family)).expect("kernel");
        let single = kernel
            .bind(&ctx, &t, &x_buf, &y_buf, &step.buffer, 1)
            .expect("bind");
        step.write(&ctx, 0, 1);
        let t1 = time_per_call(&ctx, args.iters, &|p| kernel.encode(p, &single));
        let chunk = kernel
            .bind(&ctx, &t, &x_buf, &y_buf, &step.buffer, args.chunk)
            .expect("bind");
        step.write(&ctx, 0, args.chunk);
        let tc = time_per_call(&ctx, args.iters, &|p| kernel.encode(p, &chunk));
        let gb = raw.len() as f64 / 1e9;
        println!(
            "{:<6} {:>8.1} {:>12.0} {:>12.2} {:>14.0} {:>14.1} {:>10.2}",
            ty.name(),
            raw.len() as f64 / (1 << 20) as f64,
            t1 * 1e6,
            gb / t1,
            tc * 1e6,
            args.chunk as f64 / tc,
            gb * args.chunk as f64 / tc,
        );
    }
}
