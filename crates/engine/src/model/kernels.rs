//! Every compiled kernel a model needs, built once per model (one matmul per weight format the
//! file uses).

use std::collections::HashMap;

use crate::context::GpuContext;
use crate::error::Result;
use crate::kernel_family::KernelFamily;
use crate::layout::WeightFormat;
use crate::ops::{
    Add, AddRmsNorm, Argmax, Attention, Embedding, KvStorage, Matmul, RmsNorm, RopeKv, SiluMul,
    TopK,
};

pub(crate) struct Kernels {
    pub embedding: Embedding,
    pub matmul: HashMap<WeightFormat, Matmul>,
    /// The down projections' kernels reading silu(gate) * up from `[gate | up]` rows.
    pub matmul_silu: HashMap<WeightFormat, Matmul>,
    pub rms_norm: RmsNorm,
    pub rope_kv: RopeKv,
    pub silu_mul: SiluMul,
    pub add: Add,
    pub add_rms_norm: AddRmsNorm,
    pub argmax: Argmax,
    pub topk: TopK,
    pub attention: Attention,
}

impl Kernels {
    pub async fn new(
        ctx: &GpuContext,
        family: KernelFamily,
        embedding_format: WeightFormat,
        matrix_formats: &[WeightFormat],
        down_formats: &[WeightFormat],
        kv: KvStorage,
    ) -> Result<Self> {
        let mut matmul_silu = HashMap::new();
        for &f in down_formats {
            if let std::collections::hash_map::Entry::Vacant(slot) = matmul_silu.entry(f) {
                slot.insert(Matmul::silu_gate_up(ctx, f, family).await?);
            }
        }
        let mut matmul = HashMap::new();
        for &f in matrix_formats {
            if let std::collections::hash_map::Entry::Vacant(slot) = matmul.entry(f) {
                slot.insert(Matmul::new(ctx, f, family).await?);
            }
        }
        Ok(Kernels {
            embedding: Embedding::new(ctx, embedding_format).await?,
            matmul,
            matmul_silu,
            rms_norm: RmsNorm::new(ctx).await?,
            rope_kv: RopeKv::new(ctx, kv).await?,
            silu_mul: SiluMul::new(ctx).await?,
            add: Add::new(ctx).await?,
            add_rms_norm: AddRmsNorm::new(ctx).await?,
            argmax: Argmax::new(ctx).await?,
            topk: TopK::new(ctx).await?,
            attention: Attention::new(ctx, kv).await?.for_family(family),
        })
    }

    pub fn matmul(&self, f: WeightFormat) -> &Matmul {
        &self.matmul[&f]
    }

    pub fn matmul_silu(&self, f: WeightFormat) -> &Matmul {
        &self.matmul_silu[&f]
    }
}
