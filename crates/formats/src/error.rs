//! One error type for every way a model file can be wrong. Messages name the problem and,
//! where there is one, the way out; no variant is ever produced by a panic.

use crate::tensor_type::TensorType;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("not a GGUF file (magic bytes {0:02x?}, expected \"GGUF\")")]
    BadMagic([u8; 4]),
    #[error("unsupported GGUF version {0} (supported: 2 and 3)")]
    UnsupportedVersion(u32),
    #[error("file truncated: needed {needed} bytes at offset {offset}, but the file has {len}")]
    Truncated { offset: u64, needed: u64, len: u64 },
    #[error("implausible {what}: {value} (limit {limit}); the file is corrupt or malicious")]
    Implausible {
        what: &'static str,
        value: u64,
        limit: u64,
    },
    #[error("{what} needs {needed} bytes but only {left} of the {budget}-byte GGUF metadata memory budget are left; the file is corrupt or malicious")]
    MetadataBudget {
        what: &'static str,
        needed: u64,
        left: u64,
        budget: u64,
    },
    #[error("invalid UTF-8 in {0}")]
    BadUtf8(&'static str),
    #[error("unknown GGUF metadata value type {0}")]
    BadValueType(u32),
    #[error("duplicate {what} {name:?}")]
    Duplicate { what: &'static str, name: String },
    #[error("unsupported tensor type {type_name} in tensor {tensor:?}; supported: F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K")]
    UnsupportedTensorType { type_name: String, tensor: String },
    #[error("tensor {tensor:?}: {reason}")]
    BadTensor { tensor: String, reason: String },
    #[error("tensors {a:?} and {b:?} overlap in the data section")]
    OverlappingTensors { a: String, b: String },
    #[error("missing required metadata key {0:?}")]
    MissingKey(String),
    #[error("metadata key {key:?} has the wrong type: expected {expected}, found {found}")]
    WrongKeyType {
        key: String,
        expected: &'static str,
        found: String,
    },
    #[error("missing tensor {0:?}")]
    MissingTensor(String),
    #[error("invalid model configuration: {0}")]
    BadConfig(String),
    #[error("{ty:?} data of {len} bytes is not a whole number of {block_bytes}-byte blocks")]
    PartialBlock {
        ty: TensorType,
        len: usize,
        block_bytes: usize,
    },
    #[error("{ty:?} needs rows whose length is a multiple of {block}, got {len}")]
    RowNotBlockMultiple {
        ty: TensorType,
        len: usize,
        block: usize,
    },
    #[error(
        "{ty:?} data of {bytes} bytes holds {expected} weights, but the output has room for {got}"
    )]
    ElementCountMismatch {
        ty: TensorType,
        bytes: usize,
        expected: usize,
        got: usize,
    },
    #[error("invalid JSON in {what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the header extends past the {needed} bytes fetched so far; fetch more and retry")]
    PrefixTooShort { needed: u64 },
    #[error(
        "unknown quantization type {0:?}; choose f32, f16, bf16, q8_0, q4_0, q4_k, q6_k or q4_k_m"
    )]
    UnknownQuantType(String),
    #[error("safetensors: {0}")]
    Safetensors(String),
}

pub type Result<T, E = FormatError> = std::result::Result<T, E>;
