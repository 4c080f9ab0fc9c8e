//! Mistral v0.1 (SentencePiece) ids: the tokenizer.json and the GGUF vocabulary of
//! tiny-mistral-256 must both reproduce the 132 dev-corpus ids (HF tokenizers, equal to
//! mistral-tokenizer-js and llama.cpp).

mod common;
use common::{mistral_corpus, mistral_gguf, mistral_json};
use mistral_text::{Tokenizer, TokenizerKind};

fn check_corpus(tok: &Tokenizer, source: &str) {
    let corpus = mistral_corpus();
    assert_eq!(corpus.len(), 132);
    let mut bad = Vec::new();
    for (i, e) in corpus.iter().enumerate() {
        let ids = tok.encode(&e.text, true).unwrap();
        if ids != e.ids {
            bad.push(format!(
                "#{i} {:?}\n  got  {ids:?}\n  want {:?}",
                e.text, e.ids
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{source}: {} of 132 differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn tokenizer_json_matches_dev_corpus() {
    check_corpus(mistral_json(), "tokenizer.json");
}

#[test]
fn gguf_vocabulary_matches_dev_corpus() {
    check_corpus(mistral_gguf(), "tiny-mistral-256 GGUF");
}

#[test]
fn decode_round_trips_the_corpus() {
    for e in mistral_corpus() {
        for tok in [mistral_json(), mistral_gguf()] {
            assert_eq!(tok.decode(&e.ids).unwrap(), e.text);
        }
    }
}

#[test]
fn properties_of_both_sources_agree() {
    for tok in [mistral_json(), mistral_gguf()] {
        assert_eq!(tok.kind(), TokenizerKind::SentencePiece);
        assert_eq!(tok.kind().to_string(), "sentencepiece");
        assert_eq!(tok.vocab_size(), 32000);
        assert_eq!(tok.bos_id(), Some(1));
        assert!(tok.add_bos());
        assert_eq!(tok.eos_ids(), &[2]);
        assert!(tok.is_eos(2) && !tok.is_eos(1));
        assert!(tok.is_special(0) && tok.is_special(1) && tok.is_special(2));
        assert!(!tok.is_special(3) && !tok.is_special(28705));
        assert_eq!(tok.id_to_piece(1).as_deref(), Some("<s>"));
        assert_eq!(tok.id_to_piece(13).as_deref(), Some("<0x0A>"));
        assert_eq!(tok.id_to_piece(28705).as_deref(), Some("\u{2581}"));
        assert_eq!(tok.id_to_piece(32000), None);
        assert_eq!(tok.piece_to_id("\u{2581}Hello"), Some(22557));
    }
    // tokenizer.json has no template and its tokenizer_config.json none either; the GGUF has one.
    assert_eq!(mistral_json().chat_template(), None);
    assert!(mistral_gguf().chat_template().unwrap().contains("[INST]"));
}

#[test]
fn bos_is_optional_and_reference_inst_ids_hold() {
    let tok = mistral_gguf();
    // REFERENCE.md: "[INST]" is plain text in tokenizer v1, ids 733 16289 28793.
    assert_eq!(
        tok.encode("[INST]", false).unwrap(),
        vec![733, 16289, 28793]
    );
    assert_eq!(
        tok.encode("[INST]", true).unwrap(),
        vec![1, 733, 16289, 28793]
    );
    assert_eq!(tok.encode("", true).unwrap(), vec![1]);
    assert_eq!(tok.encode("", false).unwrap(), Vec::<u32>::new());
}

#[test]
fn characters_outside_the_vocabulary_fall_back_to_bytes() {
    let tok = mistral_gguf();
    // U+1F999 🦙 is not a piece: four <0xNN> byte tokens after "▁".
    let ids = tok.encode("🦙", false).unwrap();
    let pieces: Vec<String> = ids.iter().map(|&i| tok.id_to_piece(i).unwrap()).collect();
    assert_eq!(pieces, ["\u{2581}", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"]);
    assert_eq!(tok.decode(&ids).unwrap(), "🦙");
}

#[test]
fn tokenizer_json_without_config_infers_bos_and_eos() {
    let json = std::fs::read(mistral_testdata::fixture(
        "mistral-v0.1-tokenizer/tokenizer.json",
    ))
    .unwrap();
    let tok = Tokenizer::from_json_bytes(&json).unwrap();
    assert_eq!(tok.bos_id(), Some(1), "from the post-processor template");
    assert!(tok.add_bos());
    assert_eq!(tok.eos_ids(), &[2], "\"</s>\" is a known end token");
    let config = br#"{"bos_token": {"content": "<s>"}, "eos_token": "</s>", "add_bos_token": false,
                     "chat_template": [{"name": "default", "template": "{{ bos_token }}x"}]}"#;
    let tok = Tokenizer::from_json_with_config(&json, Some(config)).unwrap();
    assert!(!tok.add_bos());
    assert_eq!(tok.chat_template(), Some("{{ bos_token }}x"));
}

/// Beyond the corpus: the merge list derived from GGUF scores must tokenize like tokenizer.json's
/// own merges on arbitrary text (word fragments, runs of spaces, digits, non-Latin, emoji).
#[test]
fn gguf_and_json_agree_on_random_text() {
    const ALPHABET: &[&str] = &[
        "the", "ing", "tion", " ", "  ", "\n", "\t", "a", "e", "s", "t", "re", "un", "Q", "x", "0",
        "7", "42", ".", ",", "(", ")", "'", "\"", "-", "é", "ß", "中", "文", "🦙", "ñ", "Ж",
        "\r\n", "▁", "<", "s>", "</", "INST", "[", "]",
    ];
    let mut state = 0x2545F4914F6CDD1Du64;
    let mut next = || {
        // xorshift64*: a fixed, dependency-free pseudo-random sequence.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545F4914F6CDD1D)
    };
    for _ in 0..300 {
        let len = 1 + next() % 40;
        let text: String = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        let want = mistral_json().encode(&text, true).unwrap();
        assert_eq!(
            mistral_gguf().encode(&text, true).unwrap(),
            want,
            "{text:?}"
        );
        // A literal "▁" decodes as a space (SentencePiece cannot tell them apart).
        if !text.contains('\u{2581}') {
            assert_eq!(mistral_gguf().decode(&want).unwrap(), text);
        }
    }
}

#[test]
fn tokenizer_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tokenizer>();
    assert_send_sync::<mistral_text::ChatTemplate>();
}
