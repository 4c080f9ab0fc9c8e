//! Any byte string must parse to a GGUF or to an error: no panic, no unbounded allocation. When
//! it parses, loading the model config and dequantizing every tensor must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mistral_formats::{gguf::GgufFile, quant, ModelFile};

fuzz_target!(|data: &[u8]| {
    let Ok(g) = GgufFile::read(data) else { return };
    for t in &g.tensors {
        if let Ok(bytes) = g.tensor_bytes(data, t) {
            let _ = quant::dequantize_to_vec(t.ty, &bytes);
        }
    }
    let _ = ModelFile::from_gguf(Box::new(data.to_vec()));
});
