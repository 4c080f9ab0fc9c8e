//! A GGUF header's tokenizer vocabulary built into a tokenizer, which then encodes and decodes.
//! The body lives in fuzz/harness/tokenizer_gguf.rs, shared with the corpus replay test.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/tokenizer_gguf.rs");

fuzz_target!(|data: &[u8]| exercise(data));
