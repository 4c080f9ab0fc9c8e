//! The tokenizer written as GGUF metadata (what `quantize` puts in a GGUF made from a Hugging
//! Face folder) is the same tokenizer: Mistral's tokenizer.json, exported and read back, encodes
//! the dev corpus exactly as the tokenizer.json does, and its token types equal those of
//! llama.cpp's own conversion of the same vocabulary (the tiny-mistral-256 GGUF).

mod common;
use common::{gguf, mistral_corpus, mistral_json};
use mistral_formats::gguf::Metadata;
use mistral_text::{gguf_tokenizer_metadata, Tokenizer};

fn exported(tok: &Tokenizer) -> Metadata {
    let mut md = Metadata::default();
    for (k, v) in gguf_tokenizer_metadata(tok).unwrap() {
        md.set(&k, v);
    }
    md
}

#[test]
fn exported_vocabulary_encodes_like_the_tokenizer_json() {
    let json = mistral_json();
    let back = Tokenizer::from_gguf_metadata(&exported(json)).unwrap();
    assert_eq!(back.vocab_size(), json.vocab_size());
    assert_eq!(back.bos_id(), json.bos_id());
    assert_eq!(back.eos_ids(), json.eos_ids());
    assert_eq!(back.add_bos(), json.add_bos());
    for e in mistral_corpus() {
        assert_eq!(back.encode(&e.text, true).unwrap(), e.ids, "{:?}", e.text);
    }
    let chat = "<s>[INST] Hi [/INST] Hello</s>";
    assert_eq!(
        back.encode_with_special(chat, false).unwrap(),
        json.encode_with_special(chat, false).unwrap()
    );
}

#[test]
fn token_types_match_llama_cpps_conversion() {
    let ours = exported(mistral_json());
    let theirs = gguf(&mistral_testdata::fixture(
        "tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf",
    ));
    let key = "tokenizer.ggml.token_type";
    assert_eq!(
        ours.get_i64_array(key).unwrap().unwrap(),
        theirs.metadata.get_i64_array(key).unwrap().unwrap()
    );
    let key = "tokenizer.ggml.tokens";
    assert_eq!(
        ours.get_str_array(key).unwrap().unwrap(),
        theirs.metadata.get_str_array(key).unwrap().unwrap()
    );
    for key in ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"] {
        assert_eq!(
            ours.get_u64(key).unwrap(),
            theirs.metadata.get_u64(key).unwrap(),
            "{key}"
        );
    }
}

#[test]
fn byte_level_vocabularies_are_refused_clearly() {
    let e = gguf_tokenizer_metadata(common::smollm2()).unwrap_err();
    assert!(e.to_string().contains("only SentencePiece"), "{e}");
}
