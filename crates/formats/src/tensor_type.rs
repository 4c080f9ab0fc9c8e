//! The tensor element types we read, with their ggml ids and block geometry.

use crate::error::{FormatError, Result};

/// A tensor's storage type. Quantized types store `block_elems` weights in `block_bytes` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TensorType {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q8_0,
    Q4K,
    Q6K,
}

impl TensorType {
    pub const ALL: [TensorType; 8] = [
        TensorType::F32,
        TensorType::F16,
        TensorType::BF16,
        TensorType::Q4_0,
        TensorType::Q4_1,
        TensorType::Q8_0,
        TensorType::Q4K,
        TensorType::Q6K,
    ];

    /// The `ggml_type` id used in GGUF tensor infos.
    pub fn ggml_id(self) -> u32 {
        match self {
            TensorType::F32 => 0,
            TensorType::F16 => 1,
            TensorType::Q4_0 => 2,
            TensorType::Q4_1 => 3,
            TensorType::Q8_0 => 8,
            TensorType::Q4K => 12,
            TensorType::Q6K => 14,
            TensorType::BF16 => 30,
        }
    }

    /// Maps a GGUF `ggml_type` id; unknown or unsupported ids give an error naming the tensor.
    pub fn from_ggml_id(id: u32, tensor: &str) -> Result<Self> {
        TensorType::ALL
            .into_iter()
            .find(|t| t.ggml_id() == id)
            .ok_or_else(|| FormatError::UnsupportedTensorType {
                type_name: ggml_type_name(id).to_string(),
                tensor: tensor.to_string(),
            })
    }

    /// Parses the names users type (`q4_k`, `Q8_0`, `f16`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.to_ascii_uppercase().replace('-', "_");
        TensorType::ALL.into_iter().find(|t| t.name() == n)
    }

    pub fn name(self) -> &'static str {
        ggml_type_name(self.ggml_id())
    }

    /// Weights per block (1 for plain float types).
    pub fn block_elems(self) -> usize {
        match self {
            TensorType::F32 | TensorType::F16 | TensorType::BF16 => 1,
            TensorType::Q4_0 | TensorType::Q4_1 | TensorType::Q8_0 => 32,
            TensorType::Q4K | TensorType::Q6K => 256,
        }
    }

    /// Bytes per block.
    pub fn block_bytes(self) -> usize {
        match self {
            TensorType::F32 => 4,
            TensorType::F16 | TensorType::BF16 => 2,
            TensorType::Q4_0 => 18,
            TensorType::Q4_1 => 20,
            TensorType::Q8_0 => 34,
            TensorType::Q4K => 144,
            TensorType::Q6K => 210,
        }
    }

    pub fn is_quantized(self) -> bool {
        self.block_elems() > 1
    }

    /// Bytes needed for `n_elems` weights, or None when `n_elems` is not a whole number of blocks
    /// or the size overflows.
    pub fn bytes_for(self, n_elems: u64) -> Option<u64> {
        let be = self.block_elems() as u64;
        if !n_elems.is_multiple_of(be) {
            return None;
        }
        (n_elems / be).checked_mul(self.block_bytes() as u64)
    }
}

/// The ggml name of any type id, including ones we do not support (for error messages).
pub fn ggml_type_name(id: u32) -> &'static str {
    const NAMES: [&str; 42] = [
        "F32",
        "F16",
        "Q4_0",
        "Q4_1",
        "Q4_2",
        "Q4_3",
        "Q5_0",
        "Q5_1",
        "Q8_0",
        "Q8_1",
        "Q2_K",
        "Q3_K",
        "Q4_K",
        "Q5_K",
        "Q6_K",
        "Q8_K",
        "IQ2_XXS",
        "IQ2_XS",
        "IQ3_XXS",
        "IQ1_S",
        "IQ4_NL",
        "IQ3_S",
        "IQ2_S",
        "IQ4_XS",
        "I8",
        "I16",
        "I32",
        "I64",
        "F64",
        "IQ1_M",
        "BF16",
        "Q4_0_4_4",
        "Q4_0_4_8",
        "Q4_0_8_8",
        "TQ1_0",
        "TQ2_0",
        "IQ4_NL_4_4",
        "IQ4_NL_4_8",
        "IQ4_NL_8_8",
        "MXFP4",
        "NVFP4",
        "unknown",
    ];
    NAMES.get(id as usize).copied().unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unsupported_types_are_named() {
        for t in TensorType::ALL {
            assert_eq!(TensorType::from_ggml_id(t.ggml_id(), "x").unwrap(), t);
            assert_eq!(TensorType::from_name(t.name()), Some(t));
        }
        let err = TensorType::from_ggml_id(13, "blk.0.ffn_down.weight").unwrap_err();
        assert_eq!(
            err.to_string().split(';').next().unwrap(),
            "unsupported tensor type Q5_K in tensor \"blk.0.ffn_down.weight\""
        );
    }

    #[test]
    fn sizes_require_whole_blocks() {
        assert_eq!(TensorType::Q4K.bytes_for(512), Some(288));
        assert_eq!(TensorType::Q4K.bytes_for(500), None);
        assert_eq!(TensorType::F16.bytes_for(3), Some(6));
    }
}
