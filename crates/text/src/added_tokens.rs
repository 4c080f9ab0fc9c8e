//! Which GGUF tokens are matched whole in text instead of being built by merges.
//!
//! llama.cpp parses control, unknown and user-defined tokens out of text before running BPE. In
//! the tokenizers crate that is the added vocabulary: control and unknown tokens become *special*
//! added tokens (parsed only where special tokens are allowed, skipped by `decode`), user-defined
//! ones plain added tokens (always parsed, always decoded), as transformers' GGUF converter does.

use crate::error::{tok_err, Result};
use crate::gguf_vocab::{GgufVocab, TokenType};
use tokenizers::{AddedToken, Tokenizer as HfTokenizer};

pub(crate) fn register(hf: &mut HfTokenizer, vocab: &GgufVocab) -> Result<()> {
    let pick = |want: &dyn Fn(TokenType) -> bool, special: bool| -> Vec<AddedToken> {
        vocab
            .tokens
            .iter()
            .zip(&vocab.types)
            .filter(|(_, &t)| want(t))
            // normalized = false: match the raw text, before "▁" replacement or byte mapping.
            .map(|(piece, _)| AddedToken::from(piece.clone(), special).normalized(false))
            .collect()
    };
    let special = pick(
        &|t| matches!(t, TokenType::Control | TokenType::Unknown),
        true,
    );
    let user = pick(&|t| t == TokenType::UserDefined, false);
    if !special.is_empty() {
        hf.add_special_tokens(special).map_err(tok_err)?;
    }
    if !user.is_empty() {
        hf.add_tokens(user).map_err(tok_err)?;
    }
    Ok(())
}
