//! A config.json or params.json loaded, validated and expanded into its expected tensor list.
//! The body lives in fuzz/harness/config_json.rs, shared with the corpus replay test.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/config_json.rs");

fuzz_target!(|data: &[u8]| exercise(data));
