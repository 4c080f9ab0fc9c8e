//! The model's weights on the GPU: matrices stay quantized ([`GpuTensor`]), norm vectors are
//! f32 buffers.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::tensor::GpuTensor;
use mistral_formats::ModelFile;

pub(crate) struct GpuLayer {
    pub attn_norm: wgpu::Buffer,
    pub wq: GpuTensor,
    pub wk: GpuTensor,
    pub wv: GpuTensor,
    pub wo: GpuTensor,
    pub ffn_norm: wgpu::Buffer,
    pub w_gate: GpuTensor,
    pub w_up: GpuTensor,
    pub w_down: GpuTensor,
}

pub(crate) struct GpuWeights {
    pub token_embd: GpuTensor,
    pub layers: Vec<GpuLayer>,
    pub output_norm: wgpu::Buffer,
    /// None when the head is tied to `token_embd`.
    pub output: Option<GpuTensor>,
}

impl GpuWeights {
    /// Uploads tensor by tensor; `progress(done, total)` after each.
    pub async fn upload(
        ctx: &GpuContext,
        model: &ModelFile,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Self> {
        let total = model.tensors.len();
        let mut done = 0;
        let mut tick = |done: &mut usize| {
            *done += 1;
            progress(*done, total);
        };
        let matrix = |name: String| async move {
            let t = model.require(&name)?;
            GpuTensor::from_model(ctx, model, t).await
        };
        let vector = |name: String| -> Result<wgpu::Buffer> {
            Ok(buffers::storage_from(ctx, &name, &model.read_f32(&name)?))
        };
        let token_embd = matrix("token_embd.weight".into()).await?;
        tick(&mut done);
        let mut layers = Vec::with_capacity(model.config.n_layers);
        for l in 0..model.config.n_layers {
            let n = |s: &str| format!("blk.{l}.{s}.weight");
            let layer = GpuLayer {
                attn_norm: vector(n("attn_norm"))?,
                wq: matrix(n("attn_q")).await?,
                wk: matrix(n("attn_k")).await?,
                wv: matrix(n("attn_v")).await?,
                wo: matrix(n("attn_output")).await?,
                ffn_norm: vector(n("ffn_norm"))?,
                w_gate: matrix(n("ffn_gate")).await?,
                w_up: matrix(n("ffn_up")).await?,
                w_down: matrix(n("ffn_down")).await?,
            };
            for _ in 0..9 {
                tick(&mut done);
            }
            layers.push(layer);
        }
        let output_norm = vector("output_norm.weight".into())?;
        tick(&mut done);
        let output = if model.config.tied_embeddings {
            None
        } else {
            let t = matrix("output.weight".into()).await?;
            tick(&mut done);
            Some(t)
        };
        Ok(GpuWeights {
            token_embd,
            layers,
            output_norm,
            output,
        })
    }

    pub fn output_head(&self) -> &GpuTensor {
        self.output.as_ref().unwrap_or(&self.token_embd)
    }
}
