//! A model resident on the GPU and its position in the sequence. Each step writes the token ids
//! and the step buffer, records the prebuilt bindings into one compute submission, and reads back
//! only what is asked for: one u32 (the argmax) in greedy generation, 2k u32 (the top k) in
//! sampled generation, whole logits rows for tests and the `logits` command.

use std::sync::Arc;

use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::kernel_family::{AdapterFacts, KernelFamily};
use crate::layout::WeightFormat;
use crate::ops::{KvCache, TopK};
use crate::readback::{staging_buffer, submit_and_read_via};
use crate::step::StepBuffer;
use mistral_formats::{ModelConfig, ModelFile};

use super::graph::{Graph, StepBuffers};
use super::kernels::Kernels;
use super::memory::MemoryEstimate;
use super::options::ModelOptions;
use super::profile::StepProfile;
use super::weights::{GpuWeights, TensorSource};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadPhase {
    /// Compiling kernels.
    Compiling,
    /// Uploading tensors (`done` of `total`).
    Uploading,
    /// Building bind groups.
    Binding,
}

#[derive(Clone, Copy, Debug)]
pub struct LoadProgress {
    pub phase: LoadPhase,
    pub done: usize,
    pub total: usize,
}

/// What a step reads back.
enum Want {
    Nothing,
    Argmax,
    /// The first k (<= `TopK::MAX_K`) of the last token's top-k binding.
    TopK(usize),
    LastLogits,
    AllLogits,
}

pub struct GpuModel {
    pub ctx: Arc<GpuContext>,
    pub(super) config: ModelConfig,
    memory: MemoryEstimate,
    pub(super) chunk: usize,
    /// Layers x tokens per submission of a prefill step.
    submit_layer_tokens: usize,
    family: KernelFamily,
    /// Why `family` was chosen (the table's reason, or what forced it).
    family_reason: String,
    // The dispatches hold the pipelines and bind groups (which keep the weight buffers alive);
    // the weights are kept here too so that dropping the model visibly drops them.
    _weights: GpuWeights,
    // Kept alive: the graphs' bind groups reference the cache and step buffers.
    _cache: KvCache,
    pub(super) step: StepBuffer,
    // Always n_tokens = 1; read by the single-row head's bindings.
    _step_one: StepBuffer,
    pub(super) decode: Graph,
    prefill: Option<Graph>,
    /// Reused by every readback (a token's argmax or top-k, logits rows): no per-token buffer.
    pub(super) staging: wgpu::Buffer,
    pub(super) pos: usize,
}

impl GpuModel {
    /// Estimates memory, refuses a model over `budget_bytes` (when given) or over the device's
    /// per-buffer limits, then compiles kernels, uploads weights and builds every binding.
    pub async fn load(
        ctx: Arc<GpuContext>,
        model: &ModelFile,
        opts: &ModelOptions,
        budget_bytes: Option<u64>,
        progress: impl FnMut(LoadProgress),
    ) -> Result<Self> {
        let mut source = model;
        Self::load_from(ctx, model, &mut source, opts, budget_bytes, progress).await
    }

    /// [`GpuModel::load`] with tensor bytes from `source`; `model` gives the config and the
    /// tensor table only (in the browser it is parsed from the GGUF header alone).
    pub async fn load_from(
        ctx: Arc<GpuContext>,
        model: &ModelFile,
        source: &mut impl TensorSource,
        opts: &ModelOptions,
        budget_bytes: Option<u64>,
        mut progress: impl FnMut(LoadProgress),
    ) -> Result<Self> {
        let config = model.config.clone();
        opts.validate(&config)?;
        let (family, family_reason) = opts.kernels.resolve(&AdapterFacts::from(&ctx.adapter))?;
        let opts = &opts.resolved(family);
        let memory = MemoryEstimate::of(model, opts);
        if let Some(budget) = budget_bytes {
            if memory.total() > budget {
                return Err(EngineError::TooLarge {
                    needed: memory.total(),
                    available: budget,
                    adapter: ctx.adapter.name.clone(),
                });
            }
        }
        let chunk = opts.effective_chunk(&config);
        let ring_len = opts.ring_len(&config);

        progress(LoadProgress {
            phase: LoadPhase::Compiling,
            done: 0,
            total: 1,
        });
        let embd = model.require("token_embd.weight")?;
        let formats: Vec<WeightFormat> = model
            .tensors
            .iter()
            .filter(|t| t.dims.len() == 2)
            .map(|t| WeightFormat::for_type(t.ty))
            .collect();
        let down_formats: Vec<WeightFormat> = model
            .tensors
            .iter()
            .filter(|t| t.name.ends_with("ffn_down.weight"))
            .map(|t| WeightFormat::for_type(t.ty))
            .collect();
        let kernels = Kernels::new(
            &ctx,
            family,
            WeightFormat::for_type(embd.ty),
            &formats,
            &down_formats,
            opts.kv_storage,
        )
        .await?;

        let weights = GpuWeights::upload(&ctx, model, source, |done, total| {
            progress(LoadProgress {
                phase: LoadPhase::Uploading,
                done,
                total,
            })
        })
        .await?;
        ctx.check()?;

        progress(LoadProgress {
            phase: LoadPhase::Binding,
            done: 0,
            total: 1,
        });
        let cache = KvCache::new(
            &ctx,
            config.n_layers,
            ring_len,
            config.kv_dim(),
            opts.kv_storage,
        )?;
        let step = StepBuffer::new(&ctx);
        let step_one = StepBuffer::new(&ctx);
        step_one.write(&ctx, 0, 1);
        let steps = StepBuffers {
            step: &step.buffer,
            step_one: &step_one.buffer,
        };
        let decode = Graph::new(&ctx, &kernels, &weights, &cache, &config, &steps, 1)?;
        let prefill = if chunk > 1 {
            Some(Graph::new(
                &ctx, &kernels, &weights, &cache, &config, &steps, chunk,
            )?)
        } else {
            None
        };
        // Large enough for every readback: all logits of a chunk, or 2 x 64 top-k words.
        let staging = staging_buffer(&ctx, ((chunk * config.vocab_size).max(128) * 4) as u64);
        ctx.check()?;
        Ok(GpuModel {
            ctx,
            config,
            memory,
            chunk,
            submit_layer_tokens: opts.submit_layer_tokens,
            family,
            family_reason,
            _weights: weights,
            _cache: cache,
            step,
            _step_one: step_one,
            decode,
            prefill,
            staging,
            pos: 0,
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The kernel family this model runs, and why it was chosen.
    pub fn kernel_family(&self) -> (KernelFamily, &str) {
        (self.family, &self.family_reason)
    }

    /// Dispatches one greedy decode token records: the layer stack, the output head and the
    /// argmax.
    /// Tokens per prefill step (the resolved `prefill_chunk`, bounded by the window).
    pub fn prefill_chunk(&self) -> usize {
        self.chunk
    }

    pub fn dispatches_per_token(&self) -> usize {
        self.decode.layer_dispatches().len() + self.decode.head_all.dispatches().len()
    }

    /// Dispatches of the decoder layer that has most in a decode step.
    pub fn dispatches_per_layer(&self) -> usize {
        self.decode.dispatches_per_layer()
    }

    pub fn memory(&self) -> MemoryEstimate {
        self.memory
    }

    /// Absolute position of the next token.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Starts a new sequence (the ring's old contents are never read again: every slot is
    /// rewritten before a query can reach it).
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// Goes back to position `pos` (<= the current one) to continue from there, keeping the
    /// cached keys/values of positions before it: a chat reuses the prompt prefix it shares with
    /// the previous turn. Only valid while the ring has not wrapped (`position() <=
    /// ring_capacity()`), else older slots were overwritten; refused otherwise. Rewinding to 0
    /// is [`GpuModel::reset`] and always allowed.
    pub fn rewind(&mut self, pos: usize) -> Result<()> {
        let wrapped = self.pos > self.ring_capacity();
        if pos > self.pos || (pos > 0 && pos < self.pos && wrapped) {
            return Err(EngineError::Shape(format!(
                "cannot rewind from position {} to {pos} (ring of {})",
                self.pos,
                self.ring_capacity()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    /// Runs `tokens` and returns the logits of every one, `[tokens.len() x vocab]`.
    pub async fn forward_logits(
        &mut self,
        tokens: &[u32],
        chunk: Option<usize>,
    ) -> Result<Vec<f32>> {
        let chunk = chunk.unwrap_or(self.chunk).clamp(1, self.chunk);
        let mut out = Vec::with_capacity(tokens.len() * self.config.vocab_size);
        for c in tokens.chunks(chunk) {
            out.extend(self.step_bytes(c, Want::AllLogits).await?);
        }
        Ok(out)
    }

    /// Runs `tokens`, returns the logits of the last one.
    pub async fn forward_last_logits(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        self.run_chunks(tokens, Want::LastLogits).await
    }

    /// Runs `tokens`, returns the most likely next token (greedy), reading back 4 bytes.
    pub async fn forward_argmax(&mut self, tokens: &[u32]) -> Result<u32> {
        let v = self.run_chunks(tokens, Want::Argmax).await?;
        Ok(v[0].to_bits())
    }

    /// Runs `tokens`, returns the `k` (1..=`TopK::MAX_K`) most likely next tokens with their
    /// logits, sorted by logit descending then id ascending (NaN ranked as -inf), reading back
    /// 2k u32. Fewer than `k` when the vocabulary is smaller.
    pub async fn forward_top_k(&mut self, tokens: &[u32], k: usize) -> Result<Vec<(u32, f32)>> {
        if k == 0 || k > TopK::MAX_K {
            return Err(EngineError::Shape(format!(
                "top-k: k = {k} is outside 1..={}",
                TopK::MAX_K
            )));
        }
        let v = self.run_chunks(tokens, Want::TopK(k)).await?;
        let n = k.min(self.config.vocab_size);
        Ok((0..n).map(|i| (v[i].to_bits(), v[k + i])).collect())
    }

    async fn run_chunks(&mut self, tokens: &[u32], want: Want) -> Result<Vec<f32>> {
        if tokens.is_empty() {
            return Err(EngineError::Shape("no tokens to run".into()));
        }
        let chunks: Vec<&[u32]> = tokens.chunks(self.chunk).collect();
        let last = chunks.len() - 1;
        let mut result = Vec::new();
        let mut want = Some(want);
        for (i, c) in chunks.into_iter().enumerate() {
            let w = if i == last {
                want.take().unwrap_or(Want::Nothing)
            } else {
                Want::Nothing
            };
            result = self.step_bytes(c, w).await?;
        }
        Ok(result)
    }

    /// One step of at most `chunk` tokens. Argmax comes back as one f32 holding the u32 bits,
    /// top-k as k such ids then k logits.
    async fn step_bytes(&mut self, tokens: &[u32], want: Want) -> Result<Vec<f32>> {
        let n = tokens.len();
        let vocab = self.config.vocab_size;
        if let Some(&id) = tokens.iter().find(|&&id| id as usize >= vocab) {
            return Err(EngineError::BadToken { id, vocab });
        }
        if self.config.sliding_window.is_none() && self.pos + n > self.ring_capacity() {
            return Err(EngineError::PastContext {
                pos: self.pos + n - 1,
                context: self.ring_capacity(),
            });
        }
        let ctx = Arc::clone(&self.ctx);
        let graph = if n == 1 {
            &self.decode
        } else {
            self.prefill
                .as_ref()
                .expect("chunks above 1 only when a prefill graph exists")
        };
        ctx.queue
            .write_buffer(&graph.ids, 0, bytemuck::cast_slice(tokens));
        self.step.write(&ctx, self.pos, n);
        // A long chunk's layers go in several submissions (all but the last submitted here,
        // without waiting), so that no single submission runs for seconds: Windows resets a GPU
        // whose submission takes over 2 s, and other work on the GPU gets a turn.
        // Decode steps are one part: no per-token allocation.
        let mut parts = if n > 1 {
            graph.layer_parts((self.submit_layer_tokens / n).max(1))
        } else {
            Vec::new()
        };
        let last_part = parts.pop().unwrap_or(0..graph.layer_dispatches().len());
        for part in parts {
            let mut enc = ctx.device.create_command_encoder(&Default::default());
            graph.encode_part(&mut enc.begin_compute_pass(&Default::default()), part);
            ctx.queue.submit(Some(enc.finish()));
        }
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            graph.encode_part(&mut pass, last_part);
            if matches!(want, Want::AllLogits) || (n == 1 && !matches!(want, Want::Nothing)) {
                graph.head_all.encode(&mut pass);
                if n == 1 && matches!(want, Want::TopK(_)) {
                    graph.head_all.encode_top_k(&mut pass);
                }
            }
        }
        let dim = self.config.dim as u64;
        let head = if matches!(want, Want::AllLogits) || n == 1 {
            &graph.head_all
        } else {
            &graph.head_last
        };
        if n > 1 && matches!(want, Want::Argmax | Want::TopK(_) | Want::LastLogits) {
            enc.copy_buffer_to_buffer(
                &graph.x,
                (n as u64 - 1) * dim * 4,
                &graph.x_last,
                0,
                dim * 4,
            );
            let mut pass = enc.begin_compute_pass(&Default::default());
            graph.head_last.encode(&mut pass);
            if matches!(want, Want::TopK(_)) {
                graph.head_last.encode_top_k(&mut pass);
            }
        }
        self.pos += n;
        let bytes = match want {
            Want::Nothing => {
                ctx.queue.submit(Some(enc.finish()));
                ctx.check()?;
                return Ok(Vec::new());
            }
            Want::Argmax => {
                submit_and_read_via(&ctx, enc, &head.argmax_out, 0, 4, &self.staging).await?
            }
            Want::TopK(k) => {
                head.pack_top_k(&mut enc, k);
                submit_and_read_via(
                    &ctx,
                    enc,
                    &head.top_k_packed,
                    0,
                    (2 * k * 4) as u64,
                    &self.staging,
                )
                .await?
            }
            Want::LastLogits => {
                let row = if std::ptr::eq(head, &graph.head_all) {
                    n - 1
                } else {
                    0
                };
                let off = (row * vocab * 4) as u64;
                submit_and_read_via(
                    &ctx,
                    enc,
                    &head.logits,
                    off,
                    vocab as u64 * 4,
                    &self.staging,
                )
                .await?
            }
            Want::AllLogits => {
                submit_and_read_via(
                    &ctx,
                    enc,
                    &head.logits,
                    0,
                    (n * vocab * 4) as u64,
                    &self.staging,
                )
                .await?
            }
        };
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Runs `tokens` (at most one prefill chunk; one token profiles a decode step) like a
    /// greedy step, each dispatch timed on the GPU, and advances the position as that step would.
    pub async fn profile_step(&mut self, tokens: &[u32]) -> Result<StepProfile> {
        let n = tokens.len();
        if n == 0 || n > self.chunk {
            return Err(EngineError::Shape(format!(
                "a profiled step takes 1..={} tokens, not {n}",
                self.chunk
            )));
        }
        let vocab = self.config.vocab_size;
        if let Some(&id) = tokens.iter().find(|&&id| id as usize >= vocab) {
            return Err(EngineError::BadToken { id, vocab });
        }
        if self.config.sliding_window.is_none() && self.pos + n > self.ring_capacity() {
            return Err(EngineError::PastContext {
                pos: self.pos + n - 1,
                context: self.ring_capacity(),
            });
        }
        let graph = if n == 1 {
            &self.decode
        } else {
            self.prefill
                .as_ref()
                .expect("chunks above 1 only when a prefill graph exists")
        };
        self.ctx
            .queue
            .write_buffer(&graph.ids, 0, bytemuck::cast_slice(tokens));
        self.step.write(&self.ctx, self.pos, n);
        // The head as a greedy step runs it: over the one row of a decode step, or over the
        // last row of a chunk (copied out first; its contents do not change the time).
        let head = if n == 1 {
            &graph.head_all
        } else {
            &graph.head_last
        };
        let list: Vec<&crate::ops::Dispatch> = graph
            .layer_dispatches()
            .iter()
            .chain(head.dispatches().iter())
            .collect();
        let profile = super::profile::profile_dispatches(&self.ctx, &list, n).await?;
        self.pos += n;
        Ok(profile)
    }

    /// Key/value slots per layer: the context without a window, W + chunk - 1 with one.
    pub fn ring_capacity(&self) -> usize {
        self._cache.ring_len
    }
}
