//! Q6_K: 256 weights in 210 bytes = 128 bytes `ql` (low 4 bits of each code), 64 bytes `qh`
//! (high 2 bits), 16 signed 8-bit scales (one per 16 weights), then the f16 super-scale `d`
//! (last, unlike the other formats). Weight = d * scale * (q - 32), q in 0..64.
//!
//! Each half of 128 weights uses 64 `ql` bytes, 32 `qh` bytes and 8 scales. For l in 0..32,
//! weights l, l+32, l+64, l+96 of the half take: low nibble of ql[l], low nibble of ql[l+32],
//! high nibble of ql[l], high nibble of ql[l+32]; and bits 0-1, 2-3, 4-5, 6-7 of qh[l].

use super::common::{f16_le, field, nearest_int, to_f16_le};

const QK: usize = 256;
const SUB: usize = 16;
const N_SUB: usize = QK / SUB;
/// ggml's GROUP_MAX_EPS: groups whose largest magnitude is below this are treated as zero.
const GROUP_MAX_EPS: f32 = 1e-15;

pub(crate) fn dequantize_block(b: &[u8; 210], out: &mut [f32; QK]) {
    let d = f16_le(field(b, 208));
    // (d * scale) first, then times the code: the order gguf-py and ggml use.
    let mut ds = [0.0f32; N_SUB];
    for (ds, &s) in ds.iter_mut().zip(&b[192..208]) {
        *ds = d * s as i8 as f32;
    }
    for (n, y) in out.chunks_exact_mut(128).enumerate() {
        let ql = &b[64 * n..64 * n + 64];
        let qh = &b[128 + 32 * n..128 + 32 * n + 32];
        let ds = &ds[8 * n..8 * n + 8];
        for l in 0..32 {
            let is = l / 16;
            let q1 = ((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) as i32 - 32;
            let q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
            let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
            let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
            y[l] = ds[is] * q1 as f32;
            y[l + 32] = ds[is + 2] * q2 as f32;
            y[l + 64] = ds[is + 4] * q3 as f32;
            y[l + 96] = ds[is + 6] * q4 as f32;
        }
    }
}

/// ggml's `quantize_row_q6_K_ref`: fit a signed scale to each 16-weight group
/// ([`fit_symmetric`]), quantize the sixteen scales to int8 against the largest-magnitude one
/// (which maps to -128, keeping its sign so the extreme is exact), then recompute the codes
/// from the stored scales.
pub(crate) fn quantize_block(x: &[f32; QK], b: &mut [u8; 210]) {
    let mut codes = [0u8; QK];
    let mut scales = [0.0f32; N_SUB];
    let mut max_scale = 0.0f32;
    let mut max_abs_scale = 0.0f32;
    for (ib, (xs, l)) in x
        .chunks_exact(SUB)
        .zip(codes.chunks_exact_mut(SUB))
        .enumerate()
    {
        let scale = fit_symmetric(xs, l);
        scales[ib] = scale;
        if scale.abs() > max_abs_scale {
            max_abs_scale = scale.abs();
            max_scale = scale;
        }
    }
    if max_abs_scale < GROUP_MAX_EPS {
        // An all-zero block: every field zero, d = +0.
        b.fill(0);
        return;
    }

    let iscale = -128.0 / max_scale;
    let d16 = to_f16_le(1.0 / iscale);
    b[208..210].copy_from_slice(&d16);
    for (s, &scale) in b[192..208].iter_mut().zip(&scales) {
        // |iscale * scale| <= 128, so only +128 needs capping (as ggml does).
        *s = nearest_int(iscale * scale).min(127) as i8 as u8;
    }
    let d_all = f16_le(d16);
    for (j, (xs, l)) in x
        .chunks_exact(SUB)
        .zip(codes.chunks_exact_mut(SUB))
        .enumerate()
    {
        let d = d_all * b[192 + j] as i8 as f32;
        // A zero scale dequantizes to 0 whatever the codes; ggml keeps the codes from the
        // search there, and so do we, to produce the same bytes.
        if d == 0.0 {
            continue;
        }
        for (l, &v) in l.iter_mut().zip(xs) {
            *l = (nearest_int(v / d).clamp(-32, 31) + 32) as u8;
        }
    }

    let (ql_all, rest) = b.split_at_mut(128);
    let qh_all = &mut rest[..64];
    for ((ql, qh), c) in ql_all
        .chunks_exact_mut(64)
        .zip(qh_all.chunks_exact_mut(32))
        .zip(codes.chunks_exact(128))
    {
        for l in 0..32 {
            let (c1, c2, c3, c4) = (c[l], c[l + 32], c[l + 64], c[l + 96]);
            ql[l] = (c1 & 0x0F) | ((c3 & 0x0F) << 4);
            ql[l + 32] = (c2 & 0x0F) | ((c4 & 0x0F) << 4);
            qh[l] = (c1 >> 4) | ((c2 >> 4) << 2) | ((c3 >> 4) << 4) | ((c4 >> 4) << 6);
        }
    }
}

/// ggml's `make_qx_quants(16, 32, x, L, rmse_type = 1, NULL)`: a symmetric 6-bit code
/// (-32..31) with weights x^2, so the large values, which dominate matrix products, fit best.
///
/// The first guess maps the largest-magnitude value to -32; then 18 nearby step counts
/// (32 +- 0.1..0.9) are tried. For each rounding the best scale is the weighted least-squares
/// one, sum(w x l) / sum(w l^2), and the rounding that explains most of the signal
/// (largest sum(w x l)^2 / sum(w l^2)) wins. Codes go to `l` offset by +32; returns the scale.
fn fit_symmetric(x: &[f32], l: &mut [u8]) -> f32 {
    const NMAX: i32 = 32;
    let mut max = 0.0f32;
    let mut amax = 0.0f32;
    for &v in x {
        if v.abs() > amax {
            amax = v.abs();
            max = v;
        }
    }
    if amax < GROUP_MAX_EPS {
        l.fill(0);
        return 0.0;
    }
    let code = |iscale: f32, v: f32| nearest_int(iscale * v).clamp(-NMAX, NMAX - 1);
    // Weighted sums of x*l and l^2 for one trial inverse scale.
    let sums = |iscale: f32| {
        let (mut sumlx, mut suml2) = (0.0f32, 0.0f32);
        for &v in x {
            let q = code(iscale, v) as f32;
            let w = v * v;
            sumlx += w * v * q;
            suml2 += w * q * q;
        }
        (sumlx, suml2)
    };
    let set_codes = |l: &mut [u8], iscale: f32| {
        for (l, &v) in l.iter_mut().zip(x) {
            *l = (code(iscale, v) + NMAX) as u8;
        }
    };

    let iscale = -(NMAX as f32) / max;
    set_codes(l, iscale);
    let (sumlx, suml2) = sums(iscale);
    let mut scale = if suml2 != 0.0 { sumlx / suml2 } else { 0.0 };
    let mut best = scale * sumlx;
    for is in (-9..=9).filter(|&is| is != 0) {
        let iscale = -(NMAX as f32 + 0.1 * is as f32) / max;
        let (sumlx, suml2) = sums(iscale);
        if suml2 > 0.0 && sumlx * sumlx > best * suml2 {
            set_codes(l, iscale);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    scale
}
