//! Bad input gives error values with a useful message, never a panic: GGUF files with missing or
//! inconsistent tokenizer metadata, broken tokenizer.json files, ids past the vocabulary.

mod common;
use common::{mistral_gguf, small_spm_metadata, smollm2};
use mistral_formats::gguf::{GgufFile, GgufWriter, Metadata, MetadataValue as V};
use mistral_formats::FormatError;
use mistral_text::{TextError, Tokenizer};

fn strs(items: &[&str]) -> V {
    V::array(items.iter().map(|s| V::String(s.to_string())).collect())
}

fn gpt2_metadata() -> Metadata {
    Metadata::new(vec![
        ("tokenizer.ggml.model".into(), V::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), V::String("smollm".into())),
        (
            "tokenizer.ggml.tokens".into(),
            strs(&["<|end|>", "a", "b", "ab", "Ġ", "Ġab"]),
        ),
        ("tokenizer.ggml.merges".into(), strs(&["a b", "Ġ ab"])),
        (
            "tokenizer.ggml.token_type".into(),
            V::array(vec![
                V::I32(3),
                V::I32(1),
                V::I32(1),
                V::I32(1),
                V::I32(1),
                V::I32(1),
            ]),
        ),
        ("tokenizer.ggml.eos_token_id".into(), V::U32(0)),
    ])
}

fn err_of(md: &Metadata) -> TextError {
    Tokenizer::from_gguf_metadata(md).expect_err("should fail")
}

fn with(mut md: Metadata, key: &str, value: V) -> Metadata {
    md.set(key, value);
    md
}

fn without(mut md: Metadata, key: &str) -> Metadata {
    md.remove(key);
    md
}

#[test]
fn synthetic_vocabularies_work() {
    let spm = Tokenizer::from_gguf_metadata(&small_spm_metadata()).unwrap();
    assert_eq!(spm.encode("ab ab", true).unwrap(), [1, 264, 264]);
    // A user-defined token is matched whole even in user text, and decoded (not special).
    let ids = spm.encode("ab<tool>a", false).unwrap();
    // Each text segment gets the dummy prefix: "▁ab", "<tool>", "▁a".
    assert_eq!(ids, [264, 265, 262]);
    assert!(!spm.is_special(265));
    assert_eq!(spm.decode(&ids).unwrap(), "ab<tool> a");
    // A character outside the vocabulary: byte fallback.
    assert_eq!(spm.encode("é", false).unwrap(), [259, 3 + 0xC3, 3 + 0xA9]);

    let bl = Tokenizer::from_gguf_metadata(&gpt2_metadata()).unwrap();
    assert_eq!(bl.encode("ab ab", false).unwrap(), [3, 5]);
    assert_eq!(bl.bos_id(), None);
    assert!(!bl.add_bos());
    assert_eq!(bl.eos_ids(), [0]);
    assert_eq!(bl.encode_with_special("ab<|end|>", false).unwrap(), [3, 0]);
}

#[test]
fn gguf_without_tokenizer() {
    let mut w = GgufWriter::new();
    w.metadata
        .set("general.architecture", V::String("llama".into()));
    let bytes = w.to_bytes().unwrap();
    let gguf = GgufFile::read(&bytes).unwrap();
    let e = Tokenizer::from_gguf(&gguf).unwrap_err();
    assert!(
        matches!(e, TextError::NoGgufTokenizer("tokenizer.ggml.model")),
        "{e}"
    );
    assert!(e.to_string().contains("no tokenizer"), "{e}");
}

#[test]
fn unknown_model_kind() {
    let e = err_of(&with(
        small_spm_metadata(),
        "tokenizer.ggml.model",
        V::String("bert".into()),
    ));
    assert!(
        matches!(&e, TextError::UnknownModel(m) if m == "bert"),
        "{e}"
    );
    assert!(e.to_string().contains("\"llama\""), "{e}");
}

#[test]
fn missing_or_mistyped_arrays() {
    let e = err_of(&without(small_spm_metadata(), "tokenizer.ggml.tokens"));
    assert!(
        matches!(e, TextError::NoGgufTokenizer("tokenizer.ggml.tokens")),
        "{e}"
    );
    let e = err_of(&with(
        small_spm_metadata(),
        "tokenizer.ggml.tokens",
        strs(&[]),
    ));
    assert!(e.to_string().contains("empty"), "{e}");
    let e = err_of(&with(
        small_spm_metadata(),
        "tokenizer.ggml.tokens",
        V::array(vec![V::U32(1)]),
    ));
    assert!(
        matches!(e, TextError::Format(FormatError::WrongKeyType { .. })),
        "{e}"
    );
    let e = err_of(&without(small_spm_metadata(), "tokenizer.ggml.scores"));
    assert!(
        e.to_string().contains("tokenizer.ggml.scores is missing"),
        "{e}"
    );
    let e = err_of(&without(gpt2_metadata(), "tokenizer.ggml.merges"));
    assert!(
        e.to_string().contains("tokenizer.ggml.merges is missing"),
        "{e}"
    );
}

#[test]
fn arrays_of_different_lengths() {
    let e = err_of(&with(
        small_spm_metadata(),
        "tokenizer.ggml.scores",
        V::array(vec![V::F32(0.0); 3]),
    ));
    assert!(matches!(e, TextError::BadGgufTokenizer(_)));
    assert_eq!(
        e.to_string(),
        "inconsistent GGUF tokenizer metadata: tokenizer.ggml.scores has 3 entries but \
         tokenizer.ggml.tokens has 266"
    );
    let e = err_of(&with(
        gpt2_metadata(),
        "tokenizer.ggml.token_type",
        V::array(vec![V::I32(1)]),
    ));
    assert!(
        e.to_string().contains("token_type has 1 entries but"),
        "{e}"
    );
}

#[test]
fn bad_values() {
    let mut types = vec![V::I32(1); 6];
    types[4] = V::I32(9);
    let e = err_of(&with(
        gpt2_metadata(),
        "tokenizer.ggml.token_type",
        V::array(types),
    ));
    assert!(
        e.to_string().contains("token 4 has unknown token_type 9"),
        "{e}"
    );

    let e = err_of(&with(
        small_spm_metadata(),
        "tokenizer.ggml.bos_token_id",
        V::U32(266),
    ));
    assert!(
        e.to_string()
            .contains("bos_token_id = 266, but the vocabulary has 266 tokens"),
        "{e}"
    );
    let e = err_of(&without(
        small_spm_metadata(),
        "tokenizer.ggml.bos_token_id",
    ));
    assert!(e.to_string().contains("add_bos_token is true"), "{e}");

    let e = err_of(&with(
        gpt2_metadata(),
        "tokenizer.ggml.merges",
        strs(&["ab"]),
    ));
    assert!(e.to_string().contains("merges[0] = \"ab\""), "{e}");
    let e = err_of(&with(
        gpt2_metadata(),
        "tokenizer.ggml.merges",
        strs(&["a zz"]),
    ));
    assert!(matches!(e, TextError::BadGgufTokenizer(_)), "{e}");
    assert!(e.to_string().contains("merges"), "{e}");
}

#[test]
fn unknown_pre_tokenizer() {
    let e = err_of(&with(
        gpt2_metadata(),
        "tokenizer.ggml.pre",
        V::String("martian".into()),
    ));
    assert!(matches!(&e, TextError::UnknownPreTokenizer { pre, .. } if pre == "martian"));
    assert!(e.to_string().contains("\"smollm\""), "{e}");
    // No `pre` at all: GPT-2's regex.
    let tok = Tokenizer::from_gguf_metadata(&without(gpt2_metadata(), "tokenizer.ggml.pre"));
    assert!(tok.is_ok());
}

#[test]
fn broken_tokenizer_json() {
    let e = Tokenizer::from_json_bytes(b"{not json").unwrap_err();
    assert!(matches!(e, TextError::TokenizerJson(_)), "{e}");
    let e = Tokenizer::from_json_bytes(br#"{"model": {"type": "Nope"}}"#).unwrap_err();
    assert!(matches!(e, TextError::TokenizerJson(_)), "{e}");
    let e = Tokenizer::from_json_file("/nonexistent/tokenizer.json").unwrap_err();
    assert!(matches!(e, TextError::Io { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/tokenizer.json"), "{e}");

    let json = std::fs::read(mistral_testdata::fixture(
        "mistral-v0.1-tokenizer/tokenizer.json",
    ))
    .unwrap();
    let e =
        Tokenizer::from_json_with_config(&json, Some(br#"{"eos_token": "<nope>"}"#)).unwrap_err();
    assert!(
        e.to_string()
            .contains("eos_token \"<nope>\" is not in the vocabulary"),
        "{e}"
    );
    let e = Tokenizer::from_json_with_config(&json, Some(b"[")).unwrap_err();
    assert!(matches!(e, TextError::TokenizerConfig(_)), "{e}");
}

#[test]
fn ids_outside_the_vocabulary() {
    let e = mistral_gguf().decode(&[1, 32000]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "token id 32000 is outside the vocabulary (32000 tokens)"
    );
    assert!(smollm2().decode_with_special(&[u32::MAX]).is_err());
}

#[test]
fn bos_requested_without_bos_token() {
    let bl = Tokenizer::from_gguf_metadata(&gpt2_metadata()).unwrap();
    let e = bl.encode("ab", true).unwrap_err();
    assert!(e.to_string().contains("no BOS token"), "{e}");
}

#[test]
fn llama3_pre_tokenizer_groups_digits_by_three() {
    let md = Metadata::new(vec![
        ("tokenizer.ggml.model".into(), V::String("gpt2".into())),
        (
            "tokenizer.ggml.tokens".into(),
            strs(&["1", "2", "3", "4", "12", "123", "1234"]),
        ),
        (
            "tokenizer.ggml.merges".into(),
            strs(&["1 2", "12 3", "123 4"]),
        ),
    ]);
    // GPT-2's regex keeps "1234" one word, so all merges apply.
    let gpt2 = Tokenizer::from_gguf_metadata(&md).unwrap();
    assert_eq!(gpt2.encode("1234", false).unwrap(), [6]);
    // Llama 3's regex cuts digit runs into groups of at most three: "123" "4".
    let llama3 = Tokenizer::from_gguf_metadata(&with(
        md,
        "tokenizer.ggml.pre",
        V::String("llama-bpe".into()),
    ))
    .unwrap();
    assert_eq!(llama3.encode("1234", false).unwrap(), [5, 3]);
}

/// One normal piece of 1 MB in a SentencePiece vocabulary: rebuilding merges from scores used
/// to try every cut of it, hashing both halves each time (quadratic: minutes). Pieces over 256
/// bytes now take no part in merges, so this builds at once and still encodes.
#[test]
fn a_megabyte_vocabulary_piece_builds_quickly() {
    let mut md = small_spm_metadata();
    let long = "ab".repeat(1 << 19);
    let mut tokens: Vec<String> = md
        .get_str_array("tokenizer.ggml.tokens")
        .unwrap()
        .unwrap()
        .into_iter()
        .map(str::to_string)
        .collect();
    tokens.push(long);
    let n = tokens.len();
    md.set(
        "tokenizer.ggml.tokens",
        V::array(tokens.into_iter().map(V::String).collect()),
    );
    md.set(
        "tokenizer.ggml.scores",
        V::array((0..n).map(|i| V::F32(-(i as f32))).collect()),
    );
    let mut types = md
        .get_i64_array("tokenizer.ggml.token_type")
        .unwrap()
        .unwrap();
    types.push(1);
    md.set(
        "tokenizer.ggml.token_type",
        V::array(types.into_iter().map(|t| V::I32(t as i32)).collect()),
    );
    let tok = Tokenizer::from_gguf_metadata(&md).unwrap();
    let ids = tok.encode("ab ab", false).unwrap();
    assert_eq!(tok.decode(&ids).unwrap(), "ab ab");
}
