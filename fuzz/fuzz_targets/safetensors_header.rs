//! Any byte string must parse to a safetensors header or to an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mistral_formats::safetensors::read_header(data);
});
