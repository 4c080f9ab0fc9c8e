//! The model's weights on the GPU: matrices stay quantized ([`GpuTensor`]), norm vectors are
//! f32 buffers.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::tensor::GpuTensor;
use mistral_formats::{quant, ModelFile, ModelTensor};

/// Where the uploader gets tensor bytes. Natively that is the [`ModelFile`]'s (memory-mapped)
/// sources; in the browser it is an async reader over HTTP range requests or the cache, so that
/// only one tensor at a time is ever in wasm memory. Tensors are asked for in the upload order
/// (embedding, layer by layer, output norm, output).
#[allow(async_fn_in_trait)] // used generically, never as `dyn`, and on one thread in the browser
pub trait TensorSource {
    /// Uploads a matrix, keeping its stored (quantized) type.
    async fn matrix(&mut self, ctx: &GpuContext, t: &ModelTensor) -> Result<GpuTensor>;
    /// A vector (norm weights) as f32.
    async fn vector(&mut self, t: &ModelTensor) -> Result<Vec<f32>>;
}

impl TensorSource for &ModelFile {
    async fn matrix(&mut self, ctx: &GpuContext, t: &ModelTensor) -> Result<GpuTensor> {
        GpuTensor::from_model(ctx, self, t).await
    }

    async fn vector(&mut self, t: &ModelTensor) -> Result<Vec<f32>> {
        Ok(self.read_f32(&t.name)?)
    }
}

/// A source that hands over each tensor's stored bytes (GGUF only: no Q/K un-permutation),
/// e.g. the browser's range reader.
#[allow(async_fn_in_trait)]
pub trait RawTensorSource {
    async fn read(&mut self, t: &ModelTensor) -> Result<Vec<u8>>;
}

/// Adapts a [`RawTensorSource`] to [`TensorSource`].
pub struct RawSource<R>(pub R);

impl<R: RawTensorSource> TensorSource for RawSource<R> {
    async fn matrix(&mut self, ctx: &GpuContext, t: &ModelTensor) -> Result<GpuTensor> {
        let raw = self.0.read(t).await?;
        GpuTensor::upload(ctx, &t.name, t.ty, t.rows(), t.cols(), &raw).await
    }

    async fn vector(&mut self, t: &ModelTensor) -> Result<Vec<f32>> {
        let raw = self.0.read(t).await?;
        Ok(quant::dequantize_to_vec(t.ty, &raw)?)
    }
}

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
    /// Uploads tensor by tensor from `source`, in the order [`TensorSource`] documents;
    /// `progress(done, total)` after each.
    pub async fn upload(
        ctx: &GpuContext,
        model: &ModelFile,
        source: &mut impl TensorSource,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Self> {
        let total = model.tensors.len();
        let mut done = 0;
        let mut tick = |done: &mut usize| {
            *done += 1;
            progress(*done, total);
        };
        // Macros rather than closures: both borrow `source` mutably and await.
        macro_rules! matrix {
            ($name:expr) => {{
                let t = model.require(&$name)?;
                source.matrix(ctx, t).await?
            }};
        }
        macro_rules! vector {
            ($name:expr) => {{
                let t = model.require(&$name)?;
                buffers::storage_from(ctx, &t.name, &source.vector(t).await?)
            }};
        }
        let token_embd = matrix!("token_embd.weight");
        tick(&mut done);
        let mut layers = Vec::with_capacity(model.config.n_layers);
        for l in 0..model.config.n_layers {
            let n = |s: &str| format!("blk.{l}.{s}.weight");
            let layer = GpuLayer {
                attn_norm: vector!(n("attn_norm")),
                wq: matrix!(n("attn_q")),
                wk: matrix!(n("attn_k")),
                wv: matrix!(n("attn_v")),
                wo: matrix!(n("attn_output")),
                ffn_norm: vector!(n("ffn_norm")),
                w_gate: matrix!(n("ffn_gate")),
                w_up: matrix!(n("ffn_up")),
                w_down: matrix!(n("ffn_down")),
            };
            for _ in 0..9 {
                tick(&mut done);
            }
            layers.push(layer);
        }
        let output_norm = vector!("output_norm.weight");
        tick(&mut done);
        let output = if model.config.tied_embeddings {
            None
        } else {
            let t = matrix!("output.weight");
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
