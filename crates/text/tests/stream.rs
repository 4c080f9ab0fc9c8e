//! Streaming detokenization: for every corpus text of both tokenizer families, feeding the ids
//! one by one gives pieces whose concatenation is exactly `decode(all ids)`, and no piece holds
//! a broken character.

mod common;
use common::{mistral_corpus, mistral_gguf, mistral_json, smollm2, smollm2_corpus};
use mistral_text::Tokenizer;

/// Streams `ids`; returns the pieces (one per `step` that produced text, then `finish`).
fn stream(tok: &Tokenizer, ids: &[u32]) -> Vec<String> {
    let mut dec = tok.stream_decoder();
    let mut pieces = Vec::new();
    for &id in ids {
        if let Some(p) = dec.step(id).unwrap() {
            pieces.push(p);
        }
    }
    pieces.extend(dec.finish().unwrap());
    pieces
}

fn check(tok: &Tokenizer, ids: &[u32], what: &str) {
    let pieces = stream(tok, ids);
    let full = tok.decode(ids).unwrap();
    assert_eq!(pieces.concat(), full, "{what}: stream != decode");
    if !full.contains(char::REPLACEMENT_CHARACTER) {
        for p in &pieces {
            assert!(
                !p.contains(char::REPLACEMENT_CHARACTER),
                "{what}: broken piece {p:?}"
            );
        }
    }
}

#[test]
fn stream_equals_decode_on_mistral_corpus() {
    for tok in [mistral_json(), mistral_gguf()] {
        for e in mistral_corpus() {
            check(tok, &e.ids, &e.text);
        }
    }
}

#[test]
fn stream_equals_decode_on_smollm2_corpus() {
    for e in smollm2_corpus() {
        check(smollm2(), &e.ids, &e.text);
    }
}

const HARD_TEXTS: &[&str] = &[
    "🦙🦙 llama emoji, 👨‍👩‍👧‍👦 family, 🇫🇷 flag",
    "日本語のテキスト 中文 한국어",
    " leading space and  double  spaces ",
    "\n\nnewlines first",
    "mixed: é 😀 中 a\u{301}",
];

#[test]
fn emoji_and_cjk_split_across_byte_tokens_are_held_until_complete() {
    for tok in [mistral_gguf(), smollm2()] {
        for text in HARD_TEXTS {
            let ids = tok.encode(text, tok.add_bos()).unwrap();
            check(tok, &ids, text);
            assert_eq!(stream(tok, &ids).concat(), *text);
        }
    }
}

#[test]
fn byte_fallback_character_appears_only_with_its_last_byte() {
    let tok = mistral_gguf();
    // "a🦙": "▁a" then four <0xNN> byte pieces.
    let ids = tok.encode("a🦙", true).unwrap();
    assert_eq!(ids.len(), 6);
    let mut dec = tok.stream_decoder();
    let out: Vec<Option<String>> = ids.iter().map(|&id| dec.step(id).unwrap()).collect();
    assert_eq!(
        out,
        [None, Some("a".into()), None, None, None, Some("🦙".into())],
        "BOS shows nothing, the leading space of the first word is dropped as in decode"
    );
    assert_eq!(dec.finish().unwrap(), None);
}

#[test]
fn byte_level_multibyte_characters_are_not_broken() {
    let tok = smollm2();
    let text = "😀中";
    let ids = tok.encode(text, false).unwrap();
    // Each character is split over several byte-level tokens.
    assert!(ids.len() > 2, "{ids:?}");
    let pieces = stream(tok, &ids);
    assert_eq!(pieces.concat(), text);
    assert!(pieces.iter().all(|p| !p.contains('\u{FFFD}')));
}

#[test]
fn spaces_between_tokens_match_full_decode() {
    let tok = mistral_json();
    let ids = tok.encode("Hello world, how are you?", true).unwrap();
    let pieces = stream(tok, &ids);
    assert_eq!(pieces[0], "Hello");
    assert_eq!(pieces[1], " world");
    assert_eq!(pieces.concat(), "Hello world, how are you?");
}

#[test]
fn incomplete_character_at_the_end_is_flushed_as_decode_shows_it() {
    let tok = mistral_gguf();
    // Only the first two bytes of 🦙 (F0 9F A6 99): never completed.
    let ids = [
        tok.piece_to_id("\u{2581}a").unwrap(),
        tok.piece_to_id("<0xF0>").unwrap(),
        tok.piece_to_id("<0x9F>").unwrap(),
    ];
    let mut dec = tok.stream_decoder();
    assert_eq!(dec.step(ids[0]).unwrap().as_deref(), Some("a"));
    assert_eq!(dec.step(ids[1]).unwrap(), None);
    assert_eq!(dec.step(ids[2]).unwrap(), None);
    let rest = dec.finish().unwrap().unwrap();
    assert_eq!(format!("a{rest}"), tok.decode(&ids).unwrap());
    assert!(rest.contains('\u{FFFD}'));
}

#[test]
fn special_tokens_produce_no_text_and_keep_spacing() {
    let tok = mistral_json();
    let mut ids = tok.encode("Hi there", true).unwrap();
    ids.push(2); // </s>
    ids.extend(tok.encode("again", false).unwrap());
    check(tok, &ids, "with EOS in the middle");
    assert_eq!(stream(tok, &ids).concat(), "Hi there again");
}

#[test]
fn out_of_range_id_is_an_error() {
    let tok = smollm2();
    let mut dec = tok.stream_decoder();
    assert_eq!(dec.step(19556).unwrap().as_deref(), Some("Hello"));
    assert!(dec.step(49152).is_err());
    // The bad id is not kept: the stream goes on.
    assert_eq!(dec.step(905).unwrap().as_deref(), Some(" world"));
}
