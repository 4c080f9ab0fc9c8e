//! A GGUF header parsed from a prefix whose claimed total length is much larger than its bytes.
//! The body lives in fuzz/harness/prefix_source.rs, shared with the corpus replay test.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/prefix_source.rs");

fuzz_target!(|data: &[u8]| exercise(data));
