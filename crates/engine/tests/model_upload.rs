//! Weights uploaded from real model files (`GpuTensor::from_model`, streaming row chunks from
//! the byte source) give the same matvec and embedding results as the CPU on the file's own
//! dequantized tensors (`ModelFile::read_f32`): every tensor of every committed fixture (GGUF in
//! F32/F16/Q8_0/Q4_0/Q4_K_M, and HF safetensors whose Q/K rows are un-permuted on load), plus
//! SmolLM2-135M-Instruct (Q4_1 layers, Q8_0 embeddings of 49152 rows).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use mistral_engine::buffers;
use mistral_engine::ops::{Embedding, Matvec};
use mistral_engine::{GpuContext, GpuTensor, KernelFamily, WeightFormat};
use mistral_formats::open::open_model;
use mistral_reference::linalg;
use mistral_testdata::fixture;

/// Same bound and reason as the op table's matvec tolerance.
const MATVEC_TOL: f64 = 1e-5;

struct Kernels {
    matvec: HashMap<WeightFormat, Matvec>,
    embedding: HashMap<WeightFormat, Embedding>,
}

impl Kernels {
    fn new(ctx: &GpuContext) -> Self {
        let mut k = Kernels {
            matvec: HashMap::new(),
            embedding: HashMap::new(),
        };
        for f in WeightFormat::ALL {
            k.matvec.insert(
                f,
                pollster::block_on(Matvec::new(ctx, f, KernelFamily::Cpu)).unwrap(),
            );
            k.embedding
                .insert(f, pollster::block_on(Embedding::new(ctx, f)).unwrap());
        }
        k
    }
}

/// Uploads the named tensors (all when `only` is None) and checks each; returns how many.
fn check_model(ctx: &GpuContext, k: &Kernels, path: &Path, only: Option<&[&str]>) -> usize {
    let model = open_model(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rng = Rng::new(42);
    let mut checked = 0;
    for t in &model.tensors {
        if only.is_some_and(|names| !names.contains(&t.name.as_str())) {
            continue;
        }
        let gpu_t = pollster::block_on(GpuTensor::from_model(ctx, &model, t))
            .unwrap_or_else(|e| panic!("{} {}: {e}", path.display(), t.name));
        let w = model.read_f32(&t.name).unwrap();
        let (rows, cols) = (t.rows(), t.cols());
        let x = rng.vec(cols, 1.0);
        let xb = buffers::storage_from(ctx, "x", &x);
        let yb = buffers::storage(ctx, "y", rows);
        let kernel = &k.matvec[&gpu_t.format];
        let b = kernel.bind(ctx, &gpu_t, &xb, &yb, 0).unwrap();
        run_pass(ctx, |p| kernel.encode(p, &b));
        let got = read_f32(ctx, &yb, rows);
        let mut want = vec![0f32; rows];
        linalg::matvec(&w, &x, &mut want);
        let mut worst = 0f64;
        for r in 0..rows {
            let abs: f64 = w[r * cols..(r + 1) * cols]
                .iter()
                .zip(&x)
                .map(|(a, b)| (a * b).abs() as f64)
                .sum();
            worst = worst.max((got[r] as f64 - want[r] as f64).abs() / abs.max(1e-30));
        }
        assert!(
            worst <= MATVEC_TOL,
            "{} {} ({:?} {rows}x{cols}): matvec error {worst:.3e}",
            path.display(),
            t.name,
            t.ty
        );
        if t.name == "token_embd.weight" {
            let ids: Vec<u32> = vec![0, 1, (rows / 2) as u32, (rows - 1) as u32];
            let ib = buffers::storage_from(ctx, "ids", &ids);
            let ob = buffers::storage(ctx, "emb", ids.len() * cols);
            let kernel = &k.embedding[&gpu_t.format];
            let step = mistral_engine::step::StepBuffer::new(ctx);
            step.write(ctx, 0, ids.len());
            let b = kernel
                .bind(ctx, &gpu_t, &ib, &ob, &step.buffer, ids.len())
                .unwrap();
            run_pass(ctx, |p| kernel.encode(p, &b));
            let got = read_f32(ctx, &ob, ids.len() * cols);
            for (i, &id) in ids.iter().enumerate() {
                let want = &w[id as usize * cols..(id as usize + 1) * cols];
                let g = &got[i * cols..(i + 1) * cols];
                let err = g
                    .iter()
                    .zip(want)
                    .map(|(a, b)| (a - b).abs() / b.abs().max(1e-6))
                    .fold(0f32, f32::max);
                assert!(
                    err <= 1e-6,
                    "{} embedding row {id}: {err:e}",
                    path.display()
                );
            }
        }
        checked += 1;
    }
    checked
}

#[test]
fn every_fixture_tensor_uploads_and_multiplies_like_the_cpu() {
    let ctx = gpu();
    let k = Kernels::new(ctx);
    for file in [
        "tiny-w6/tiny-w6-F32.gguf",
        "tiny-w6/tiny-w6-F16.gguf",
        "tiny-w6/tiny-w6-Q8_0.gguf",
        "tiny-w6/tiny-w6-Q4_0.gguf",
        "tiny-w6/tiny-w6-Q4_K_M.gguf",
        "tiny-w6/model.safetensors",
        "tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf",
    ] {
        let n = check_model(ctx, &k, &fixture(file), None);
        println!("{file}: {n} tensors match");
    }
}

#[test]
fn smollm2_tensors_upload_and_multiply_like_the_cpu() {
    let ctx = gpu();
    let k = Kernels::new(ctx);
    let path = mistral_testdata::smollm2_gguf();
    let names = [
        "token_embd.weight",
        "blk.0.attn_q.weight",
        "blk.0.attn_k.weight",
        "blk.0.ffn_down.weight",
        "blk.29.ffn_gate.weight",
        "output_norm.weight",
    ];
    let n = check_model(ctx, &k, &path, Some(&names));
    assert_eq!(n, names.len(), "SmolLM2 lacks some expected tensors");
}
