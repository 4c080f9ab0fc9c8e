//! Converts any loaded model into a GGUF of another type (the `quantize` command), choosing a
//! type per tensor the way llama.cpp's presets do.

use crate::config::ModelConfig;
use crate::error::{FormatError, Result};
use crate::gguf::{Metadata, MetadataValue, StreamingWriter, TensorSpec};
use crate::model_file::ModelFile;
use crate::quant;
use crate::tensor_type::TensorType;

/// What the user asked for: one type for every matrix, or a mixed preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantTarget {
    Uniform(TensorType),
    /// llama.cpp's Q4_K_M: Q4_K, with Q6_K for `output` and for `attn_v` / `ffn_down` in the
    /// layers `use_more_bits` picks (first and last eighth, and every third in between).
    Q4KM,
}

impl QuantTarget {
    pub fn parse(name: &str) -> Result<Self> {
        if name.eq_ignore_ascii_case("q4_k_m") {
            return Ok(QuantTarget::Q4KM);
        }
        TensorType::from_name(name)
            .map(QuantTarget::Uniform)
            .ok_or_else(|| FormatError::UnknownQuantType(name.to_string()))
    }

    /// llama.cpp's `general.file_type` (LLAMA_FTYPE_*) value for this target.
    fn file_type(self) -> u32 {
        match self {
            QuantTarget::Q4KM => 15,
            QuantTarget::Uniform(t) => match t {
                TensorType::F32 => 0,
                TensorType::F16 => 1,
                TensorType::Q4_0 => 2,
                TensorType::Q4_1 => 3,
                TensorType::Q8_0 => 7,
                TensorType::Q4K => 15,
                TensorType::Q6K => 18,
                TensorType::BF16 => 32,
            },
        }
    }
}

fn use_more_bits(layer: usize, n_layers: usize) -> bool {
    layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2
}

/// The type a tensor gets under `target`. Vectors (norms) stay F32; matrices whose rows do not
/// fit the chosen block size fall back to Q8_0, then F16.
pub fn tensor_type_for(
    target: QuantTarget,
    name: &str,
    dims: &[u64],
    n_layers: usize,
) -> TensorType {
    if dims.len() < 2 {
        return TensorType::F32;
    }
    let wanted = match target {
        QuantTarget::Uniform(t) => t,
        QuantTarget::Q4KM => {
            let layer = name
                .strip_prefix("blk.")
                .and_then(|r| r.split('.').next())
                .and_then(|l| l.parse::<usize>().ok());
            let more_bits_layer = layer.is_some_and(|l| use_more_bits(l, n_layers));
            if name == "output.weight"
                || (more_bits_layer
                    && (name.ends_with("attn_v.weight") || name.ends_with("ffn_down.weight")))
            {
                TensorType::Q6K
            } else {
                TensorType::Q4K
            }
        }
    };
    [wanted, TensorType::Q8_0, TensorType::F16]
        .into_iter()
        .find(|t| dims[0].is_multiple_of(t.block_elems() as u64))
        .unwrap_or(TensorType::F32)
}

/// Re-encodes every tensor of `model` into `target`'s types and streams a GGUF to `out`, one
/// tensor at a time (memory: one tensor in f32 plus its encoding, not the model). The metadata
/// is the source GGUF's, or for a safetensors checkpoint the configuration's plus `extra`
/// (e.g. the tokenizer's keys). Tensors already of the wanted type are copied as they are.
pub fn requantize_to<W: std::io::Write>(
    model: &ModelFile,
    target: QuantTarget,
    extra: &[(String, MetadataValue)],
    out: W,
    mut progress: impl FnMut(usize, usize),
) -> Result<W> {
    let mut metadata = match &model.gguf {
        Some(g) => g.metadata.clone(),
        None => metadata_from_config(&model.config),
    };
    for (key, value) in extra {
        metadata.set(key, value.clone());
    }
    metadata.set("general.file_type", MetadataValue::U32(target.file_type()));
    metadata.set("general.quantization_version", MetadataValue::U32(2));
    let specs: Vec<TensorSpec> = model
        .tensors
        .iter()
        .map(|t| TensorSpec {
            name: t.name.clone(),
            dims: t.dims.clone(),
            ty: tensor_type_for(target, &t.name, &t.dims, model.config.n_layers),
        })
        .collect();
    let mut stream = StreamingWriter::begin(out, &metadata, specs.clone())?;
    let total = model.tensors.len();
    for (i, (t, spec)) in model.tensors.iter().zip(&specs).enumerate() {
        let data = if spec.ty == t.ty {
            model.read_raw(t)?
        } else {
            quant::quantize(spec.ty, &model.read_f32(&t.name)?)?
        };
        stream.write_tensor(&t.name, &data)?;
        progress(i + 1, total);
    }
    stream.finish()
}

pub fn metadata_from_config(c: &ModelConfig) -> Metadata {
    let mut m = Metadata::default();
    let s = |v: &str| MetadataValue::String(v.to_string());
    let u = |v: usize| MetadataValue::U32(v as u32);
    m.set("general.architecture", s("llama"));
    if let Some(name) = &c.name {
        m.set("general.name", s(name));
    }
    m.set("llama.context_length", u(c.context_length));
    m.set("llama.embedding_length", u(c.dim));
    m.set("llama.block_count", u(c.n_layers));
    m.set("llama.feed_forward_length", u(c.ffn_dim));
    m.set("llama.attention.head_count", u(c.n_heads));
    m.set("llama.attention.head_count_kv", u(c.n_kv_heads));
    m.set("llama.attention.key_length", u(c.head_dim));
    m.set("llama.attention.value_length", u(c.head_dim));
    m.set("llama.rope.dimension_count", u(c.head_dim));
    m.set("llama.rope.freq_base", MetadataValue::F32(c.rope_theta));
    m.set(
        "llama.attention.layer_norm_rms_epsilon",
        MetadataValue::F32(c.norm_eps),
    );
    m.set("llama.vocab_size", u(c.vocab_size));
    if let Some(w) = c.sliding_window {
        m.set("llama.attention.sliding_window", u(w));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_k_m_layer_choice_matches_llama_cpp_on_two_layers() {
        // llama.cpp gave the shared fixture Q6_K for output, blk.1.attn_v and blk.1.ffn_down.
        let t = |n: &str| tensor_type_for(QuantTarget::Q4KM, n, &[256, 256], 2);
        assert_eq!(t("output.weight"), TensorType::Q6K);
        assert_eq!(t("blk.1.attn_v.weight"), TensorType::Q6K);
        assert_eq!(t("blk.1.ffn_down.weight"), TensorType::Q6K);
        assert_eq!(t("blk.0.attn_v.weight"), TensorType::Q4K);
        assert_eq!(t("blk.0.ffn_down.weight"), TensorType::Q4K);
        assert_eq!(t("token_embd.weight"), TensorType::Q4K);
        assert_eq!(
            tensor_type_for(QuantTarget::Q4KM, "blk.0.attn_norm.weight", &[256], 2),
            TensorType::F32
        );
        assert_eq!(
            tensor_type_for(QuantTarget::Uniform(TensorType::Q4K), "x", &[576, 10], 2),
            TensorType::Q8_0
        );
    }
}
