//! What a user chooses when loading a model onto the GPU.

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
            Some(w) => w + self.effective_chunk(config) - 1,
            None => self.context.max(1),
        }
    }
}
