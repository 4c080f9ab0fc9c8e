//! Q8_0: 32 weights in 34 bytes = f16 scale `d`, then 32 signed bytes; weight = q * d.

use super::common::{f16_le, field, to_f16_le};

pub(crate) fn dequantize_block(b: &[u8; 34], out: &mut [f32; 32]) {
    let d = f16_le(field(b, 0));
    for (o, &q) in out.iter_mut().zip(&b[2..]) {
        *o = q as i8 as f32 * d;
    }
}

/// ggml's `quantize_row_q8_0_ref`: the largest magnitude maps to +-127 and the rest round half
/// away from zero (C `roundf`, which `f32::round` is). The codes use the f32 scale, not the
/// f16 one that gets stored, exactly as ggml does, so our blocks are byte-identical to its.
pub(crate) fn quantize_block(x: &[f32; 32], b: &mut [u8; 34]) {
    let amax = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    b[..2].copy_from_slice(&to_f16_le(d));
    for (q, &v) in b[2..].iter_mut().zip(x) {
        *q = (v * id).round() as i8 as u8;
    }
}
