//! Replays the committed corpora of the `prefix_source` and `config_json` fuzz targets
//! (tests/fixtures/fuzz-corpus/<target>/) through the very harness the fuzzer ran
//! (fuzz/harness/<target>.rs, included here), so every `cargo test` (and `cargo xtask test`)
//! re-checks them on stable Rust. A panic names the file.
//!
//! `write_seeds` (ignored) wrote the seeds the fuzzing started from:
//! `FUZZ_SEED_DIR=fuzz/corpus cargo test --release -p mistral-formats --test fuzz_corpora -- --ignored`.

use mistral_testdata::{fixture, replay_fuzz_corpus};
use std::path::Path;

mod prefix_source {
    include!("../../../fuzz/harness/prefix_source.rs");
    pub fn run(data: &[u8]) {
        exercise(data)
    }
}

mod config_json {
    include!("../../../fuzz/harness/config_json.rs");
    pub fn run(data: &[u8]) {
        exercise(data)
    }
}

#[test]
fn prefix_source_corpus_never_panics() {
    replay_fuzz_corpus("prefix_source", 10, prefix_source::run);
}

#[test]
fn config_json_corpus_never_panics() {
    replay_fuzz_corpus("config_json", 10, config_json::run);
}

#[test]
#[ignore = "writes the fuzzing seeds; run by hand with FUZZ_SEED_DIR"]
fn write_seeds() {
    let out = Path::new(&std::env::var("FUZZ_SEED_DIR").expect("FUZZ_SEED_DIR")).to_path_buf();
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let d = out.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    };
    // Prefixes of real GGUFs claiming the rest of the file (and far more).
    for (name, path) in [
        ("w6", "tiny-w6/tiny-w6-Q4_0.gguf"),
        (
            "mistral256",
            "tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf",
        ),
    ] {
        let file = std::fs::read(fixture(path)).unwrap();
        for (cut, extra) in [(4096usize, None), (2048, Some(1u64 << 40))] {
            let cut = cut.min(file.len());
            let extra = extra.unwrap_or((file.len() - cut) as u64);
            let mut seed = extra.to_le_bytes().to_vec();
            seed.extend_from_slice(&file[..cut]);
            put("prefix_source", &format!("{name}-{cut}"), &seed);
        }
    }
    for (name, path, which) in [
        ("hf-w6", "tiny-w6/config.json", 0u8),
        ("params-w6", "tiny-w6/params.json", 1),
        ("hf-mistral256", "tiny-mistral-256/config.json", 0),
    ] {
        let mut seed = vec![which];
        seed.extend(std::fs::read(fixture(path)).unwrap());
        put("config_json", name, &seed);
    }
}
