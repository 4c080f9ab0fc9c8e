//! The model's tokenizer: text ↔ ids, from a tokenizer.json or from a GGUF vocabulary.
//!
//! Both sources end up as a tokenizers-crate tokenizer (so ids equal Hugging Face's), wrapped
//! with what generation needs: BOS/EOS ids, whether BOS is added, the chat template.
//!
//! Special-token text (e.g. `<s>`, `<|im_end|>`) in *user* text is plain text: [`Tokenizer::encode`]
//! turns `<s>` into the pieces `▁<`, "s", `>` (as llama.cpp with `parse_special = false` and
//! mistral-tokenizer-js do), so a user cannot end a turn or forge a BOS by typing it. Text the
//! engine itself writes, such as a rendered chat template, goes through
//! [`Tokenizer::encode_with_special`], where special-token text becomes the special token (as
//! transformers' `apply_chat_template` does).

use crate::error::{tok_err, Result, TextError};
use crate::gguf_vocab::{GgufModel, GgufVocab};
use crate::json_config;
use crate::special_text::SpecialText;
use crate::stream::StreamDecoder;
use crate::{byte_level, spm};
use mistral_formats::gguf::{GgufFile, Metadata};
use std::ops::Range;
use std::path::Path;
use tokenizers::pre_tokenizers::metaspace::PrependScheme;
use tokenizers::{PreTokenizerWrapper, Tokenizer as HfTokenizer};

/// The tokenizer family, which decides how spaces and bytes are represented in pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenizerKind {
    /// SentencePiece-style BPE: "▁" for spaces, `<0xNN>` byte-fallback pieces (Mistral, Llama 2).
    SentencePiece,
    /// GPT-2-style byte-level BPE: every byte is a character of the vocabulary (SmolLM2, Llama 3).
    ByteLevelBpe,
    /// A tokenizer.json of another kind (WordPiece, Unigram, ...): works, but is untested here.
    Other,
}

impl TokenizerKind {
    pub fn name(self) -> &'static str {
        match self {
            TokenizerKind::SentencePiece => "sentencepiece",
            TokenizerKind::ByteLevelBpe => "byte-level BPE",
            TokenizerKind::Other => "other",
        }
    }
}

impl std::fmt::Display for TokenizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub struct Tokenizer {
    /// Splits special-token text out of the input (rendered templates).
    with_special: HfTokenizer,
    /// The same tokenizer with special-token text treated as ordinary text (user text). Two
    /// copies because the switch is a setting of the tokenizers crate's object, not a per-call
    /// argument, and `encode` must stay `&self` (shared between threads).
    plain: HfTokenizer,
    /// `plain` for a text segment that follows a special token: a Metaspace pre-tokenizer that
    /// prepends "▁" only at the start of the input must not prepend it there (see
    /// [`Tokenizer::encode_template`]).
    plain_continuation: HfTokenizer,
    /// The special tokens' texts, to find the ones a template wrote.
    special_text: SpecialText,
    kind: TokenizerKind,
    vocab_size: usize,
    bos: Option<u32>,
    add_bos: bool,
    eos: Vec<u32>,
    /// Ids of special added tokens, sorted (control tokens, `<unk>`).
    special_ids: Vec<u32>,
    chat_template: Option<String>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("kind", &self.kind)
            .field("vocab_size", &self.vocab_size)
            .field("bos", &self.bos)
            .field("add_bos", &self.add_bos)
            .field("eos", &self.eos)
            .field("has_chat_template", &self.chat_template.is_some())
            .finish()
    }
}

impl Tokenizer {
    /// Loads a tokenizer.json. A `tokenizer_config.json` in the same folder, if there is one,
    /// supplies BOS/EOS and the chat template.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let json = read(path)?;
        let config_path = path.with_file_name("tokenizer_config.json");
        let config = if config_path.exists() {
            Some(read(&config_path)?)
        } else {
            None
        };
        Self::from_json_with_config(&json, config.as_deref())
    }

    /// A tokenizer.json's bytes. BOS comes from its post-processor template; EOS ids are the
    /// well-known end tokens present in the vocabulary (`</s>`, `<|im_end|>`, `<|eot_id|>`, ...).
    pub fn from_json_bytes(tokenizer_json: &[u8]) -> Result<Self> {
        Self::from_json_with_config(tokenizer_json, None)
    }

    /// A tokenizer.json plus the tokenizer_config.json that names BOS, EOS, `add_bos_token`
    /// and the chat template.
    pub fn from_json_with_config(
        tokenizer_json: &[u8],
        tokenizer_config: Option<&[u8]>,
    ) -> Result<Self> {
        let json: serde_json::Value = serde_json::from_slice(tokenizer_json)
            .map_err(|e| TextError::TokenizerJson(e.to_string()))?;
        let config: Option<serde_json::Value> = tokenizer_config
            .map(serde_json::from_slice)
            .transpose()
            .map_err(|e| TextError::TokenizerConfig(e.to_string()))?;
        let hf = HfTokenizer::from_bytes(tokenizer_json)
            .map_err(|e| TextError::TokenizerJson(e.to_string()))?;
        let info = json_config::inspect(&json, config.as_ref(), &hf)?;
        Ok(Self::assemble(
            hf,
            info.kind,
            info.bos,
            info.add_bos,
            info.eos,
            info.chat_template,
        ))
    }

    /// The vocabulary stored in a GGUF header (`tokenizer.ggml.*`).
    pub fn from_gguf(gguf: &GgufFile) -> Result<Self> {
        Self::from_gguf_metadata(&gguf.metadata)
    }

    /// As [`Tokenizer::from_gguf`], from the metadata alone (a browser may have only the header).
    pub fn from_gguf_metadata(metadata: &Metadata) -> Result<Self> {
        let vocab = GgufVocab::read(metadata)?;
        let (hf, kind) = match vocab.model {
            GgufModel::Llama => (spm::build(&vocab)?, TokenizerKind::SentencePiece),
            GgufModel::Gpt2 => (byte_level::build(&vocab)?, TokenizerKind::ByteLevelBpe),
        };
        Ok(Self::assemble(
            hf,
            kind,
            vocab.bos,
            vocab.add_bos,
            vocab.eos,
            vocab.chat_template,
        ))
    }

    fn assemble(
        with_special: HfTokenizer,
        kind: TokenizerKind,
        bos: Option<u32>,
        add_bos: bool,
        eos: Vec<u32>,
        chat_template: Option<String>,
    ) -> Self {
        let mut plain = with_special.clone();
        plain.set_encode_special_tokens(true);
        let mut special_ids: Vec<u32> = with_special
            .get_added_tokens_decoder()
            .iter()
            .filter(|(_, t)| t.special)
            .map(|(&id, _)| id)
            .collect();
        special_ids.sort_unstable();
        let special_texts: Vec<String> = with_special
            .get_added_tokens_decoder()
            .values()
            .filter(|t| t.special)
            .map(|t| t.content.clone())
            .collect();
        Tokenizer {
            vocab_size: with_special.get_vocab_size(true),
            with_special,
            plain_continuation: without_first_prepend(&plain),
            plain,
            special_text: SpecialText::new(&special_texts),
            kind,
            bos,
            add_bos,
            eos,
            special_ids,
            chat_template,
        }
    }

    /// Encodes user text. Special-token text in it (`<s>`, `</s>`, `<|im_end|>`) is encoded as
    /// the ordinary text it looks like. `add_bos` puts the BOS id first (usually
    /// `tokenizer.add_bos()`); it is an error for a tokenizer without BOS.
    pub fn encode(&self, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        self.encode_impl(&self.plain, text, add_bos)
    }

    /// Encodes trusted text (a rendered chat template), parsing special-token text into the
    /// special tokens.
    pub fn encode_with_special(&self, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        self.encode_impl(&self.with_special, text, add_bos)
    }

    /// Encodes a rendered chat template in which `protected` byte ranges came from message
    /// content: special-token text becomes the special token everywhere except there, where it
    /// is the plain text it looks like (so typing `<|im_end|>` in a message cannot end a turn).
    /// With nothing protected this is [`Tokenizer::encode_with_special`].
    ///
    /// The text is cut at the special tokens the template wrote and each segment between them
    /// encoded on its own, which is what the tokenizers crate does internally when it parses
    /// special tokens; so where no content holds special-token text, the ids are the same.
    pub fn encode_template(
        &self,
        text: &str,
        protected: &[Range<usize>],
        add_bos: bool,
    ) -> Result<Vec<u32>> {
        if protected.is_empty() {
            return self.encode_with_special(text, add_bos);
        }
        let mut ids = self.bos_prefix(add_bos)?;
        let mut start = 0;
        for m in self.special_text.find(text) {
            if protected.iter().any(|p| p.start < m.end && m.start < p.end) {
                continue;
            }
            self.encode_segment(text, start..m.start, &mut ids)?;
            let id = self
                .with_special
                .token_to_id(&text[m.clone()])
                .ok_or_else(|| {
                    TextError::Tokenizer(format!("special token {:?} has no id", &text[m.clone()]))
                })?;
            ids.push(id);
            start = m.end;
        }
        self.encode_segment(text, start..text.len(), &mut ids)?;
        Ok(ids)
    }

    /// Appends the ids of `text[range]`, a segment between special tokens, as plain text.
    fn encode_segment(&self, text: &str, range: Range<usize>, ids: &mut Vec<u32>) -> Result<()> {
        if range.is_empty() {
            return Ok(());
        }
        let hf = if range.start == 0 {
            &self.plain
        } else {
            &self.plain_continuation
        };
        let encoding = hf.encode(&text[range], false).map_err(tok_err)?;
        ids.extend_from_slice(encoding.get_ids());
        Ok(())
    }

    fn encode_impl(&self, hf: &HfTokenizer, text: &str, add_bos: bool) -> Result<Vec<u32>> {
        // add_special_tokens = false: BOS is added here, uniformly for both sources, instead of by
        // a tokenizer.json post-processor that might also add other tokens.
        let encoding = hf.encode(text, false).map_err(tok_err)?;
        let mut ids = self.bos_prefix(add_bos)?;
        ids.extend_from_slice(encoding.get_ids());
        Ok(ids)
    }

    fn bos_prefix(&self, add_bos: bool) -> Result<Vec<u32>> {
        if !add_bos {
            return Ok(Vec::new());
        }
        let bos = self.bos.ok_or_else(|| {
            TextError::Tokenizer("BOS requested, but this tokenizer has no BOS token".into())
        })?;
        Ok(vec![bos])
    }

    /// Checks that every id this tokenizer can produce has a row in a model's embedding of
    /// `embedding_rows` rows (fewer ids than rows is normal: padded vocabularies). A tokenizer
    /// from another model would otherwise index past the table.
    pub fn check_fits(&self, embedding_rows: usize) -> Result<()> {
        if self.vocab_size > embedding_rows {
            return Err(TextError::VocabularyMismatch {
                tokenizer: self.vocab_size,
                rows: embedding_rows,
            });
        }
        Ok(())
    }

    /// Whether `text` holds the text of a special token (`<s>`, `<|im_end|>`).
    pub fn has_special_text(&self, text: &str) -> bool {
        self.special_text.occurs_in(text)
    }

    /// `text` with its special-token occurrences marked as protected for
    /// [`ChatTemplate`](crate::ChatTemplate) rendering.
    pub(crate) fn protect_special_text(&self, text: &str) -> String {
        self.special_text.protect(text)
    }

    /// Text of `ids` as a user sees it: special tokens (BOS, EOS, control tokens) are left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.decode_impl(ids, true)
    }

    /// Text of `ids` with special tokens written out (`<s>`, `<|im_start|>`), for debugging.
    pub fn decode_with_special(&self, ids: &[u32]) -> Result<String> {
        self.decode_impl(ids, false)
    }

    fn decode_impl(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        // The tokenizers crate silently drops unknown ids; an id past the vocabulary means a
        // bug upstream (wrong model/tokenizer pairing), so say so.
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= self.vocab_size) {
            return Err(TextError::IdOutOfRange {
                id,
                vocab_size: self.vocab_size,
            });
        }
        self.with_special.decode(ids, skip_special).map_err(tok_err)
    }

    /// A decoder for generated ids one at a time; see [`StreamDecoder`].
    pub fn stream_decoder(&self) -> StreamDecoder<&Tokenizer> {
        StreamDecoder::new(self)
    }

    pub fn kind(&self) -> TokenizerKind {
        self.kind
    }

    /// Number of ids, added tokens included (the embedding table has at least this many rows).
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    /// Whether the model expects BOS at the start of a prompt.
    pub fn add_bos(&self) -> bool {
        self.add_bos
    }

    /// Ids that end generation (EOS, and end-of-turn tokens where the file names them).
    pub fn eos_ids(&self) -> &[u32] {
        &self.eos
    }

    pub fn is_eos(&self, id: u32) -> bool {
        self.eos.contains(&id)
    }

    /// Whether `id` is a special token (control token, `<unk>`), which [`Tokenizer::decode`] skips.
    pub fn is_special(&self, id: u32) -> bool {
        self.special_ids.binary_search(&id).is_ok()
    }

    /// Whether `id` is an added token (special or not), as opposed to a piece of the model's
    /// own vocabulary.
    pub fn is_added(&self, id: u32) -> bool {
        self.with_special
            .get_added_tokens_decoder()
            .contains_key(&id)
    }

    /// The ranked merges of a BPE model (best first), as (left, right) pieces; empty for
    /// other models. Read through the model's serialized form, the only public view of them.
    pub(crate) fn bpe_merges(&self) -> Result<Vec<(String, String)>> {
        let tokenizers::ModelWrapper::BPE(bpe) = self.with_special.get_model() else {
            return Ok(Vec::new());
        };
        let json = serde_json::to_value(bpe).map_err(tok_err)?;
        let list = json["merges"].as_array().cloned().unwrap_or_default();
        list.iter()
            .map(|m| match m {
                serde_json::Value::String(s) => s
                    .split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string())),
                serde_json::Value::Array(pair) => match (pair.first(), pair.get(1)) {
                    (Some(a), Some(b)) => Some((a.as_str()?.to_string(), b.as_str()?.to_string())),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| TextError::Tokenizer("unreadable BPE merge list".into()))
    }

    /// The piece the model uses for unknown text (`<unk>`), where it has one.
    pub fn unknown_piece(&self) -> Option<String> {
        match self.with_special.get_model() {
            tokenizers::ModelWrapper::BPE(bpe) => bpe.unk_token.clone(),
            _ => None,
        }
    }

    /// The vocabulary piece of `id` as stored ("▁Hello", "ĠHello", `<0x0A>`, `<s>`).
    pub fn id_to_piece(&self, id: u32) -> Option<String> {
        self.with_special.id_to_token(id)
    }

    pub fn piece_to_id(&self, piece: &str) -> Option<u32> {
        self.with_special.token_to_id(piece)
    }

    /// The model's own chat template (GGUF `tokenizer.chat_template`, or tokenizer_config.json).
    pub fn chat_template(&self) -> Option<&str> {
        self.chat_template.as_deref()
    }
}

/// A copy of `hf` whose Metaspace pre-tokenizer (alone or in a sequence) never prepends "▁"
/// where it was set to prepend it only at the start of the input ("first", the non-legacy
/// Llama/Mistral tokenizer.json): a segment after a special token is not the start.
fn without_first_prepend(hf: &HfTokenizer) -> HfTokenizer {
    fn fix(p: &mut PreTokenizerWrapper) {
        match p {
            PreTokenizerWrapper::Metaspace(m) if m.get_prepend_scheme() == PrependScheme::First => {
                m.set_prepend_scheme(PrependScheme::Never)
            }
            PreTokenizerWrapper::Sequence(seq) => seq.as_mut().iter_mut().for_each(fix),
            _ => {}
        }
    }
    let mut out = hf.clone();
    if let Some(mut pre) = hf.get_pre_tokenizer().cloned() {
        fix(&mut pre);
        out.with_pre_tokenizer(Some(pre));
    }
    out
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| TextError::Io {
        path: path.display().to_string(),
        source,
    })
}
