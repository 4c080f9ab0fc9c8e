//! The fused residual-add + RMSNorm against the two ops it replaces, run on the CPU oracle
//! (`mistral_reference::linalg::rms_norm`): every token row below n_tokens updated, later rows
//! untouched. Tolerance 1e-5 relative: the same f32 sum of squares reduced in another order.

mod common;

use common::{gpu, read_f32, run_pass, Rng};
use mistral_engine::ops::AddRmsNorm;
use mistral_engine::{buffers, step::StepBuffer};

#[test]
fn add_rms_norm_matches_add_then_rms_norm() {
    let ctx = gpu();
    let op = pollster::block_on(AddRmsNorm::new(ctx)).unwrap();
    let mut rng = Rng::new(42);
    for (n, cap, n_tokens) in [
        (256, 1, 1),
        (576, 5, 3),
        (1000, 16, 16),
        (7, 4, 2),
        (4096, 2, 2),
    ] {
        let x0 = rng.vec(n * cap, 2.0);
        let r = rng.vec(n * cap, 2.0);
        let w = rng.vec(n, 1.0);
        let x = buffers::storage_from(ctx, "x", &x0);
        let rb = buffers::storage_from(ctx, "residual", &r);
        let wb = buffers::storage_from(ctx, "weight", &w);
        let guard = vec![123.0f32; n * cap];
        let out = buffers::storage_from(ctx, "out", &guard);
        let step = StepBuffer::new(ctx);
        step.write(ctx, 0, n_tokens);
        let b = op
            .bind(ctx, &x, &rb, &wb, &out, n, 1e-5, &step.buffer, cap)
            .unwrap();
        run_pass(ctx, |pass| op.encode(pass, &b));
        let got_x = read_f32(ctx, &x, n * cap);
        let got = read_f32(ctx, &out, n * cap);
        for t in 0..cap {
            let row = t * n..(t + 1) * n;
            if t >= n_tokens {
                assert_eq!(got_x[row.clone()], x0[row.clone()], "x row {t} touched");
                assert_eq!(got[row.clone()], guard[row], "out row {t} touched");
                continue;
            }
            let sum: Vec<f32> = x0[row.clone()]
                .iter()
                .zip(&r[row.clone()])
                .map(|(a, b)| a + b)
                .collect();
            assert_eq!(got_x[row.clone()], sum[..], "residual add, row {t}");
            let mut want = vec![0.0; n];
            mistral_reference::linalg::rms_norm(&sum, &w, 1e-5, &mut want);
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-30);
            let err = got[row]
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max)
                / scale;
            assert!(err <= 1e-5, "n {n} cap {cap} row {t}: relative error {err}");
        }
    }
}
