//! The op table, in the manner of ggml's test-backend-ops: every op x weight type x awkward shape
//! on the GPU against the CPU oracle (`mistral_formats::quant` dequantization, then
//! `mistral_reference::linalg`), on seeded random inputs. Shapes avoid multiples of the
//! workgroup sizes (64 rows per matmul workgroup, 256 per elementwise/reduction workgroup), and
//! each weight type also runs with its tensor split into several row parts (the split threshold
//! is lowered artificially: the fixtures are far below the real 128 MiB binding limit).
//!
//! Every op is batched: one binding per capacity `cap` in {1, 5, 16} (built once), run for
//! several token counts n in {1, 3, cap} by rewriting only the step buffer, as the forward pass
//! does. Rows n..cap of every output must keep their previous contents.
//!
//! Tolerances (error measures are defined where they are computed):
//! (observed maxima on lavapipe in brackets)
//! - matvec (the decode kernel, every variant: baseline and subgroup-shared x) as matmul.
//! - matmul 1e-5, scaled by sum_j |w_ij x_j| (per token and row): the GPU sums per-block partial sums, the CPU in 8
//!   interleaved lanes; both in f32, so rows differ by a few ulps of the absolute sum
//!   (gamma_n ~ n * 6e-8 bounds it) [1.2e-7].
//! - embedding 1e-6 relative: the same dequantization formula, up to FMA contraction [0].
//! - rms_norm 1e-5 relative to max |out|: tree vs sequential sum of squares, sqrt [8e-7].
//! - rope 2e-6 absolute (inputs in [-1, 1)): identical f32 angles; polynomial sin/cos after exact range
//!   reduction, up to position 131000 [3.3e-7].
//! - silu_mul 1e-6 relative to max |out|: one exp and one division [1.9e-7].
//! - add: exact (one correctly rounded f32 addition).
//! - argmax: exact index of the last token's row, first index on ties (like
//!   mistral_reference::argmax).

mod common;

use common::*;
use mistral_engine::buffers;
use mistral_engine::ops::{Add, Argmax, Embedding, Matmul, RmsNorm, Rope, SiluMul};
use mistral_engine::ops::{MatmulVariant, Matvec, MatvecVariant};
use mistral_engine::shaders::{F16Decode, MatrixInput};
use mistral_engine::step::StepBuffer;
use mistral_engine::{GpuContext, GpuTensor, KernelFamily, WeightFormat};
use mistral_formats::quant;
use mistral_formats::TensorType;
use mistral_reference::linalg;

const MATMUL_TOL: f64 = 1e-5;
const EMBEDDING_TOL: f64 = 1e-6;
const RMS_NORM_TOL: f64 = 1e-5;
const ROPE_TOL: f64 = 2e-6;
const SILU_TOL: f64 = 1e-6;

/// Weight types and the shapes they are tested at. 32-weight blocks: cols multiple of 32;
/// 256-weight blocks: of 256; float types: any cols.
fn shapes(ty: TensorType) -> Vec<(usize, usize)> {
    match ty.block_elems() {
        1 => vec![(1, 1), (5, 7), (67, 100), (130, 333), (257, 1024)],
        32 => vec![(1, 32), (67, 96), (130, 320), (257, 1024)],
        _ => vec![(1, 256), (67, 512), (130, 768), (257, 1024)],
    }
}

/// The types the file formats can hold (BF16 is widened to F32 at load).
const TYPES: [TensorType; 8] = [
    TensorType::F32,
    TensorType::F16,
    TensorType::BF16,
    TensorType::Q4_0,
    TensorType::Q4_1,
    TensorType::Q8_0,
    TensorType::Q4K,
    TensorType::Q6K,
];

/// Random weights of `ty`: quantized from uniform values, so the GGUF bytes are valid blocks.
fn random_weights(rng: &mut Rng, ty: TensorType, rows: usize, cols: usize) -> Vec<u8> {
    let w = rng.vec(rows * cols, 1.0);
    quant::quantize(ty, &w).unwrap_or_else(|e| panic!("quantize {ty:?}: {e}"))
}

/// Max over rows of |gpu - cpu| / sum_j |w_ij x_j| (one token).
fn scaled_matvec_error(w: &[f32], x: &[f32], gpu: &[f32], cpu: &[f32]) -> f64 {
    let cols = x.len();
    gpu.iter()
        .zip(cpu)
        .enumerate()
        .map(|(r, (g, c))| {
            let abs: f64 = w[r * cols..(r + 1) * cols]
                .iter()
                .zip(x)
                .map(|(a, b)| (a * b).abs() as f64)
                .sum();
            (*g as f64 - *c as f64).abs() / abs.max(1e-30)
        })
        .fold(0.0, f64::max)
}

fn max_rel(gpu: &[f32], cpu: &[f32]) -> f64 {
    let scale = cpu.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-30) as f64;
    gpu.iter()
        .zip(cpu)
        .map(|(g, c)| (*g as f64 - *c as f64).abs() / scale)
        .fold(0.0, f64::max)
}

fn max_abs(gpu: &[f32], cpu: &[f32]) -> f64 {
    gpu.iter()
        .zip(cpu)
        .map(|(g, c)| (*g as f64 - *c as f64).abs())
        .fold(0.0, f64::max)
}

/// The f16 decoders the device can run: the bit-twiddling one always, the builtin where allowed.
fn f16_decoders(ctx: &GpuContext) -> Vec<F16Decode> {
    let mut v = vec![F16Decode::Bits];
    if ctx.features.f16_in_f32 {
        v.push(F16Decode::Builtin);
    }
    v
}

/// Limit that splits a tensor of `ty` with `rows x cols` into about four parts.
fn split_limit(ty: TensorType, rows: usize, cols: usize) -> u64 {
    let f = WeightFormat::for_type(ty);
    let body_row = (f.blocks_per_row(cols) * f.body_bytes()) as u64;
    (body_row * rows.div_ceil(4) as u64).div_ceil(16) * 16
}

/// Capacities every op is bound with, and the token counts each binding is run for.
const CAPS: [usize; 3] = [1, 5, 16];

fn token_counts(cap: usize) -> Vec<usize> {
    let mut v: Vec<usize> = [1, 3, cap].into_iter().filter(|&n| n <= cap).collect();
    v.dedup();
    v
}

/// Value the rows a step must not touch are filled with.
const GUARD: f32 = 7.5;

/// Queues the step's values and runs one pass of `f`.
fn run_step(
    ctx: &GpuContext,
    step: &StepBuffer,
    pos0: usize,
    n: usize,
    f: impl FnOnce(&mut mistral_engine::wgpu::ComputePass<'_>),
) {
    step.write(ctx, pos0, n);
    run_pass(ctx, f);
}

/// `err`, or infinity when values from `from` on differ from `before` (a write past the step).
fn unless_touched(err: f64, got: &[f32], before: &[f32], from: usize) -> f64 {
    let same = got[from..]
        .iter()
        .zip(&before[from..])
        .all(|(a, b)| a.to_bits() == b.to_bits());
    if same {
        err
    } else {
        f64::INFINITY
    }
}

fn upload(
    ctx: &GpuContext,
    ty: TensorType,
    rows: usize,
    cols: usize,
    raw: &[u8],
    split: bool,
) -> GpuTensor {
    let limit = if split {
        split_limit(ty, rows, cols)
    } else {
        ctx.max_binding_bytes()
    };
    let t = pollster::block_on(GpuTensor::upload_split(
        ctx, "w", ty, rows, cols, raw, limit,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    if split {
        assert!(
            t.parts.len() >= 3,
            "split case made {} parts",
            t.parts.len()
        );
    }
    t
}

/// One tensor against every capacity and token count; one outcome per (cap, n).
#[allow(clippy::too_many_arguments)]
fn matmul_cases(
    ctx: &GpuContext,
    kernel: &Matmul,
    ty: TensorType,
    rows: usize,
    cols: usize,
    split: bool,
    seed: u64,
    label: &str,
    out: &mut Vec<Outcome>,
) {
    let mut rng = Rng::new(seed);
    let raw = random_weights(&mut rng, ty, rows, cols);
    let t = upload(ctx, ty, rows, cols, &raw, split);
    let w = quant::dequantize_to_vec(ty, &raw).unwrap();
    let step = StepBuffer::new(ctx);
    for cap in CAPS {
        let x = rng.vec(cap * cols, 1.0);
        let x_buf = buffers::storage_from(ctx, "x", &x);
        let y_buf = buffers::storage(ctx, "y", cap * rows);
        let guard = vec![GUARD; cap * rows];
        let b = kernel
            .bind(ctx, &t, &x_buf, &y_buf, &step.buffer, cap)
            .unwrap_or_else(|e| panic!("{e}"));
        for n in token_counts(cap) {
            ctx.queue
                .write_buffer(&y_buf, 0, bytemuck::cast_slice(&guard));
            run_step(ctx, &step, 0, n, |p| kernel.encode(p, &b));
            let y = read_f32(ctx, &y_buf, cap * rows);
            let mut err = 0f64;
            for tok in 0..n {
                let xt = &x[tok * cols..(tok + 1) * cols];
                let mut cpu = vec![0f32; rows];
                linalg::matvec(&w, xt, &mut cpu);
                err = err.max(scaled_matvec_error(
                    &w,
                    xt,
                    &y[tok * rows..(tok + 1) * rows],
                    &cpu,
                ));
            }
            let parts = if split {
                format!(" in {} parts", t.parts.len())
            } else {
                String::new()
            };
            out.push(Outcome {
                op: "matmul".into(),
                case: format!("{label} {rows}x{cols}{parts} cap {cap} n {n}"),
                error: unless_touched(err, &y, &guard, n * rows),
                tolerance: MATMUL_TOL,
            });
        }
    }
}

#[test]
fn matmul_every_type_shape_capacity_and_token_count() {
    let ctx = gpu();
    let mut out = Vec::new();
    for (matvec, variant) in matmul_variants(ctx) {
        for decode in f16_decoders(ctx) {
            for ty in TYPES {
                let format = WeightFormat::for_type(ty);
                let kernel =
                    pollster::block_on(Matmul::with_variants(ctx, format, decode, matvec, variant))
                        .unwrap_or_else(|e| panic!("{e}"));
                let mut cases: Vec<((usize, usize), bool)> =
                    shapes(ty).into_iter().map(|s| (s, false)).collect();
                cases.push(((301, if ty.block_elems() == 256 { 512 } else { 96 }), true));
                for (i, ((rows, cols), split)) in cases.into_iter().enumerate() {
                    let label = format!("{} {variant:?} f16:{decode:?}", ty.name());
                    matmul_cases(
                        ctx,
                        &kernel,
                        ty,
                        rows,
                        cols,
                        split,
                        1000 + i as u64,
                        &label,
                        &mut out,
                    );
                }
            }
        }
    }
    report("matmul: GPU vs dequantize + linalg::matvec per token", &out);
}

/// Every batched variant the device can run, each with the matvec of its family (the one-token
/// binding). lavapipe on Vulkan has subgroups: assert it, so no variant is skipped silently
/// where CI runs.
fn matmul_variants(ctx: &GpuContext) -> Vec<(MatvecVariant, MatmulVariant)> {
    let lavapipe = ctx.adapter.name.contains("llvmpipe");
    if lavapipe && ctx.adapter.backend == mistral_engine::wgpu::Backend::Vulkan {
        assert!(ctx.features.subgroup, "lavapipe Vulkan without subgroups");
    }
    [
        (MatvecVariant::Baseline, MatmulVariant::Rows),
        (MatvecVariant::Subgroup, MatmulVariant::RowsSubgroup),
        (MatvecVariant::Coalesced, MatmulVariant::Tiled),
        (MatvecVariant::CoalescedSubgroup, MatmulVariant::Tiled),
    ]
    .into_iter()
    .filter(|(m, v)| m.supported(ctx) && v.supported(ctx))
    .collect()
}

/// The matvec variants the device can run. lavapipe on Vulkan has subgroups: assert it, so the
/// subgroup kernel is never skipped silently where CI runs.
fn matvec_variants(ctx: &GpuContext) -> Vec<MatvecVariant> {
    let lavapipe = ctx.adapter.name.contains("llvmpipe");
    if lavapipe && ctx.adapter.backend == mistral_engine::wgpu::Backend::Vulkan {
        assert!(ctx.features.subgroup, "lavapipe Vulkan without subgroups");
    }
    MatvecVariant::ALL
        .into_iter()
        .filter(|v| v.supported(ctx))
        .collect()
}

/// Output offset the matvec cases write at (rows before it and after the tensor stay guards).
const MATVEC_Y_OFFSET: usize = 3;

/// The decode kernel on its own, every variant x f16 decoder x type x shape, unsplit and split
/// into row parts, writing at an offset into a guarded output.
#[test]
fn matvec_every_variant_type_shape_and_split() {
    let ctx = gpu();
    let mut out = Vec::new();
    for variant in matvec_variants(ctx) {
        for decode in f16_decoders(ctx) {
            for ty in TYPES {
                let format = WeightFormat::for_type(ty);
                let kernel = pollster::block_on(Matvec::with_variant(ctx, format, decode, variant))
                    .unwrap_or_else(|e| panic!("{e}"));
                let mut cases: Vec<((usize, usize), bool)> =
                    shapes(ty).into_iter().map(|s| (s, false)).collect();
                cases.push(((301, if ty.block_elems() == 256 { 512 } else { 96 }), true));
                for (i, ((rows, cols), split)) in cases.into_iter().enumerate() {
                    let mut rng = Rng::new(3000 + i as u64);
                    let raw = random_weights(&mut rng, ty, rows, cols);
                    let t = upload(ctx, ty, rows, cols, &raw, split);
                    let w = quant::dequantize_to_vec(ty, &raw).unwrap();
                    let x = rng.vec(cols, 1.0);
                    let x_buf = buffers::storage_from(ctx, "x", &x);
                    let len = MATVEC_Y_OFFSET + rows + 5;
                    let y_buf = buffers::storage_from(ctx, "y", &vec![GUARD; len]);
                    let b = kernel
                        .bind(ctx, &t, &x_buf, &y_buf, MATVEC_Y_OFFSET)
                        .unwrap_or_else(|e| panic!("{e}"));
                    run_pass(ctx, |p| kernel.encode(p, &b));
                    let y = read_f32(ctx, &y_buf, len);
                    let mut cpu = vec![0f32; rows];
                    linalg::matvec(&w, &x, &mut cpu);
                    let got = &y[MATVEC_Y_OFFSET..MATVEC_Y_OFFSET + rows];
                    let guards_kept = y[..MATVEC_Y_OFFSET]
                        .iter()
                        .chain(&y[MATVEC_Y_OFFSET + rows..])
                        .all(|v| *v == GUARD);
                    let err = scaled_matvec_error(&w, &x, got, &cpu);
                    let parts = if split {
                        format!(" in {} parts", t.parts.len())
                    } else {
                        String::new()
                    };
                    out.push(Outcome {
                        op: "matvec".into(),
                        case: format!(
                            "{variant:?} {} f16:{decode:?} {rows}x{cols}{parts}",
                            ty.name()
                        ),
                        error: if guards_kept { err } else { f64::INFINITY },
                        tolerance: MATMUL_TOL,
                    });
                }
            }
        }
    }
    report("matvec: GPU vs dequantize + linalg::matvec", &out);
}

#[test]
fn embedding_every_type_split_and_unsplit() {
    let ctx = gpu();
    let step = StepBuffer::new(ctx);
    let mut out = Vec::new();
    for decode in f16_decoders(ctx) {
        for ty in TYPES {
            let format = WeightFormat::for_type(ty);
            let kernel = pollster::block_on(Embedding::with_f16_decode(ctx, format, decode))
                .unwrap_or_else(|e| panic!("{e}"));
            let cols = match ty.block_elems() {
                1 => 99,
                32 => 160,
                _ => 512,
            };
            let rows = 53;
            for split in [false, true] {
                let mut rng = Rng::new(77 + split as u64);
                let raw = random_weights(&mut rng, ty, rows, cols);
                let t = upload(ctx, ty, rows, cols, &raw, split);
                let w = quant::dequantize_to_vec(ty, &raw).unwrap();
                for cap in CAPS {
                    // First row, last row, rows at part boundaries, repeats.
                    let ids: Vec<u32> = [0, 52, 13, 14, 26, 27, 40, 5, 5]
                        .into_iter()
                        .cycle()
                        .take(cap)
                        .collect();
                    let ids_buf = buffers::storage_from(ctx, "ids", &ids);
                    let out_buf = buffers::storage(ctx, "emb", cap * cols);
                    let guard = vec![GUARD; cap * cols];
                    let b = kernel
                        .bind(ctx, &t, &ids_buf, &out_buf, &step.buffer, cap)
                        .unwrap_or_else(|e| panic!("{e}"));
                    for n in token_counts(cap) {
                        ctx.queue
                            .write_buffer(&out_buf, 0, bytemuck::cast_slice(&guard));
                        run_step(ctx, &step, 0, n, |p| kernel.encode(p, &b));
                        let got = read_f32(ctx, &out_buf, cap * cols);
                        let want: Vec<f32> = ids[..n]
                            .iter()
                            .flat_map(|&id| {
                                w[id as usize * cols..(id as usize + 1) * cols].to_vec()
                            })
                            .collect();
                        out.push(Outcome {
                            op: "embedding".into(),
                            case: format!(
                                "{} f16:{decode:?} {rows}x{cols} in {} parts cap {cap} n {n}",
                                ty.name(),
                                t.parts.len()
                            ),
                            error: unless_touched(
                                max_rel(&got[..n * cols], &want),
                                &got,
                                &guard,
                                n * cols,
                            ),
                            tolerance: EMBEDDING_TOL,
                        });
                    }
                }
            }
        }
    }
    report("embedding: GPU vs dequantized rows", &out);
}

#[test]
fn rms_norm_every_capacity_and_token_count() {
    let ctx = gpu();
    let step = StepBuffer::new(ctx);
    let norm = pollster::block_on(RmsNorm::new(ctx)).unwrap();
    let mut rng = Rng::new(5);
    let mut out = Vec::new();
    for n_per in [1, 100, 576, 4097] {
        let w = rng.vec(n_per, 1.5);
        let wb = buffers::storage_from(ctx, "w", &w);
        let eps = 1e-5;
        for cap in CAPS {
            let x = rng.vec(n_per * cap, 2.0);
            let xb = buffers::storage_from(ctx, "x", &x);
            let ob = buffers::storage(ctx, "out", n_per * cap);
            let guard = vec![GUARD; n_per * cap];
            let b = norm
                .bind(ctx, &xb, &wb, &ob, n_per, eps, &step.buffer, cap)
                .unwrap();
            for n in token_counts(cap) {
                ctx.queue.write_buffer(&ob, 0, bytemuck::cast_slice(&guard));
                run_step(ctx, &step, 0, n, |p| norm.encode(p, &b));
                let got = read_f32(ctx, &ob, n_per * cap);
                let mut want = vec![0f32; n_per * n];
                for r in 0..n {
                    let range = r * n_per..(r + 1) * n_per;
                    linalg::rms_norm(&x[range.clone()], &w, eps, &mut want[range]);
                }
                out.push(Outcome {
                    op: "rms_norm".into(),
                    case: format!("rows of {n_per}, cap {cap} n {n}"),
                    error: unless_touched(
                        max_rel(&got[..n * n_per], &want),
                        &got,
                        &guard,
                        n * n_per,
                    ),
                    tolerance: RMS_NORM_TOL,
                });
            }
        }
    }
    report("rms_norm vs mistral_reference::linalg", &out);
}

#[test]
fn rope_every_capacity_token_count_and_position() {
    let ctx = gpu();
    let step = StepBuffer::new(ctx);
    let rope = pollster::block_on(Rope::new(ctx)).unwrap();
    let mut rng = Rng::new(6);
    let mut out = Vec::new();
    for (head_dim, n_heads, theta) in [(64, 9, 1e5f32), (128, 3, 1e4), (128, 32, 1e6), (2, 1, 1e4)]
    {
        let row = head_dim * n_heads;
        for cap in CAPS {
            let x = rng.vec(row * cap, 1.0);
            let xb = buffers::storage_from(ctx, "q", &x);
            let b = rope
                .bind(ctx, &xb, n_heads, head_dim, theta, &step.buffer, cap)
                .unwrap();
            // One binding, many steps: only the step buffer changes between runs.
            for n in token_counts(cap) {
                for pos0 in [0usize, 17, 4095, 131000] {
                    ctx.queue.write_buffer(&xb, 0, bytemuck::cast_slice(&x));
                    run_step(ctx, &step, pos0, n, |p| rope.encode(p, &b));
                    let got = read_f32(ctx, &xb, row * cap);
                    let mut want = x[..n * row].to_vec();
                    for t in 0..n {
                        linalg::rope(&mut want[t * row..(t + 1) * row], head_dim, pos0 + t, theta);
                    }
                    out.push(Outcome {
                        op: "rope".into(),
                        case: format!(
                            "hd {head_dim} x {n_heads} heads, theta {theta:e}, cap {cap} n {n} pos {pos0}"
                        ),
                        error: unless_touched(max_abs(&got[..n * row], &want), &got, &x, n * row),
                        tolerance: ROPE_TOL,
                    });
                }
            }
        }
    }
    report("rope vs mistral_reference::linalg", &out);
}

#[test]
fn silu_mul_and_add_every_capacity_and_token_count() {
    let ctx = gpu();
    let step = StepBuffer::new(ctx);
    let mut rng = Rng::new(7);
    let mut out = Vec::new();

    let silu = pollster::block_on(SiluMul::new(ctx)).unwrap();
    for n_per in [1, 255, 257, 14339] {
        for cap in CAPS {
            let g = rng.vec(n_per * cap, 8.0);
            let u = rng.vec(n_per * cap, 2.0);
            let (gb, ub) = (
                buffers::storage_from(ctx, "g", &g),
                buffers::storage_from(ctx, "u", &u),
            );
            let ob = buffers::storage(ctx, "o", n_per * cap);
            let guard = vec![GUARD; n_per * cap];
            let b = silu
                .bind(ctx, &gb, &ub, &ob, n_per, &step.buffer, cap)
                .unwrap();
            for n in token_counts(cap) {
                ctx.queue.write_buffer(&ob, 0, bytemuck::cast_slice(&guard));
                run_step(ctx, &step, 0, n, |p| silu.encode(p, &b));
                let got = read_f32(ctx, &ob, n_per * cap);
                let want: Vec<f32> = g[..n * n_per]
                    .iter()
                    .zip(&u)
                    .map(|(g, u)| linalg::silu(*g) * u)
                    .collect();
                out.push(Outcome {
                    op: "silu_mul".into(),
                    case: format!("n {n_per} per token, cap {cap} n {n}"),
                    error: unless_touched(
                        max_rel(&got[..n * n_per], &want),
                        &got,
                        &guard,
                        n * n_per,
                    ),
                    tolerance: SILU_TOL,
                });
            }
        }
    }

    let add = pollster::block_on(Add::new(ctx)).unwrap();
    // The last case needs more than 65535 workgroups of 256: the grid wraps into y.
    let cases: Vec<(usize, Vec<usize>)> = vec![
        (1, CAPS.to_vec()),
        (1000, CAPS.to_vec()),
        (65535 * 256 + 7, vec![1]),
    ];
    for (n_per, caps) in cases {
        for cap in caps {
            let a = rng.vec(n_per * cap, 3.0);
            let r = rng.vec(n_per * cap, 3.0);
            let (ab, rb) = (
                buffers::storage_from(ctx, "a", &a),
                buffers::storage_from(ctx, "r", &r),
            );
            let b = add.bind(ctx, &ab, &rb, n_per, &step.buffer, cap).unwrap();
            for n in token_counts(cap) {
                ctx.queue.write_buffer(&ab, 0, bytemuck::cast_slice(&a));
                run_step(ctx, &step, 0, n, |p| add.encode(p, &b));
                let got = read_f32(ctx, &ab, n_per * cap);
                let want: Vec<f32> = a[..n * n_per].iter().zip(&r).map(|(a, r)| a + r).collect();
                out.push(Outcome {
                    op: "add".into(),
                    case: format!("n {n_per} per token, cap {cap} n {n}"),
                    error: unless_touched(max_abs(&got[..n * n_per], &want), &got, &a, n * n_per),
                    tolerance: 0.0,
                });
            }
        }
    }
    report("silu_mul and add vs mistral_reference::linalg", &out);
}

#[test]
fn argmax_of_the_last_token_ties_and_capacities() {
    let ctx = gpu();
    let step = StepBuffer::new(ctx);
    let kernel = pollster::block_on(Argmax::new(ctx)).unwrap();
    let mut rng = Rng::new(11);
    let mut out = Vec::new();
    let mut cases: Vec<(String, Vec<f32>)> = Vec::new();
    for n in [1usize, 7, 256, 257, 32000, 49152] {
        cases.push((format!("random n {n}"), rng.vec(n, 10.0)));
    }
    let mut ties = rng.vec(5000, 1.0);
    for i in [4000, 1234, 4999] {
        ties[i] = 3.0;
    }
    cases.push(("ties at 1234, 4000, 4999".into(), ties));
    cases.push(("all equal n 300".into(), vec![0.5; 300]));
    cases.push(("all -inf n 70".into(), vec![f32::NEG_INFINITY; 70]));
    let mut neg = rng.vec(999, 1.0);
    neg.iter_mut().for_each(|v| *v = -v.abs() - 1.0);
    cases.push(("all negative n 999".into(), neg));
    for (name, values) in cases {
        let vocab = values.len();
        for cap in CAPS {
            let vb = buffers::storage(ctx, "logits", cap * vocab);
            let rb = buffers::storage_from(ctx, "result", &[u32::MAX; 1]);
            let b = kernel
                .bind(ctx, &vb, vocab, &rb, &step.buffer, cap)
                .unwrap();
            for n in token_counts(cap) {
                // Other rows hold a larger value elsewhere, so reading the wrong row shows.
                let mut data = vec![0f32; cap * vocab];
                for (r, row) in data.chunks_mut(vocab).enumerate() {
                    if r == n - 1 {
                        row.copy_from_slice(&values);
                    } else {
                        row[(r * 7 + 3) % vocab] = 1e30;
                    }
                }
                ctx.queue.write_buffer(&vb, 0, bytemuck::cast_slice(&data));
                run_step(ctx, &step, 0, n, |p| kernel.encode(p, &b));
                let got = read_u32(ctx, &rb, 1)[0] as usize;
                let want = mistral_reference::argmax(&values);
                out.push(Outcome {
                    op: "argmax".into(),
                    case: format!("{name}, cap {cap} n {n} (got {got}, want {want})"),
                    error: (got != want) as u8 as f64,
                    tolerance: 0.0,
                });
            }
        }
    }
    report("argmax vs mistral_reference::argmax", &out);
}

/// The down projection with SwiGLU fused in (`MatrixInput::SiluGateUp`): every variant pair,
/// decode (cap 1: the matvec path) and chunks, against silu(gate) * up computed on the CPU as
/// silu_mul.wgsl does, then the dequantized matvec. Tolerance: the matmul's (the input is the
/// same f32 function of the same values; only summation order differs).
#[test]
fn matmul_with_silu_gate_up_input_every_variant() {
    let ctx = gpu();
    let mut out = Vec::new();
    for (matvec, variant) in matmul_variants(ctx) {
        for ty in [
            TensorType::Q4_0,
            TensorType::Q8_0,
            TensorType::Q4K,
            TensorType::Q6K,
        ] {
            let format = WeightFormat::for_type(ty);
            let kernel = pollster::block_on(Matmul::with_input(
                ctx,
                format,
                ctx.features.f16_decode(),
                matvec,
                variant,
                MatrixInput::SiluGateUp,
            ))
            .unwrap_or_else(|e| panic!("{e}"));
            let (rows, cols) = (77, 512);
            let mut rng = Rng::new(4000);
            let raw = random_weights(&mut rng, ty, rows, cols);
            let t = upload(ctx, ty, rows, cols, &raw, false);
            let w = quant::dequantize_to_vec(ty, &raw).unwrap();
            let step = StepBuffer::new(ctx);
            for cap in CAPS {
                let gate_up = rng.vec(cap * 2 * cols, 2.0);
                let gu_buf = buffers::storage_from(ctx, "gate|up", &gate_up);
                let y_buf = buffers::storage(ctx, "y", cap * rows);
                let b = kernel
                    .bind(ctx, &t, &gu_buf, &y_buf, &step.buffer, cap)
                    .unwrap_or_else(|e| panic!("{e}"));
                let n = cap;
                run_step(ctx, &step, 0, n, |p| kernel.encode(p, &b));
                let y = read_f32(ctx, &y_buf, cap * rows);
                let mut err = 0f64;
                for tok in 0..n {
                    let row = &gate_up[tok * 2 * cols..(tok + 1) * 2 * cols];
                    let xt: Vec<f32> = (0..cols)
                        .map(|i| {
                            let g = row[i];
                            g / (1.0 + (-g).exp()) * row[cols + i]
                        })
                        .collect();
                    let mut cpu = vec![0f32; rows];
                    linalg::matvec(&w, &xt, &mut cpu);
                    err = err.max(scaled_matvec_error(
                        &w,
                        &xt,
                        &y[tok * rows..(tok + 1) * rows],
                        &cpu,
                    ));
                }
                out.push(Outcome {
                    op: "matmul silu(gate)*up".into(),
                    case: format!("{} {variant:?} cap {cap}", ty.name()),
                    error: err,
                    tolerance: MATMUL_TOL,
                });
            }
        }
    }
    report("down projection reading [gate | up]", &out);
    // Rows that are not a multiple of 4 cannot be split into gate and up vec4s: refused.
    let kernel = pollster::block_on(Matmul::silu_gate_up(
        ctx,
        WeightFormat::F32,
        KernelFamily::Cpu,
    ))
    .unwrap();
    let raw = random_weights(&mut Rng::new(1), TensorType::F32, 8, 6);
    let t = upload(ctx, TensorType::F32, 8, 6, &raw, false);
    let step = StepBuffer::new(ctx);
    let x = buffers::storage(ctx, "x", 64);
    let y = buffers::storage(ctx, "y", 64);
    assert!(kernel.bind(ctx, &t, &x, &y, &step.buffer, 1).is_err());
}
