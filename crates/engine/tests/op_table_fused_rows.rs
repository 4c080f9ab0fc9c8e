//! The ops over a fused projection's rows (`[q | k | v]` written by one matmul, `[gate | up]`
//! by another) against the same ops over separate buffers: RoPE of q and k fused with the KV
//! write (rope_kv) against RoPE then kv_write, attention reading strided queries, and SiLU*up over
//! `[gate | up]` rows must give the same bits (the arithmetic is identical; only addressing
//! differs). Prefill-sized chunks with fewer tokens than the capacity, decode, ring wrap and
//! both KV storages; rows past n_tokens must stay untouched.

mod common;

use common::{gpu, read_f32, run_pass, Rng};
use mistral_engine::ops::{
    Attention, Heads, KvCache, KvStorage, KvWrite, QkvRows, Rope, RopeKv, SiluMul,
};
use mistral_engine::{buffers, step::StepBuffer};

struct Shape {
    n_heads: usize,
    n_kv_heads: usize,
    head_dim: usize,
    window: Option<usize>,
    cap: usize,
}

fn attention_block_fused_equals_separate(s: &Shape, storage: KvStorage, seed: u64) {
    let ctx = gpu();
    let rope = pollster::block_on(Rope::new(ctx)).unwrap();
    let kv_write = pollster::block_on(KvWrite::new(ctx, storage)).unwrap();
    let attention = pollster::block_on(Attention::new(ctx, storage)).unwrap();
    let (qd, kvd) = (s.n_heads * s.head_dim, s.n_kv_heads * s.head_dim);
    let row = qd + 2 * kvd;
    let ring = s.window.map_or(64, |w| w + s.cap - 1);
    let mut rng = Rng::new(seed);

    let q0 = rng.vec(s.cap * qd, 1.0);
    let k0 = rng.vec(s.cap * kvd, 1.0);
    let v0 = rng.vec(s.cap * kvd, 1.0);
    let fused0: Vec<f32> = (0..s.cap)
        .flat_map(|t| {
            let q = &q0[t * qd..(t + 1) * qd];
            let k = &k0[t * kvd..(t + 1) * kvd];
            let v = &v0[t * kvd..(t + 1) * kvd];
            [q, k, v].concat()
        })
        .collect();
    let theta = 10000.0;
    let (q, k, v) = (
        buffers::storage_from(ctx, "q", &q0),
        buffers::storage_from(ctx, "k", &k0),
        buffers::storage_from(ctx, "v", &v0),
    );
    let qkv = buffers::storage_from(ctx, "q|k|v", &fused0);
    let guard = vec![7.0f32; s.cap * qd];
    let (out_sep, out_fused) = (
        buffers::storage_from(ctx, "out separate", &guard),
        buffers::storage_from(ctx, "out fused", &guard),
    );
    let (cache_sep, cache_fused) = (
        KvCache::new(ctx, 1, ring, kvd, storage).unwrap(),
        KvCache::new(ctx, 1, ring, kvd, storage).unwrap(),
    );
    let step = StepBuffer::new(ctx);
    let bind_attention = |q: &_, stride, cache: &_, out: &_| {
        attention
            .bind_strided(
                ctx,
                q,
                stride,
                cache,
                0,
                out,
                s.n_heads,
                s.n_kv_heads,
                s.head_dim,
                s.window,
                &step.buffer,
                s.cap,
            )
            .unwrap()
    };
    let sep = (
        rope.bind(ctx, &q, s.n_heads, s.head_dim, theta, &step.buffer, s.cap)
            .unwrap(),
        rope.bind(
            ctx,
            &k,
            s.n_kv_heads,
            s.head_dim,
            theta,
            &step.buffer,
            s.cap,
        )
        .unwrap(),
        kv_write
            .bind(ctx, &k, &v, &cache_sep, 0, &step.buffer, s.cap)
            .unwrap(),
        bind_attention(&q, qd, &cache_sep, &out_sep),
    );
    // The fused side as the model runs it: one rope_kv dispatch (RoPE of q and k, k and v into
    // the cache) over `[q | k | v]` rows.
    let rope_kv = pollster::block_on(RopeKv::new(ctx, storage)).unwrap();
    let fused = (
        rope_kv
            .bind(
                ctx,
                &qkv,
                QkvRows {
                    row_stride: row,
                    q_offset: 0,
                    k_offset: qd,
                    v_offset: qd + kvd,
                },
                Heads {
                    n_heads: s.n_heads,
                    n_kv_heads: s.n_kv_heads,
                    head_dim: s.head_dim,
                    theta,
                },
                &cache_fused,
                0,
                &step.buffer,
                s.cap,
            )
            .unwrap(),
        bind_attention(&qkv, row, &cache_fused, &out_fused),
    );
    // Steps that fill the ring past its length, with chunks shorter than the capacity.
    let mut pos = 0;
    for n_tokens in [s.cap, s.cap.div_ceil(2), 1, s.cap, s.cap, 1, s.cap] {
        step.write(ctx, pos, n_tokens);
        // Fresh inputs for the step (RoPE rotates in place).
        ctx.queue.write_buffer(&q, 0, bytemuck::cast_slice(&q0));
        ctx.queue.write_buffer(&k, 0, bytemuck::cast_slice(&k0));
        ctx.queue
            .write_buffer(&qkv, 0, bytemuck::cast_slice(&fused0));
        run_pass(ctx, |p| {
            rope.encode(p, &sep.0);
            rope.encode(p, &sep.1);
            kv_write.encode(p, &sep.2);
            attention.encode(p, &sep.3);
            fused.0.encode(p);
            attention.encode(p, &fused.1);
        });
        let what = format!(
            "heads {}/{} dim {} window {:?} cap {} {} pos {pos} n {n_tokens}",
            s.n_heads,
            s.n_kv_heads,
            s.head_dim,
            s.window,
            s.cap,
            storage.name()
        );
        let rotated_q = read_f32(ctx, &q, s.cap * qd);
        let rotated_fused = read_f32(ctx, &qkv, s.cap * row);
        for t in 0..n_tokens {
            assert_eq!(
                rotated_fused[t * row..t * row + qd],
                rotated_q[t * qd..(t + 1) * qd],
                "rotated q, token {t}: {what}"
            );
        }
        let (a, b) = (
            read_f32(ctx, &out_sep, s.cap * qd),
            read_f32(ctx, &out_fused, s.cap * qd),
        );
        assert_eq!(a, b, "attention output: {what}");
        assert!(
            b[n_tokens * qd..].iter().all(|&x| x == 7.0) || pos > 0,
            "rows past n_tokens written: {what}"
        );
        pos += n_tokens;
    }
}

#[test]
fn attention_block_over_fused_rows_equals_separate_buffers() {
    for (i, s) in [
        Shape {
            n_heads: 4,
            n_kv_heads: 2,
            head_dim: 32,
            window: Some(6),
            cap: 5,
        },
        Shape {
            n_heads: 9,
            n_kv_heads: 3,
            head_dim: 64,
            window: None,
            cap: 4,
        },
        Shape {
            n_heads: 8,
            n_kv_heads: 8,
            head_dim: 16,
            window: Some(3),
            cap: 1,
        },
    ]
    .iter()
    .enumerate()
    {
        for storage in [KvStorage::F32, KvStorage::F16] {
            attention_block_fused_equals_separate(s, storage, 10 + i as u64);
        }
    }
}

#[test]
fn silu_mul_over_gate_up_rows_equals_separate_buffers() {
    let ctx = gpu();
    let op = pollster::block_on(SiluMul::new(ctx)).unwrap();
    let mut rng = Rng::new(3);
    for (n, cap, n_tokens) in [(512, 5, 3), (1536, 1, 1), (7, 4, 4)] {
        let gate = rng.vec(n * cap, 4.0);
        let up = rng.vec(n * cap, 4.0);
        let rows: Vec<f32> = (0..cap)
            .flat_map(|t| [&gate[t * n..(t + 1) * n], &up[t * n..(t + 1) * n]].concat())
            .collect();
        let (g, u, gu) = (
            buffers::storage_from(ctx, "gate", &gate),
            buffers::storage_from(ctx, "up", &up),
            buffers::storage_from(ctx, "gate|up", &rows),
        );
        let guard = vec![5.0f32; n * cap];
        let (a, b) = (
            buffers::storage_from(ctx, "separate", &guard),
            buffers::storage_from(ctx, "fused", &guard),
        );
        let step = StepBuffer::new(ctx);
        step.write(ctx, 0, n_tokens);
        let sep = op.bind(ctx, &g, &u, &a, n, &step.buffer, cap).unwrap();
        let fused = op.bind_fused(ctx, &gu, &b, n, &step.buffer, cap).unwrap();
        run_pass(ctx, |p| {
            op.encode(p, &sep);
            op.encode(p, &fused);
        });
        let (a, b) = (read_f32(ctx, &a, n * cap), read_f32(ctx, &b, n * cap));
        assert_eq!(a, b, "n {n} cap {cap} n_tokens {n_tokens}");
        assert!(
            b[n * n_tokens..].iter().all(|&x| x == 5.0),
            "rows past n_tokens written"
        );
        let silu = |x: f32| x / (1.0 + (-x).exp());
        let want0 = silu(gate[0]) * up[0];
        assert!(
            (b[0] - want0).abs() <= 1e-6 * want0.abs().max(1.0),
            "{} vs {want0}",
            b[0]
        );
    }
}
