//! The loops the reference forward pass shares. Plain f32 arithmetic in a fixed order, so that
//! one token gives bit-identical results however the sequence is chunked.

/// `out[r] = sum_c w[r*cols + c] * x[c]` for every row; rows are split across threads because the
/// real-model tests (SmolLM2, 135M weights) would otherwise take minutes. Each row's sum is
/// computed by one thread in one order, so threading does not change results.
pub fn matvec(w: &[f32], x: &[f32], out: &mut [f32]) {
    let cols = x.len();
    let rows = out.len();
    assert_eq!(w.len(), rows * cols, "matvec shape");
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(rows.div_ceil(64).max(1));
    let per = rows.div_ceil(threads);
    std::thread::scope(|s| {
        for (t, chunk) in out.chunks_mut(per).enumerate() {
            let w = &w[t * per * cols..];
            s.spawn(move || {
                for (r, o) in chunk.iter_mut().enumerate() {
                    *o = dot(&w[r * cols..(r + 1) * cols], x);
                }
            });
        }
    });
}

/// Dot product with 8 independent partial sums (lets the compiler vectorise; fixed order).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8;
    for i in 0..chunks {
        for l in 0..8 {
            acc[l] += a[i * 8 + l] * b[i * 8 + l];
        }
    }
    let mut tail = 0f32;
    for i in chunks * 8..a.len() {
        tail += a[i] * b[i];
    }
    acc.iter().sum::<f32>() + tail
}

/// RMSNorm: `x / sqrt(mean(x^2) + eps) * weight`.
pub fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
    let mean_sq = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let scale = 1.0 / (mean_sq + eps).sqrt();
    for ((o, &v), &w) in out.iter_mut().zip(x).zip(weight) {
        *o = v * scale * w;
    }
}

/// Rotary embedding on adjacent pairs `(x[2i], x[2i+1])` of each head (GGUF convention), with
/// frequencies computed in f32 the way transformers computes them.
pub fn rope(x: &mut [f32], head_dim: usize, pos: usize, theta: f32) {
    let half = head_dim / 2;
    for head in x.chunks_mut(head_dim) {
        for i in 0..half {
            let inv_freq = 1.0 / theta.powf((2 * i) as f32 / head_dim as f32);
            let angle = pos as f32 * inv_freq;
            let (sin, cos) = angle.sin_cos();
            let (a, b) = (head[2 * i], head[2 * i + 1]);
            head[2 * i] = a * cos - b * sin;
            head[2 * i + 1] = a * sin + b * cos;
        }
    }
}

pub fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}
