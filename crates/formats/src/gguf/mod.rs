//! GGUF (ggml's model file format), versions 2 and 3: a typed key/value metadata block, tensor
//! infos, then an aligned data section. Spec: ggml `docs/gguf.md`.
//!
//! The reader trusts nothing in the header: every count and length is checked against the bytes
//! that remain before anything is allocated, so a malicious file yields a [`FormatError`], not an
//! out-of-memory abort or a panic.

mod budget;
mod cursor;
mod metadata;
mod reader;
mod stream_writer;
mod tensor_info;
mod value;
mod values;
mod writer;

pub use budget::METADATA_BUDGET;
pub use metadata::Metadata;
pub use reader::{GgufFile, DEFAULT_ALIGNMENT};
pub use stream_writer::{StreamingWriter, TensorSpec};
pub use tensor_info::TensorInfo;
pub use value::{MetadataArray, MetadataValue};
pub use writer::GgufWriter;

use crate::error::FormatError;
pub(crate) const MAGIC: [u8; 4] = *b"GGUF";

/// GGUF value type ids (the `gguf_type` enum of the spec).
pub(crate) mod value_type {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

pub(crate) fn implausible(what: &'static str, value: u64, limit: u64) -> FormatError {
    FormatError::Implausible { what, value, limit }
}
