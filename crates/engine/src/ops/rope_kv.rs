//! RoPE of a chunk's q and k and the write of k and v into the rolling cache, in one dispatch
//! (`shaders/rope_kv.wgsl` with `kv_store_<storage>.wgsl`). Same numbers as [`super::Rope`]
//! followed by [`super::KvWrite`] (the same angle code and cache stores), one dispatch instead
//! of two or three per layer.

use crate::buffers;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::ops::rope::inv_freq;
use crate::ops::{
    check_len, check_step, grid_for, to_u32, Dispatches, Kernel, KvCache, KvStorage, Slot,
};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RopeKvParams {
    head_dim: u32,
    n_heads: u32,
    n_kv_heads: u32,
    row_stride: u32,
    q_off: u32,
    k_off: u32,
    v_off: u32,
    ring_len: u32,
    cap: u32,
    _pad: [u32; 3],
}

/// Where q, k and v sit in each token's row of the projection buffer, in floats.
#[derive(Clone, Copy, Debug)]
pub struct QkvRows {
    pub row_stride: usize,
    pub q_offset: usize,
    pub k_offset: usize,
    pub v_offset: usize,
}

/// The heads a [`RopeKv`] binding rotates and stores.
#[derive(Clone, Copy, Debug)]
pub struct Heads {
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
    pub theta: f32,
}

pub struct RopeKv {
    kernel: Kernel,
    storage: KvStorage,
}

impl RopeKv {
    pub async fn new(ctx: &GpuContext, storage: KvStorage) -> Result<Self> {
        let slots = [
            Slot::Uniform,
            Slot::Read,
            Slot::Read,
            Slot::ReadWrite,
            Slot::ReadWrite,
            Slot::ReadWrite,
        ];
        Ok(RopeKv {
            kernel: Kernel::new(ctx, &shaders::rope_kv(storage), &slots).await?,
            storage,
        })
    }

    /// Binds RoPE + cache write for up to `cap` rows of `rows` laid out as `layout`, into
    /// `layer` of `cache`; `step` gives the first position and the token count.
    #[allow(clippy::too_many_arguments)]
    pub fn bind(
        &self,
        ctx: &GpuContext,
        rows: &wgpu::Buffer,
        layout: QkvRows,
        heads: Heads,
        cache: &KvCache,
        layer: usize,
        step: &wgpu::Buffer,
        cap: usize,
    ) -> Result<Dispatches> {
        if cache.storage != self.storage {
            return Err(EngineError::Shape(format!(
                "rope_kv built for a {} cache bound to a {} cache",
                self.storage.name(),
                cache.storage.name()
            )));
        }
        let Heads {
            n_heads,
            n_kv_heads,
            head_dim,
            theta,
        } = heads;
        let q_dim = n_heads * head_dim;
        let kv_dim = n_kv_heads * head_dim;
        if !head_dim.is_multiple_of(2) || kv_dim != cache.kv_dim {
            return Err(EngineError::Shape(format!(
                "rope_kv: head_dim {head_dim} must be even and {n_kv_heads} x {head_dim} must \
                 equal the cache's row of {}",
                cache.kv_dim
            )));
        }
        if cap == 0 || cap > cache.ring_len {
            return Err(EngineError::Shape(format!(
                "rope_kv of chunks of {cap} tokens into a ring of {} slots: the chunk must be \
                 between 1 and the ring length",
                cache.ring_len
            )));
        }
        let QkvRows {
            row_stride,
            q_offset,
            k_offset,
            v_offset,
        } = layout;
        let fits = |off: usize, len: usize| off + len <= row_stride && off.is_multiple_of(2);
        if !row_stride.is_multiple_of(2)
            || !fits(q_offset, q_dim)
            || !fits(k_offset, kv_dim)
            || !fits(v_offset, kv_dim)
        {
            return Err(EngineError::Shape(format!(
                "rope_kv: q at {q_offset} ({q_dim} values), k at {k_offset} and v at {v_offset} \
                 ({kv_dim} each) must lie in rows of {row_stride} values, at even offsets"
            )));
        }
        check_len(rows, cap * row_stride, "rope_kv rows")?;
        check_step(step)?;
        let (k_cache, v_cache) = cache.layer(layer)?;
        let params = RopeKvParams {
            head_dim: to_u32(head_dim, "head_dim")?,
            n_heads: to_u32(n_heads, "n_heads")?,
            n_kv_heads: to_u32(n_kv_heads, "n_kv_heads")?,
            row_stride: to_u32(row_stride, "row_stride")?,
            q_off: to_u32(q_offset, "q_offset")?,
            k_off: to_u32(k_offset, "k_offset")?,
            v_off: to_u32(v_offset, "v_offset")?,
            ring_len: to_u32(cache.ring_len, "ring_len")?,
            cap: to_u32(cap, "cap")?,
            _pad: [0; 3],
        };
        let inv_freq = buffers::storage_from(ctx, "rope inv_freq", &inv_freq(head_dim, theta));
        let uniform = buffers::uniform(ctx, "rope_kv params", &params);
        let invocations = to_u32(cap * (q_dim + kv_dim) / 2, "rope_kv pairs")?;
        let group = self
            .kernel
            .bind(ctx, &[&uniform, step, &inv_freq, rows, k_cache, v_cache]);
        Ok(self
            .kernel
            .record(group, grid_for(ctx, invocations.div_ceil(64)))
            .into())
    }
}
