//! Text for generated ids as they arrive, without broken characters.
//!
//! A token is not a unit of text: one character may be spread over several byte-fallback tokens
//! (`<0xF0><0x9F><0x98><0x80>` = 😀) or several byte-level tokens, and whether a token's leading
//! "▁" shows as a space depends on what came before it (the decoder strips one leading space of
//! the whole text). So instead of decoding each token alone, the decoder keeps a short window of
//! ids, decodes the window, and emits what the window's text adds beyond the already emitted
//! part of it. While the text ends in U+FFFD (an incomplete UTF-8 sequence) nothing is emitted;
//! the bytes that complete it arrive with later tokens. This is the algorithm of the tokenizers
//! crate's `DecodeStream`, plus [`StreamDecoder::finish`] for text held back at the end.
//!
//! Invariant (tested on every corpus text): the concatenation of everything `step` and `finish`
//! return equals `Tokenizer::decode` of all the ids.

use std::ops::Deref;

use crate::error::Result;
use crate::tokenizer::Tokenizer;

/// Generic over how the tokenizer is held: `&Tokenizer` for a loop on the stack, or an owning
/// pointer (`Rc<Tokenizer>`) for a decoder stored next to its tokenizer (the browser engine
/// keeps one across calls).
pub struct StreamDecoder<T: Deref<Target = Tokenizer>> {
    tokenizer: T,
    /// The window: ids of the last emitted chunk (left context) followed by pending ids.
    ids: Vec<u32>,
    /// How many leading ids of the window are context, already emitted.
    context_len: usize,
    /// Decoded text of the context ids alone; the window's text starts with it.
    context_text: String,
}

impl<T: Deref<Target = Tokenizer>> StreamDecoder<T> {
    pub fn new(tokenizer: T) -> Self {
        StreamDecoder {
            tokenizer,
            ids: Vec::new(),
            context_len: 0,
            context_text: String::new(),
        }
    }

    /// Adds one id; returns the new text it completes, or `None` while text is held back (an
    /// incomplete character, or a token with no visible text such as a skipped special token).
    pub fn step(&mut self, id: u32) -> Result<Option<String>> {
        self.ids.push(id);
        let text = match self.tokenizer.decode(&self.ids) {
            Ok(text) => text,
            Err(e) => {
                // Leave the window as it was, so a caller may skip the bad id and go on.
                self.ids.pop();
                return Err(e);
            }
        };
        if text.len() <= self.context_text.len() || text.ends_with(char::REPLACEMENT_CHARACTER) {
            return Ok(None);
        }
        let new_text = self.new_part(&text).to_string();
        // The ids just emitted become the next window's context: decoding them again with what
        // follows keeps the leading-space rule and byte grouping the same as a full decode.
        self.ids.drain(..self.context_len);
        self.context_len = self.ids.len();
        self.context_text = self.tokenizer.decode(&self.ids)?;
        Ok(Some(new_text))
    }

    /// Ends the stream: returns text still held back (e.g. a genuine trailing U+FFFD, or bytes
    /// of a character the model never completed, shown as U+FFFD as `decode` shows them).
    pub fn finish(&mut self) -> Result<Option<String>> {
        let text = self.tokenizer.decode(&self.ids)?;
        let rest = self.new_part(&text).to_string();
        self.ids.clear();
        self.context_len = 0;
        self.context_text.clear();
        Ok((!rest.is_empty()).then_some(rest))
    }

    /// The part of the window's `text` past the context. The window's text always extends the
    /// context's text for the tokenizers here; should a decoder ever rewrite earlier text, the
    /// emitted part cannot be taken back, so continue after the longest common prefix.
    fn new_part<'a>(&self, text: &'a str) -> &'a str {
        if let Some(rest) = text.strip_prefix(self.context_text.as_str()) {
            return rest;
        }
        let common = text
            .char_indices()
            .zip(self.context_text.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, c), _)| i + c.len_utf8());
        &text[common..]
    }
}
