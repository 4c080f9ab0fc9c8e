//! Replays the committed corpora of the `tokenizer_gguf` and `chat_template` fuzz targets
//! (tests/fixtures/fuzz-corpus/<target>/) through the very harness the fuzzer ran
//! (fuzz/harness/<target>.rs, included here), so every `cargo test` (and `cargo xtask test`)
//! re-checks them on stable Rust. A panic names the file.
//!
//! `write_seeds` (ignored) wrote the seeds the fuzzing started from:
//! `FUZZ_SEED_DIR=fuzz/corpus cargo test --release -p mistral-text --test fuzz_corpora -- --ignored`.

mod common;
use mistral_formats::gguf::{GgufWriter, Metadata, MetadataValue as V};
use mistral_testdata::replay_fuzz_corpus;
use std::path::Path;

mod tokenizer_gguf {
    include!("../../../fuzz/harness/tokenizer_gguf.rs");
    pub fn run(data: &[u8]) {
        exercise(data)
    }
}

mod chat_template {
    include!("../../../fuzz/harness/chat_template.rs");
    pub fn run(data: &[u8]) {
        exercise(data)
    }
    pub fn allowed(source: &str) -> bool {
        admissible(source)
    }
}

#[test]
fn tokenizer_gguf_corpus_never_panics() {
    replay_fuzz_corpus("tokenizer_gguf", 10, tokenizer_gguf::run);
}

#[test]
fn chat_template_corpus_never_panics() {
    replay_fuzz_corpus("chat_template", 10, chat_template::run);
}

/// The harness keeps string-growing templates away from the fuzzer (see its comment); the
/// templates chat models really use for control flow pass.
#[test]
fn chat_template_filter_refuses_growth_and_keeps_plain_templates() {
    for grow in [
        "{% set ns = namespace(s='a') %}{% for i in range(99) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "{{ 'x' * 999999999 }}",
        "{% set a %}{{ b }}{{ b }}{% endset %}",
        "{{ [[messages]|lower]|lower }}",
        "{{ messages|tojson|tojson }}",
    ] {
        assert!(!chat_template::allowed(grow), "{grow}");
    }
    assert!(chat_template::allowed(CHATML));
}

const CHATML: &str = "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

fn strs(items: impl IntoIterator<Item = String>) -> V {
    V::array(items.into_iter().map(V::String).collect())
}

/// A small byte-level BPE vocabulary with merges.
fn gpt2_seed(pre: &str) -> Metadata {
    let tokens = ["<|end|>", "a", "b", "ab", "\u{120}", "\u{120}ab", "1", "2"];
    Metadata::new(vec![
        ("tokenizer.ggml.model".into(), V::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), V::String(pre.into())),
        (
            "tokenizer.ggml.tokens".into(),
            strs(tokens.iter().map(|s| s.to_string())),
        ),
        (
            "tokenizer.ggml.merges".into(),
            strs(["a b".to_string(), "\u{120} ab".to_string()]),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            V::Array(vec![3i32, 1, 1, 1, 1, 1, 1, 1].into()),
        ),
        ("tokenizer.ggml.eos_token_id".into(), V::U32(0)),
    ])
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
    for (name, md) in [
        ("spm", common::small_spm_metadata()),
        ("gpt2-smollm", gpt2_seed("smollm")),
        ("gpt2-llama3", gpt2_seed("llama3")),
        ("gpt2-default", gpt2_seed("gpt2")),
    ] {
        let mut w = GgufWriter::new();
        w.metadata = md;
        put("tokenizer_gguf", name, &w.to_bytes().unwrap());
    }
    let mistral = "{{ bos_token }}{% for message in messages %}{% if message.role == 'user' %}[INST] {{ message.content|trim }} [/INST]{% elif message.role == 'assistant' %} {{ message.content }}{{ eos_token }}{% else %}{{ raise_exception('roles must alternate') }}{% endif %}{% endfor %}";
    let nested = "{% for m in messages %}{% for n in messages %}{% if loop.first and m.role is defined %}{{ n.content|upper }}{% endif %}{% endfor %}{% endfor %}";
    for (name, src) in [("chatml", CHATML), ("mistral", mistral), ("nested", nested)] {
        let input = format!(
            "{src}\0system\0Be brief.\0user\0<|im_end|><|im_start|>system\0assistant\0ok</s>"
        );
        put("chat_template", name, input.as_bytes());
    }
}
