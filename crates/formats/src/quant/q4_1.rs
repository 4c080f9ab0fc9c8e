//! Q4_1: 32 weights in 20 bytes = f16 scale `d`, f16 minimum `m`, then 16 bytes of 4-bit codes
//! (low nibble of byte j = weight j, high nibble = weight j + 16); weight = q * d + m.

use super::common::{f16_le, field, to_f16_le};

pub(crate) fn dequantize_block(b: &[u8; 20], out: &mut [f32; 32]) {
    let d = f16_le(field(b, 0));
    let m = f16_le(field(b, 2));
    let (lo, hi) = out.split_at_mut(16);
    for ((l, h), &q) in lo.iter_mut().zip(hi).zip(&b[4..]) {
        // Multiply then add, two roundings, as gguf-py and ggml's scalar code do (no FMA).
        *l = (q & 0x0F) as f32 * d + m;
        *h = (q >> 4) as f32 * d + m;
    }
}

/// ggml's `quantize_row_q4_1_ref`: the block's [min, max] range is split into 15 steps and
/// codes round half up (+ 0.5 then truncation).
pub(crate) fn quantize_block(x: &[f32; 32], b: &mut [u8; 20]) {
    let mut min = f32::MAX;
    let mut max = -f32::MAX;
    for &v in x {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    let d = (max - min) / 15.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    b[..2].copy_from_slice(&to_f16_le(d));
    b[2..4].copy_from_slice(&to_f16_le(min));
    let code = |v: f32| (((v - min) * id + 0.5) as u8).min(15);
    for (j, q) in b[4..].iter_mut().enumerate() {
        *q = code(x[j]) | (code(x[j + 16]) << 4);
    }
}
