//! One Rust type per GPU op: it owns the compute pipeline and bind group layout, builds bind
//! groups once (at load time, never per token) and records dispatches into a compute pass.

mod add;
mod add_rms_norm;
mod argmax;
mod attention;
mod embedding;
mod kv_cache;
mod kv_write;
mod matmul;
mod matvec;
mod rms_norm;
mod rope;
mod rope_kv;
mod silu_mul;
mod topk;

pub use add::{Add, AddBinding};
pub use add_rms_norm::{AddRmsNorm, AddRmsNormBinding};
pub use argmax::{Argmax, ArgmaxBinding};
pub use attention::{Attention, AttentionBinding, SplitPolicy};
pub use embedding::{Embedding, EmbeddingBinding};
pub use kv_cache::{KvCache, KvStorage};
pub use kv_write::{KvSource, KvWrite, KvWriteBinding};
pub use matmul::{Matmul, MatmulBinding, MatmulVariant};
pub use matvec::{Matvec, MatvecBinding};
pub use matvec::{MatvecVariant, NO_SUBGROUPS_ENV};
pub use rms_norm::{RmsNorm, RmsNormBinding};
pub use rope::{Rope, RopeBinding};
pub use rope_kv::{Heads, QkvRows, RopeKv};
pub use silu_mul::{SiluMul, SiluMulBinding};
pub use topk::{TopK, TopKBinding};

use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::shaders::ShaderModuleSource;

/// What a binding slot of a kernel holds.
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    Uniform,
    Read,
    ReadWrite,
}

/// One recorded dispatch: a kernel's pipeline, a bind group built at load time and its grid.
/// A layer is an ordered list of these, built once and replayed every step (nothing mirrors
/// the list: what is bound is what runs).
#[derive(Clone, Debug)]
pub struct Dispatch {
    /// The kernel's name (`ShaderModuleSource::name`), for profiles and counts.
    pub op: std::sync::Arc<str>,
    pub pipeline: wgpu::ComputePipeline,
    pub group: wgpu::BindGroup,
    pub grid: [u32; 3],
}

impl Dispatch {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.group, &[]);
        pass.dispatch_workgroups(self.grid[0], self.grid[1], self.grid[2]);
    }
}

/// Dispatches in the order they run.
#[derive(Clone, Debug, Default)]
pub struct Dispatches(pub Vec<Dispatch>);

impl Dispatches {
    pub fn encode(&self, pass: &mut wgpu::ComputePass<'_>) {
        for d in &self.0 {
            d.encode(pass);
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, d: Dispatch) {
        self.0.push(d);
    }

    /// Appends `other`'s dispatches after these.
    pub fn append(&mut self, other: &Dispatches) {
        self.0.extend(other.0.iter().cloned());
    }

    pub fn iter(&self) -> impl Iterator<Item = &Dispatch> {
        self.0.iter()
    }
}

impl From<Dispatch> for Dispatches {
    fn from(d: Dispatch) -> Self {
        Dispatches(vec![d])
    }
}

/// A compiled kernel: pipeline and the layout its bind groups follow.
pub(crate) struct Kernel {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
    pub name: std::sync::Arc<str>,
    /// Binding number of each slot, in the order `bind` takes buffers.
    bindings: Vec<u32>,
}

impl Kernel {
    /// A kernel whose slots are bindings 0, 1, 2, ...
    pub async fn new(ctx: &GpuContext, src: &ShaderModuleSource, slots: &[Slot]) -> Result<Self> {
        let numbered: Vec<(u32, Slot)> = (0u32..).zip(slots.iter().copied()).collect();
        Self::with_bindings(ctx, src, &numbered).await
    }

    /// A kernel with explicit binding numbers (the weight decoders own bindings 3 and 4, so a
    /// driver's extra buffers go after them).
    pub async fn with_bindings(
        ctx: &GpuContext,
        src: &ShaderModuleSource,
        slots: &[(u32, Slot)],
    ) -> Result<Self> {
        let what = format!("compiling shader {}", src.name);
        ctx.scoped(&what, || {
            let entries: Vec<wgpu::BindGroupLayoutEntry> = slots
                .iter()
                .map(|&(binding, slot)| wgpu::BindGroupLayoutEntry {
                    binding,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: match slot {
                        Slot::Uniform => wgpu::BindingType::Buffer {
                            ty: wgpu::BufferBindingType::Uniform,
                            has_dynamic_offset: false,
                            min_binding_size: None,
                        },
                        Slot::Read | Slot::ReadWrite => wgpu::BindingType::Buffer {
                            ty: wgpu::BufferBindingType::Storage {
                                read_only: matches!(slot, Slot::Read),
                            },
                            has_dynamic_offset: false,
                            min_binding_size: None,
                        },
                    },
                    count: None,
                })
                .collect();
            let layout = ctx
                .device
                .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                    label: Some(&src.name),
                    entries: &entries,
                });
            let pipeline_layout =
                ctx.device
                    .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                        label: Some(&src.name),
                        bind_group_layouts: &[Some(&layout)],
                        immediate_size: 0,
                    });
            let module = ctx
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(&src.name),
                    source: wgpu::ShaderSource::Wgsl(src.source.as_str().into()),
                });
            let pipeline = ctx
                .device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&src.name),
                    layout: Some(&pipeline_layout),
                    module: &module,
                    entry_point: Some(src.entry_point),
                    compilation_options: Default::default(),
                    cache: None,
                });
            Kernel {
                pipeline,
                layout,
                name: src.name.as_str().into(),
                bindings: slots.iter().map(|&(b, _)| b).collect(),
            }
        })
        .await
    }

    /// A bind group with `buffers` in slot order (whole buffers).
    pub fn bind(&self, ctx: &GpuContext, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .zip(&self.bindings)
            .map(|(b, &binding)| wgpu::BindGroupEntry {
                binding,
                resource: b.as_entire_binding(),
            })
            .collect();
        ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&self.name),
            layout: &self.layout,
            entries: &entries,
        })
    }

    /// The dispatch of this kernel over `grid` with `group`.
    pub fn record(&self, group: wgpu::BindGroup, grid: [u32; 3]) -> Dispatch {
        Dispatch {
            op: self.name.clone(),
            pipeline: self.pipeline.clone(),
            group,
            grid,
        }
    }
}

/// A 2-D grid of at least `workgroups` workgroups with no dimension above the device limit
/// (65535 in WebGPU); kernels fold (x, y) back into one index and skip the excess.
pub(crate) fn grid_for(ctx: &GpuContext, workgroups: u32) -> [u32; 3] {
    let max = ctx.limits.max_compute_workgroups_per_dimension.max(1);
    let x = workgroups.clamp(1, max);
    [x, workgroups.div_ceil(x).max(1), 1]
}

/// Errors unless every dimension of `grid` is within the device's workgroup limit.
pub(crate) fn check_grid(ctx: &GpuContext, grid: [u32; 3], what: &str) -> Result<[u32; 3]> {
    let max = ctx.limits.max_compute_workgroups_per_dimension;
    if grid.iter().any(|&g| g > max) {
        return Err(EngineError::Shape(format!(
            "{what}: grid {grid:?} exceeds {max} workgroups per dimension"
        )));
    }
    Ok(grid)
}

/// Errors unless `buffer` holds at least `len` 4-byte elements.
pub(crate) fn check_len(buffer: &wgpu::Buffer, len: usize, what: &str) -> Result<()> {
    if buffer.size() < len as u64 * 4 {
        return Err(EngineError::Shape(format!(
            "{what}: buffer of {} bytes is too small for {len} values",
            buffer.size()
        )));
    }
    Ok(())
}

/// Errors unless `step` can hold the step parameters (`crate::step::StepParams`).
pub(crate) fn check_step(step: &wgpu::Buffer) -> Result<()> {
    check_len(step, 4, "step buffer")
}

/// Slots of a kernel that reads weights of `format`: params (0), an input (1), the output (2),
/// the decoder's weight arrays (3, and 4 where the format has two) and the step buffer (5).
pub(crate) fn weight_slots(format: crate::layout::WeightFormat) -> Vec<(u32, Slot)> {
    let mut slots = vec![(0, Slot::Uniform), (1, Slot::Read), (2, Slot::ReadWrite)];
    slots.extend((3..).take(format.n_arrays()).map(|b| (b, Slot::Read)));
    slots.push((5, Slot::Read));
    slots
}

/// Converts a size to the u32 a kernel parameter holds.
pub(crate) fn to_u32(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| EngineError::Shape(format!("{what} = {n} does not fit in u32")))
}
