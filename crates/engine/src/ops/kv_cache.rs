//! The rolling KV cache: per layer one K and one V buffer of `ring_len` slots of `kv_dim` values
//! (REFERENCE.md: position p lives in slot p % ring_len; RoPE is applied before K is written, so
//! the order of the slots does not matter to attention). Written by [`super::KvWrite`], read by
//! [`super::Attention`].

use crate::buffers::ACTIVATION_USAGE;
use crate::context::GpuContext;
use crate::error::{EngineError, Result};

/// How cached K/V values are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvStorage {
    /// One f32 per value: exact.
    F32,
    /// Two f16 per u32 word (low half first), rounded to nearest even: half the memory and
    /// bandwidth, ~1e-3 relative error on attention outputs. Needs no `shader-f16`.
    F16,
}

impl KvStorage {
    /// Bytes of one cached value.
    pub fn value_bytes(self) -> u64 {
        match self {
            KvStorage::F32 => 4,
            KvStorage::F16 => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KvStorage::F32 => "f32",
            KvStorage::F16 => "f16",
        }
    }
}

pub struct KvCache {
    pub ring_len: usize,
    pub kv_dim: usize,
    pub storage: KvStorage,
    /// K of each layer, `ring_len * kv_dim` values in slot-major order.
    pub k: Vec<wgpu::Buffer>,
    /// V of each layer, same layout as `k`.
    pub v: Vec<wgpu::Buffer>,
}

impl KvCache {
    /// Bytes of one layer's K (or V) buffer: padded to 16 like the activation buffers.
    fn buffer_bytes(ring_len: usize, kv_dim: usize, storage: KvStorage) -> u64 {
        // Saturating: an absurd ring must read as absurdly large, never wrap to a small size.
        (ring_len as u64)
            .saturating_mul(kv_dim as u64)
            .saturating_mul(storage.value_bytes())
            .div_ceil(16)
            .max(1)
            .saturating_mul(16)
    }

    /// GPU memory of a cache of these dimensions (K and V of every layer), for the estimate
    /// made before loading.
    pub fn bytes(n_layers: usize, ring_len: usize, kv_dim: usize, storage: KvStorage) -> u64 {
        (2 * n_layers as u64).saturating_mul(Self::buffer_bytes(ring_len, kv_dim, storage))
    }

    /// Allocates the (zeroed) cache; errors when one layer's buffer is above what the adapter
    /// can bind, naming the way out.
    pub fn new(
        ctx: &GpuContext,
        n_layers: usize,
        ring_len: usize,
        kv_dim: usize,
        storage: KvStorage,
    ) -> Result<KvCache> {
        if ring_len == 0 || kv_dim == 0 {
            return Err(EngineError::Shape(format!(
                "KV cache of {ring_len} slots x {kv_dim} values is empty"
            )));
        }
        // Kernels move values in pairs (one u32 word of f16); every head_dim is even.
        if !kv_dim.is_multiple_of(2) {
            return Err(EngineError::Shape(format!(
                "KV cache row of {kv_dim} values: kv_dim must be even"
            )));
        }
        let size = Self::buffer_bytes(ring_len, kv_dim, storage);
        let limit = ctx.max_binding_bytes();
        if size > limit {
            return Err(EngineError::AdapterLimit(format!(
                "the KV cache needs {} MiB per layer for K (and as much for V): {ring_len} slots x \
                 {kv_dim} values in {}, above this adapter's limit of {} MiB per buffer binding; \
                 use a shorter context length{}",
                size >> 20,
                storage.name(),
                limit >> 20,
                if storage == KvStorage::F32 {
                    " or the f16 KV cache"
                } else {
                    ""
                }
            )));
        }
        let make = |what: &str, l: usize| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(&format!("kv cache {what} layer {l}")),
                size,
                usage: ACTIVATION_USAGE,
                mapped_at_creation: false,
            })
        };
        Ok(KvCache {
            ring_len,
            kv_dim,
            storage,
            k: (0..n_layers).map(|l| make("k", l)).collect(),
            v: (0..n_layers).map(|l| make("v", l)).collect(),
        })
    }

    /// Errors unless `layer` exists.
    pub(crate) fn layer(&self, layer: usize) -> Result<(&wgpu::Buffer, &wgpu::Buffer)> {
        match (self.k.get(layer), self.v.get(layer)) {
            (Some(k), Some(v)) => Ok((k, v)),
            _ => Err(EngineError::Shape(format!(
                "KV cache has {} layers, layer {layer} asked",
                self.k.len()
            ))),
        }
    }
}
