//! The forward pass, top to bottom, one step per comment.
//!
//! Attention uses a rolling KV buffer of `ring_len` slots per layer: the K/V of absolute
//! position p live in slot p mod ring_len, written after RoPE (so slot order is irrelevant to
//! attention). With a sliding window W the ring has W slots and the query at p attends to the
//! keys p-W+1..=p (exactly W keys, itself included; transformers' semantics). Without a window
//! the ring is the context the user chose and a query attends to every earlier key.

use crate::linalg::{matvec, rms_norm, rope, silu};
use crate::weights::ReferenceWeights;
use std::sync::Arc;

/// Errors of running the model (weights are already validated by the loader).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ForwardError {
    #[error("position {pos} is past the context of {context} tokens (no sliding window); start a new conversation or raise the context length")]
    PastContext { pos: usize, context: usize },
    #[error("token id {id} is outside the vocabulary of {vocab}")]
    BadToken { id: u32, vocab: usize },
}

/// Per-layer K and V rings, `[layer][slot][kv_dim]`.
pub struct KvRing {
    pub ring_len: usize,
    kv_dim: usize,
    k: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl KvRing {
    fn new(n_layers: usize, ring_len: usize, kv_dim: usize) -> Self {
        KvRing {
            ring_len,
            kv_dim,
            k: vec![vec![0.0; ring_len * kv_dim]; n_layers],
            v: vec![vec![0.0; ring_len * kv_dim]; n_layers],
        }
    }

    fn slot(&self, pos: usize) -> std::ops::Range<usize> {
        let s = pos % self.ring_len;
        s * self.kv_dim..(s + 1) * self.kv_dim
    }
}

pub struct ReferenceModel {
    pub weights: Arc<ReferenceWeights>,
    pub cache: KvRing,
    /// Absolute position of the next token.
    pub pos: usize,
}

impl ReferenceModel {
    /// `context` bounds positions when the model has no sliding window; with a window the ring
    /// has W slots and positions are unbounded.
    pub fn new(weights: Arc<ReferenceWeights>, context: usize) -> Self {
        let c = &weights.config;
        let ring_len = c.sliding_window.unwrap_or(context);
        let cache = KvRing::new(c.n_layers, ring_len, c.kv_dim());
        ReferenceModel {
            weights,
            cache,
            pos: 0,
        }
    }

    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// Runs a chunk of tokens at positions `self.pos..`, returns logits `[tokens.len() * vocab]`.
    /// Decode is a chunk of one; prefill any longer chunk. Results do not depend on chunking.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, ForwardError> {
        let w = Arc::clone(&self.weights);
        let c = &w.config;
        let (dim, hd, n) = (c.dim, c.head_dim, tokens.len());
        let window = c.sliding_window;
        if window.is_none() && self.pos + n > self.cache.ring_len {
            return Err(ForwardError::PastContext {
                pos: self.pos + n - 1,
                context: self.cache.ring_len,
            });
        }
        let pos0 = self.pos;

        // 1. Embedding: row `id` of token_embd.
        let mut x: Vec<Vec<f32>> = Vec::with_capacity(n);
        for &id in tokens {
            if id as usize >= c.vocab_size {
                return Err(ForwardError::BadToken {
                    id,
                    vocab: c.vocab_size,
                });
            }
            x.push(w.token_embd[id as usize * dim..(id as usize + 1) * dim].to_vec());
        }

        for (l, lw) in w.layers.iter().enumerate() {
            // 2. Attention block: RMSNorm, then the Q, K, V projections.
            let mut q = vec![vec![0.0; c.q_dim()]; n];
            let mut k = vec![vec![0.0; c.kv_dim()]; n];
            let mut v = vec![vec![0.0; c.kv_dim()]; n];
            let mut h = vec![0.0; dim];
            for i in 0..n {
                rms_norm(&x[i], &lw.attn_norm, c.norm_eps, &mut h);
                matvec(&lw.wq, &h, &mut q[i]);
                matvec(&lw.wk, &h, &mut k[i]);
                matvec(&lw.wv, &h, &mut v[i]);
                // 3. RoPE on Q and K at their absolute positions (K before it is cached).
                rope(&mut q[i], hd, pos0 + i, c.rope_theta);
                rope(&mut k[i], hd, pos0 + i, c.rope_theta);
            }

            // 4. Attention per query: keys in the window, from this chunk or from the ring.
            let group = c.n_heads / c.n_kv_heads;
            let scale = 1.0 / (hd as f32).sqrt();
            let mut attn_out = vec![vec![0.0; c.q_dim()]; n];
            for i in 0..n {
                let p = pos0 + i;
                let first = window.map_or(0, |w| (p + 1).saturating_sub(w));
                let key = |j: usize| -> (&[f32], &[f32]) {
                    if j >= pos0 {
                        (&k[j - pos0], &v[j - pos0])
                    } else {
                        let r = self.cache.slot(j);
                        (&self.cache.k[l][r.clone()], &self.cache.v[l][r])
                    }
                };
                for head in 0..c.n_heads {
                    let kv_head = head / group; // grouped-query attention
                    let qh = &q[i][head * hd..(head + 1) * hd];
                    let scores: Vec<f32> = (first..=p)
                        .map(|j| {
                            let kh = &key(j).0[kv_head * hd..(kv_head + 1) * hd];
                            qh.iter().zip(kh).map(|(a, b)| a * b).sum::<f32>() * scale
                        })
                        .collect();
                    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let exps: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
                    let total: f32 = exps.iter().sum();
                    let out = &mut attn_out[i][head * hd..(head + 1) * hd];
                    for (j, e) in (first..=p).zip(&exps) {
                        let vh = &key(j).1[kv_head * hd..(kv_head + 1) * hd];
                        for (o, vv) in out.iter_mut().zip(vh) {
                            *o += e / total * vv;
                        }
                    }
                }
            }

            // 5. Write this chunk's K/V into the ring (only the last ring_len can survive).
            for i in n.saturating_sub(self.cache.ring_len)..n {
                let r = self.cache.slot(pos0 + i);
                self.cache.k[l][r.clone()].copy_from_slice(&k[i]);
                self.cache.v[l][r].copy_from_slice(&v[i]);
            }

            // 6. Output projection and residual; then the SwiGLU feed-forward and residual.
            let mut o = vec![0.0; dim];
            let mut gate = vec![0.0; c.ffn_dim];
            let mut up = vec![0.0; c.ffn_dim];
            for i in 0..n {
                matvec(&lw.wo, &attn_out[i], &mut o);
                x[i].iter_mut().zip(&o).for_each(|(a, b)| *a += b);
                rms_norm(&x[i], &lw.ffn_norm, c.norm_eps, &mut h);
                matvec(&lw.w_gate, &h, &mut gate);
                matvec(&lw.w_up, &h, &mut up);
                for (g, u) in gate.iter_mut().zip(&up) {
                    *g = silu(*g) * u;
                }
                matvec(&lw.w_down, &gate, &mut o);
                x[i].iter_mut().zip(&o).for_each(|(a, b)| *a += b);
            }
        }

        // 7. Final RMSNorm and the output head.
        let mut logits = vec![0.0; n * c.vocab_size];
        let mut h = vec![0.0; dim];
        for i in 0..n {
            rms_norm(&x[i], &w.output_norm, c.norm_eps, &mut h);
            matvec(
                w.output_head(),
                &h,
                &mut logits[i * c.vocab_size..(i + 1) * c.vocab_size],
            );
        }
        self.pos += n;
        Ok(logits)
    }
}
