//! The model configuration every loader produces, from GGUF metadata, HF `config.json` or
//! Mistral `params.json`, so the rest of the engine never looks at a file format.

use crate::error::{FormatError, Result};
use crate::gguf::Metadata;

/// Where the sliding window came from; `info` reports it because files disagree on this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowSource {
    /// The file says (GGUF `<arch>.attention.sliding_window`, config.json, params.json).
    File,
    /// The file carries no window but its shape is Mistral-7B-v0.1's, which was trained with
    /// W = 4096 (converters commonly drop the key; see REFERENCE.md).
    InferredMistral7Bv01,
    /// The user chose it.
    UserOverride,
    /// No window: full causal attention over the context.
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// `llama` or `mistral` (same tensor graph).
    pub architecture: String,
    pub name: Option<String>,
    pub dim: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
    pub ffn_dim: usize,
    pub vocab_size: usize,
    pub norm_eps: f32,
    pub rope_theta: f32,
    /// Trained context length (the file's claim; the KV ring may be shorter).
    pub context_length: usize,
    pub sliding_window: Option<usize>,
    pub window_source: WindowSource,
    /// True when there is no `output` tensor and the head reuses `token_embd`.
    pub tied_embeddings: bool,
}

pub const MISTRAL_7B_V01_WINDOW: usize = 4096;
/// Used when a file states no context length at all.
const FALLBACK_CONTEXT: usize = 4096;

impl ModelConfig {
    /// Saturates instead of wrapping on an unvalidated config; [`ModelConfig::validate`]
    /// bounds the factors so that a validated one never comes near (also with 32-bit usize).
    pub fn q_dim(&self) -> usize {
        self.n_heads.saturating_mul(self.head_dim)
    }

    pub fn kv_dim(&self) -> usize {
        self.n_kv_heads.saturating_mul(self.head_dim)
    }

    /// Mistral-7B-v0.1's shape: the only model whose window we infer when the file omits it.
    pub fn looks_like_mistral_7b_v01(&self) -> bool {
        self.dim == 4096
            && self.n_layers == 32
            && self.n_heads == 32
            && self.n_kv_heads == 8
            && self.ffn_dim == 14336
            && self.vocab_size == 32000
            && self.rope_theta == 10000.0
    }

    /// Applies the v0.1 inference when no window was stated.
    fn infer_window(mut self) -> Self {
        if self.sliding_window.is_none() && self.looks_like_mistral_7b_v01() {
            self.sliding_window = Some(MISTRAL_7B_V01_WINDOW);
            self.window_source = WindowSource::InferredMistral7Bv01;
        }
        self
    }

    /// A user's window choice: `Some(w)` sets it, `None` removes it.
    pub fn with_window_override(mut self, window: Option<usize>) -> Self {
        self.sliding_window = window;
        self.window_source = match window {
            Some(_) => WindowSource::UserOverride,
            None => WindowSource::None,
        };
        self
    }

    /// From GGUF metadata (`<arch>.*` keys). `has_output_tensor` decides tied embeddings.
    pub fn from_gguf(
        meta: &Metadata,
        vocab_from_embedding: usize,
        has_output_tensor: bool,
    ) -> Result<Self> {
        let arch = meta.require_str("general.architecture")?.to_string();
        if arch != "llama" && arch != "mistral" {
            return Err(FormatError::BadConfig(format!(
                "architecture {arch:?} is not supported (llama and mistral are)"
            )));
        }
        let key = |k: &str| format!("{arch}.{k}");
        let req = |k: &str| -> Result<usize> { Ok(to_usize(meta.require_u64(&key(k))?)) };
        let dim = req("embedding_length")?;
        let n_heads = req("attention.head_count")?;
        let n_kv_heads = meta
            .get_u64(&key("attention.head_count_kv"))?
            .map(to_usize)
            .unwrap_or(n_heads);
        let head_dim = match meta.get_u64(&key("attention.key_length"))? {
            Some(v) => to_usize(v),
            None if n_heads > 0 => dim / n_heads,
            None => 0,
        };
        if let Some(rope_dim) = meta.get_u64(&key("rope.dimension_count"))? {
            if to_usize(rope_dim) != head_dim {
                return Err(FormatError::BadConfig(format!(
                    "partial rotary embeddings (rope.dimension_count {rope_dim} < head_dim {head_dim}) are not supported"
                )));
            }
        }
        let window = meta
            .get_u64(&key("attention.sliding_window"))?
            .map(to_usize);
        let vocab_size = meta
            .get_u64(&key("vocab_size"))?
            .map(to_usize)
            .unwrap_or(vocab_from_embedding);
        let cfg = ModelConfig {
            architecture: arch.clone(),
            name: meta.get_str("general.name")?.map(str::to_string),
            dim,
            n_layers: req("block_count")?,
            n_heads,
            n_kv_heads,
            head_dim,
            ffn_dim: req("feed_forward_length")?,
            vocab_size,
            norm_eps: meta
                .get_f64(&key("attention.layer_norm_rms_epsilon"))?
                .unwrap_or(1e-5) as f32,
            rope_theta: meta.get_f64(&key("rope.freq_base"))?.unwrap_or(10000.0) as f32,
            context_length: meta
                .get_u64(&key("context_length"))?
                .map(to_usize)
                .unwrap_or(FALLBACK_CONTEXT),
            window_source: window_source(window),
            sliding_window: window,
            tied_embeddings: !has_output_tensor,
        }
        .infer_window();
        cfg.validate()?;
        Ok(cfg)
    }

    /// From a Hugging Face `config.json` (MistralForCausalLM / LlamaForCausalLM).
    pub fn from_hf_config_json(text: &str) -> Result<Self> {
        let v: serde_json::Value = parse_json(text, "config.json")?;
        let get = |k: &str| v.get(k).filter(|x| !x.is_null());
        let int = |k: &str| -> Result<usize> {
            get(k)
                .and_then(|x| x.as_u64())
                .map(to_usize)
                .ok_or_else(|| FormatError::MissingKey(format!("config.json: {k}")))
        };
        let model_type = get("model_type").and_then(|x| x.as_str()).unwrap_or("");
        if model_type != "mistral" && model_type != "llama" {
            return Err(FormatError::BadConfig(format!(
                "config.json model_type {model_type:?} is not supported (mistral and llama are)"
            )));
        }
        let dim = int("hidden_size")?;
        let n_heads = int("num_attention_heads")?;
        let head_dim = get("head_dim")
            .and_then(|x| x.as_u64())
            .map(to_usize)
            .unwrap_or(dim / n_heads.max(1));
        // transformers >= 4.5x moved rope_theta into rope_parameters.
        let rope_theta = get("rope_theta")
            .or_else(|| v.get("rope_parameters").and_then(|r| r.get("rope_theta")))
            .and_then(|x| x.as_f64())
            .unwrap_or(10000.0) as f32;
        let window = get("sliding_window").and_then(|x| x.as_u64()).map(to_usize);
        let cfg = ModelConfig {
            architecture: model_type.to_string(),
            name: get("_name_or_path")
                .and_then(|x| x.as_str())
                .map(str::to_string),
            dim,
            n_layers: int("num_hidden_layers")?,
            n_heads,
            n_kv_heads: get("num_key_value_heads")
                .and_then(|x| x.as_u64())
                .map(to_usize)
                .unwrap_or(n_heads),
            head_dim,
            ffn_dim: int("intermediate_size")?,
            vocab_size: int("vocab_size")?,
            norm_eps: get("rms_norm_eps").and_then(|x| x.as_f64()).unwrap_or(1e-5) as f32,
            rope_theta,
            context_length: get("max_position_embeddings")
                .and_then(|x| x.as_u64())
                .map(to_usize)
                .unwrap_or(FALLBACK_CONTEXT),
            window_source: window_source(window),
            sliding_window: window,
            tied_embeddings: get("tie_word_embeddings")
                .and_then(|x| x.as_bool())
                .unwrap_or(false),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// From Mistral's native `params.json`. It omits rope_theta for v0.1, whose value is
    /// 10000 (mistral-inference's default of 1e6 is wrong for v0.1; REFERENCE.md).
    pub fn from_mistral_params_json(text: &str) -> Result<Self> {
        let v: serde_json::Value = parse_json(text, "params.json")?;
        let int = |k: &str| -> Result<usize> {
            v.get(k)
                .and_then(|x| x.as_u64())
                .map(to_usize)
                .ok_or_else(|| FormatError::MissingKey(format!("params.json: {k}")))
        };
        let window = v
            .get("sliding_window")
            .and_then(|x| x.as_u64())
            .map(to_usize);
        let dim = int("dim")?;
        let n_heads = int("n_heads")?;
        let cfg = ModelConfig {
            architecture: "mistral".into(),
            name: None,
            dim,
            n_layers: int("n_layers")?,
            n_heads,
            n_kv_heads: int("n_kv_heads")?,
            head_dim: v
                .get("head_dim")
                .and_then(|x| x.as_u64())
                .map(to_usize)
                .unwrap_or(dim / n_heads.max(1)),
            ffn_dim: int("hidden_dim")?,
            vocab_size: int("vocab_size")?,
            norm_eps: v.get("norm_eps").and_then(|x| x.as_f64()).unwrap_or(1e-5) as f32,
            rope_theta: v
                .get("rope_theta")
                .and_then(|x| x.as_f64())
                .unwrap_or(10000.0) as f32,
            context_length: v
                .get("max_seq_len")
                .and_then(|x| x.as_u64())
                .map(to_usize)
                .or(window)
                .unwrap_or(FALLBACK_CONTEXT),
            window_source: window_source(window),
            sliding_window: window,
            tied_embeddings: false,
        }
        .infer_window();
        cfg.validate()?;
        Ok(cfg)
    }
}

/// u64 to usize without wrapping: a value beyond usize (on wasm32, beyond 2^32) saturates, and
/// validation then refuses it by its field's bound instead of seeing a truncated small number.
pub(crate) fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

fn window_source(window: Option<usize>) -> WindowSource {
    if window.is_some() {
        WindowSource::File
    } else {
        WindowSource::None
    }
}

fn parse_json(text: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|source| FormatError::Json {
        what: what.to_string(),
        source,
    })
}
