//! File formats for mistral-wgpu: GGUF and safetensors readers, the model configuration they
//! describe, and the ggml block quantizations (CPU dequantize and quantize).
//!
//! No GPU code lives here, so the crate compiles fast, builds for wasm32, and can be fuzzed.
//! Readers work from a [`ByteSource`]: a prefix is enough to parse a header, and each tensor is
//! then read as a byte range, so a browser can fetch ranges instead of holding a 4 GB file.

pub mod byte_source;
pub mod config;
pub mod config_validate;
pub mod error;
pub mod gguf;
pub mod quant;
pub mod safetensors;
pub mod tensor_type;

pub use byte_source::ByteSource;
pub use error::FormatError;
pub use tensor_type::TensorType;
pub mod model_file;
pub mod npy;
#[cfg(not(target_arch = "wasm32"))]
pub mod open;
pub mod requantize;

pub use config::{ModelConfig, WindowSource};
pub use model_file::{ModelFile, ModelFormat, ModelTensor};
