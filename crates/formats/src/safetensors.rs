//! safetensors reader.
