//! GPU time per op of one step (`mistral-wgpu bench --profile`): every dispatch of the step in a
//! compute pass of its own with timestamps at its start and end (`Features::TIMESTAMP_QUERY`),
//! then the times summed per kernel. One pass per dispatch adds a little per-pass overhead to the
//! total but none to the timed interval of each dispatch.

use std::collections::HashMap;

use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::ops::Dispatch;
use crate::readback::submit_and_read;

/// The time of every dispatch of one kernel in a step.
#[derive(Clone, Debug)]
pub struct OpTime {
    /// The kernel's module name (op, weight type, variant).
    pub op: String,
    pub calls: usize,
    pub ns: f64,
}

/// Where the time of a step went, slowest kernel first.
#[derive(Clone, Debug)]
pub struct StepProfile {
    pub tokens: usize,
    pub dispatches: usize,
    pub ops: Vec<OpTime>,
}

impl StepProfile {
    pub fn total_ns(&self) -> f64 {
        self.ops.iter().map(|o| o.ns).sum()
    }
}

/// wgpu's limit on queries per set, two per dispatch.
const DISPATCHES_PER_QUERY_SET: usize = 2048;

/// Runs `dispatches` one pass each and returns their GPU times summed per kernel.
pub(crate) async fn profile_dispatches(
    ctx: &GpuContext,
    dispatches: &[&Dispatch],
    tokens: usize,
) -> Result<StepProfile> {
    if !ctx.timestamps {
        return Err(EngineError::Shape(format!(
            "profiling needs GPU timestamp queries, which {} does not offer",
            ctx.adapter.name
        )));
    }
    let period = ctx.queue.get_timestamp_period() as f64;
    let mut per_op: HashMap<&str, (usize, f64)> = HashMap::new();
    for batch in dispatches.chunks(DISPATCHES_PER_QUERY_SET) {
        let n = batch.len() as u32;
        let set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("profile"),
            ty: wgpu::QueryType::Timestamp,
            count: 2 * n,
        });
        let resolved = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("profile timestamps"),
            size: 16 * n as u64,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        for (i, d) in batch.iter().enumerate() {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: None,
                timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                    query_set: &set,
                    beginning_of_pass_write_index: Some(2 * i as u32),
                    end_of_pass_write_index: Some(2 * i as u32 + 1),
                }),
            });
            d.encode(&mut pass);
        }
        enc.resolve_query_set(&set, 0..2 * n, &resolved, 0);
        let bytes = submit_and_read(ctx, enc, &resolved, 0, 16 * n as u64).await?;
        let stamps: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
        for (d, pair) in batch.iter().zip(stamps.chunks(2)) {
            let ns = pair[1].saturating_sub(pair[0]) as f64 * period;
            let e = per_op.entry(&d.op).or_default();
            e.0 += 1;
            e.1 += ns;
        }
    }
    let mut ops: Vec<OpTime> = per_op
        .into_iter()
        .map(|(op, (calls, ns))| OpTime {
            op: op.to_string(),
            calls,
            ns,
        })
        .collect();
    ops.sort_by(|a, b| b.ns.total_cmp(&a.ns));
    Ok(StepProfile {
        tokens,
        dispatches: dispatches.len(),
        ops,
    })
}
