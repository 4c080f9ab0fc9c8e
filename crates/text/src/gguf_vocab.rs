//! Reads the `tokenizer.ggml.*` metadata of a GGUF file into one checked structure, so that the
//! builders (`spm`, `byte_level`) can index arrays without re-validating and every inconsistency
//! (missing key, arrays of different lengths, ids past the vocabulary) is reported in one place.

use crate::error::{Result, TextError};
use mistral_formats::gguf::Metadata;

/// `tokenizer.ggml.model`: which algorithm the vocabulary is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GgufModel {
    /// "llama": SentencePiece BPE with scores and `<0xNN>` byte pieces.
    Llama,
    /// "gpt2": byte-level BPE with an explicit merge list.
    Gpt2,
}

/// llama.cpp's `llama_token_type` (the values of `tokenizer.ggml.token_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenType {
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
}

impl TokenType {
    fn from_gguf(v: i64) -> Option<Self> {
        Some(match v {
            // 0 ("undefined") is written by some converters for ordinary pieces.
            0 | 1 => TokenType::Normal,
            2 => TokenType::Unknown,
            3 => TokenType::Control,
            4 => TokenType::UserDefined,
            5 => TokenType::Unused,
            6 => TokenType::Byte,
            _ => return None,
        })
    }

    /// Tokens that text never turns into by merging: they are matched whole (control, unknown,
    /// user-defined) or produced by byte fallback (byte) or never (unused).
    pub(crate) fn is_mergeable(self) -> bool {
        self == TokenType::Normal
    }
}

/// The tokenizer part of a GGUF header, validated.
pub(crate) struct GgufVocab {
    pub model: GgufModel,
    pub pre: Option<String>,
    pub tokens: Vec<String>,
    /// Per-token scores; present (and as long as `tokens`) for `Llama`.
    pub scores: Vec<f32>,
    pub types: Vec<TokenType>,
    /// "left right" pairs; present for `Gpt2`.
    pub merges: Vec<String>,
    pub bos: Option<u32>,
    pub eos: Vec<u32>,
    pub unk: Option<u32>,
    pub add_bos: bool,
    /// SentencePiece's dummy prefix: a "▁" before the text (and after each special token).
    pub add_space_prefix: bool,
    pub chat_template: Option<String>,
}

const TOKENS: &str = "tokenizer.ggml.tokens";
const MODEL: &str = "tokenizer.ggml.model";

impl GgufVocab {
    pub fn read(md: &Metadata) -> Result<Self> {
        let model_name = md
            .get_str(MODEL)?
            .ok_or(TextError::NoGgufTokenizer(MODEL))?;
        let model = match model_name {
            "llama" => GgufModel::Llama,
            "gpt2" => GgufModel::Gpt2,
            other => return Err(TextError::UnknownModel(other.to_string())),
        };
        let tokens: Vec<String> = md
            .get_str_array(TOKENS)?
            .ok_or(TextError::NoGgufTokenizer(TOKENS))?
            .into_iter()
            .map(str::to_string)
            .collect();
        let n = tokens.len();
        if n == 0 {
            return Err(bad(format!("{TOKENS} is empty")));
        }
        // Ids are u32 in the engine; a vocabulary that large is corrupt anyway.
        if n > u32::MAX as usize / 2 {
            return Err(bad(format!("{TOKENS} has an implausible {n} entries")));
        }

        let types = match md.get_i64_array("tokenizer.ggml.token_type")? {
            None => vec![TokenType::Normal; n],
            Some(raw) => {
                same_len("tokenizer.ggml.token_type", raw.len(), n)?;
                raw.iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        TokenType::from_gguf(v).ok_or_else(|| {
                            bad(format!(
                                "token {i} has unknown token_type {v} (expected 0..=6)"
                            ))
                        })
                    })
                    .collect::<Result<_>>()?
            }
        };

        let scores = match (model, md.get_f32_array("tokenizer.ggml.scores")?) {
            (_, Some(s)) => {
                same_len("tokenizer.ggml.scores", s.len(), n)?;
                s
            }
            (GgufModel::Llama, None) => return Err(bad(
                "tokenizer.ggml.scores is missing; a SentencePiece (\"llama\") vocabulary needs \
                     scores to rank its merges"
                    .into(),
            )),
            (GgufModel::Gpt2, None) => Vec::new(),
        };

        let merges = match (model, md.get_str_array("tokenizer.ggml.merges")?) {
            (_, Some(m)) => m.into_iter().map(str::to_string).collect(),
            (GgufModel::Gpt2, None) => return Err(bad(
                "tokenizer.ggml.merges is missing; a byte-level BPE (\"gpt2\") vocabulary needs \
                     its merge list"
                    .into(),
            )),
            (GgufModel::Llama, None) => Vec::new(),
        };

        let id = |key: &str| -> Result<Option<u32>> {
            match md.get_u64(key)? {
                None => Ok(None),
                Some(v) if (v as usize) < n => Ok(Some(v as u32)),
                Some(v) => Err(bad(format!(
                    "{key} = {v}, but the vocabulary has {n} tokens"
                ))),
            }
        };
        let bos = id("tokenizer.ggml.bos_token_id")?;
        // Everything that ends a turn stops generation: EOS, and llama.cpp's end-of-turn and
        // end-of-message tokens where a converter recorded them.
        let mut eos = Vec::new();
        for key in [
            "tokenizer.ggml.eos_token_id",
            "tokenizer.ggml.eot_token_id",
            "tokenizer.ggml.eom_token_id",
        ] {
            if let Some(e) = id(key)? {
                if !eos.contains(&e) {
                    eos.push(e);
                }
            }
        }
        let unk = id("tokenizer.ggml.unknown_token_id")?;

        // Defaults follow llama.cpp: SentencePiece vocabularies add BOS and the dummy prefix,
        // byte-level ones add neither unless the file says so.
        let add_bos = md
            .get_bool("tokenizer.ggml.add_bos_token")?
            .unwrap_or(model == GgufModel::Llama);
        if add_bos && bos.is_none() {
            return Err(bad(
                "tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is missing"
                    .into(),
            ));
        }
        let add_space_prefix = md
            .get_bool("tokenizer.ggml.add_space_prefix")?
            .unwrap_or(model == GgufModel::Llama);

        Ok(GgufVocab {
            model,
            pre: md.get_str("tokenizer.ggml.pre")?.map(str::to_string),
            tokens,
            scores,
            types,
            merges,
            bos,
            eos,
            unk,
            add_bos,
            add_space_prefix,
            chat_template: md.get_str("tokenizer.chat_template")?.map(str::to_string),
        })
    }
}

fn bad(msg: String) -> TextError {
    TextError::BadGgufTokenizer(msg)
}

fn same_len(key: &str, len: usize, n_tokens: usize) -> Result<()> {
    if len == n_tokens {
        Ok(())
    } else {
        Err(bad(format!(
            "{key} has {len} entries but {TOKENS} has {n_tokens}"
        )))
    }
}
