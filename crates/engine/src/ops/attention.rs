//! Attention of a chunk's queries over the rolling KV cache (`shaders/attention.wgsl`, and
//! `shaders/attention_merge.wgsl` when the keys are split).
//!
//! Query token i of a step sits at position p = pos0 + i and attends to the keys
//! [max(0, p - W + 1), p] (no window: [0, p]), key j in ring slot j % ring_len, with scale
//! 1/sqrt(head_dim) and GQA (head h reads KV head h / (n_heads / n_kv_heads)), as
//! `mistral_reference::forward`. The caller runs [`super::KvWrite`] for the chunk first, in the
//! same pass. That is exact while the chunk's writes only overwrite positions no query still
//! needs: ring_len >= W + cap - 1 with a window, or every position < ring_len without one.
//!
//! Decode (cap = 1) splits the keys over up to min(keys / 256, 32) workgroups per head and
//! merges the partial softmaxes in a second dispatch (flash-decoding), so a long window does not
//! leave the GPU with one workgroup per head. Prefill chunks already have enough workgroups and
//! need no merge.
//!
//! Two kernels: `attention` (the CPU family) takes one workgroup per (split, head, token), each
//! query walking its keys alone (no cross-query bookkeeping: the cheapest on a CPU adapter);
//! `attention_tiled` (the GPU family) one per (tile, KV head, split), a tile being 16 query
//! rows that read the same K/V: the GQA group's heads (Mistral: 4) x 16 / group tokens, so
//! decode reads each key once per KV head rather than once per query head, and prefill shares
//! each read among the tile's tokens too (FlashAttention-2's query tiles). It needs head_dim <=
//! 128 and a group dividing 16; otherwise the GPU family uses `attention` too.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::kernel_family::KernelFamily;
use crate::ops::{check_grid, check_len, to_u32, Dispatches, Kernel, KvCache, KvStorage, Slot};
use crate::shaders::{self, F16Decode};

/// How decode cuts the keys of a head into splits (flash-decoding). The kernels use as many
/// splits as the keys present need (one per `keys` keys), at most `max`; the grid holds `max`,
/// and the splits not in use leave at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitPolicy {
    pub keys: u32,
    pub max: u32,
}

impl SplitPolicy {
    /// Real GPUs: 256 keys per split (a 4096 window gives 16 workgroups per head), at most 32
    /// (32 heads x 32 fill a large GPU; bounds the partials of a 32k context).
    pub const GPU: SplitPolicy = SplitPolicy { keys: 256, max: 32 };
    /// CPU adapters: a workgroup costs ~2 us to start on lavapipe even when it leaves at once,
    /// and there are only as many threads as cores, so few, long splits (SmolLM2 decode at 33
    /// keys: 288 mostly idle workgroups took 0.64 ms per layer).
    pub const CPU: SplitPolicy = SplitPolicy { keys: 1024, max: 4 };

    pub fn for_family(family: KernelFamily) -> Self {
        match family {
            KernelFamily::Cpu => SplitPolicy::CPU,
            KernelFamily::Gpu => SplitPolicy::GPU,
        }
    }
}
/// Largest head_dim the kernel holds (pairs of dims per lane x 64 lanes, see attention.wgsl).
const MAX_HEAD_DIM: usize = 256;
/// Largest head_dim of the query-tiled kernel (one pair per lane).
const MAX_TILED_HEAD_DIM: usize = 128;
/// Query rows (token, head) per workgroup of the tiled kernel (ROWS in attention.wgsl).
const TILE_ROWS: usize = 16;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct AttentionParams {
    n_heads: u32,
    group: u32,
    head_dim: u32,
    kv_dim: u32,
    ring_len: u32,
    window: u32,
    n_splits: u32,
    scale: f32,
    q_stride: u32,
    split_keys: u32,
    _pad: [u32; 2],
}

pub struct Attention {
    attention: Kernel,
    tiled: Kernel,
    merge: Kernel,
    storage: KvStorage,
    splits: SplitPolicy,
    /// `attention_tiled` where head_dim and the GQA group allow.
    query_tiles: bool,
}

pub struct AttentionBinding {
    /// The attention dispatch, then the merge of the key splits when there are several (the
    /// bind groups keep the partial-softmax buffer alive).
    pub dispatches: Dispatches,
    n_splits: u32,
}

impl AttentionBinding {
    /// How many workgroups share one query head's keys (1: no merge pass).
    pub fn n_splits(&self) -> u32 {
        self.n_splits
    }
}

impl Attention {
    pub async fn new(ctx: &GpuContext, storage: KvStorage) -> Result<Self> {
        Self::with_f16_decode(ctx, storage, ctx.features.f16_decode()).await
    }

    /// The kernels with a chosen f16 decoder for an f16 cache (tests run both where the device
    /// has both; an f32 cache ignores it).
    pub async fn with_f16_decode(
        ctx: &GpuContext,
        storage: KvStorage,
        f16: F16Decode,
    ) -> Result<Self> {
        let slots = [
            Slot::Uniform,
            Slot::Read,
            Slot::Read,
            Slot::Read,
            Slot::Read,
            Slot::ReadWrite,
            Slot::ReadWrite,
        ];
        let merge_slots = [Slot::Uniform, Slot::Read, Slot::Read, Slot::ReadWrite];
        Ok(Attention {
            attention: Kernel::new(ctx, &shaders::attention(storage, f16), &slots).await?,
            tiled: Kernel::new(ctx, &shaders::attention_tiled(storage, f16), &slots).await?,
            merge: Kernel::new(ctx, &shaders::attention_merge(), &merge_slots).await?,
            storage,
            splits: SplitPolicy::GPU,
            query_tiles: true,
        })
    }

    /// These kernels with decode's keys cut by `splits` (default: [`SplitPolicy::GPU`]).
    pub fn with_splits(mut self, splits: SplitPolicy) -> Self {
        self.splits = splits;
        self
    }

    /// The query-tiled kernel where it applies (true, the default), or always one workgroup
    /// per (split, head, token).
    pub fn with_query_tiles(mut self, tiles: bool) -> Self {
        self.query_tiles = tiles;
        self
    }

    /// The split policy and prefill kernel of `family`.
    pub fn for_family(self, family: KernelFamily) -> Self {
        self.with_splits(SplitPolicy::for_family(family))
            .with_query_tiles(family == KernelFamily::Gpu)
    }

    /// Binds attention of up to `cap` queries (`q`, RoPE applied, `[cap][n_heads][head_dim]`)
    /// over `layer` of `cache`, writing `out` in the layout of `q`.
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        q: &wgpu::Buffer,
        cache: &KvCache,
        layer: usize,
        out: &wgpu::Buffer,
        n_heads: usize,
        n_kv_heads: usize,
        head_dim: usize,
        window: Option<usize>,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<AttentionBinding> {
        let q_rows = n_heads * head_dim;
        self.bind_strided(
            ctx, q, q_rows, cache, layer, out, n_heads, n_kv_heads, head_dim, window, step, cap,
        )
    }

    /// [`Attention::bind`] with token `t`'s queries at `q[t * q_row_stride..]` (the q part of
    /// a fused `[q | k | v]` projection row); `out` stays `[cap][n_heads][head_dim]`.
    #[allow(clippy::too_many_arguments)]
    pub fn bind_strided(
        &self,
        ctx: &GpuContext,
        q: &wgpu::Buffer,
        q_row_stride: usize,
        cache: &KvCache,
        layer: usize,
        out: &wgpu::Buffer,
        n_heads: usize,
        n_kv_heads: usize,
        head_dim: usize,
        window: Option<usize>,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<AttentionBinding> {
        if q_row_stride < n_heads * head_dim || !q_row_stride.is_multiple_of(2) {
            return Err(EngineError::Shape(format!(
                "attention: query rows of {q_row_stride} values cannot hold {n_heads} heads of {head_dim} (or are odd)"
            )));
        }
        if cache.storage != self.storage {
            return Err(EngineError::Shape(format!(
                "attention built for a {} cache bound to a {} cache",
                self.storage.name(),
                cache.storage.name()
            )));
        }
        if head_dim == 0 || head_dim > MAX_HEAD_DIM || !head_dim.is_multiple_of(2) {
            return Err(EngineError::Shape(format!(
                "attention supports even head dimensions up to {MAX_HEAD_DIM}, not {head_dim}"
            )));
        }
        if n_kv_heads == 0 || n_heads == 0 || !n_heads.is_multiple_of(n_kv_heads) {
            return Err(EngineError::Shape(format!(
                "attention: {n_heads} query heads cannot share {n_kv_heads} KV heads evenly"
            )));
        }
        if n_kv_heads * head_dim != cache.kv_dim {
            return Err(EngineError::Shape(format!(
                "attention: {n_kv_heads} KV heads x {head_dim} does not match the cache rows of {}",
                cache.kv_dim
            )));
        }
        let ring = cache.ring_len;
        let needed = match window {
            Some(0) => {
                return Err(EngineError::Shape(
                    "attention: a sliding window of 0 keys".into(),
                ))
            }
            // The chunk's writes land on positions up to pos0 + cap - 1 - ring; the first query
            // still needs pos0 - W + 1.
            Some(w) => w + cap - 1,
            // Positions must also stay below ring_len (the caller's context check).
            None => cap,
        };
        if cap == 0 || ring < needed {
            return Err(EngineError::Shape(format!(
                "attention with {} and chunks of {cap} tokens needs a KV ring of at least {needed} \
                 slots, but the cache has {ring}: writing a chunk would overwrite keys its own \
                 queries still attend to; size the ring as window + chunk - 1 or use smaller chunks",
                match window {
                    Some(w) => format!("a sliding window of {w}"),
                    None => "no window".to_string(),
                }
            )));
        }
        let (k_cache, v_cache) = cache.layer(layer)?;
        let n = cap * n_heads * head_dim;
        check_len(
            q,
            (cap - 1) * q_row_stride + n_heads * head_dim,
            "attention queries",
        )?;
        check_len(out, n, "attention output")?;

        let max_keys = window.map_or(ring, |w| w.min(ring));
        let n_splits = if cap == 1 {
            max_keys
                .div_ceil(self.splits.keys as usize)
                .clamp(1, self.splits.max as usize)
        } else {
            1
        };
        let params = AttentionParams {
            n_heads: to_u32(n_heads, "n_heads")?,
            group: to_u32(n_heads / n_kv_heads, "group")?,
            head_dim: to_u32(head_dim, "head_dim")?,
            kv_dim: to_u32(cache.kv_dim, "kv_dim")?,
            ring_len: to_u32(ring, "ring_len")?,
            window: to_u32(window.unwrap_or(0), "window")?,
            n_splits: to_u32(n_splits, "n_splits")?,
            scale: 1.0 / (head_dim as f32).sqrt(),
            q_stride: to_u32(q_row_stride / 2, "q_row_stride")?,
            split_keys: self.splits.keys,
            _pad: [0; 2],
        };
        let uniform = buffers::uniform(ctx, "attention params", &params);
        let group = n_heads / n_kv_heads;
        let tiled =
            self.query_tiles && head_dim <= MAX_TILED_HEAD_DIM && TILE_ROWS.is_multiple_of(group);
        let grid = if tiled {
            [
                to_u32(cap.div_ceil(TILE_ROWS / group), "query tiles")?,
                to_u32(n_kv_heads, "n_kv_heads")?,
                params.n_splits,
            ]
        } else {
            [params.n_splits, params.n_heads, to_u32(cap, "cap")?]
        };
        let grid = check_grid(ctx, grid, "attention")?;
        let partial_len = if n_splits > 1 {
            n_heads * cap * n_splits * (head_dim + 2)
        } else {
            1
        };
        let partials = buffers::storage(ctx, "attention partials", partial_len);
        let kernel = if tiled { &self.tiled } else { &self.attention };
        let bind_group = kernel.bind(ctx, &[&uniform, step, q, k_cache, v_cache, out, &partials]);
        let merge = if n_splits > 1 {
            let merge_grid = check_grid(
                ctx,
                [params.n_heads, to_u32(cap, "cap")?, 1],
                "attention merge",
            )?;
            let g = self.merge.bind(ctx, &[&uniform, step, &partials, out]);
            Some(self.merge.record(g, merge_grid))
        } else {
            None
        };
        let mut dispatches = Dispatches::from(kernel.record(bind_group, grid));
        dispatches.0.extend(merge);
        Ok(AttentionBinding {
            dispatches,
            n_splits: params.n_splits,
        })
    }

    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>, b: &AttentionBinding) {
        b.dispatches.encode(pass);
    }
}
