//! What a user chooses when loading a model onto the GPU.

use crate::kernel_family::KernelChoice;
use crate::ops::KvStorage;
use mistral_formats::ModelConfig;

#[derive(Clone, Debug)]
pub struct ModelOptions {
    /// Tokens per prefill step. Bounded by the window (the ring holds W + chunk - 1 slots).
    pub prefill_chunk: usize,
    /// KV length for models without a sliding window (their maximum sequence length).
    pub context: usize,
    /// K/V precision on the GPU.
    pub kv_storage: KvStorage,
    /// Kernel family: the adapter table's pick, or forced (`--kernels`).
    pub kernels: KernelChoice,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            prefill_chunk: 32,
            context: 4096,
            kv_storage: KvStorage::F32,
            kernels: KernelChoice::Auto,
        }
    }
}

impl ModelOptions {
    /// The chunk actually used: at least 1, at most the window (chunked prefill needs chunk <= W).
    pub fn effective_chunk(&self, config: &ModelConfig) -> usize {
        let c = self.prefill_chunk.max(1);
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
