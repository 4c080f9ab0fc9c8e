//! ggml block quantization: dequantize every supported type, quantize to Q8_0/Q4_0/Q4_1/Q4_K/Q6_K
//! and the plain float types.
//!
//! Each block format lives in its own file with a `dequantize_block`/`quantize_block` pair working
//! on fixed-size arrays; this module checks sizes once and walks the blocks. Dequantization is
//! bit-identical to the PyPI `gguf` package (llama.cpp's gguf-py), which the committed fixtures
//! under `tests/fixtures/quant` check. The Q8_0/Q4_0/Q4_1 quantizers are bit-identical to ggml's
//! reference quantizers (checked against gguf-py, which reimplements them); Q4_K/Q6_K implement
//! ggml's reference algorithms (`quantize_row_q4_K_ref`, `quantize_row_q6_K_ref`), which
//! gguf-py lacks. All five were also found byte-identical to ggml compiled from llama.cpp's
//! source (`scripts/fixtures/gen_quant_samples.py --ggml-check`).
//!
//! Nothing here panics on bad input: wrong sizes are errors, and float-to-int conversions
//! saturate, so NaN or infinite weights give meaningless blocks rather than a crash.

mod common;
mod float;
mod q4_0;
mod q4_1;
mod q4_k;
mod q6_k;
mod q8_0;

use crate::error::{FormatError, Result};
use crate::tensor_type::TensorType;

/// Dequantizes whole blocks of `ty` in `data` into `out` (`out.len()` == number of weights).
/// Errors (never panics) if `data` is not a whole number of blocks or the sizes disagree.
pub fn dequantize(ty: TensorType, data: &[u8], out: &mut [f32]) -> Result<()> {
    let n = weight_count(ty, data)?;
    if out.len() != n {
        return Err(FormatError::ElementCountMismatch {
            ty,
            bytes: data.len(),
            expected: n,
            got: out.len(),
        });
    }
    match ty {
        TensorType::F32 => float::f32_from_le(data, out),
        TensorType::F16 => float::f16_to_f32(data, out),
        TensorType::BF16 => float::bf16_to_f32(data, out),
        TensorType::Q4_0 => each_block(data, out, q4_0::dequantize_block),
        TensorType::Q4_1 => each_block(data, out, q4_1::dequantize_block),
        TensorType::Q8_0 => each_block(data, out, q8_0::dequantize_block),
        TensorType::Q4K => each_block(data, out, q4_k::dequantize_block),
        TensorType::Q6K => each_block(data, out, q6_k::dequantize_block),
    }
    Ok(())
}

/// [`dequantize`] into a new vector sized from `data`.
pub fn dequantize_to_vec(ty: TensorType, data: &[u8]) -> Result<Vec<f32>> {
    let mut out = vec![0.0; weight_count(ty, data)?];
    dequantize(ty, data, &mut out)?;
    Ok(out)
}

/// Quantizes `src` (length a multiple of `ty.block_elems()`) to ggml blocks of `ty`.
/// Every [`TensorType`] has a quantizer.
pub fn quantize(ty: TensorType, src: &[f32]) -> Result<Vec<u8>> {
    let block = ty.block_elems();
    // (`% != 0` rather than `is_multiple_of`, which needs Rust 1.87; the workspace says 1.85.)
    let rem = src.len() % block;
    if rem != 0 {
        return Err(FormatError::RowNotBlockMultiple {
            ty,
            len: src.len(),
            block,
        });
    }
    let mut out = vec![0u8; src.len() / block * ty.block_bytes()];
    match ty {
        TensorType::F32 => float::f32_to_le(src, &mut out),
        TensorType::F16 => float::f32_to_f16(src, &mut out),
        TensorType::BF16 => float::f32_to_bf16(src, &mut out),
        TensorType::Q4_0 => each_block(src, &mut out, q4_0::quantize_block),
        TensorType::Q4_1 => each_block(src, &mut out, q4_1::quantize_block),
        TensorType::Q8_0 => each_block(src, &mut out, q8_0::quantize_block),
        TensorType::Q4K => each_block(src, &mut out, q4_k::quantize_block),
        TensorType::Q6K => each_block(src, &mut out, q6_k::quantize_block),
    }
    Ok(out)
}

/// Number of weights in `data`, or `PartialBlock` when it ends inside a block.
fn weight_count(ty: TensorType, data: &[u8]) -> Result<usize> {
    let block_bytes = ty.block_bytes();
    let rem = data.len() % block_bytes;
    if rem != 0 {
        return Err(FormatError::PartialBlock {
            ty,
            len: data.len(),
            block_bytes,
        });
    }
    // A slice holds at most isize::MAX bytes and no type expands a byte to more than two
    // weights, so this cannot overflow.
    Ok(data.len() / block_bytes * ty.block_elems())
}

/// Applies a per-block codec to matching blocks of `src` and `dst`. The codecs take fixed-size
/// arrays so the compiler drops bounds checks inside them; the callers have already checked that
/// both sides hold the same number of whole blocks.
fn each_block<S: Copy, D, const A: usize, const B: usize>(
    src: &[S],
    dst: &mut [D],
    codec: impl Fn(&[S; A], &mut [D; B]),
) {
    for (s, d) in src.chunks_exact(A).zip(dst.chunks_exact_mut(B)) {
        // chunks_exact yields exactly A and B elements, so these conversions always succeed.
        if let (Ok(s), Ok(d)) = (s.try_into(), d.try_into()) {
            codec(s, d);
        }
    }
}
