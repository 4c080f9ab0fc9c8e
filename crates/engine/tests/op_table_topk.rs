//! Op table for GPU top-k (`ops::TopK`) against a CPU sort, exact ids and exact value bits:
//! - seeded random rows of vocab 1, 63, 257, 32000, 49152 with k in {1, 5, 40, 64};
//! - ties (index ascending), an all-equal row, -inf and NaN entries (NaN ranked and written as
//!   -inf), +0.0 / -0.0 (equal: index decides);
//! - the last token's row of a cap > 1 buffer, with the other rows holding larger values;
//! - k > vocab is clamped: the whole row sorted, then (u32::MAX, -inf) padding;
//!   k = 0 and k > 64 are refused at bind time;
//! - `GpuModel::forward_top_k` on a fixture (prefill through the last-row head, then decode
//!   through the one-row head) equals the CPU top-k of `forward_last_logits`, exactly.

mod common;

use common::*;
use mistral_engine::buffers;
use mistral_engine::model::{GpuModel, ModelOptions};
use mistral_engine::ops::{KvStorage, TopK};
use mistral_engine::step::StepBuffer;
use mistral_engine::GpuContext;
use mistral_formats::open::open_model;
use mistral_testdata::fixture;
use std::sync::Arc;

const NEG_INF_BITS: u32 = 0xff80_0000;

/// The CPU oracle: ids and value bits of the k best, in (value desc, index asc) order with NaN
/// as -inf, padded to k with (u32::MAX, -inf) when the row is shorter.
fn cpu_top_k(values: &[f32], k: usize) -> Vec<u32> {
    let key = |v: f32| if v.is_nan() { f32::NEG_INFINITY } else { v };
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        key(values[b])
            .partial_cmp(&key(values[a]))
            .expect("no NaN keys")
            .then(a.cmp(&b))
    });
    let mut ids = vec![u32::MAX; k];
    let mut bits = vec![NEG_INF_BITS; k];
    for (slot, &i) in order.iter().take(k).enumerate() {
        ids[slot] = i as u32;
        bits[slot] = key(values[i]).to_bits();
    }
    ids.extend(bits);
    ids
}

fn cases() -> Vec<(String, Vec<f32>)> {
    let mut rng = Rng::new(29);
    let mut cases: Vec<(String, Vec<f32>)> = Vec::new();
    for n in [1usize, 63, 257, 32000, 49152] {
        cases.push((format!("random n {n}"), rng.vec(n, 10.0)));
    }
    // Ties inside and across the top k: several strided slices hold the same value.
    let mut ties = rng.vec(5000, 1.0);
    for i in [4000, 1234, 4999, 0, 256, 2] {
        ties[i] = 3.0;
    }
    for i in (7..5000).step_by(97) {
        ties[i] = 2.0;
    }
    cases.push(("ties at 3.0 and 2.0".into(), ties));
    cases.push(("all equal n 300".into(), vec![0.5; 300]));
    let mut special = rng.vec(1000, 1.0);
    for i in (0..1000).step_by(3) {
        special[i] = f32::NEG_INFINITY;
    }
    for i in (1..1000).step_by(7) {
        special[i] = f32::NAN;
    }
    special[500] = f32::INFINITY;
    special[10] = 0.0;
    special[11] = -0.0;
    special[4] = -0.0;
    cases.push(("-inf, NaN, +inf, +-0".into(), special));
    let mut mostly_nan = vec![f32::NAN; 100];
    mostly_nan[50] = -1.0;
    mostly_nan[3] = f32::NEG_INFINITY;
    cases.push(("NaN row with one -1 and one -inf".into(), mostly_nan));
    cases.push(("all -inf n 70".into(), vec![f32::NEG_INFINITY; 70]));
    cases
}

#[test]
fn top_k_of_the_last_token_matches_a_cpu_sort() {
    let ctx = gpu();
    let step = StepBuffer::new(ctx);
    let kernel = pollster::block_on(TopK::new(ctx)).unwrap();
    let mut out = Vec::new();
    for (name, values) in cases() {
        let vocab = values.len();
        for cap in [1usize, 5] {
            let vb = buffers::storage(ctx, "logits", cap * vocab);
            for k in [1usize, 5, 40, 64] {
                let rb = buffers::storage_from(ctx, "result", &vec![0x5555_5555u32; 2 * k]);
                let b = kernel
                    .bind(ctx, &vb, vocab, k, &rb, &step.buffer, cap)
                    .unwrap();
                for n in [1, cap] {
                    // Other rows hold larger values, so reading the wrong row shows.
                    let mut data = vec![1e30f32; cap * vocab];
                    data[(n - 1) * vocab..n * vocab].copy_from_slice(&values);
                    ctx.queue.write_buffer(&vb, 0, bytemuck::cast_slice(&data));
                    step.write(ctx, 0, n);
                    run_pass(ctx, |p| kernel.encode(p, &b));
                    let got = read_u32(ctx, &rb, 2 * k);
                    let want = cpu_top_k(&values, k);
                    let first_bad = got.iter().zip(&want).position(|(g, w)| g != w);
                    out.push(Outcome {
                        op: "topk".into(),
                        case: format!(
                            "{name}, k {k}, cap {cap} n {n}{}",
                            first_bad
                                .map(|i| format!(
                                    " (slot {i}: got {:#x}, want {:#x})",
                                    got[i], want[i]
                                ))
                                .unwrap_or_default()
                        ),
                        error: first_bad.is_some() as u8 as f64,
                        tolerance: 0.0,
                    });
                }
            }
        }
    }
    report("top-k vs a CPU sort (exact ids and value bits)", &out);
}

#[test]
fn k_outside_1_to_64_is_refused_and_k_above_vocab_is_clamped() {
    let ctx = gpu();
    let step = StepBuffer::new(ctx);
    let kernel = pollster::block_on(TopK::new(ctx)).unwrap();
    let logits = buffers::storage_from(ctx, "logits", &[1.0f32, 3.0, 2.0]);
    let big = buffers::storage(ctx, "result", 2 * 65);
    for k in [0, 65] {
        assert!(
            kernel
                .bind(ctx, &logits, 3, k, &big, &step.buffer, 1)
                .is_err(),
            "k = {k} must be refused"
        );
    }
    let small = buffers::storage(ctx, "result", 2 * 4);
    assert!(
        kernel
            .bind(ctx, &logits, 3, 5, &small, &step.buffer, 1)
            .is_err(),
        "an output buffer under 2k values must be refused"
    );
    let b = kernel
        .bind(ctx, &logits, 3, 64, &big, &step.buffer, 1)
        .unwrap();
    step.write(ctx, 0, 1);
    run_pass(ctx, |p| kernel.encode(p, &b));
    let got = read_u32(ctx, &big, 2 * 64);
    assert_eq!(&got[..4], &[1, 2, 0, u32::MAX]);
    assert!(got[3..64].iter().all(|&i| i == u32::MAX));
    let values: Vec<f32> = got[64..67].iter().map(|&b| f32::from_bits(b)).collect();
    assert_eq!(values, [3.0, 2.0, 1.0]);
    assert!(got[67..].iter().all(|&b| b == NEG_INF_BITS));
}

#[test]
fn model_top_k_equals_the_top_k_of_the_read_back_logits() {
    let _ = gpu(); // sets XDG_RUNTIME_DIR before the model's own device starts
    let ctx = Arc::new(GpuContext::new_blocking(None).unwrap());
    let model = open_model(&fixture("tiny-w6/tiny-w6-Q4_0.gguf")).unwrap();
    let opts = ModelOptions {
        prefill_chunk: 4,
        context: 64,
        kv_storage: KvStorage::F32,
        ..ModelOptions::default()
    };
    let mut m = pollster::block_on(GpuModel::load(ctx, &model, &opts, None, |_| {})).unwrap();
    let vocab = m.config().vocab_size;
    let text: Vec<u32> =
        serde_json::from_str(&std::fs::read_to_string(fixture("tiny-w6/input_ids.json")).unwrap())
            .unwrap();
    // 7 prompt tokens: chunks of 4 and 3 (last-row head), then two decode steps (one-row head).
    let (prompt, decode) = text.split_at(7);
    let steps: Vec<&[u32]> = vec![prompt, &decode[..1], &decode[1..2]];
    for k in [1, 40, 64] {
        m.reset();
        let tops: Vec<Vec<(u32, f32)>> = steps
            .iter()
            .map(|s| pollster::block_on(m.forward_top_k(s, k)).unwrap())
            .collect();
        m.reset();
        for (i, s) in steps.iter().enumerate() {
            let logits = pollster::block_on(m.forward_last_logits(s)).unwrap();
            let want = cpu_top_k(&logits, k);
            let n = k.min(vocab);
            let want: Vec<(u32, f32)> = (0..n)
                .map(|j| (want[j], f32::from_bits(want[k + j])))
                .collect();
            assert_eq!(tops[i], want, "k {k}, step {i}");
        }
    }
    assert!(pollster::block_on(m.forward_top_k(&[1], 0)).is_err());
    assert!(pollster::block_on(m.forward_top_k(&[1], 65)).is_err());
}
