//! GPU memory a model will need, computed before anything is uploaded so that a model that
//! cannot fit is refused with a clear message instead of failing half-way.

use crate::ops::KvCache;
use crate::tensor::GpuTensor;
use mistral_formats::ModelFile;

use super::options::ModelOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    pub weights: u64,
    pub kv_cache: u64,
    /// Activation buffers of the decode and prefill graphs, and the logits.
    pub scratch: u64,
}

impl MemoryEstimate {
    pub fn total(&self) -> u64 {
        self.weights + self.kv_cache + self.scratch
    }

    pub fn of(model: &ModelFile, opts: &ModelOptions) -> Self {
        let c = &model.config;
        let weights = model
            .tensors
            .iter()
            .map(|t| {
                if t.dims.len() == 1 {
                    t.dims[0] * 4 // norms are kept as f32
                } else {
                    GpuTensor::estimate_gpu_bytes(t.ty, t.rows(), t.cols())
                }
            })
            .sum();
        let kv_cache = KvCache::bytes(c.n_layers, opts.ring_len(c), c.kv_dim(), opts.kv_storage);
        let per_token = 4
            * (3 * c.dim + 2 * c.q_dim() + 2 * c.kv_dim() + 3 * c.ffn_dim + c.vocab_size + 1)
                as u64;
        let chunk = opts.effective_chunk(c) as u64;
        MemoryEstimate {
            weights,
            kv_cache,
            scratch: per_token * (chunk + 2) + 4 * c.vocab_size as u64,
        }
    }
}
