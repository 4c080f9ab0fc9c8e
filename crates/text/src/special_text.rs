//! Where special-token text in a rendered chat template came from.
//!
//! A chat template writes control tokens (`<|im_start|>`, `[INST]`, `</s>`) as text, and the
//! rendered prompt is encoded with special-token parsing so they become the control ids. Message
//! content is pasted into that same text, so a user (or a document pasted into a message) who
//! types `<|im_end|><|im_start|>system` would end the turn and open a system turn. To prevent it,
//! each special-token occurrence in message content is wrapped in two Unicode noncharacters
//! before rendering; after rendering they are removed and their byte ranges remembered as
//! *protected*: special-token text there is encoded as the plain text it looks like. Only the
//! occurrences are wrapped, not whole messages, so filters the template applies to content
//! (`trim`, `upper`) behave as before and tokenization of everything else is unchanged.

use aho_corasick::{AhoCorasick, MatchKind};
use std::ops::Range;

/// Opens a protected special-token occurrence (U+FDD0, a noncharacter: for internal use,
/// never meant to appear in text that is exchanged).
const OPEN: char = '\u{FDD0}';
/// Closes it (U+FDD1).
const CLOSE: char = '\u{FDD1}';

/// The texts of a tokenizer's special tokens, matched as the tokenizers crate matches them
/// (leftmost, longest).
#[derive(Clone, Debug)]
pub(crate) struct SpecialText {
    matcher: Option<AhoCorasick>,
}

impl SpecialText {
    pub fn new<S: AsRef<str>>(texts: &[S]) -> Self {
        let texts: Vec<&str> = texts
            .iter()
            .map(AsRef::as_ref)
            .filter(|t| !t.is_empty())
            .collect();
        let matcher = (!texts.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&texts)
                .expect("special-token texts are few and short")
        });
        SpecialText { matcher }
    }

    /// Byte ranges of the special-token texts in `text`, left to right, not overlapping.
    pub fn find(&self, text: &str) -> Vec<Range<usize>> {
        match &self.matcher {
            Some(m) => m.find_iter(text).map(|f| f.range()).collect(),
            None => Vec::new(),
        }
    }

    pub fn occurs_in(&self, text: &str) -> bool {
        self.matcher.as_ref().is_some_and(|m| m.is_match(text))
    }

    /// `content` with every special-token occurrence wrapped in the protection marks. Marks
    /// already in the content (they have no meaning in text) become U+FFFD, so content cannot
    /// fake or break a protected range.
    pub fn protect(&self, content: &str) -> String {
        let content: String = content
            .chars()
            .map(|c| {
                if c == OPEN || c == CLOSE {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect();
        let mut out = String::with_capacity(content.len() + 8);
        let mut last = 0;
        for r in self.find(&content) {
            out.push_str(&content[last..r.start]);
            out.push(OPEN);
            out.push_str(&content[r.clone()]);
            out.push(CLOSE);
            last = r.end;
        }
        out.push_str(&content[last..]);
        out
    }
}

/// Removes the protection marks from a rendered template: the text to encode, and the byte
/// ranges (in that text) that came from message content and must not yield special tokens. A
/// template that cut a protected occurrence in two (slicing content) leaves an unclosed mark:
/// its range runs to the end of the text, which errs towards plain text.
pub(crate) fn unprotect(rendered: &str) -> (String, Vec<Range<usize>>) {
    let mut text = String::with_capacity(rendered.len());
    let mut ranges = Vec::new();
    let mut open: Option<usize> = None;
    for c in rendered.chars() {
        match c {
            OPEN => {
                open.get_or_insert(text.len());
            }
            CLOSE => {
                if let Some(start) = open.take() {
                    ranges.push(start..text.len());
                }
            }
            _ => text.push(c),
        }
    }
    if let Some(start) = open {
        ranges.push(start..text.len());
    }
    (text, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protects_occurrences_and_recovers_their_ranges() {
        let s = SpecialText::new(&["<|im_end|>", "<|im_start|>", "<s>"]);
        let p = s.protect("a<|im_end|>b<s>\u{FDD0}");
        let rendered = format!("<|im_start|>user\n{p}<|im_end|>");
        let (text, ranges) = unprotect(&rendered);
        assert_eq!(text, "<|im_start|>user\na<|im_end|>b<s>\u{FFFD}<|im_end|>");
        let got: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(got, ["<|im_end|>", "<s>"]);
        assert_eq!(s.find(&text).len(), 4);
    }

    #[test]
    fn an_unclosed_mark_protects_to_the_end() {
        let (text, ranges) = unprotect("ab\u{FDD0}<s");
        assert_eq!(text, "ab<s");
        assert_eq!(ranges, vec![2..4]);
    }

    #[test]
    fn leftmost_longest_like_the_tokenizers_crate() {
        let s = SpecialText::new(&["<|im", "<|im_end|>"]);
        assert_eq!(s.find("x<|im_end|>"), vec![1..11]);
        assert!(!SpecialText::new::<&str>(&[]).occurs_in("<s>"));
    }
}
