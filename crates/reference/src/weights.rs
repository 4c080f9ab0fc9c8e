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
        Self::load_with_progress(model, |_, _| {})
    }

    /// `load`, calling `on_tensor(done, total)` after each tensor is dequantized: a 7B model
    /// takes a while (and 28 GB of f32), so the CLI shows a bar as the GPU upload does.
    pub fn load_with_progress(
        model: &ModelFile,
        mut on_tensor: impl FnMut(usize, usize),
    ) -> Result<Self, FormatError> {
        let c = &model.config;
        let total = 9 * c.n_layers + 2 + usize::from(!c.tied_embeddings);
        let mut done = 0;
        let mut read = |name: &str| {
            let t = model.read_f32(name)?;
            done += 1;
            on_tensor(done, total);
            Ok::<_, FormatError>(t)
        };
        let token_embd = read("token_embd.weight")?;
        let layers = (0..c.n_layers)
            .map(|l| {
                let mut t = |n: &str| read(&format!("blk.{l}.{n}.weight"));
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
        let output_norm = read("output_norm.weight")?;
        let output = if c.tied_embeddings {
            None
        } else {
            Some(read("output.weight")?)
        };
        Ok(ReferenceWeights {
            config: c.clone(),
            token_embd,
            layers,
            output_norm,
            output,
        })
    }

    pub fn output_head(&self) -> &[f32] {
        self.output.as_deref().unwrap_or(&self.token_embd)
    }
}
