//! The op table, in the manner of ggml's test-backend-ops: every op x weight type x awkward shape
//! on the GPU against the CPU oracle (`mistral_formats::quant` dequantization, then
//! `mistral_reference::linalg`), on seeded random inputs. Shapes avoid multiples of the
//! workgroup sizes (64 rows per matvec workgroup, 256 per elementwise/reduction workgroup), and
//! each weight type also runs with its tensor split into several row parts (the split threshold
//! is lowered artificially: the fixtures are far below the real 128 MiB binding limit).
//!
//! Tolerances (error measures are defined where they are computed):
//! (observed maxima on lavapipe in brackets)
//! - matvec 1e-5, scaled by sum_j |w_ij x_j|: the GPU sums per-block partial sums, the CPU in 8
//!   interleaved lanes; both in f32, so rows differ by a few ulps of the absolute sum
//!   (gamma_n ~ n * 6e-8 bounds it) [1.2e-7].
//! - embedding 1e-6 relative: the same dequantization formula, up to FMA contraction [0].
//! - rms_norm 1e-5 relative to max |out|: tree vs sequential sum of squares, sqrt [8e-7].
//! - rope 2e-6 absolute (inputs in [-1, 1)): identical f32 angles; GPU sin/cos after exact range
//!   reduction, up to position 131000 [3.3e-7].
//! - silu_mul 1e-6 relative to max |out|: one exp and one division [1.9e-7].
//! - add: exact (one correctly rounded f32 addition).
//! - argmax: exact index, first index on ties (like mistral_reference::argmax).

mod common;

use common::*;
use mistral_engine::buffers;
use mistral_engine::ops::{Add, Argmax, Embedding, Matvec, RmsNorm, Rope, SiluMul};
use mistral_engine::shaders::F16Decode;
use mistral_engine::{GpuContext, GpuTensor, WeightFormat};
use mistral_formats::quant;
use mistral_formats::TensorType;
use mistral_reference::linalg;

const MATVEC_TOL: f64 = 1e-5;
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

/// Max over rows of |gpu - cpu| / sum_j |w_ij x_j|.
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

fn matvec_case(
    ctx: &GpuContext,
    kernel: &Matvec,
    ty: TensorType,
    rows: usize,
    cols: usize,
    split: bool,
    seed: u64,
) -> (String, f64) {
    let mut rng = Rng::new(seed);
    let raw = random_weights(&mut rng, ty, rows, cols);
    let x = rng.vec(cols, 1.0);
    let limit = if split {
        split_limit(ty, rows, cols)
    } else {
        ctx.max_binding_bytes()
    };
    let t = pollster::block_on(GpuTensor::upload_split(
        ctx, "w", ty, rows, cols, &raw, limit,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    if split {
        assert!(
            t.parts.len() >= 3,
            "split case made {} parts",
            t.parts.len()
        );
    }
    // Output written at an offset, with guard values around it that must survive.
    let offset = 3;
    let x_buf = buffers::storage_from(ctx, "x", &x);
    let y_buf = buffers::storage_from(ctx, "y", &vec![7.5f32; rows + 2 * offset]);
    let b = kernel
        .bind(ctx, &t, &x_buf, &y_buf, offset)
        .unwrap_or_else(|e| panic!("{e}"));
    run_pass(ctx, |p| kernel.encode(p, &b));
    let y = read_f32(ctx, &y_buf, rows + 2 * offset);
    assert!(
        y[..offset]
            .iter()
            .chain(&y[offset + rows..])
            .all(|&v| v == 7.5),
        "matvec wrote outside its output range"
    );
    let w = quant::dequantize_to_vec(ty, &raw).unwrap();
    let mut cpu = vec![0f32; rows];
    linalg::matvec(&w, &x, &mut cpu);
    let err = scaled_matvec_error(&w, &x, &y[offset..offset + rows], &cpu);
    let parts = if split {
        format!(" in {} parts", t.parts.len())
    } else {
        String::new()
    };
    (format!("{}x{}{parts}", rows, cols), err)
}

#[test]
fn matvec_every_type_and_shape() {
    let ctx = gpu();
    let mut out = Vec::new();
    for decode in f16_decoders(ctx) {
        for ty in TYPES {
            let format = WeightFormat::for_type(ty);
            let kernel = pollster::block_on(Matvec::with_f16_decode(ctx, format, decode))
                .unwrap_or_else(|e| panic!("{e}"));
            let mut cases: Vec<((usize, usize), bool)> =
                shapes(ty).into_iter().map(|s| (s, false)).collect();
            cases.push(((301, if ty.block_elems() == 256 { 512 } else { 96 }), true));
            for (i, ((rows, cols), split)) in cases.into_iter().enumerate() {
                let (case, err) = matvec_case(ctx, &kernel, ty, rows, cols, split, 1000 + i as u64);
                out.push(Outcome {
                    op: "matvec".into(),
                    case: format!("{} f16:{decode:?} {case}", ty.name()),
                    error: err,
                    tolerance: MATVEC_TOL,
                });
            }
        }
    }
    report("matvec: GPU vs dequantize + linalg::matvec", &out);
}

#[test]
fn embedding_every_type_split_and_unsplit() {
    let ctx = gpu();
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
                let limit = if split {
                    split_limit(ty, rows, cols)
                } else {
                    ctx.max_binding_bytes()
                };
                let t = pollster::block_on(GpuTensor::upload_split(
                    ctx, "tok", ty, rows, cols, &raw, limit,
                ))
                .unwrap_or_else(|e| panic!("{e}"));
                // First row, last row, rows at part boundaries, a repeat.
                let ids: Vec<u32> = vec![0, 52, 13, 14, 26, 27, 40, 5, 5];
                let ids_buf = buffers::storage_from(ctx, "ids", &[&[9u32][..], &ids].concat());
                let out_buf = buffers::storage(ctx, "emb", ids.len() * cols);
                let b = kernel
                    .bind(ctx, &t, &ids_buf, 1, ids.len(), &out_buf)
                    .unwrap_or_else(|e| panic!("{e}"));
                run_pass(ctx, |p| kernel.encode(p, &b));
                let got = read_f32(ctx, &out_buf, ids.len() * cols);
                let w = quant::dequantize_to_vec(ty, &raw).unwrap();
                let want: Vec<f32> = ids
                    .iter()
                    .flat_map(|&id| w[id as usize * cols..(id as usize + 1) * cols].to_vec())
                    .collect();
                out.push(Outcome {
                    op: "embedding".into(),
                    case: format!(
                        "{} f16:{decode:?} {rows}x{cols} in {} parts",
                        ty.name(),
                        t.parts.len()
                    ),
                    error: max_rel(&got, &want),
                    tolerance: EMBEDDING_TOL,
                });
            }
        }
    }
    report("embedding: GPU vs dequantized rows", &out);
}

#[test]
fn rms_norm_rope_silu_add() {
    let ctx = gpu();
    let mut out = Vec::new();
    let mut rng = Rng::new(5);

    let norm = pollster::block_on(RmsNorm::new(ctx)).unwrap();
    for (n, n_rows) in [(1, 1), (100, 3), (576, 2), (4097, 2), (4096, 1)] {
        let x = rng.vec(n * n_rows, 2.0);
        let w = rng.vec(n, 1.5);
        let eps = 1e-5;
        let (xb, wb) = (
            buffers::storage_from(ctx, "x", &x),
            buffers::storage_from(ctx, "w", &w),
        );
        let ob = buffers::storage(ctx, "out", n * n_rows);
        let b = norm.bind(ctx, &xb, &wb, &ob, n, n_rows, eps).unwrap();
        run_pass(ctx, |p| norm.encode(p, &b));
        let got = read_f32(ctx, &ob, n * n_rows);
        let mut want = vec![0f32; n * n_rows];
        for r in 0..n_rows {
            linalg::rms_norm(
                &x[r * n..(r + 1) * n],
                &w,
                eps,
                &mut want[r * n..(r + 1) * n],
            );
        }
        out.push(Outcome {
            op: "rms_norm".into(),
            case: format!("{n_rows} rows of {n}"),
            error: max_rel(&got, &want),
            tolerance: RMS_NORM_TOL,
        });
    }

    let rope = pollster::block_on(Rope::new(ctx)).unwrap();
    for (head_dim, n_heads, n_tokens, theta) in [
        (64, 9, 3, 1e5f32),
        (128, 3, 5, 1e4),
        (128, 32, 1, 1e6),
        (2, 1, 1, 1e4),
    ] {
        let n = head_dim * n_heads * n_tokens;
        let x = rng.vec(n, 1.0);
        let xb = buffers::storage_from(ctx, "q", &x);
        let pos_buf = buffers::storage_from(ctx, "pos", &[0u32]);
        let b = rope
            .bind(ctx, &xb, &pos_buf, head_dim, n_heads, n_tokens, theta)
            .unwrap();
        // One binding, many positions: only the position buffer changes between runs.
        for pos0 in [0u32, 1, 17, 4095, 32767, 131000] {
            ctx.queue.write_buffer(&xb, 0, bytemuck::cast_slice(&x));
            ctx.queue
                .write_buffer(&pos_buf, 0, bytemuck::bytes_of(&pos0));
            run_pass(ctx, |p| rope.encode(p, &b));
            let got = read_f32(ctx, &xb, n);
            let mut want = x.clone();
            for t in 0..n_tokens {
                let tok = &mut want[t * head_dim * n_heads..(t + 1) * head_dim * n_heads];
                linalg::rope(tok, head_dim, pos0 as usize + t, theta);
            }
            out.push(Outcome {
                op: "rope".into(),
                case: format!(
                    "hd {head_dim} x {n_heads} heads x {n_tokens} tok, pos {pos0}, theta {theta:e}"
                ),
                error: max_abs(&got, &want),
                tolerance: ROPE_TOL,
            });
        }
    }

    let silu = pollster::block_on(SiluMul::new(ctx)).unwrap();
    for n in [1, 255, 257, 14339] {
        let g = rng.vec(n, 8.0);
        let u = rng.vec(n, 2.0);
        let (gb, ub) = (
            buffers::storage_from(ctx, "g", &g),
            buffers::storage_from(ctx, "u", &u),
        );
        let ob = buffers::storage(ctx, "o", n);
        let b = silu.bind(ctx, &gb, &ub, &ob, n).unwrap();
        run_pass(ctx, |p| silu.encode(p, &b));
        let got = read_f32(ctx, &ob, n);
        let want: Vec<f32> = g
            .iter()
            .zip(&u)
            .map(|(g, u)| linalg::silu(*g) * u)
            .collect();
        out.push(Outcome {
            op: "silu_mul".into(),
            case: format!("n {n}"),
            error: max_rel(&got, &want),
            tolerance: SILU_TOL,
        });
    }

    let add = pollster::block_on(Add::new(ctx)).unwrap();
    // The last size needs more than 65535 workgroups of 256: the grid wraps into y.
    for n in [1usize, 1000, 65535 * 256 + 7] {
        let a = rng.vec(n, 3.0);
        let r = rng.vec(n, 3.0);
        let (ab, rb) = (
            buffers::storage_from(ctx, "a", &a),
            buffers::storage_from(ctx, "r", &r),
        );
        let b = add.bind(ctx, &ab, &rb, n).unwrap();
        run_pass(ctx, |p| add.encode(p, &b));
        let got = read_f32(ctx, &ab, n);
        let want: Vec<f32> = a.iter().zip(&r).map(|(a, r)| a + r).collect();
        out.push(Outcome {
            op: "add".into(),
            case: format!("n {n}"),
            error: max_abs(&got, &want),
            tolerance: 0.0,
        });
    }
    report(
        "elementwise and normalisation ops vs mistral_reference::linalg",
        &out,
    );
}

#[test]
fn argmax_rows_ties_and_offsets() {
    let ctx = gpu();
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
        // Values placed after a prefix, to exercise the row offset.
        let offset = 5;
        let data: Vec<f32> = [vec![1e30; offset], values.clone()].concat();
        let vb = buffers::storage_from(ctx, "values", &data);
        let rb = buffers::storage_from(ctx, "result", &[u32::MAX; 2]);
        let b = kernel.bind(ctx, &vb, offset, values.len(), &rb, 1).unwrap();
        run_pass(ctx, |p| kernel.encode(p, &b));
        let got = read_u32(ctx, &rb, 2)[1] as usize;
        let want = mistral_reference::argmax(&values);
        out.push(Outcome {
            op: "argmax".into(),
            case: format!("{name} (got {got}, want {want})"),
            error: (got != want) as u8 as f64,
            tolerance: 0.0,
        });
    }
    report("argmax vs mistral_reference::argmax", &out);
}
