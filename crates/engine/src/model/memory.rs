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
        self.weights
            .saturating_add(self.kv_cache)
            .saturating_add(self.scratch)
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
        // In u64 (usize is 32 bits on wasm32); the sizes are validated (config and
        // `ModelOptions::validate`), and saturation keeps a missed case from wrapping to a
        // small number that would pass the budget check.
        let floats = [
            3 * c.dim as u64,
            3 * c.q_dim() as u64,
            4 * c.kv_dim() as u64,
            5 * c.ffn_dim as u64,
            c.vocab_size as u64,
            1,
        ];
        let per_token = 4 * floats.iter().fold(0u64, |a, &b| a.saturating_add(b));
        let chunk = opts.effective_chunk(c) as u64;
        MemoryEstimate {
            weights,
            kv_cache,
            scratch: per_token
                .saturating_mul(chunk + 2)
                .saturating_add(4 * c.vocab_size as u64),
        }
    }
}

/// The memory budget to check an estimate against when the user gave none. wgpu exposes no
/// VRAM size, but a CPU adapter (lavapipe, SwiftShader, WARP) allocates "GPU" buffers in system
/// memory, so there the budget is the memory the OS says is available. Other adapters: None
/// (out-of-memory during upload is still caught by error scopes and reported).
pub fn default_budget(adapter: &crate::AdapterSummary) -> Option<u64> {
    if adapter.device_type != wgpu::DeviceType::Cpu {
        return None;
    }
    available_system_memory()
}

/// Memory the OS says is available (Linux: MemAvailable), the budget of CPU adapters and of the
/// CPU reference.
#[cfg(target_os = "linux")]
pub fn available_system_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(not(target_os = "linux"))]
pub fn available_system_memory() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn available_memory_is_plausible() {
        let m = super::available_system_memory().expect("/proc/meminfo has MemAvailable");
        assert!(m > 64 << 20 && m < 1 << 50, "{m}");
    }
}
