//! Text side of the model: tokenizer, streaming detokenizer, chat template.
//!
//! - [`Tokenizer`]: text ↔ ids, loaded from a tokenizer.json ([`Tokenizer::from_json_file`]) or
//!   built from a GGUF vocabulary ([`Tokenizer::from_gguf`]): SentencePiece ("llama") and
//!   byte-level BPE ("gpt2"). Ids equal Hugging Face `tokenizers`.
//! - [`StreamDecoder`]: generated ids → text pieces, never splitting a character.
//! - [`ChatTemplate`]: a conversation → prompt text → ids, with the model's Jinja template or a
//!   built-in Mistral `[INST]` one.
//!
//! Everything here also builds for wasm32 (the tokenizers crate with pure-Rust regexes).

mod added_tokens;
mod byte_level;
mod chat;
mod error;
mod gguf_export;
mod gguf_vocab;
mod json_config;
mod special_text;
mod spm;
mod stop;
mod stream;
mod tokenizer;

pub use chat::{ChatTemplate, Message, TemplateLimits, MISTRAL_V1_TEMPLATE};
pub use error::{Result, TextError};
pub use gguf_export::gguf_tokenizer_metadata;
pub use stop::{StopMatcher, StopStep};
pub use stream::StreamDecoder;
pub use tokenizer::{Tokenizer, TokenizerKind};
