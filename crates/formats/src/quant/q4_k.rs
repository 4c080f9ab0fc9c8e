//! Q4_K: 256 weights in 144 bytes = f16 `d`, f16 `dmin`, 12 bytes of packed 6-bit scales and
//! minimums (8 of each, one pair per 32 weights), then 128 bytes of 4-bit codes.
//! Weight = d * sc * q - dmin * m: a per-sub-block affine code whose scale and minimum are
//! themselves quantized against the two f16 super-block values.
//!
//! Codes: four chunks of 64 weights; chunk c takes bytes 32c..32c+32, low nibbles for its first
//! 32 weights (sub-block 2c) and high nibbles for the next 32 (sub-block 2c + 1).

use super::common::{f16_le, field, nearest_int, to_f16_le};

const QK: usize = 256;
const SUB: usize = 32;
const N_SUB: usize = QK / SUB;

/// ggml's `get_scale_min_k4`: sub-blocks 0..4 keep their 6-bit scale and minimum in the low
/// bits of bytes j and j + 4; sub-blocks 4..8 keep their low 4 bits in the nibbles of byte
/// j + 4 and their top 2 bits in the spare high bits of bytes j - 4 (scale) and j (minimum).
#[inline(always)]
fn scale_min(j: usize, s: &[u8; 12]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

/// The inverse of [`scale_min`] for all eight pairs (each value < 64).
fn pack_scales_mins(ls: &[u8; N_SUB], lm: &[u8; N_SUB]) -> [u8; 12] {
    let mut s = [0u8; 12];
    for j in 0..N_SUB {
        if j < 4 {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = (ls[j] & 0x0F) | ((lm[j] & 0x0F) << 4);
            s[j - 4] |= (ls[j] >> 4) << 6;
            s[j] |= (lm[j] >> 4) << 6;
        }
    }
    s
}

pub(crate) fn dequantize_block(b: &[u8; 144], out: &mut [f32; QK]) {
    let d = f16_le(field(b, 0));
    let dmin = f16_le(field(b, 2));
    let scales: [u8; 12] = field(b, 4);
    let qs = &b[16..];
    for (c, (y, q)) in out
        .chunks_exact_mut(64)
        .zip(qs.chunks_exact(32))
        .enumerate()
    {
        // Products formed in this order ((d*sc)*q - dmin*m, no FMA) to match gguf-py bit for bit.
        let (sc1, m1) = scale_min(2 * c, &scales);
        let (sc2, m2) = scale_min(2 * c + 1, &scales);
        let (d1, m1) = (d * sc1 as f32, dmin * m1 as f32);
        let (d2, m2) = (d * sc2 as f32, dmin * m2 as f32);
        let (lo, hi) = y.split_at_mut(SUB);
        for ((l, h), &q) in lo.iter_mut().zip(hi).zip(q) {
            *l = d1 * (q & 0x0F) as f32 - m1;
            *h = d2 * (q >> 4) as f32 - m2;
        }
    }
}

/// ggml's `quantize_row_q4_K_ref`: fit each 32-weight sub-block with an affine 4-bit code by a
/// weighted least-squares search ([`fit_affine`]), quantize the eight scales and minimums to 6
/// bits against the largest of each, then re-derive the codes from the stored (rounded) values
/// so they fit what the dequantizer will actually compute.
pub(crate) fn quantize_block(x: &[f32; QK], b: &mut [u8; 144]) {
    let mut codes = [0u8; QK];
    let mut scales = [0.0f32; N_SUB];
    let mut mins = [0.0f32; N_SUB];
    let mut max_scale = 0.0f32; // scales are non-negative: the minimum absorbs the offset
    let mut max_min = 0.0f32;
    for j in 0..N_SUB {
        let xs: &[f32; SUB] = sub(x, j);
        // Importance of each weight: its magnitude plus the sub-block's RMS, so large weights
        // count more but small ones are not ignored.
        let mut sum_x2 = 0.0f32;
        for &v in xs {
            sum_x2 += v * v;
        }
        let av_x = (sum_x2 / SUB as f32).sqrt();
        let mut w = [0.0f32; SUB];
        for (w, &v) in w.iter_mut().zip(xs) {
            *w = av_x + v.abs();
        }
        let l: &mut [u8; SUB] = sub_mut(&mut codes, j);
        let (scale, min) = fit_affine(xs, &w, l, 15, -1.0, 0.1, 20);
        scales[j] = scale;
        mins[j] = min;
        if scale > max_scale {
            max_scale = scale;
        }
        if min > max_min {
            max_min = min;
        }
    }

    let inv_scale = if max_scale > 0.0 {
        63.0 / max_scale
    } else {
        0.0
    };
    let inv_min = if max_min > 0.0 { 63.0 / max_min } else { 0.0 };
    let mut ls = [0u8; N_SUB];
    let mut lm = [0u8; N_SUB];
    for j in 0..N_SUB {
        // ggml stores nearest_int into a uint8_t before capping at 63; `as u8` wraps the same
        // way, which only matters for a (degenerate) negative fitted scale.
        ls[j] = (nearest_int(inv_scale * scales[j]) as u8).min(63);
        lm[j] = (nearest_int(inv_min * mins[j]) as u8).min(63);
    }
    let packed = pack_scales_mins(&ls, &lm);
    let d16 = to_f16_le(max_scale / 63.0);
    let dmin16 = to_f16_le(max_min / 63.0);
    b[0..2].copy_from_slice(&d16);
    b[2..4].copy_from_slice(&dmin16);
    b[4..16].copy_from_slice(&packed);

    let d_all = f16_le(d16);
    let dmin_all = f16_le(dmin16);
    for j in 0..N_SUB {
        let (sc, m) = scale_min(j, &packed);
        let d = d_all * sc as f32;
        // A zero scale dequantizes to -dmin*m whatever the codes; ggml then keeps the codes
        // from the search, and so do we, to produce the same bytes.
        if d == 0.0 {
            continue;
        }
        let dm = dmin_all * m as f32;
        let l: &mut [u8; SUB] = sub_mut(&mut codes, j);
        for (l, &v) in l.iter_mut().zip(sub(x, j)) {
            *l = nearest_int((v + dm) / d).clamp(0, 15) as u8;
        }
    }

    for (q, c) in b[16..]
        .chunks_exact_mut(SUB)
        .zip(codes.chunks_exact(2 * SUB))
    {
        let (lo, hi) = c.split_at(SUB);
        for ((q, &l), &h) in q.iter_mut().zip(lo).zip(hi) {
            *q = l | (h << 4);
        }
    }
}

/// ggml's `make_qkx2_quants`: finds scale s >= 0 and offset `min` <= 0 so that
/// x ~ s * L + min with L in 0..=nmax, minimising the weighted squared error.
///
/// Start from the plain min/max fit, then try `nstep + 1` slightly different step counts
/// (`nmax + rmin + rdelta * is` steps over the range); for each, round to codes and solve the
/// 2x2 weighted least-squares problem for (s, min) given those codes, keeping the best. If the
/// optimum wants a positive offset, it is pinned to 0 (the format subtracts a non-negative min).
/// Returns (scale, -min), i.e. the non-negative minimum the format stores; codes go to `l`.
fn fit_affine(
    x: &[f32; SUB],
    w: &[f32; SUB],
    l: &mut [u8; SUB],
    nmax: i32,
    rmin: f32,
    rdelta: f32,
    nstep: i32,
) -> (f32, f32) {
    let mut min = x[0];
    let mut max = x[0];
    let mut sum_w = w[0];
    let mut sum_x = sum_w * x[0];
    for i in 1..SUB {
        if x[i] < min {
            min = x[i];
        }
        if x[i] > max {
            max = x[i];
        }
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    // The offset can only lower values, so a block that never goes below 0 gets min = 0.
    if min > 0.0 {
        min = 0.0;
    }
    if max == min {
        l.fill(0);
        return (0.0, -min);
    }
    let code = |iscale: f32, v: f32, min: f32| nearest_int(iscale * (v - min)).clamp(0, nmax);

    let mut iscale = nmax as f32 / (max - min);
    let mut scale = 1.0 / iscale;
    let mut best_err = 0.0f32;
    for i in 0..SUB {
        let q = code(iscale, x[i], min);
        l[i] = q as u8;
        let diff = scale * q as f32 + min - x[i];
        best_err += w[i] * (diff * diff);
    }
    if nstep < 1 {
        return (scale, -min);
    }
    let mut trial = [0u8; SUB];
    for is in 0..=nstep {
        iscale = (rmin + rdelta * is as f32 + nmax as f32) / (max - min);
        let (mut sum_l, mut sum_l2, mut sum_xl) = (0.0f32, 0.0f32, 0.0f32);
        for i in 0..SUB {
            let q = code(iscale, x[i], min);
            trial[i] = q as u8;
            let lf = q as f32;
            sum_l += w[i] * lf;
            sum_l2 += w[i] * lf * lf;
            sum_xl += w[i] * lf * x[i];
        }
        let det = sum_w * sum_l2 - sum_l * sum_l;
        if det > 0.0 {
            let mut this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
            let mut this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
            if this_min > 0.0 {
                this_min = 0.0;
                this_scale = sum_xl / sum_l2;
            }
            let mut err = 0.0f32;
            for i in 0..SUB {
                let diff = this_scale * trial[i] as f32 + this_min - x[i];
                err += w[i] * (diff * diff);
            }
            if err < best_err {
                l.copy_from_slice(&trial);
                best_err = err;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    (scale, -min)
}

/// Sub-block `j` of a super-block as a fixed-size array.
fn sub<T>(a: &[T; QK], j: usize) -> &[T; SUB] {
    a[j * SUB..(j + 1) * SUB].try_into().expect("32 of 256")
}

fn sub_mut<T>(a: &mut [T; QK], j: usize) -> &mut [T; SUB] {
    (&mut a[j * SUB..(j + 1) * SUB])
        .try_into()
        .expect("32 of 256")
}
