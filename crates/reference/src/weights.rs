//! All weights of a model dequantized to f32, in GGUF layout (row-major `rows x cols`).

use mistral_formats::{FormatError, ModelConfig, ModelFile};

pub struct LayerWeights {
    pub attn_norm: Vec<f32>,
    pub wq: Vec<f32>,
    pub wk: Vec<f32>,
    pub wv: Vec<f32>,
    pub wo: Vec<f32>,
    pub ffn_norm: Vec<f32>,
    pub w_gate: Vec<f32>,
    pub w_up: Vec<f32>,
    pub w_down: Vec<f32>,
}

pub struct ReferenceWeights {
    pub config: ModelConfig,
    pub token_embd: Vec<f32>,
    pub layers: Vec<LayerWeights>,
    pub output_norm: Vec<f32>,
    /// None when the head is tied to `token_embd`.
    pub output: Option<Vec<f32>>,
}

impl ReferenceWeights {
    pub fn load(model: &ModelFile) -> Result<Self, FormatError> {
        let layers = (0..model.config.n_layers)
            .map(|l| {
                let t = |n: &str| model.read_f32(&format!("blk.{l}.{n}.weight"));
                Ok(LayerWeights {
                    attn_norm: t("attn_norm")?,
                    wq: t("attn_q")?,
                    wk: t("attn_k")?,
                    wv: t("attn_v")?,
                    wo: t("attn_output")?,
                    ffn_norm: t("ffn_norm")?,
                    w_gate: t("ffn_gate")?,
                    w_up: t("ffn_up")?,
                    w_down: t("ffn_down")?,
                })
            })
            .collect::<Result<Vec<_>, FormatError>>()?;
        Ok(ReferenceWeights {
            config: model.config.clone(),
            token_embd: model.read_f32("token_embd.weight")?,
            layers,
            output_norm: model.read_f32("output_norm.weight")?,
            output: if model.config.tied_embeddings {
                None
            } else {
                Some(model.read_f32("output.weight")?)
            },
        })
    }

    pub fn output_head(&self) -> &[f32] {
        self.output.as_deref().unwrap_or(&self.token_embd)
    }
}
