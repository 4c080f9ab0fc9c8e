//! A chat template source and messages, compiled and rendered under the template limits.
//! The body lives in fuzz/harness/chat_template.rs, shared with the corpus replay test.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/chat_template.rs");

fuzz_target!(|data: &[u8]| exercise(data));
