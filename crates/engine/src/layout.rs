//! How each weight type is laid out in GPU buffers, and the load-time repack from GGUF blocks.
//!
//! WGSL storage buffers hold 32-bit words, and the 18/20/34/210-byte GGUF blocks of Q4_0, Q4_1,
//! Q8_0 and Q6_K are not 4-byte aligned. Two ways out were measured on lavapipe (Mesa 22.3.6,
//! LLVM 15, 2 Zen 4 cores shared with other work; `bench_matvec --raw --iters 50`, 4096x4096,
//! the same kernel of 4 rows per invocation), in GB/s of GGUF bytes per matvec:
//!
//! | type | raw GGUF blocks, unaligned u32 loader | repacked into aligned arrays |
//! |------|---------------------------------------|------------------------------|
//! | Q8_0 | 3.2 (5.6 ms)                          | 7.1 (2.5 ms)                 |
//! | Q4_0 | 2.5 (3.8 ms)                          | 4.9 (1.9 ms)                 |
//!
//! The unaligned loader costs two loads and a funnel shift per word, and its byte offsets
//! (`gb * 34`) defeat vector loads; the repack costs nothing at run time and no memory (the same
//! bytes, reordered) and one CPU copy of each tensor chunk at load time.
//!
//! The repack wins, so every block type with an unaligned block is split at load time into an
//! aligned body array (quants, and Q6_K's int8 scales) and a separate f16 scale array (two per
//! word). Q4_K's 144-byte block is already 16-byte aligned and is uploaded unchanged. F32/F16
//! rows are padded with zeros to a whole 32-element block so all types share one driver.
//! BF16 is widened to F32 at load time (exact; no BF16 kernel).

use mistral_formats::TensorType;

use crate::error::{EngineError, Result};

/// The GPU-side layout of a weight tensor (one per WGSL decoder, `shaders/quant_*.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WeightFormat {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q8_0,
    Q4K,
    Q6K,
}

impl WeightFormat {
    pub const ALL: [WeightFormat; 7] = [
        WeightFormat::F32,
        WeightFormat::F16,
        WeightFormat::Q4_0,
        WeightFormat::Q4_1,
        WeightFormat::Q8_0,
        WeightFormat::Q4K,
        WeightFormat::Q6K,
    ];

    /// The layout a stored type is uploaded in (BF16 is widened to F32).
    pub fn for_type(ty: TensorType) -> Self {
        match ty {
            TensorType::F32 | TensorType::BF16 => WeightFormat::F32,
            TensorType::F16 => WeightFormat::F16,
            TensorType::Q4_0 => WeightFormat::Q4_0,
            TensorType::Q4_1 => WeightFormat::Q4_1,
            TensorType::Q8_0 => WeightFormat::Q8_0,
            TensorType::Q4K => WeightFormat::Q4K,
            TensorType::Q6K => WeightFormat::Q6K,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::F32 => "f32",
            WeightFormat::F16 => "f16",
            WeightFormat::Q4_0 => "q4_0",
            WeightFormat::Q4_1 => "q4_1",
            WeightFormat::Q8_0 => "q8_0",
            WeightFormat::Q4K => "q4k",
            WeightFormat::Q6K => "q6k",
        }
    }

    /// Weights per GPU block (`BLOCK` in the WGSL decoder).
    pub fn block_elems(self) -> usize {
        match self {
            WeightFormat::Q4K | WeightFormat::Q6K => 256,
            _ => 32,
        }
    }

    /// Bytes per block in the first (body) array.
    pub fn body_bytes(self) -> usize {
        match self {
            WeightFormat::F32 => 128,
            WeightFormat::F16 => 64,
            WeightFormat::Q4_0 | WeightFormat::Q4_1 => 16,
            WeightFormat::Q8_0 => 32,
            WeightFormat::Q4K => 144,
            WeightFormat::Q6K => 208,
        }
    }

    /// Bytes per block in the second (scale) array; 0 when there is none.
    pub fn scale_bytes(self) -> usize {
        match self {
            WeightFormat::Q4_0 | WeightFormat::Q8_0 | WeightFormat::Q6K => 2,
            WeightFormat::Q4_1 => 4,
            _ => 0,
        }
    }

    /// Number of storage arrays a tensor part binds.
    pub fn n_arrays(self) -> usize {
        if self.scale_bytes() == 0 {
            1
        } else {
            2
        }
    }

    /// GPU blocks per row: the row padded to whole blocks.
    pub fn blocks_per_row(self, cols: usize) -> usize {
        cols.div_ceil(self.block_elems())
    }

    /// Byte sizes of the arrays holding `blocks` blocks, before padding to 16 bytes.
    pub fn array_bytes(self, blocks: u64) -> [u64; 2] {
        let scale = (blocks * self.scale_bytes() as u64).div_ceil(4) * 4;
        [blocks * self.body_bytes() as u64, scale]
    }
}

/// Checks that a `rows x cols` tensor of stored type `ty` can be laid out, and returns the
/// GGUF bytes of one row.
pub fn source_row_bytes(name: &str, ty: TensorType, rows: usize, cols: usize) -> Result<usize> {
    let bad = |reason: String| EngineError::BadTensor {
        tensor: name.to_string(),
        ty,
        reason,
    };
    if rows == 0 || cols == 0 {
        return Err(bad(format!("empty shape {rows}x{cols}")));
    }
    if !cols.is_multiple_of(ty.block_elems()) {
        return Err(bad(format!(
            "rows of {cols} weights are not a whole number of {}-weight blocks",
            ty.block_elems()
        )));
    }
    Ok(cols / ty.block_elems() * ty.block_bytes())
}

/// Repacks whole rows of GGUF data (`raw` = `rows` rows of `cols` weights of type `ty`) into the
/// GPU arrays of [`WeightFormat::for_type`]. The scale array of a chunk with an odd number of
/// blocks ends in a half-used word; callers keep chunk starts on even block counts.
pub fn repack(ty: TensorType, raw: &[u8], rows: usize, cols: usize) -> [Vec<u8>; 2] {
    let format = WeightFormat::for_type(ty);
    let bpr = format.blocks_per_row(cols);
    let blocks = rows * bpr;
    let [body_len, scale_len] = format.array_bytes(blocks as u64);
    let mut body = vec![0u8; body_len as usize];
    let mut scales = vec![0u8; scale_len as usize];
    let row_bytes = raw.len() / rows;
    let padded_row = bpr * format.body_bytes();
    match ty {
        TensorType::F32 | TensorType::F16 => {
            for (src, dst) in raw
                .chunks_exact(row_bytes)
                .zip(body.chunks_exact_mut(padded_row))
            {
                dst[..row_bytes].copy_from_slice(src);
            }
        }
        TensorType::BF16 => {
            for (src, dst) in raw
                .chunks_exact(row_bytes)
                .zip(body.chunks_exact_mut(padded_row))
            {
                for (s, d) in src.chunks_exact(2).zip(dst.chunks_exact_mut(4)) {
                    // bf16 is the high half of an f32: widening is exact.
                    d[2..4].copy_from_slice(s);
                }
            }
        }
        TensorType::Q4K => body.copy_from_slice(raw),
        // Blocks with the scale(s) first: Q4_0 [d, qs16], Q4_1 [d, m, qs16], Q8_0 [d, qs32].
        TensorType::Q4_0 | TensorType::Q4_1 | TensorType::Q8_0 => {
            let sb = format.scale_bytes();
            let (bb, body_b) = (ty.block_bytes(), format.body_bytes());
            for (i, block) in raw.chunks_exact(bb).enumerate() {
                scales[i * sb..(i + 1) * sb].copy_from_slice(&block[..sb]);
                body[i * body_b..(i + 1) * body_b].copy_from_slice(&block[sb..]);
            }
        }
        // Q6_K [ql128, qh64, scales16, d]: the scale comes last.
        TensorType::Q6K => {
            for (i, block) in raw.chunks_exact(210).enumerate() {
                body[i * 208..(i + 1) * 208].copy_from_slice(&block[..208]);
                scales[i * 2..i * 2 + 2].copy_from_slice(&block[208..]);
            }
        }
    }
    [body, scales]
}
