//! A GGUF SentencePiece vocabulary (`tokenizer.ggml.model = "llama"`) as a tokenizers-crate BPE,
//! built to be the same tokenizer as the `tokenizer.json` Mistral and Llama 2 ship.
//!
//! SentencePiece BPE repeatedly merges the adjacent pair whose concatenation is the
//! highest-scoring piece. A rank-ordered merge list reproduces that: every split (a, b) of a
//! piece into two vocabulary pieces becomes a merge, ranked by the merged piece's score (best
//! first). This is what transformers' `SentencePieceExtractor` does when it writes tokenizer.json,
//! including its tie-break (splits of one piece ordered by the ids of their halves). Only normal
//! pieces are merge results: SentencePiece never builds control, byte or unused pieces from text.
//!
//! The rest mirrors Mistral's tokenizer.json (HF "legacy" Llama tokenizer): a normalizer that
//! prepends "▁" and turns spaces into "▁" (so each text segment between special tokens gets
//! the dummy prefix, as llama.cpp also does), byte fallback to `<0xNN>` pieces for characters
//! outside the vocabulary, and a decoder that undoes both.

use crate::added_tokens;
use crate::error::{tok_err, Result};
use crate::gguf_vocab::GgufVocab;
use ahash::AHashMap;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::{Prepend, Replace, Sequence as NormalizerSequence};
use tokenizers::{DecoderWrapper, NormalizerWrapper, Tokenizer as HfTokenizer};

const SPACE: &str = "\u{2581}"; // "▁", SentencePiece's visible space

pub(crate) fn build(vocab: &GgufVocab) -> Result<HfTokenizer> {
    let ids = piece_ids(&vocab.tokens);
    let merges = merges_from_scores(vocab, &ids);

    let mut builder = BPE::builder()
        .vocab_and_merges(ids, merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = vocab.unk {
        builder = builder.unk_token(vocab.tokens[unk as usize].clone());
    }
    let mut hf = HfTokenizer::new(builder.build().map_err(tok_err)?);

    let spaces: NormalizerWrapper = Replace::new(" ", SPACE).map_err(tok_err)?.into();
    let normalizer: NormalizerWrapper = if vocab.add_space_prefix {
        NormalizerSequence::new(vec![Prepend::new(SPACE.into()).into(), spaces]).into()
    } else {
        spaces
    };
    hf.with_normalizer(Some(normalizer)).map_err(tok_err)?;

    let mut decoders: Vec<DecoderWrapper> = vec![
        // The decoder's Replace is the normalizer type, used the other way round.
        DecoderWrapper::Replace(Replace::new(SPACE, " ").map_err(tok_err)?),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ];
    if vocab.add_space_prefix {
        // Remove the dummy prefix again: one leading space of the whole decoded text.
        decoders.push(Strip::new(' ', 1, 0).into());
    }
    hf.with_decoder(Some(DecoderSequence::new(decoders)));

    added_tokens::register(&mut hf, vocab)?;
    Ok(hf)
}

/// Piece → id. A piece listed twice keeps its first id (what a lookup in SentencePiece returns).
fn piece_ids(tokens: &[String]) -> AHashMap<String, u32> {
    let mut ids = AHashMap::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        ids.entry(t.clone()).or_insert(i as u32);
    }
    ids
}

/// Pieces longer than this (in bytes) take no part in merges. Enumerating a piece's splits
/// hashes both halves at every cut, which is quadratic in its length (one 1 MB piece took
/// minutes); with the cap the work is at most 256 times the vocabulary's bytes. SentencePiece's
/// trainer caps pieces at 16 characters by default (`max_piece_length`), so real vocabularies
/// (at most 4 bytes a character, plus the "▁") never come near; a longer piece can still be
/// matched whole if it is a control or user-defined token.
const MAX_MERGE_PIECE_BYTES: usize = 256;

/// Every (left, right) whose concatenation is a normal piece, best merged-piece score first.
fn merges_from_scores(vocab: &GgufVocab, ids: &AHashMap<String, u32>) -> Vec<(String, String)> {
    // (score, left id, right id); the sort below is stable over piece order, like Python's.
    let mut found: Vec<(f32, u32, u32)> = Vec::new();
    let mut local: Vec<(u32, u32)> = Vec::new();
    for (i, piece) in vocab.tokens.iter().enumerate() {
        if piece.len() > MAX_MERGE_PIECE_BYTES
            || !vocab.types[i].is_mergeable()
            || ids.get(piece) != Some(&(i as u32))
        {
            continue;
        }
        local.clear();
        for (cut, _) in piece.char_indices().skip(1) {
            if let (Some(&l), Some(&r)) = (ids.get(&piece[..cut]), ids.get(&piece[cut..])) {
                local.push((l, r));
            }
        }
        local.sort_unstable();
        found.extend(local.iter().map(|&(l, r)| (vocab.scores[i], l, r)));
    }
    // Best score first; `total_cmp` gives NaN scores a fixed place instead of a panic.
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let piece = |id: u32| vocab.tokens[id as usize].clone();
    found
        .into_iter()
        .map(|(_, l, r)| (piece(l), piece(r)))
        .collect()
}
