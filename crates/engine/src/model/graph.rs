//! The bindings of one forward step for up to `cap` tokens: activation buffers plus every op's
//! bind groups, built once at load time. Encoding a step replays them into one compute pass.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::Result;
use crate::ops::{Dispatches, Heads, KvCache, QkvRows, TopK, TopKBinding};
use mistral_formats::ModelConfig;

use super::kernels::Kernels;
use super::weights::GpuWeights;

/// Final norm, output head and argmax over `rows` tokens of a hidden-state buffer, plus a
/// top-k of the last row that only sampled steps encode (k rounds over the vocabulary cost more
/// than an argmax).
pub(crate) struct HeadBindings {
    /// Norm, output head and argmax, in order.
    main: Dispatches,
    pub logits: wgpu::Buffer,
    pub argmax_out: wgpu::Buffer,
    /// Bound once with k = `TopK::MAX_K`: ids in `[0, MAX_K)`, value bits in `[MAX_K, 2 MAX_K)`;
    /// a caller wanting fewer uses the first k of each half (the order is sorted).
    top_k: TopKBinding,
    pub top_k_out: wgpu::Buffer,
    /// The first k ids and the first k values copied next to each other, so a step reads back
    /// exactly 2k u32.
    pub top_k_packed: wgpu::Buffer,
}

pub(crate) struct Graph {
    pub ids: wgpu::Buffer,
    /// Hidden states `[cap x dim]`: the residual stream.
    pub x: wgpu::Buffer,
    /// The embedding, then every layer's dispatches in order: what a step replays.
    layers: Dispatches,
    /// Dispatches of the layer that has most (layers differ where their tensor types do).
    per_layer: usize,
    /// Index in `layers` where each decoder layer's dispatches begin (after the embedding).
    layer_starts: Vec<usize>,
    /// Head over all `cap` rows (the `logits` command, tests).
    pub head_all: HeadBindings,
    /// Head over one row: the last token's hidden state copied into `x_last` (generation).
    pub x_last: wgpu::Buffer,
    pub head_last: HeadBindings,
}

/// The buffers a step reads its dynamic values from: `step` for the layer stack, `step_one`
/// (always n_tokens = 1) for the single-row head.
pub(crate) struct StepBuffers<'a> {
    pub step: &'a wgpu::Buffer,
    pub step_one: &'a wgpu::Buffer,
}

impl Graph {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &GpuContext,
        k: &Kernels,
        w: &GpuWeights,
        cache: &KvCache,
        c: &ModelConfig,
        steps: &StepBuffers,
        cap: usize,
    ) -> Result<Self> {
        let buf = |name: &str, per_token: usize| buffers::storage(ctx, name, cap * per_token);
        let ids = buf("ids", 1);
        let x = buf("x", c.dim);
        let h = buf("h", c.dim);
        let qkv_row = c.q_dim() + 2 * c.kv_dim();
        let qkv = buf("q|k|v", qkv_row);
        let att = buf("attention out", c.q_dim());
        let o = buf("projection out", c.dim);
        let gate_up = buf("gate|up", 2 * c.ffn_dim);
        let act = buf("silu(gate)*up", c.ffn_dim);
        let step = steps.step;
        let mm = |t: &crate::tensor::GpuTensor, x: &wgpu::Buffer, y: &wgpu::Buffer| {
            k.matmul(t.format).bind(ctx, t, x, y, step, cap)
        };
        let mut layers = k.embedding.bind(ctx, &w.token_embd, &ids, &x, step, cap)?;
        let mut per_layer = 0;
        let n_layers = w.layers.len();
        let mut layer_starts = Vec::with_capacity(n_layers);
        for (l, lw) in w.layers.iter().enumerate() {
            let before = layers.len();
            layer_starts.push(before);
            let mut push = |d: Dispatches| layers.append(&d);
            // The RMSNorm opening a block: plain for the first layer; fused with the previous
            // layer's feed-forward residual add for the others (one dispatch instead of two).
            push(if l == 0 {
                k.rms_norm
                    .bind(ctx, &x, &lw.attn_norm, &h, c.dim, c.norm_eps, step, cap)?
            } else {
                k.add_rms_norm
                    .bind(ctx, &x, &o, &lw.attn_norm, &h, c.dim, c.norm_eps, step, cap)?
            });
            // q, k and v land side by side in `[q | k | v]` rows, one matmul per group of
            // parts that share a type (one for most files); one dispatch then rotates q and k
            // and stores k and v in the cache, and attention reads q from the rows.
            for g in &lw.qkv.groups {
                let t = &g.tensor;
                push(
                    k.matmul(t.format)
                        .bind_into(ctx, t, &h, &qkv, step, cap, qkv_row, g.column)?,
                );
            }
            push(k.rope_kv.bind(
                ctx,
                &qkv,
                QkvRows {
                    row_stride: qkv_row,
                    q_offset: 0,
                    k_offset: c.q_dim(),
                    v_offset: c.q_dim() + c.kv_dim(),
                },
                Heads {
                    n_heads: c.n_heads,
                    n_kv_heads: c.n_kv_heads,
                    head_dim: c.head_dim,
                    theta: c.rope_theta,
                },
                cache,
                l,
                step,
                cap,
            )?);
            push(
                k.attention
                    .bind_strided(
                        ctx,
                        &qkv,
                        qkv_row,
                        cache,
                        l,
                        &att,
                        c.n_heads,
                        c.n_kv_heads,
                        c.head_dim,
                        c.sliding_window,
                        step,
                        cap,
                    )?
                    .dispatches,
            );
            push(mm(&lw.wo, &att, &o)?);
            // x += o, then h = ffn_norm(x).
            push(k.add_rms_norm.bind(
                ctx,
                &x,
                &o,
                &lw.ffn_norm,
                &h,
                c.dim,
                c.norm_eps,
                step,
                cap,
            )?);
            // gate and up land side by side in `[gate | up]` rows (one matmul where their types
            // agree); the down projection computes silu(gate) * up as it loads them (SwiGLU
            // fused: no separate pass) where rows split into whole vec4s.
            for g in &lw.gate_up.groups {
                let t = &g.tensor;
                push(k.matmul(t.format).bind_into(
                    ctx,
                    t,
                    &h,
                    &gate_up,
                    step,
                    cap,
                    2 * c.ffn_dim,
                    g.column,
                )?);
            }
            let down = &lw.w_down;
            if c.ffn_dim.is_multiple_of(4) {
                push(
                    k.matmul_silu(down.format)
                        .bind(ctx, down, &gate_up, &o, step, cap)?,
                );
            } else {
                push(
                    k.silu_mul
                        .bind_fused(ctx, &gate_up, &act, c.ffn_dim, step, cap)?,
                );
                push(mm(down, &act, &o)?);
            }
            per_layer = per_layer.max(layers.len() - before);
            // Only the last layer adds its own feed-forward output; the others leave it to the
            // next layer's fused norm.
            if l + 1 == n_layers {
                layers.append(&k.add.bind(ctx, &x, &o, c.dim, step, cap)?);
            }
        }
        let head_all = HeadBindings::new(ctx, k, w, c, &x, step, cap)?;
        let x_last = buffers::storage(ctx, "x last", c.dim);
        let head_last = HeadBindings::new(ctx, k, w, c, &x_last, steps.step_one, 1)?;
        Ok(Graph {
            ids,
            x,
            layers,
            per_layer,
            layer_starts,
            head_all,
            x_last,
            head_last,
        })
    }

    /// Records the layer stack (embedding through the last layer) into `pass`.
    pub fn encode_layers(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.layers.encode(pass);
    }

    /// Records part of the layer stack: the dispatches of `range` (see [`Graph::layer_parts`]).
    pub fn encode_part(&self, pass: &mut wgpu::ComputePass<'_>, range: std::ops::Range<usize>) {
        for d in &self.layers.0[range] {
            d.encode(pass);
        }
    }

    /// The layer stack cut into parts of at most `layers_per_part` decoder layers (the first
    /// part also holds the embedding, the last the final add), as dispatch index ranges.
    pub fn layer_parts(&self, layers_per_part: usize) -> Vec<std::ops::Range<usize>> {
        let step = layers_per_part.max(1);
        let mut cuts: Vec<usize> = self
            .layer_starts
            .iter()
            .copied()
            .step_by(step)
            .skip(1)
            .collect();
        cuts.push(self.layers.len());
        let mut start = 0;
        cuts.into_iter()
            .map(|end| {
                let r = start..end;
                start = end;
                r
            })
            .collect()
    }

    /// The layer stack's dispatches, in order.
    pub fn layer_dispatches(&self) -> &Dispatches {
        &self.layers
    }

    /// Dispatches of the layer that has most (not counting the last layer's final add).
    pub fn dispatches_per_layer(&self) -> usize {
        self.per_layer
    }
}

impl HeadBindings {
    #[allow(clippy::too_many_arguments)]
    fn new(
        ctx: &GpuContext,
        k: &Kernels,
        w: &GpuWeights,
        c: &ModelConfig,
        x: &wgpu::Buffer,
        step: &wgpu::Buffer,
        rows: usize,
    ) -> Result<Self> {
        let h = buffers::storage(ctx, "head norm", rows * c.dim);
        let logits = buffers::storage(ctx, "logits", rows * c.vocab_size);
        let argmax_out = buffers::storage(ctx, "argmax", 4);
        let top_k_out = buffers::storage(ctx, "top-k", 2 * TopK::MAX_K);
        let top_k_packed = buffers::storage(ctx, "top-k packed", 2 * TopK::MAX_K);
        let head = w.output_head();
        let mut main =
            k.rms_norm
                .bind(ctx, x, &w.output_norm, &h, c.dim, c.norm_eps, step, rows)?;
        main.append(
            &k.matmul(head.format)
                .bind(ctx, head, &h, &logits, step, rows)?,
        );
        main.append(
            &k.argmax
                .bind(ctx, &logits, c.vocab_size, &argmax_out, step, rows)?,
        );
        Ok(HeadBindings {
            main,
            top_k: k.topk.bind(
                ctx,
                &logits,
                c.vocab_size,
                TopK::MAX_K,
                &top_k_out,
                step,
                rows,
            )?,
            logits,
            argmax_out,
            top_k_out,
            top_k_packed,
        })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.main.encode(pass);
    }

    /// Norm, output head and argmax, in order.
    pub fn dispatches(&self) -> &Dispatches {
        &self.main
    }

    /// Records the top-k of the last row; after `encode`, in the same or a later pass.
    pub fn encode_top_k(&self, pass: &mut wgpu::ComputePass<'_>) {
        self.top_k.dispatches.encode(pass);
    }

    /// Copies the first `k` ids and values into `top_k_packed` (`k <= TopK::MAX_K`).
    pub fn pack_top_k(&self, enc: &mut wgpu::CommandEncoder, k: usize) {
        let half = (k * 4) as u64;
        let values = (TopK::MAX_K * 4) as u64;
        enc.copy_buffer_to_buffer(&self.top_k_out, 0, &self.top_k_packed, 0, half);
        enc.copy_buffer_to_buffer(&self.top_k_out, values, &self.top_k_packed, half, half);
    }
}
