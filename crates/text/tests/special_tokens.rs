//! Special-token text ("<s>", "</s>", "<|im_end|>") inside text.
//!
//! Decision: `encode` (user text) keeps it as plain text, like llama.cpp with
//! `parse_special = false` and mistral-tokenizer-js; `encode_with_special` (rendered templates,
//! trusted text) turns it into the special token, like HF `tokenizers` by default. Expected ids
//! for both come from HF `tokenizers` (`encode_special_tokens` off and on), in
//! tests/fixtures/tokenizer/special-cases.json.

mod common;
use common::{mistral_gguf, mistral_json, read_json, smollm2};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    tokenizer: String,
    text: String,
    parsed: Vec<u32>,
    plain: Vec<u32>,
}

#[test]
fn special_token_text_in_user_text_is_plain_and_in_templates_is_parsed() {
    let cases: Vec<Case> = read_json("tokenizer/special-cases.json");
    assert_eq!(cases.len(), 6);
    for c in &cases {
        let toks = match c.tokenizer.as_str() {
            "mistral" => vec![mistral_json(), mistral_gguf()],
            "smollm2" => vec![smollm2()],
            other => panic!("unknown tokenizer {other}"),
        };
        for tok in toks {
            assert_eq!(
                tok.encode(&c.text, false).unwrap(),
                c.plain,
                "plain {:?}",
                c.text
            );
            assert_eq!(
                tok.encode_with_special(&c.text, false).unwrap(),
                c.parsed,
                "parsed {:?}",
                c.text
            );
        }
    }
}

/// The dev-corpus entry kept back because HF and the other tokenizers disagree on it
/// (SHARED-FIXTURES.md, index 260).
#[test]
fn held_back_literal_special_entry() {
    let text = "<s> literal special </s> text";
    for tok in [mistral_json(), mistral_gguf()] {
        let plain = tok.encode(text, true).unwrap();
        // mistral-tokenizer-js / llama.cpp (special = false): BOS, then "▁<" "s" ">" "▁literal" ...
        assert_eq!(&plain[..5], &[1, 523, 28713, 28767, 20819]);
        assert!(!plain[1..].contains(&1) && !plain.contains(&2));
        assert_eq!(
            tok.decode(&plain).unwrap(),
            text,
            "plain text survives a round trip"
        );

        let parsed = tok.encode_with_special(text, true).unwrap();
        // HF default: [1, 1, 28705, 20819, 2841, 28705, 2, 28705, ...]
        assert_eq!(&parsed[..8], &[1, 1, 28705, 20819, 2841, 28705, 2, 28705]);
        // Decoded text as HF decodes it (each segment got its own dummy "▁" prefix).
        assert_eq!(tok.decode(&parsed).unwrap(), " literal special   text");
        assert_eq!(
            tok.decode_with_special(&parsed).unwrap(),
            "<s><s>  literal special </s>  text"
        );
    }
}

#[test]
fn decode_skips_special_tokens_unless_asked() {
    let tok = smollm2();
    let ids = tok
        .encode_with_special("<|im_start|>user\nhi<|im_end|>", false)
        .unwrap();
    assert_eq!(ids, [1, 4093, 198, 6004, 2]);
    assert_eq!(tok.decode(&ids).unwrap(), "user\nhi");
    assert_eq!(
        tok.decode_with_special(&ids).unwrap(),
        "<|im_start|>user\nhi<|im_end|>"
    );
}
