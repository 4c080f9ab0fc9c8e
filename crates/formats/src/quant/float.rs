//! The unquantized types: F32, F16 and BF16 (one weight per "block").

use half::{bf16, f16};

use super::common::f16_bits_to_f32;

pub(crate) fn f32_from_le(data: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(data.chunks_exact(4)) {
        *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
}

/// See [`f16_bits_to_f32`]: exact, and NaN payloads kept as numpy/gguf-py keep them.
pub(crate) fn f16_to_f32(data: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(data.chunks_exact(2)) {
        *o = f16_bits_to_f32(u16::from_le_bytes([b[0], b[1]]));
    }
}

/// bf16 is the top half of an f32, so widening is a shift. Done by hand rather than with
/// `half::bf16::to_f32`, which sets the quiet bit of NaNs: ggml and gguf-py keep every bit.
pub(crate) fn bf16_to_f32(data: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(data.chunks_exact(2)) {
        *o = f32::from_bits((u16::from_le_bytes([b[0], b[1]]) as u32) << 16);
    }
}

pub(crate) fn f32_to_le(src: &[f32], out: &mut [u8]) {
    for (&x, b) in src.iter().zip(out.chunks_exact_mut(4)) {
        b.copy_from_slice(&x.to_le_bytes());
    }
}

/// Round to nearest even; values beyond 65504 become infinities, as in ggml.
pub(crate) fn f32_to_f16(src: &[f32], out: &mut [u8]) {
    for (&x, b) in src.iter().zip(out.chunks_exact_mut(2)) {
        b.copy_from_slice(&f16::from_f32(x).to_le_bytes());
    }
}

/// `half`'s conversion is ggml's `ggml_compute_fp32_to_bf16`: round to nearest even, and NaNs
/// keep their top bits with the quiet bit forced on (checked against gguf-py by the fixtures).
pub(crate) fn f32_to_bf16(src: &[f32], out: &mut [u8]) {
    for (&x, b) in src.iter().zip(out.chunks_exact_mut(2)) {
        b.copy_from_slice(&bf16::from_f32(x).to_le_bytes());
    }
}
