//! One interface over the two engines, so every command runs on either.

use crate::device_args::{Device, DeviceArgs};
use crate::progress::bar;
use anyhow::{bail, Result};
use mistral_engine::model::{GpuModel, LoadPhase};
use mistral_engine::ops::TopK;
use mistral_engine::GpuContext;
use mistral_formats::ModelFile;
use mistral_generate::{Logits, LogitsNeed};
use mistral_reference::{argmax, ReferenceModel, ReferenceWeights};
use std::sync::Arc;

pub enum Runner {
    Cpu(ReferenceModel),
    Gpu(Box<GpuModel>),
}

impl Runner {
    /// Loads `model` on the chosen device, with a progress bar for the upload. On the GPU,
    /// prints the adapter and the kernel family (and why) on stderr.
    pub fn load(model: &ModelFile, dev: &DeviceArgs, context: usize) -> Result<Self> {
        Ok(match dev.device {
            Device::Cpu => {
                check_cpu_memory(model, context)?;
                // The CPU reference dequantizes every tensor to f32 first: show it as the
                // GPU path shows its upload.
                let pb = bar(model.tensors.len() as u64, "loading (f32)");
                let weights = Arc::new(ReferenceWeights::load_with_progress(
                    model,
                    |done, total| {
                        pb.set_length(total as u64);
                        pb.set_position(done as u64);
                    },
                )?);
                pb.finish_and_clear();
                Runner::Cpu(ReferenceModel::new(weights, context))
            }
            Device::Gpu => {
                let ctx = Arc::new(GpuContext::new_blocking(dev.gpu.adapter.as_deref())?);
                eprintln!("adapter: {}", ctx.adapter);
                // Resolved here too (the engine does the same at load) so that the line sits
                // beside the adapter's and a bad MISTRAL_WGPU_KERNELS stops us before the upload.
                let (family, why) = dev.gpu.kernels_for(&ctx.adapter)?;
                eprintln!("kernels: {family} ({why})");
                let opts = dev.model_options(context);
                let pb = bar(model.tensors.len() as u64, "uploading");
                // The user's budget, else (CPU adapters) the system memory available.
                let budget = dev
                    .gpu_memory_mib
                    .map(|m| m << 20)
                    .or_else(|| mistral_engine::model::default_budget(&ctx.adapter));
                let gpu = pollster::block_on(GpuModel::load(ctx, model, &opts, budget, |p| {
                    if p.phase == LoadPhase::Uploading {
                        pb.set_position(p.done as u64);
                    }
                }))?;
                pb.finish_and_clear();
                debug_assert_eq!(gpu.kernel_family().0, family);
                Runner::Gpu(Box::new(gpu))
            }
        })
    }

    /// Starts a new sequence at position 0 (the cached keys/values are never read again).
    pub fn reset(&mut self) {
        match self {
            Runner::Cpu(m) => m.reset(),
            Runner::Gpu(m) => m.reset(),
        }
    }

    /// The GPU model, if this runs on the GPU.
    pub fn gpu_mut(&mut self) -> Option<&mut GpuModel> {
        match self {
            Runner::Cpu(_) => None,
            Runner::Gpu(m) => Some(m),
        }
    }

    pub fn gpu(&self) -> Option<&GpuModel> {
        match self {
            Runner::Cpu(_) => None,
            Runner::Gpu(m) => Some(m),
        }
    }

    pub fn vocab(&self) -> usize {
        match self {
            Runner::Cpu(m) => m.weights.config.vocab_size,
            Runner::Gpu(m) => m.config().vocab_size,
        }
    }

    /// Logits of every token, `[tokens.len() x vocab]`, in chunks of `chunk`.
    pub fn all_logits(&mut self, tokens: &[u32], chunk: Option<usize>) -> Result<Vec<f32>> {
        Ok(match self {
            Runner::Cpu(m) => {
                let chunk = chunk.unwrap_or(tokens.len()).max(1);
                let mut out = Vec::new();
                for c in tokens.chunks(chunk) {
                    out.extend(m.forward(c)?);
                }
                out
            }
            Runner::Gpu(m) => pollster::block_on(m.forward_logits(tokens, chunk))?,
        })
    }

    /// Logits of the last token.
    pub fn last_logits(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        Ok(match self {
            Runner::Cpu(m) => {
                let all = m.forward(tokens)?;
                all[all.len() - m.weights.config.vocab_size..].to_vec()
            }
            Runner::Gpu(m) => pollster::block_on(m.forward_last_logits(tokens))?,
        })
    }

    /// The greedy next token; on the GPU only 4 bytes come back.
    pub fn greedy(&mut self, tokens: &[u32]) -> Result<u32> {
        Ok(match self {
            Runner::Cpu(_) => {
                let l = self.last_logits(tokens)?;
                argmax(&l) as u32
            }
            Runner::Gpu(m) => pollster::block_on(m.forward_argmax(tokens))?,
        })
    }

    /// Runs `prompt` and generates up to `max_new` tokens greedily, handing each to `on_token`
    /// as it comes (false ends generation). On the GPU the steps are chained on the device: step
    /// N+1 is queued before step N's id is read back.
    pub fn generate_greedy(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        mut on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>> {
        if let Runner::Gpu(m) = self {
            return Ok(pollster::block_on(
                m.generate_greedy(prompt, max_new, on_token),
            )?);
        }
        let mut out = Vec::new();
        if max_new == 0 {
            return Ok(out);
        }
        let mut next = self.greedy(prompt)?;
        loop {
            out.push(next);
            if !on_token(next) || out.len() >= max_new {
                return Ok(out);
            }
            next = self.greedy(&[next])?;
        }
    }

    /// Runs `tokens` and reads back what `need` asks for (the shared generation code decides:
    /// see `mistral_generate::Generation::need`). The CPU reference computes the whole row
    /// anyway, so it answers a top-k with the row.
    pub fn read_back(&mut self, tokens: &[u32], need: LogitsNeed) -> Result<ReadBack> {
        if let (LogitsNeed::TopK(k), Runner::Gpu(m)) = (need, &mut *self) {
            return Ok(ReadBack::TopK(pollster::block_on(
                m.forward_top_k(tokens, k),
            )?));
        }
        Ok(match need {
            LogitsNeed::Argmax => ReadBack::Argmax(self.greedy(tokens)?),
            _ => ReadBack::Row(self.last_logits(tokens)?),
        })
    }

    /// The most candidates a top-k read-back returns (0: no top-k, the CPU reference).
    pub fn max_top_k(&self) -> usize {
        match self {
            Runner::Cpu(_) => 0,
            Runner::Gpu(_) => TopK::MAX_K,
        }
    }
}

/// What [`Runner::read_back`] returns, owned; [`ReadBack::logits`] lends it to the generation.
pub enum ReadBack {
    Argmax(u32),
    TopK(Vec<(u32, f32)>),
    Row(Vec<f32>),
}

impl ReadBack {
    pub fn logits(&self) -> Logits<'_> {
        match self {
            ReadBack::Argmax(id) => Logits::Argmax(*id),
            ReadBack::TopK(c) => Logits::TopK(c),
            ReadBack::Row(r) => Logits::Row(r),
        }
    }
}

/// The CPU reference holds every weight in f32 and a K/V ring of `window` (or `context`) slots
/// per layer; refuse before allocating when that is more than the memory available, as the GPU
/// engine does against its budget (an allocation that large would abort the process).
fn check_cpu_memory(model: &ModelFile, context: usize) -> Result<()> {
    let c = &model.config;
    let weights = model.tensors.iter().fold(0u64, |acc, t| {
        let elements = t.dims.iter().fold(1u64, |a, &d| a.saturating_mul(d));
        acc.saturating_add(elements.saturating_mul(4))
    });
    let slots = c.sliding_window.unwrap_or(context) as u64;
    let kv = (2 * c.n_layers as u64)
        .saturating_mul(slots)
        .saturating_mul(c.kv_dim() as u64)
        .saturating_mul(4);
    let needed = weights.saturating_add(kv);
    if let Some(available) = mistral_engine::model::available_system_memory() {
        if needed > available {
            bail!(
                "the CPU reference needs {:.2} GiB ({:.2} GiB of f32 weights + {:.2} GiB of K/V for {slots} slots) but {:.2} GiB of memory is available; use a smaller --context or --window, or --device gpu",
                gib(needed),
                gib(weights),
                gib(kv),
                gib(available)
            );
        }
    }
    Ok(())
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}
