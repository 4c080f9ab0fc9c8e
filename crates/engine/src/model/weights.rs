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
    /// A tensor's stored bytes (rows in adjacent-pair RoPE order).
    async fn raw(&mut self, t: &ModelTensor) -> Result<Vec<u8>>;
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

    async fn raw(&mut self, t: &ModelTensor) -> Result<Vec<u8>> {
        Ok(self.read_raw(t)?)
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

    async fn raw(&mut self, t: &ModelTensor) -> Result<Vec<u8>> {
        self.0.read(t).await
    }
}

/// Set to 1 to upload Q/K/V and gate/up as separate matrices even where they could be fused
/// (diagnosis, and the tests of the unfused path).
pub const NO_FUSION_ENV: &str = "MISTRAL_WGPU_NO_FUSION";

/// Matrices that read the same input (`q, k, v`; `gate, up`) and write side by side into one
/// output row. Consecutive parts that share a storage type are stacked by rows into one matrix,
/// so that one dispatch computes them all; a part of another type is a group of its own (a
/// Q4_K_M file often stores V in Q6_K, Q and K in Q4_K: two dispatches, not three).
pub(crate) struct Projection {
    pub groups: Vec<ProjectionGroup>,
}

/// One matrix of a [`Projection`] and where its outputs start in the shared output row.
pub(crate) struct ProjectionGroup {
    pub tensor: GpuTensor,
    pub column: usize,
}

impl Projection {
    async fn upload(
        ctx: &GpuContext,
        source: &mut impl TensorSource,
        name: String,
        parts: &[&ModelTensor],
    ) -> Result<Self> {
        let fusion = std::env::var(NO_FUSION_ENV).map_or(true, |v| v != "1");
        let mut groups = Vec::new();
        let mut column = 0;
        let mut rest = parts;
        while let Some(first) = rest.first() {
            let n = if fusion {
                rest.iter()
                    .take_while(|t| t.ty == first.ty && t.cols() == first.cols())
                    .count()
            } else {
                1
            };
            let (group, tail) = rest.split_at(n);
            rest = tail;
            let tensor = if n == 1 {
                source.matrix(ctx, first).await?
            } else {
                let mut raw = Vec::with_capacity(group.iter().map(|t| t.n_bytes as usize).sum());
                for t in group {
                    raw.extend(source.raw(t).await?);
                }
                let rows = group.iter().map(|t| t.rows()).sum();
                let label = format!("{name} part {}", groups.len());
                GpuTensor::upload(ctx, &label, first.ty, rows, first.cols(), &raw).await?
            };
            let rows: usize = group.iter().map(|t| t.rows()).sum();
            groups.push(ProjectionGroup { tensor, column });
            column += rows;
        }
        Ok(Projection { groups })
    }
}

pub(crate) struct GpuLayer {
    pub attn_norm: wgpu::Buffer,
    /// q, k and v, writing `[q | k | v]` rows.
    pub qkv: Projection,
    pub wo: GpuTensor,
    pub ffn_norm: wgpu::Buffer,
    /// gate and up, writing `[gate | up]` rows.
    pub gate_up: Projection,
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
            let tensors = |names: &[&str]| -> Result<Vec<&ModelTensor>> {
                names.iter().map(|s| Ok(model.require(&n(s))?)).collect()
            };
            let attn_norm = vector!(n("attn_norm"));
            let qkv = tensors(&["attn_q", "attn_k", "attn_v"])?;
            let qkv = Projection::upload(ctx, source, n("attn_qkv"), &qkv).await?;
            let wo = matrix!(n("attn_output"));
            let ffn_norm = vector!(n("ffn_norm"));
            let gate_up = tensors(&["ffn_gate", "ffn_up"])?;
            let gate_up = Projection::upload(ctx, source, n("ffn_gate_up"), &gate_up).await?;
            let layer = GpuLayer {
                attn_norm,
                qkv,
                wo,
                ffn_norm,
                gate_up,
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
