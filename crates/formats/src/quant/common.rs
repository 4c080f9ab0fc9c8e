//! Helpers shared by the block codecs: f16 fields and ggml's rounding.

use half::f16;

/// Reads a little-endian f16 field (block scales and minimums) as f32. f16 -> f32 is exact.
#[inline(always)]
pub(crate) fn f16_le(bytes: [u8; 2]) -> f32 {
    f16_bits_to_f32(u16::from_le_bytes(bytes))
}

/// Exact f16 -> f32 without branches, so loops over it vectorize (`half`'s `to_f32` checks
/// for F16C at run time on every call, which kept the F16 loop scalar and 6x slower).
///
/// Placing the 15 exponent+mantissa bits at the bottom of an f32's exponent+mantissa and
/// multiplying by 2^112 re-biases the exponent (127 - 15 = 112); this is exact for normal and
/// subnormal halves alike, because the f32 product is exactly representable. Infinities and
/// NaNs get the all-ones exponent with the mantissa shifted over unchanged, as numpy (and so
/// gguf-py) does: a signalling NaN stays signalling.
#[inline(always)]
pub(crate) fn f16_bits_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let em = h & 0x7FFF;
    let finite = f32::from_bits(em << 13) * f32::from_bits(0x7780_0000); // * 2^112
    let inf_nan = f32::from_bits(0x7F80_0000 | (em << 13));
    let magnitude = if em >= 0x7C00 { inf_nan } else { finite };
    f32::from_bits(magnitude.to_bits() | sign)
}

/// Encodes a scale as a little-endian f16, rounding to nearest even like ggml's
/// `GGML_FP32_TO_FP16` and numpy's `astype(np.float16)`.
#[inline(always)]
pub(crate) fn to_f16_le(x: f32) -> [u8; 2] {
    f16::from_f32(x).to_le_bytes()
}

/// ggml's `nearest_int`: it adds 1.5 * 2^23 and reads the mantissa bits, which rounds half to
/// even for |x| < 2^22 (ggml asserts that range). `round_ties_even` is the same on that range,
/// and the saturating `as` keeps out-of-range or NaN inputs from panicking.
#[inline(always)]
pub(crate) fn nearest_int(x: f32) -> i32 {
    x.round_ties_even() as i32
}

/// Copies a fixed-size field out of a block. Callers pass constant offsets inside the block,
/// so the bounds check folds away.
#[inline(always)]
pub(crate) fn field<const N: usize>(block: &[u8], at: usize) -> [u8; N] {
    let mut f = [0u8; N];
    f.copy_from_slice(&block[at..at + N]);
    f
}
