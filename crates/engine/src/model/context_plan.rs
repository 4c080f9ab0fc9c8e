//! How long a KV cache to give a model that has no sliding window when the user did not say:
//! its trained context, unless the adapter's binding limit or a memory budget says less.
//!
//! WebGPU (and wgpu) expose no GPU memory size, so the budget cannot be "what is free". It is
//! tied to what the user already accepted by loading the model: a quarter of the weights'
//! bytes, at least 512 MiB (small models keep their full context) and at most 2 GiB (a 7B's
//! ~4.4 GB of weights gets ~1 GiB: 8192 tokens of f16 KV for Mistral-7B v0.2 Q4_K_M, whose 32k
//! trained context would need 4 GiB; ~5.5 GB of GPU memory in all). A model with a window needs no plan: its ring is W + chunk - 1.

use crate::ops::{KvCache, KvStorage};
use mistral_formats::ModelConfig;

use super::options::MAX_CONTEXT;

/// The f32 KV cache is kept (exact) up to this size under `auto` precision; past it f16 halves it.
pub const AUTO_F32_KV_MAX: u64 = 512 << 20;

/// Smallest and largest KV budget (see the module docs).
pub const MIN_KV_BUDGET: u64 = 512 << 20;
pub const MAX_KV_BUDGET: u64 = 2 << 30;

/// Capped contexts are rounded down to a multiple of this (when at least this long): a round
/// figure to show, and no capacity worth having is lost.
const ROUND_TOKENS: usize = 256;

/// What set the context's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextLimit {
    /// The model's trained context (nothing smaller applied).
    Trained,
    /// The model attends through a sliding window; the context is unbounded, the ring W + chunk - 1.
    Window,
    /// The caller asked for this length.
    Requested,
    /// One layer's K (or V) buffer would pass the adapter's largest storage binding.
    Binding,
    /// The KV cache would pass the memory budget (see the module docs).
    Budget,
}

impl ContextLimit {
    /// A stable name for APIs ("trained", "window", "requested", "binding", "budget").
    pub fn name(self) -> &'static str {
        match self {
            ContextLimit::Trained => "trained",
            ContextLimit::Window => "window",
            ContextLimit::Requested => "requested",
            ContextLimit::Binding => "binding",
            ContextLimit::Budget => "budget",
        }
    }
}

/// The chosen context length, KV precision and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextPlan {
    pub context: usize,
    pub kv_storage: KvStorage,
    pub limit: ContextLimit,
    /// The budget the plan was held to (bytes of K and V over all layers).
    pub kv_budget: u64,
}

/// The KV budget for a model whose weights take `weight_bytes` on the GPU.
pub fn kv_budget(weight_bytes: u64) -> u64 {
    (weight_bytes / 4).clamp(MIN_KV_BUDGET, MAX_KV_BUDGET)
}

/// Plans the context of `config`. `requested`: the caller's context length (used as given;
/// loading checks it against the binding limit and reports a clear error). `precision`: `None`
/// for automatic (f32 while the cache stays under [`AUTO_F32_KV_MAX`] and f32 gives as long a
/// context as f16; else f16). `ring_of`: slots per layer for a context (the window's ring for
/// windowed models), from [`super::ModelOptions::ring_len`].
pub fn plan_context(
    config: &ModelConfig,
    requested: Option<usize>,
    precision: Option<KvStorage>,
    weight_bytes: u64,
    max_binding_bytes: u64,
    ring_of: impl Fn(usize) -> usize,
) -> ContextPlan {
    let kv_budget = kv_budget(weight_bytes);
    let trained = config.context_length.clamp(1, MAX_CONTEXT);
    let plan_with = |storage: KvStorage| -> (usize, ContextLimit) {
        if config.sliding_window.is_some() {
            return (requested.unwrap_or(trained), ContextLimit::Window);
        }
        if let Some(n) = requested {
            return (n, ContextLimit::Requested);
        }
        let per_slot = config.kv_dim() as u64 * storage.value_bytes();
        let per_token_all_layers = 2 * config.n_layers as u64 * per_slot;
        let by_binding = usize::try_from(max_binding_bytes / per_slot.max(1)).unwrap_or(usize::MAX);
        let by_budget =
            usize::try_from(kv_budget / per_token_all_layers.max(1)).unwrap_or(usize::MAX);
        let (n, limit) = [
            (trained, ContextLimit::Trained),
            (by_binding, ContextLimit::Binding),
            (by_budget, ContextLimit::Budget),
        ]
        .into_iter()
        .min_by_key(|&(n, _)| n)
        .expect("three candidates");
        let n = if limit != ContextLimit::Trained && n >= ROUND_TOKENS {
            n / ROUND_TOKENS * ROUND_TOKENS
        } else {
            n.max(1)
        };
        (n, limit)
    };
    let bytes =
        |n: usize, storage| KvCache::bytes(config.n_layers, ring_of(n), config.kv_dim(), storage);
    let chosen = match precision {
        Some(storage) => storage,
        None => {
            let (n32, _) = plan_with(KvStorage::F32);
            let (n16, _) = plan_with(KvStorage::F16);
            if n32 >= n16 && bytes(n32, KvStorage::F32) <= AUTO_F32_KV_MAX {
                KvStorage::F32
            } else {
                KvStorage::F16
            }
        }
    };
    let (context, limit) = plan_with(chosen);
    ContextPlan {
        context,
        kv_storage: chosen,
        limit,
        kv_budget,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mistral-7B's shape (32 layers, 8 KV heads of 128) with a given window and trained context.
    fn mistral(window: Option<usize>, context_length: usize) -> ModelConfig {
        ModelConfig {
            architecture: "llama".into(),
            name: None,
            dim: 4096,
            n_layers: 32,
            n_heads: 32,
            n_kv_heads: 8,
            head_dim: 128,
            ffn_dim: 14336,
            vocab_size: 32000,
            norm_eps: 1e-5,
            rope_theta: 1e6,
            context_length,
            sliding_window: window,
            window_source: mistral_formats::config::WindowSource::File,
            tied_embeddings: false,
        }
    }

    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    const Q4_K_M_7B: u64 = 4_370_000_000;

    #[test]
    fn mistral_v02_gets_the_budget_in_f16_not_its_32k_context() {
        // 32 layers x K and V x 1024 values x 2 bytes = 128 KiB per token; the budget, a quarter
        // of 4.37 GB = 1.09e9 B, holds 8335 tokens -> 8192 rounded down.
        let c = mistral(None, 32768);
        let plan = plan_context(&c, None, None, Q4_K_M_7B, 128 * MIB, |n| n);
        assert_eq!(plan.kv_storage, KvStorage::F16);
        assert_eq!(plan.limit, ContextLimit::Budget);
        assert_eq!(plan.context, 8192);
        assert!(KvCache::bytes(32, plan.context, 1024, KvStorage::F16) <= plan.kv_budget);
    }

    #[test]
    fn a_small_model_keeps_its_trained_context_in_f32() {
        // SmolLM2-135M: 30 layers, 3 KV heads of 64, trained on 8192: 377 MB of f32 KV.
        let c = ModelConfig {
            n_layers: 30,
            n_kv_heads: 3,
            head_dim: 64,
            n_heads: 9,
            dim: 576,
            context_length: 8192,
            sliding_window: None,
            ..mistral(None, 8192)
        };
        let plan = plan_context(&c, None, None, 90 * MIB, GIB, |n| n);
        assert_eq!(
            (plan.context, plan.kv_storage, plan.limit),
            (8192, KvStorage::F32, ContextLimit::Trained)
        );
    }

    #[test]
    fn the_binding_limit_caps_one_layers_buffer() {
        let c = mistral(None, 32768);
        let plan = plan_context(&c, None, Some(KvStorage::F16), Q4_K_M_7B, 12 * MIB, |n| n);
        assert_eq!(plan.limit, ContextLimit::Binding);
        // 12 MiB / 2 KiB = 6144 slots.
        assert_eq!(plan.context, 6144);
        // f32 under auto would get half the tokens, so auto picks f16.
        let auto = plan_context(&c, None, None, Q4_K_M_7B, 12 * MIB, |n| n);
        assert_eq!((auto.kv_storage, auto.context), (KvStorage::F16, 6144));
    }

    #[test]
    fn requested_and_windowed_contexts_are_taken_as_given() {
        let c = mistral(None, 32768);
        let plan = plan_context(&c, Some(100_000), None, Q4_K_M_7B, 128 * MIB, |n| n);
        assert_eq!(
            (plan.context, plan.limit),
            (100_000, ContextLimit::Requested)
        );
        assert_eq!(plan.kv_storage, KvStorage::F16); // 25 GB in f32: auto halves it
        let w = mistral(Some(4096), 32768);
        let plan = plan_context(&w, None, None, Q4_K_M_7B, 128 * MIB, |_| 4096 + 255);
        assert_eq!(plan.limit, ContextLimit::Window);
        // A 4351-slot ring in f32 is 1.1 GB, past the auto f32 limit.
        assert_eq!(plan.kv_storage, KvStorage::F16);
    }

    #[test]
    fn budget_is_clamped() {
        assert_eq!(kv_budget(0), MIN_KV_BUDGET);
        assert_eq!(kv_budget(100 * GIB), MAX_KV_BUDGET);
        assert_eq!(kv_budget(4 * GIB), GIB);
    }
}
