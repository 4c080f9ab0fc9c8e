//! One error type for the text side. Every failure (bad file, inconsistent GGUF metadata, an id
//! outside the vocabulary, a template that raises) is a value whose message names the problem.

use mistral_formats::FormatError;

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("invalid tokenizer.json: {0}")]
    TokenizerJson(String),
    #[error("invalid tokenizer_config.json: {0}")]
    TokenizerConfig(String),
    #[error("the GGUF file has no tokenizer (metadata key {0:?} is missing); use a tokenizer.json instead")]
    NoGgufTokenizer(&'static str),
    #[error("unsupported tokenizer.ggml.model {0:?}; supported: \"llama\" (SentencePiece) and \"gpt2\" (byte-level BPE)")]
    UnknownModel(String),
    #[error("unsupported tokenizer.ggml.pre {pre:?}; supported: {supported}")]
    UnknownPreTokenizer { pre: String, supported: String },
    #[error("inconsistent GGUF tokenizer metadata: {0}")]
    BadGgufTokenizer(String),
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    #[error("token id {id} is outside the vocabulary ({vocab_size} tokens)")]
    IdOutOfRange { id: u32, vocab_size: usize },
    #[error("chat template: {0}")]
    Template(String),
    #[error("the tokenizer has {tokenizer} tokens but the model's embedding has {rows} rows: this tokenizer belongs to another model")]
    VocabularyMismatch { tokenizer: usize, rows: usize },
}

pub type Result<T, E = TextError> = std::result::Result<T, E>;

/// The tokenizers crate returns boxed `dyn Error`s; keep their message.
pub(crate) fn tok_err(e: impl std::fmt::Display) -> TextError {
    TextError::Tokenizer(e.to_string())
}
