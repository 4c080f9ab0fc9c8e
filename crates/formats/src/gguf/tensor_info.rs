//! A tensor's entry in the GGUF header: where its bytes are and how to read them.

use crate::tensor_type::TensorType;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions innermost first, as ggml stores them: a weight matrix of `rows` outputs over
    /// `cols` inputs is `[cols, rows]`.
    pub dims: Vec<u64>,
    pub ty: TensorType,
    /// Absolute byte offset in the file (data section start + the header's relative offset).
    pub offset: u64,
    pub n_bytes: u64,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Length of one row (the innermost dimension).
    pub fn row_len(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }

    /// Number of rows (product of the outer dimensions).
    pub fn n_rows(&self) -> u64 {
        self.dims.iter().skip(1).product()
    }

    pub fn byte_range(&self) -> std::ops::Range<u64> {
        self.offset..self.offset + self.n_bytes
    }
}
