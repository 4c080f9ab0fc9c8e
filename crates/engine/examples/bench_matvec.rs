//! Matrix-vector throughput per weight type on the current adapter, in GB/s of GGUF bytes (the
//! bytes a decode step must stream), at 4096x4096 by default.
//!
//!     cargo run --release -p mistral-engine --example bench_matvec [-- --rows R --cols C --iters N --raw
//!         --variant baseline|subgroup|both]
//!
//! `--variant` (default `both` where the device has subgroups) times the baseline kernel, the
//! subgroup kernel (x shared by broadcasts, `shaders/matvec_sg.wgsl`) or both, one line each; the
//! selection column says which one `Matvec::new` uses for the type.
//! `--raw` also times the alternative that was measured against the load-time repack: the same
//! one-row-per-invocation kernel reading Q8_0/Q4_0 blocks straight from the GGUF bytes through
//! an unaligned u32 loader. `MISTRAL_WGPU_ADAPTER` / `WGPU_BACKEND` choose the adapter.

#[path = "common/bench.rs"]
mod bench;

use bench::{time_per_call, values};
use mistral_engine::ops::{Matvec, MatvecVariant};
use mistral_engine::shaders::{self, F16Decode};
use mistral_engine::wgpu;
use mistral_engine::{buffers, AdapterFacts, GpuContext, GpuTensor, KernelChoice};
use mistral_formats::{quant, TensorType};

/// The seed of the weights and of x (the same stream, as before this was shared).
const WEIGHT_SEED: u64 = 0x2545f4914f6cdd1d;

struct Args {
    rows: usize,
    cols: usize,
    iters: usize,
    raw: bool,
    /// Variants to time; None = every one the device has.
    variant: Option<MatvecVariant>,
}

fn parse_args() -> Args {
    let mut a = Args {
        rows: 4096,
        cols: 4096,
        iters: 20,
        raw: false,
        variant: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = |name: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match flag.as_str() {
            "--rows" => a.rows = num("--rows"),
            "--cols" => a.cols = num("--cols"),
            "--iters" => a.iters = num("--iters"),
            "--raw" => a.raw = true,
            "--variant" => {
                a.variant = match it.next().as_deref() {
                    Some("baseline") => Some(MatvecVariant::Baseline),
                    Some("subgroup") => Some(MatvecVariant::Subgroup),
                    Some("coalesced") => Some(MatvecVariant::Coalesced),
                    Some("coalesced-subgroup") => Some(MatvecVariant::CoalescedSubgroup),
                    Some("all") => None,
                    _ => panic!(
                        "--variant needs baseline, subgroup, coalesced, coalesced-subgroup or all"
                    ),
                }
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn main() {
    let args = parse_args();
    let ctx = bench::gpu();
    println!(
        "matvec {}x{}, {} iterations",
        args.rows, args.cols, args.iters
    );
    println!(
        "{:<6} {:<9} {:>10} {:>10} {:>8}",
        "type", "variant", "MiB", "us/call", "GB/s"
    );
    let variants: Vec<MatvecVariant> = MatvecVariant::ALL
        .into_iter()
        .filter(|v| args.variant.is_none_or(|only| only == *v) && v.supported(&ctx))
        .collect();
    let w = values(args.rows * args.cols, WEIGHT_SEED);
    let x = values(args.cols, WEIGHT_SEED);
    let x_buf = buffers::storage_from(&ctx, "x", &x);
    let y_buf = buffers::storage(&ctx, "y", args.rows);
    for ty in [
        TensorType::F32,
        TensorType::F16,
        TensorType::Q8_0,
        TensorType::Q6K,
        TensorType::Q4K,
        TensorType::Q4_1,
        TensorType::Q4_0,
    ] {
        let raw = quant::quantize(ty, &w).expect("quantize");
        let t = pollster::block_on(GpuTensor::upload(&ctx, "w", ty, args.rows, args.cols, &raw))
            .expect("upload");
        let (family, _) = KernelChoice::Auto
            .resolve(&AdapterFacts::from(&ctx.adapter))
            .expect("MISTRAL_WGPU_KERNELS");
        let selected = MatvecVariant::select(&ctx, family);
        for &variant in &variants {
            let f16 = ctx.features.f16_decode();
            let kernel = pollster::block_on(Matvec::with_variant(&ctx, t.format, f16, variant))
                .expect("kernel");
            let b = kernel.bind(&ctx, &t, &x_buf, &y_buf, 0).expect("bind");
            let secs = time_per_call(&ctx, args.iters, &|p| kernel.encode(p, &b));
            let mark = if variant == selected {
                " (selected)"
            } else {
                ""
            };
            report(ty.name(), &format!("{variant:?}"), raw.len(), secs, mark);
        }
        if args.raw && matches!(ty, TensorType::Q8_0 | TensorType::Q4_0) {
            let secs = raw_layout(&ctx, ty, &raw, &args, &x_buf, &y_buf);
            report(ty.name(), "raw", raw.len(), secs, "");
        }
    }
}

fn report(name: &str, variant: &str, bytes: usize, secs: f64, mark: &str) {
    println!(
        "{name:<6} {variant:<9} {:>10.1} {:>10.0} {:>8.2}{mark}",
        bytes as f64 / (1 << 20) as f64,
        secs * 1e6,
        bytes as f64 / secs / 1e9
    );
}

/// The unaligned-loader alternative: GGUF blocks as they are in the file, in one u32 array.
const RAW_DECODERS: &str = r#"
@group(0) @binding(3) var<storage, read> raw: array<u32>;

// The little-endian u32 starting at any byte offset (two loads and a funnel shift).
fn load_unaligned(byte: u32) -> u32 {
    let w = byte >> 2u;
    let s = (byte & 3u) * 8u;
    let lo = raw[w];
    let hi = raw[w + 1u];
    return select((lo >> s) | (hi << (32u - s)), lo, s == 0u);
}

fn raw_scale(off: u32) -> f32 {
    return f16_pair(load_unaligned(off) & 0xffffu).x;
}

fn block_dot4(gb: vec4<u32>, xv: u32) -> vec4<f32> {
    return vec4<f32>(block_dot(gb.x, xv), block_dot(gb.y, xv), block_dot(gb.z, xv), block_dot(gb.w, xv));
}
"#;

const RAW_Q8_0: &str = r#"
const BLOCK: u32 = 32u;
fn weight(gb: u32, i: u32) -> f32 { return 0.0; }
fn block_dot(gb: u32, xv: u32) -> f32 {
    let off = gb * 34u;
    var s = 0.0;
    for (var k = 0u; k < 8u; k++) {
        s += dot(vec4<f32>(i8x4(load_unaligned(off + 2u + 4u * k))), x[xv + k]);
    }
    return s * raw_scale(off);
}
"#;

const RAW_Q4_0: &str = r#"
const BLOCK: u32 = 32u;
fn weight(gb: u32, i: u32) -> f32 { return 0.0; }
fn block_dot(gb: u32, xv: u32) -> f32 {
    let off = gb * 18u;
    let eight = vec4<f32>(8.0);
    var s = 0.0;
    for (var c = 0u; c < 4u; c++) {
        let w = load_unaligned(off + 2u + 4u * c);
        s += dot(lo_nibbles(w) - eight, x[xv + c]) + dot(hi_nibbles(w) - eight, x[xv + 4u + c]);
    }
    return s * raw_scale(off);
}
"#;

fn raw_layout(
    ctx: &GpuContext,
    ty: TensorType,
    raw: &[u8],
    args: &Args,
    x_buf: &wgpu::Buffer,
    y_buf: &wgpu::Buffer,
) -> f64 {
    let file = |name: &str| {
        shaders::FILES
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, s)| *s)
            .expect("shader file")
    };
    let decode = match ctx.features.f16_decode() {
        F16Decode::Builtin => "f16_unpack.wgsl",
        F16Decode::Bits => "f16_bits.wgsl",
    };
    let source = [
        file(decode),
        file("common.wgsl"),
        file("matvec.wgsl"),
        RAW_DECODERS,
        if ty == TensorType::Q8_0 {
            RAW_Q8_0
        } else {
            RAW_Q4_0
        },
    ]
    .join("\n");
    let module = ctx
        .device
        .create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("raw matvec"),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
    let pipeline = ctx
        .device
        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("raw matvec"),
            layout: None,
            module: &module,
            entry_point: Some("matvec"),
            compilation_options: Default::default(),
            cache: None,
        });
    let mut padded = raw.to_vec();
    padded.resize(raw.len().div_ceil(16) * 16 + 16, 0);
    let w_buf = buffers::storage_from(ctx, "raw", bytemuck::cast_slice::<u8, u32>(&padded));
    let bpr = (args.cols / 32) as u32;
    let params = [args.rows as u32, args.cols as u32, bpr, 0];
    let uniform = buffers::uniform(ctx, "params", &params);
    let layout = pipeline.get_bind_group_layout(0);
    let entries: Vec<wgpu::BindGroupEntry> = [&uniform, x_buf, y_buf, &w_buf]
        .iter()
        .enumerate()
        .map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: b.as_entire_binding(),
        })
        .collect();
    let group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &layout,
        entries: &entries,
    });
    let groups = (args.rows as u32).div_ceil(256); // 64 invocations x 4 rows
    let secs = time_per_call(ctx, args.iters, &|p| {
        p.set_pipeline(&pipeline);
        p.set_bind_group(0, &group, &[]);
        p.dispatch_workgroups(groups, 1, 1);
    });
    ctx.check().expect("raw kernel ran without errors");
    secs
}
