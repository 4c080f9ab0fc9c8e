//! What a user chooses when loading a model onto the GPU.

use crate::error::{EngineError, Result};
use crate::kernel_family::{KernelChoice, KernelFamily};
use crate::ops::KvStorage;
use mistral_formats::ModelConfig;

#[derive(Clone, Debug)]
pub struct ModelOptions {
    /// Tokens per prefill step, or [`AUTO_CHUNK`] for the kernel family's default. Bounded by
    /// the window (the ring holds W + chunk - 1 slots).
    pub prefill_chunk: usize,
    /// KV length for models without a sliding window (their maximum sequence length).
    pub context: usize,
    /// K/V precision on the GPU.
    pub kv_storage: KvStorage,
    /// Kernel family: the adapter table's pick, or forced (`--kernels`).
    pub kernels: KernelChoice,
    /// Layers x tokens per submission of a prefill step (see [`SUBMIT_LAYER_TOKENS`]).
    pub submit_layer_tokens: usize,
}

/// Layers x tokens per submission of a prefill step: a 256-token chunk of a 32-layer model goes
/// in 4 submissions of 8 layers (7B: about 0.9 TFLOP each, under a second on a GPU of a few
/// TFLOPS), a 32-token chunk in one. Windows resets a GPU whose submission runs over 2 s.
pub const SUBMIT_LAYER_TOKENS: usize = 2048;

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            prefill_chunk: AUTO_CHUNK,
            context: 4096,
            kv_storage: KvStorage::F32,
            kernels: KernelChoice::Auto,
            submit_layer_tokens: SUBMIT_LAYER_TOKENS,
        }
    }
}

/// `prefill_chunk` value asking for the kernel family's default chunk.
pub const AUTO_CHUNK: usize = 0;

/// Most positions a KV cache may hold (context, window): 16M tokens, far past any model here,
/// and small enough that every size computed from it fits in 64 bits (and slot indices in the
/// shaders' u32).
pub const MAX_CONTEXT: usize = 1 << 24;

/// Longest prefill chunk: activation buffers grow with it, and a GPU gains nothing past a few
/// hundred tokens per step.
pub const MAX_PREFILL_CHUNK: usize = 4096;

/// The default prefill chunk of a kernel family. CPU adapters: 32 (the CPU matmul dequantizes a
/// weight once per 8 tokens, so longer chunks gain nothing there and only lengthen the ring).
/// Real GPUs: 256, so a 4096-row projection is 512 tiles of 64 x 32 (32 tokens gave 64
/// workgroups, too few for a GPU with 100+ compute units); a 7B chunk of 256 tokens is about
/// 3.6 TFLOP, split into several submissions by the model (see [`SUBMIT_LAYER_TOKENS`]).
pub fn default_chunk(family: KernelFamily) -> usize {
    match family {
        KernelFamily::Cpu => 32,
        KernelFamily::Gpu => 256,
    }
}

impl ModelOptions {
    /// Checks the sizes a user can choose (context, window, chunk) before anything is sized
    /// from them, so a huge value is a clear error rather than an overflow or an abort.
    pub fn validate(&self, config: &ModelConfig) -> Result<()> {
        let bad = |what: &str, v: usize, max: usize| {
            Err(EngineError::Options(format!(
                "{what} {v} is out of range (1 to {max})"
            )))
        };
        if self.context == 0 || self.context > MAX_CONTEXT {
            return bad("context", self.context, MAX_CONTEXT);
        }
        if let Some(w) = config.sliding_window {
            if w == 0 || w > MAX_CONTEXT {
                return bad("sliding window", w, MAX_CONTEXT);
            }
        }
        if self.prefill_chunk > MAX_PREFILL_CHUNK {
            return bad("prefill chunk", self.prefill_chunk, MAX_PREFILL_CHUNK);
        }
        if self.submit_layer_tokens == 0 {
            return bad("layer-tokens per submission", 0, usize::MAX);
        }
        Ok(())
    }

    /// These options with an automatic chunk replaced by `family`'s default.
    pub fn resolved(&self, family: KernelFamily) -> ModelOptions {
        let mut o = self.clone();
        if o.prefill_chunk == AUTO_CHUNK {
            o.prefill_chunk = default_chunk(family);
        }
        o
    }

    /// The chunk actually used: at least 1, at most the window (chunked prefill needs chunk <= W).
    /// An automatic chunk not yet [`resolved`](Self::resolved) counts as the CPU family's.
    pub fn effective_chunk(&self, config: &ModelConfig) -> usize {
        let c = if self.prefill_chunk == AUTO_CHUNK {
            default_chunk(KernelFamily::Cpu)
        } else {
            self.prefill_chunk
        };
        match config.sliding_window {
            Some(w) => c.min(w),
            None => c.min(self.context.max(1)),
        }
    }

    /// Ring slots per layer. With a window W the chunk is written before it attends, so the ring
    /// keeps W + chunk - 1 slots: every key a query of the chunk still needs survives the write.
    /// Without a window the ring is the whole context.
    pub fn ring_len(&self, config: &ModelConfig) -> usize {
        match config.sliding_window {
            Some(w) => w.saturating_add(self.effective_chunk(config) - 1),
            None => self.context.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(window: Option<usize>) -> ModelConfig {
        ModelConfig {
            architecture: "llama".into(),
            name: None,
            dim: 64,
            n_layers: 2,
            n_heads: 4,
            n_kv_heads: 2,
            head_dim: 16,
            ffn_dim: 128,
            vocab_size: 100,
            norm_eps: 1e-5,
            rope_theta: 10000.0,
            context_length: 4096,
            sliding_window: window,
            window_source: mistral_formats::config::WindowSource::File,
            tied_embeddings: true,
        }
    }

    #[test]
    fn sizes_past_the_bounds_are_refused_before_anything_is_sized() {
        let ok = ModelOptions::default();
        assert!(ok.validate(&config(Some(4096))).is_ok());
        let huge = 1usize << 58;
        let cases = [
            (
                ModelOptions {
                    context: huge,
                    ..ok.clone()
                },
                None,
                "context",
            ),
            (
                ModelOptions {
                    context: 0,
                    ..ok.clone()
                },
                None,
                "context",
            ),
            (ok.clone(), Some(huge), "sliding window"),
            (
                ModelOptions {
                    prefill_chunk: MAX_PREFILL_CHUNK + 1,
                    ..ok.clone()
                },
                Some(16),
                "prefill chunk",
            ),
        ];
        for (opts, window, what) in cases {
            let e = opts.validate(&config(window)).unwrap_err().to_string();
            assert!(e.starts_with(what), "{e}");
        }
        // What the estimate would have computed from a huge window does not wrap around.
        let ring = ok.ring_len(&config(Some(usize::MAX)));
        assert_eq!(ring, usize::MAX);
        assert_eq!(
            crate::ops::KvCache::bytes(2, ring, 64, crate::ops::KvStorage::F32),
            u64::MAX
        );
    }
}
