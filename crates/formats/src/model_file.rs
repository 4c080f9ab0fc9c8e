//! One view of a model checkpoint whatever its format: the [`ModelConfig`] plus a table of
//! tensors under GGUF names, each readable as raw bytes (still quantized) or as f32.
//!
//! HF safetensors store Q/K rows permuted for `rotate_half` RoPE; we un-permute them at read time
//! (as llama.cpp's converter does) so the engine knows one convention: RoPE on adjacent pairs.

use crate::byte_source::ByteSource;
use crate::config::ModelConfig;
use crate::error::{FormatError, Result};
use crate::gguf::GgufFile;
use crate::quant;
use crate::safetensors::SafetensorsEntry;
use crate::tensor_type::TensorType;
use std::collections::{HashMap, HashSet};

/// Where a checkpoint came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelFormat {
    Gguf,
    /// HF `config.json` + safetensors (Q/K in rotate_half order).
    HfSafetensors,
    /// Mistral `params.json` + `consolidated.safetensors` (Q/K already in adjacent-pair order).
    MistralSafetensors,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelTensor {
    /// GGUF name, e.g. `blk.3.attn_q.weight`.
    pub name: String,
    /// Innermost first (GGUF order): a matrix with `rows` outputs over `cols` inputs is
    /// `[cols, rows]`.
    pub dims: Vec<u64>,
    pub ty: TensorType,
    /// Index of the byte source (shard) holding it.
    pub shard: usize,
    pub offset: u64,
    pub n_bytes: u64,
    /// `Some(n_heads)` when rows must be un-permuted from HF rotate_half order.
    pub unpermute_heads: Option<usize>,
}

impl ModelTensor {
    /// Saturates rather than truncating where usize is 32 bits (such a tensor cannot be
    /// loaded there anyway; a truncated count would be silently wrong).
    pub fn rows(&self) -> usize {
        crate::config::to_usize(self.dims.iter().skip(1).product::<u64>())
    }

    pub fn cols(&self) -> usize {
        crate::config::to_usize(self.dims[0])
    }
}

pub type SharedSource = Box<dyn ByteSource + Send + Sync>;

pub struct ModelFile {
    pub format: ModelFormat,
    pub config: ModelConfig,
    /// In file order. Read-only in practice: `index` maps names into it.
    pub tensors: Vec<ModelTensor>,
    /// Name -> position in `tensors`, so look-ups by name are O(1) (a scan per expected tensor
    /// made checking a file of 100k tensors quadratic).
    index: HashMap<String, usize>,
    /// The GGUF header when the model is a GGUF (tokenizer and chat template live there).
    pub gguf: Option<GgufFile>,
    sources: Vec<SharedSource>,
}

impl ModelFile {
    /// A GGUF model from any byte source.
    pub fn from_gguf(source: SharedSource) -> Result<Self> {
        let gguf = GgufFile::read(source.as_ref())?;
        let tensors: Vec<ModelTensor> = gguf
            .tensors
            .iter()
            .map(|t| ModelTensor {
                name: t.name.clone(),
                dims: t.dims.clone(),
                ty: t.ty,
                shard: 0,
                offset: t.offset,
                n_bytes: t.n_bytes,
                unpermute_heads: None,
            })
            .collect();
        let vocab = tensors
            .iter()
            .find(|t| t.name == "token_embd.weight")
            .map(|t| t.rows())
            .ok_or_else(|| FormatError::MissingTensor("token_embd.weight".into()))?;
        let has_output = tensors.iter().any(|t| t.name == "output.weight");
        let config = ModelConfig::from_gguf(&gguf.metadata, vocab, has_output)?;
        Self::checked(ModelFormat::Gguf, config, tensors, Some(gguf), vec![source])
    }

    /// A safetensors checkpoint: one source per shard, with their parsed headers.
    pub fn from_safetensors(
        format: ModelFormat,
        config: ModelConfig,
        shards: Vec<(SharedSource, Vec<SafetensorsEntry>)>,
    ) -> Result<Self> {
        let mut tensors = Vec::new();
        let mut seen = HashSet::new();
        let mut sources = Vec::new();
        for (shard, (source, entries)) in shards.into_iter().enumerate() {
            for e in entries {
                let Some(name) = gguf_name(format, &e.name) else {
                    continue; // rotary caches and the like: not weights we use
                };
                let unpermute_heads = match (format, name.as_str()) {
                    (ModelFormat::HfSafetensors, n) if n.ends_with("attn_q.weight") => {
                        Some(config.n_heads)
                    }
                    (ModelFormat::HfSafetensors, n) if n.ends_with("attn_k.weight") => {
                        Some(config.n_kv_heads)
                    }
                    _ => None,
                };
                if !seen.insert(name.clone()) {
                    return Err(FormatError::Duplicate {
                        what: "tensor",
                        name,
                    });
                }
                tensors.push(ModelTensor {
                    name,
                    dims: e.dims.iter().rev().copied().collect(),
                    ty: e.ty,
                    shard,
                    offset: e.offset,
                    n_bytes: e.n_bytes,
                    unpermute_heads,
                });
            }
            sources.push(source);
        }
        let mut config = config;
        config.tied_embeddings = !seen.contains("output.weight");
        Self::checked(format, config, tensors, None, sources)
    }

    fn checked(
        format: ModelFormat,
        config: ModelConfig,
        tensors: Vec<ModelTensor>,
        gguf: Option<GgufFile>,
        sources: Vec<SharedSource>,
    ) -> Result<Self> {
        // Cheap checks first: a layer count must be within its bound and backed by as many
        // tensors as it needs before a name is built per expected tensor.
        config.validate()?;
        let needed = expected_tensor_count(&config);
        if (tensors.len() as u64) < needed {
            // Bounded by validate (at most 9 * 1024 + 3 names): say which one is missing.
            let present: HashSet<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
            let missing = expected_shapes(&config)
                .into_iter()
                .map(|(name, _)| name)
                .find(|name| !present.contains(name.as_str()))
                .unwrap_or_default();
            return Err(FormatError::BadConfig(format!(
                "missing tensor {missing:?}: n_layers = {} needs {needed} tensors \
                 ({TENSORS_PER_LAYER} per layer), but the file has {}",
                config.n_layers,
                tensors.len()
            )));
        }
        let mut index = HashMap::with_capacity(tensors.len());
        for (i, t) in tensors.iter().enumerate() {
            if index.insert(t.name.clone(), i).is_some() {
                return Err(FormatError::Duplicate {
                    what: "tensor",
                    name: t.name.clone(),
                });
            }
        }
        let model = ModelFile {
            format,
            config,
            tensors,
            index,
            gguf,
            sources,
        };
        for (name, dims) in expected_shapes(&model.config) {
            let t = model.require(&name)?;
            if t.dims != dims {
                return Err(FormatError::BadTensor {
                    tensor: name,
                    reason: format!(
                        "shape {:?} does not match the configuration, which needs {dims:?}",
                        t.dims
                    ),
                });
            }
        }
        Ok(model)
    }

    pub fn tensor(&self, name: &str) -> Option<&ModelTensor> {
        self.index.get(name).map(|&i| &self.tensors[i])
    }

    /// Tensors present in the file that the forward pass does not read (in file order), for
    /// `info` to report: extra weights mean the file is not quite the architecture we run.
    pub fn unused_tensors(&self) -> Vec<&ModelTensor> {
        let used: HashSet<String> = expected_shapes(&self.config)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        self.tensors
            .iter()
            .filter(|t| !used.contains(&t.name))
            .collect()
    }

    pub fn require(&self, name: &str) -> Result<&ModelTensor> {
        self.tensor(name)
            .ok_or_else(|| FormatError::MissingTensor(name.to_string()))
    }

    /// The byte source of shard `i` (the GPU uploader streams ranges from it).
    pub fn source(&self, shard: usize) -> &dyn ByteSource {
        self.sources[shard].as_ref()
    }

    /// A tensor's bytes in its stored type, rows in adjacent-pair RoPE order.
    pub fn read_raw(&self, t: &ModelTensor) -> Result<Vec<u8>> {
        let bytes = self.sources[t.shard].read_vec(t.offset, t.n_bytes)?;
        Ok(match t.unpermute_heads {
            Some(n_heads) => unpermute_rows(&bytes, t.rows(), n_heads),
            None => bytes,
        })
    }

    /// A tensor dequantized to f32, in GGUF layout (row-major, `rows() x cols()`).
    pub fn read_f32(&self, name: &str) -> Result<Vec<f32>> {
        let t = self.require(name)?;
        quant::dequantize_to_vec(t.ty, &self.read_raw(t)?)
    }

    /// Bytes of all tensors (what the GPU will hold for weights).
    pub fn weight_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.n_bytes).sum()
    }
}

/// Tensors per transformer block (attention: norm, q, k, v, output; FFN: norm, gate, up, down).
pub const TENSORS_PER_LAYER: u64 = 9;

/// How many tensors [`expected_shapes`] lists, computed without building them.
pub fn expected_tensor_count(c: &ModelConfig) -> u64 {
    let top = if c.tied_embeddings { 2 } else { 3 };
    (c.n_layers as u64)
        .saturating_mul(TENSORS_PER_LAYER)
        .saturating_add(top)
}

/// Every tensor the forward pass reads, with its GGUF shape. Call on a validated config (the
/// list has [`expected_tensor_count`] entries).
pub fn expected_shapes(c: &ModelConfig) -> Vec<(String, Vec<u64>)> {
    let (d, q, kv, f, v) = (
        c.dim as u64,
        c.q_dim() as u64,
        c.kv_dim() as u64,
        c.ffn_dim as u64,
        c.vocab_size as u64,
    );
    let mut out = vec![
        ("token_embd.weight".to_string(), vec![d, v]),
        ("output_norm.weight".to_string(), vec![d]),
    ];
    if !c.tied_embeddings {
        out.push(("output.weight".to_string(), vec![d, v]));
    }
    for l in 0..c.n_layers {
        for (n, dims) in [
            ("attn_norm", vec![d]),
            ("attn_q", vec![d, q]),
            ("attn_k", vec![d, kv]),
            ("attn_v", vec![d, kv]),
            ("attn_output", vec![q, d]),
            ("ffn_norm", vec![d]),
            ("ffn_gate", vec![d, f]),
            ("ffn_up", vec![d, f]),
            ("ffn_down", vec![f, d]),
        ] {
            out.push((format!("blk.{l}.{n}.weight"), dims));
        }
    }
    out
}

/// Undoes HF's rotate_half row order within each head: GGUF row `h*hd + 2i + j` is HF row
/// `h*hd + j*hd/2 + i` (llama.cpp `LlamaModel.permute`). Works on bytes of any row type.
fn unpermute_rows(bytes: &[u8], rows: usize, n_heads: usize) -> Vec<u8> {
    let row_bytes = bytes.len() / rows;
    let hd = rows / n_heads;
    let mut out = vec![0u8; bytes.len()];
    for h in 0..n_heads {
        for i in 0..hd / 2 {
            for j in 0..2 {
                let dst = h * hd + 2 * i + j;
                let src = h * hd + j * (hd / 2) + i;
                out[dst * row_bytes..(dst + 1) * row_bytes]
                    .copy_from_slice(&bytes[src * row_bytes..(src + 1) * row_bytes]);
            }
        }
    }
    out
}

/// Maps HF (`model.layers.N.self_attn.q_proj.weight`) and Mistral native
/// (`layers.N.attention.wq.weight`) names to GGUF names; None for tensors we do not use.
fn gguf_name(format: ModelFormat, name: &str) -> Option<String> {
    type Renames = &'static [(&'static str, &'static str)];
    let (hf_top, native_top, layer_parts): (Renames, Renames, Renames) = (
        &[
            ("model.embed_tokens.weight", "token_embd.weight"),
            ("model.norm.weight", "output_norm.weight"),
            ("lm_head.weight", "output.weight"),
        ],
        &[
            ("tok_embeddings.weight", "token_embd.weight"),
            ("norm.weight", "output_norm.weight"),
            ("output.weight", "output.weight"),
        ],
        match format {
            ModelFormat::MistralSafetensors => &[
                ("attention.wq", "attn_q"),
                ("attention.wk", "attn_k"),
                ("attention.wv", "attn_v"),
                ("attention.wo", "attn_output"),
                ("attention_norm", "attn_norm"),
                ("ffn_norm", "ffn_norm"),
                ("feed_forward.w1", "ffn_gate"),
                ("feed_forward.w3", "ffn_up"),
                ("feed_forward.w2", "ffn_down"),
            ],
            _ => &[
                ("self_attn.q_proj", "attn_q"),
                ("self_attn.k_proj", "attn_k"),
                ("self_attn.v_proj", "attn_v"),
                ("self_attn.o_proj", "attn_output"),
                ("input_layernorm", "attn_norm"),
                ("post_attention_layernorm", "ffn_norm"),
                ("mlp.gate_proj", "ffn_gate"),
                ("mlp.up_proj", "ffn_up"),
                ("mlp.down_proj", "ffn_down"),
            ],
        },
    );
    let top = match format {
        ModelFormat::MistralSafetensors => native_top,
        _ => hf_top,
    };
    if let Some((_, g)) = top.iter().find(|(n, _)| *n == name) {
        return Some(g.to_string());
    }
    let prefix = match format {
        ModelFormat::MistralSafetensors => "layers.",
        _ => "model.layers.",
    };
    let rest = name.strip_prefix(prefix)?;
    let (layer, part) = rest.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    let part = part.strip_suffix(".weight")?;
    let (_, g) = layer_parts.iter().find(|(n, _)| *n == part)?;
    Some(format!("blk.{layer}.{g}.weight"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_from_both_checkpoint_styles() {
        let hf = ModelFormat::HfSafetensors;
        let native = ModelFormat::MistralSafetensors;
        assert_eq!(
            gguf_name(hf, "model.layers.12.mlp.down_proj.weight").as_deref(),
            Some("blk.12.ffn_down.weight")
        );
        assert_eq!(
            gguf_name(native, "layers.3.feed_forward.w3.weight").as_deref(),
            Some("blk.3.ffn_up.weight")
        );
        assert_eq!(
            gguf_name(hf, "lm_head.weight").as_deref(),
            Some("output.weight")
        );
        assert_eq!(
            gguf_name(hf, "model.layers.0.self_attn.rotary_emb.inv_freq"),
            None
        );
    }

    #[test]
    fn unpermute_pairs_halves_into_adjacent_rows() {
        // One head of 4 rows, 1 byte each: HF order [x0, x1, y0, y1] -> GGUF [x0, y0, x1, y1].
        assert_eq!(unpermute_rows(&[0, 1, 2, 3], 4, 1), vec![0, 2, 1, 3]);
        assert_eq!(
            unpermute_rows(&[0, 1, 2, 3, 4, 5, 6, 7], 8, 2),
            vec![0, 2, 1, 3, 4, 6, 5, 7]
        );
    }
}
