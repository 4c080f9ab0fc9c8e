//! Q4_0: 32 weights in 18 bytes = f16 scale `d`, then 16 bytes of 4-bit codes. Byte j holds
//! weight j in its low nibble and weight j + 16 in its high nibble; weight = (q - 8) * d.

use super::common::{f16_le, field, to_f16_le};

pub(crate) fn dequantize_block(b: &[u8; 18], out: &mut [f32; 32]) {
    let d = f16_le(field(b, 0));
    let (lo, hi) = out.split_at_mut(16);
    for ((l, h), &q) in lo.iter_mut().zip(hi).zip(&b[2..]) {
        *l = ((q & 0x0F) as i32 - 8) as f32 * d;
        *h = ((q >> 4) as i32 - 8) as f32 * d;
    }
}

/// ggml's `quantize_row_q4_0_ref`. The scale is signed: the weight of largest magnitude (the
/// first one on ties) maps to code 0 = -8, so it is represented exactly and the asymmetric
/// range -8..7 spends its extra step on the side where the extreme is.
pub(crate) fn quantize_block(x: &[f32; 32], b: &mut [u8; 18]) {
    let mut amax = 0.0f32;
    let mut max = 0.0f32;
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    b[..2].copy_from_slice(&to_f16_le(d));
    // + 8.5 then truncation is ggml's rounding (half up after the offset); `as u8` saturates
    // where C would convert through int8_t, which only matters for NaN.
    let code = |v: f32| ((v * id + 8.5) as u8).min(15);
    for (j, q) in b[2..].iter_mut().enumerate() {
        *q = code(x[j]) | (code(x[j + 16]) << 4);
    }
}
