//! Validation of a [`ModelConfig`], run by every loader (GGUF, config.json, params.json) before
//! any per-layer work: a hostile layer count or width is refused here by name and bound, rather
//! than first building a name per expected tensor or sizing buffers from it.
//!
//! The bounds are far above any released model of this architecture and low enough that every
//! size derived from them (q_dim, kv_dim, tensor element counts) fits in u64 without overflow
//! and every per-layer loop is short.

use crate::config::ModelConfig;
use crate::error::{FormatError, Result};

pub const MAX_LAYERS: usize = 1024;
pub const MAX_DIM: usize = 1 << 16;
pub const MAX_HEADS: usize = 1024;
pub const MAX_HEAD_DIM: usize = 1024;
pub const MAX_FFN: usize = 1 << 20;
pub const MAX_VOCAB: usize = 1 << 22;
/// Context length and sliding window.
pub const MAX_CONTEXT: usize = 1 << 24;

impl ModelConfig {
    /// Checks the invariants the forward pass relies on, with messages naming the field and
    /// its bound.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(FormatError::BadConfig(m));
        let fields = [
            ("dim", self.dim, MAX_DIM),
            ("n_layers", self.n_layers, MAX_LAYERS),
            ("n_heads", self.n_heads, MAX_HEADS),
            ("n_kv_heads", self.n_kv_heads, MAX_HEADS),
            ("head_dim", self.head_dim, MAX_HEAD_DIM),
            ("ffn_dim", self.ffn_dim, MAX_FFN),
            ("vocab_size", self.vocab_size, MAX_VOCAB),
            ("context_length", self.context_length, MAX_CONTEXT),
            (
                "sliding_window",
                self.sliding_window.unwrap_or(1),
                MAX_CONTEXT,
            ),
        ];
        for (name, v, max) in fields {
            if v == 0 || v > max {
                return bad(format!("{name} = {v} is out of range 1..={max}"));
            }
        }
        if !self.n_heads.is_multiple_of(self.n_kv_heads) {
            return bad(format!(
                "n_heads {} is not a multiple of n_kv_heads {}",
                self.n_heads, self.n_kv_heads
            ));
        }
        if !self.head_dim.is_multiple_of(2) {
            return bad(format!("head_dim {} must be even for RoPE", self.head_dim));
        }
        if !(self.norm_eps > 0.0 && self.norm_eps < 1.0) {
            return bad(format!("norm_eps {} is out of range", self.norm_eps));
        }
        if !(self.rope_theta > 1.0 && self.rope_theta.is_finite()) {
            return bad(format!("rope_theta {} is out of range", self.rope_theta));
        }
        Ok(())
    }
}
