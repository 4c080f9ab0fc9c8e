//! What a `tokenizer.json` (and optionally its `tokenizer_config.json`) says beyond the
//! tokenization itself: which token is BOS and whether it is added, which ids end generation,
//! the chat template, and what family of tokenizer it is.
//!
//! tokenizer.json only implies BOS (through its post-processor template) and never names EOS;
//! tokenizer_config.json names both, so it wins where given.

use crate::error::{Result, TextError};
use crate::tokenizer::TokenizerKind;
use serde_json::Value;
use tokenizers::Tokenizer as HfTokenizer;

/// End-of-sequence / end-of-turn tokens of common model families, used as EOS when no
/// tokenizer_config.json says otherwise.
const KNOWN_EOS: &[&str] = &[
    "</s>",
    "<|im_end|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<|endoftext|>",
    "<end_of_turn>",
];

pub(crate) struct JsonInfo {
    pub kind: TokenizerKind,
    pub bos: Option<u32>,
    pub add_bos: bool,
    pub eos: Vec<u32>,
    pub chat_template: Option<String>,
}

pub(crate) fn inspect(json: &Value, config: Option<&Value>, hf: &HfTokenizer) -> Result<JsonInfo> {
    let kind = kind_of(json);
    // The post-processor's template: a leading special token is BOS, added on encode.
    let template_bos = find_template(&json["post_processor"])
        .and_then(|t| {
            t["single"]
                .as_array()?
                .first()?
                .get("SpecialToken")?
                .get("id")?
                .as_str()
        })
        .and_then(|name| hf.token_to_id(name));

    let mut info = JsonInfo {
        kind,
        bos: template_bos,
        add_bos: template_bos.is_some(),
        eos: KNOWN_EOS.iter().filter_map(|t| hf.token_to_id(t)).collect(),
        chat_template: None,
    };
    let Some(config) = config else {
        return Ok(info);
    };

    let token = |key: &str| -> Result<Option<u32>> {
        let name = match &config[key] {
            Value::Null => return Ok(None),
            Value::String(s) => s.as_str(),
            // AddedToken serialised as an object: {"content": "<s>", ...}
            Value::Object(o) => o.get("content").and_then(Value::as_str).ok_or_else(|| {
                TextError::TokenizerConfig(format!("{key} object has no \"content\""))
            })?,
            other => {
                return Err(TextError::TokenizerConfig(format!(
                    "{key} should be a string, found {other}"
                )))
            }
        };
        hf.token_to_id(name).map(Some).ok_or_else(|| {
            TextError::TokenizerConfig(format!("{key} {name:?} is not in the vocabulary"))
        })
    };
    if let Some(bos) = token("bos_token")? {
        info.bos = Some(bos);
    }
    if let Some(eos) = token("eos_token")? {
        info.eos = vec![eos];
    }
    if let Some(add) = config.get("add_bos_token").and_then(Value::as_bool) {
        info.add_bos = add && info.bos.is_some();
    }
    info.chat_template = match &config["chat_template"] {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        // Several named templates: [{"name": "default", "template": "..."}, ...]
        Value::Array(list) => list
            .iter()
            .find(|t| t["name"] == "default")
            .or(list.first())
            .and_then(|t| t["template"].as_str())
            .map(str::to_string),
        other => {
            return Err(TextError::TokenizerConfig(format!(
                "chat_template should be a string or a list, found {other}"
            )))
        }
    };
    Ok(info)
}

/// The TemplateProcessing post-processor, directly or inside a Sequence (Llama 3 style).
fn find_template(pp: &Value) -> Option<&Value> {
    match pp["type"].as_str()? {
        "TemplateProcessing" => Some(pp),
        "Sequence" => pp["processors"].as_array()?.iter().find_map(find_template),
        _ => None,
    }
}

/// Byte-level if any component maps bytes (GPT-2 style); SentencePiece if it falls back to
/// `<0xNN>` pieces or uses "▁" for spaces.
fn kind_of(json: &Value) -> TokenizerKind {
    let mentions = |ty: &str| {
        ["decoder", "pre_tokenizer", "normalizer"]
            .iter()
            .any(|k| has_type(&json[*k], ty))
    };
    if mentions("ByteLevel") {
        TokenizerKind::ByteLevelBpe
    } else if json["model"]["byte_fallback"] == true
        || mentions("ByteFallback")
        || mentions("Metaspace")
        || ["normalizer", "decoder"]
            .iter()
            .any(|k| json[*k].to_string().contains('\u{2581}'))
    {
        TokenizerKind::SentencePiece
    } else {
        TokenizerKind::Other
    }
}

fn has_type(v: &Value, ty: &str) -> bool {
    match v {
        Value::Object(o) => {
            o.get("type").and_then(Value::as_str) == Some(ty) || o.values().any(|c| has_type(c, ty))
        }
        Value::Array(a) => a.iter().any(|c| has_type(c, ty)),
        _ => false,
    }
}
