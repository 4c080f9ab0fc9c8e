//! SmolLM2-135M-Instruct (byte-level BPE, `tokenizer.ggml.pre = "smollm"`): ids from its GGUF
//! vocabulary must equal transformers' (tests/fixtures/tokenizer/smollm2-corpus.json, 62 texts).

mod common;
use common::{smollm2, smollm2_corpus};
use mistral_text::TokenizerKind;

#[test]
fn gguf_vocabulary_matches_transformers() {
    let tok = smollm2();
    let corpus = smollm2_corpus();
    assert!(corpus.len() >= 60);
    let mut bad = Vec::new();
    for (i, e) in corpus.iter().enumerate() {
        // SmolLM2 adds no BOS (tokenizer.ggml.add_bos_token = false).
        let ids = tok.encode(&e.text, tok.add_bos()).unwrap();
        if ids != e.ids {
            bad.push(format!(
                "#{i} {:?}\n  got  {ids:?}\n  want {:?}",
                e.text, e.ids
            ));
        }
    }
    assert!(bad.is_empty(), "{} differ:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn decode_round_trips_the_corpus() {
    let tok = smollm2();
    for e in smollm2_corpus() {
        assert_eq!(tok.decode(&e.ids).unwrap(), e.text);
    }
}

#[test]
fn properties() {
    let tok = smollm2();
    assert_eq!(tok.kind(), TokenizerKind::ByteLevelBpe);
    assert_eq!(tok.kind().to_string(), "byte-level BPE");
    assert_eq!(tok.vocab_size(), 49152);
    assert!(!tok.add_bos());
    assert_eq!(tok.bos_id(), Some(1));
    assert_eq!(tok.id_to_piece(1).as_deref(), Some("<|im_start|>"));
    assert_eq!(tok.eos_ids(), &[2]);
    assert_eq!(tok.id_to_piece(2).as_deref(), Some("<|im_end|>"));
    // All 17 control tokens are special; ordinary pieces are not.
    assert!((0..17).all(|id| tok.is_special(id)));
    assert!(!tok.is_special(17));
    assert_eq!(tok.id_to_piece(216).as_deref(), Some("Ġ"));
    assert!(tok.chat_template().unwrap().contains("<|im_start|>"));
}

#[test]
fn digits_are_split_one_by_one() {
    let tok = smollm2();
    let ids = tok.encode("12345", false).unwrap();
    assert_eq!(ids.len(), 5);
    assert_eq!(tok.decode(&ids).unwrap(), "12345");
}
