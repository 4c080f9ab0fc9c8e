//! The tokenizer written back as GGUF metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`),
//! so `mistral-wgpu quantize` turns a Hugging Face folder into a GGUF that carries its own
//! tokenizer, as llama.cpp's converter does.
//!
//! Only SentencePiece-style vocabularies (Mistral, Llama 2) are written. A GGUF "llama"
//! vocabulary has no merge list: readers (ours, llama.cpp) rebuild merges from piece scores
//! (every split of a piece into two pieces, ranked by the piece's score). So each piece's score
//! is minus the rank of the first tokenizer.json merge that builds it, which ranks the rebuilt
//! merges as the tokenizer.json ranks them (transformers wrote those merges grouped by piece,
//! in score order). Id order is not enough: Mistral's whitespace runs are scored out of id
//! order. Tested: the written vocabulary encodes the corpus exactly as the tokenizer.json.

use crate::error::{Result, TextError};
use crate::tokenizer::{Tokenizer, TokenizerKind};
use mistral_formats::gguf::{MetadataArray, MetadataValue};
use std::collections::HashMap;

/// GGUF token types (llama.cpp's `llama_token_type`).
const NORMAL: i32 = 1;
const UNKNOWN: i32 = 2;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;
const BYTE: i32 = 6;

/// The GGUF metadata entries describing `tokenizer`.
pub fn gguf_tokenizer_metadata(tokenizer: &Tokenizer) -> Result<Vec<(String, MetadataValue)>> {
    if tokenizer.kind() != TokenizerKind::SentencePiece {
        return Err(TextError::Tokenizer(format!(
            "writing a {} tokenizer into a GGUF is not supported; only SentencePiece-style \
             vocabularies (Mistral, Llama 2) are",
            tokenizer.kind()
        )));
    }
    let n = tokenizer.vocab_size();
    let mut tokens = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    let mut types = Vec::with_capacity(n);
    let unk = tokenizer.unknown_piece();
    let merges = tokenizer.bpe_merges()?;
    let mut first_merge: HashMap<String, usize> = HashMap::with_capacity(merges.len());
    for (rank, (a, b)) in merges.iter().enumerate() {
        first_merge.entry(format!("{a}{b}")).or_insert(rank);
    }
    for id in 0..n as u32 {
        let piece = tokenizer.id_to_piece(id).ok_or_else(|| {
            TextError::Tokenizer(format!("the vocabulary has no piece for id {id}"))
        })?;
        let ty = if Some(piece.as_str()) == unk.as_deref() {
            UNKNOWN
        } else if tokenizer.is_special(id) {
            CONTROL
        } else if tokenizer.is_added(id) {
            USER_DEFINED
        } else if is_byte_piece(&piece) {
            BYTE
        } else {
            NORMAL
        };
        // Pieces no merge builds (single characters) come after every merge result.
        let rank = first_merge
            .get(&piece)
            .copied()
            .unwrap_or(merges.len() + id as usize);
        scores.push(if ty == NORMAL { -(rank as f32) } else { 0.0 });
        types.push(ty);
        tokens.push(piece);
    }
    let s = |v: &str| MetadataValue::String(v.to_string());
    let mut out = vec![
        ("tokenizer.ggml.model".to_string(), s("llama")),
        (
            "tokenizer.ggml.tokens".to_string(),
            MetadataValue::Array(MetadataArray::String(tokens)),
        ),
        (
            "tokenizer.ggml.scores".to_string(),
            MetadataValue::Array(MetadataArray::F32(scores)),
        ),
        (
            "tokenizer.ggml.token_type".to_string(),
            MetadataValue::Array(MetadataArray::I32(types)),
        ),
        (
            "tokenizer.ggml.add_bos_token".to_string(),
            MetadataValue::Bool(tokenizer.add_bos()),
        ),
        (
            "tokenizer.ggml.add_eos_token".to_string(),
            MetadataValue::Bool(false),
        ),
    ];
    let mut id = |key: &str, v: Option<u32>| {
        if let Some(v) = v {
            out.push((key.to_string(), MetadataValue::U32(v)));
        }
    };
    id("tokenizer.ggml.bos_token_id", tokenizer.bos_id());
    id(
        "tokenizer.ggml.eos_token_id",
        tokenizer.eos_ids().first().copied(),
    );
    id(
        "tokenizer.ggml.unknown_token_id",
        unk.as_deref().and_then(|p| tokenizer.piece_to_id(p)),
    );
    if let Some(t) = tokenizer.chat_template() {
        out.push(("tokenizer.chat_template".to_string(), s(t)));
    }
    Ok(out)
}

/// `<0x0A>`: SentencePiece's byte-fallback pieces.
fn is_byte_piece(piece: &str) -> bool {
    piece.len() == 6
        && piece.starts_with("<0x")
        && piece.ends_with('>')
        && piece[3..5].chars().all(|c| c.is_ascii_hexdigit())
}
