//! Greedy generation chained on the GPU. Each decode step copies the previous step's argmax into
//! its own token id on the GPU, so step N+1 is submitted before step N's id has been read back:
//! the GPU never waits for the CPU between tokens (on lavapipe a submit + 4-byte readback round
//! trip costs 55-115 us; on a real GPU it is most of a small model's token). The CPU reads each
//! id one step behind; when it is a stop, the step already queued after it is rolled back (its
//! K/V slot is simply overwritten later).

use crate::error::{EngineError, Result};
use crate::readback::{map_read, staging_buffer};

use super::gpu_model::GpuModel;

impl GpuModel {
    /// Runs `prompt`, then generates up to `max_new` tokens greedily (the first from the
    /// prompt's last logits), calling `on_token` with each as soon as it is known; generation
    /// ends early when `on_token` returns false (the token it was given is kept). Returns the
    /// tokens generated. The position ends after the tokens run: the prompt and every generated
    /// token but the last (which has not been run yet, as after [`GpuModel::forward_argmax`]).
    pub async fn generate_greedy(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        mut on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        if max_new == 0 {
            return Ok(out);
        }
        let first = self.forward_argmax(prompt).await?;
        out.push(first);
        if !on_token(first) || max_new == 1 {
            return Ok(out);
        }
        if !self.room_for_one() {
            // The prompt filled a context without a window: the caller learns it next step.
            return Ok(out);
        }
        // Two staging buffers: step k's id is read from one while step k+1 copies into the other.
        let staging = [staging_buffer(&self.ctx, 4), staging_buffer(&self.ctx, 4)];
        let ctx = self.ctx.clone();
        // Step 1 takes its id from the CPU; later steps from the GPU argmax of the step before.
        let mut in_flight = Some(self.submit_chained_step(Some(first), &staging[0])?);
        let mut k = 0usize;
        while let Some(index) = in_flight.take() {
            // Queue the next step before waiting for this one, unless it cannot be needed.
            let wanted = out.len() + 1 < max_new;
            if wanted && self.room_for_one() {
                in_flight = Some(self.submit_chained_step(None, &staging[(k + 1) % 2])?);
            }
            let id = read_u32(&ctx, &staging[k % 2], index).await?;
            k += 1;
            out.push(id);
            if !on_token(id) || out.len() >= max_new {
                if in_flight.take().is_some() {
                    // The step after the last token ran for nothing: forget its position.
                    self.pos -= 1;
                }
                break;
            }
            if in_flight.is_none() {
                // Out of context (no window): the caller learns it from the next step.
                break;
            }
        }
        // Drain the queue so the staging buffers and the position are consistent.
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| EngineError::Readback(e.to_string()))?;
        ctx.check()?;
        Ok(out)
    }

    /// Whether one more token fits (always with a window: the ring rolls).
    fn room_for_one(&self) -> bool {
        self.config.sliding_window.is_some() || self.pos < self.ring_capacity()
    }

    /// Submits one decode step for the token `id` (from the CPU), or for the previous decode
    /// step's argmax (`None`, copied on the GPU), copying its argmax into `staging`.
    fn submit_chained_step(
        &mut self,
        id: Option<u32>,
        staging: &wgpu::Buffer,
    ) -> Result<wgpu::SubmissionIndex> {
        if self.config.sliding_window.is_none() && self.pos + 1 > self.ring_capacity() {
            return Err(EngineError::PastContext {
                pos: self.pos,
                context: self.ring_capacity(),
            });
        }
        let ctx = self.ctx.clone();
        let graph = &self.decode;
        let mut enc = ctx.device.create_command_encoder(&Default::default());
        match id {
            Some(id) => ctx
                .queue
                .write_buffer(&graph.ids, 0, bytemuck::bytes_of(&id)),
            None => enc.copy_buffer_to_buffer(&graph.head_all.argmax_out, 0, &graph.ids, 0, 4),
        }
        // Queue-ordered: this write lands after every step submitted before it has run.
        self.step.write(&ctx, self.pos, 1);
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            graph.encode_layers(&mut pass);
            graph.head_all.encode(&mut pass);
        }
        enc.copy_buffer_to_buffer(&graph.head_all.argmax_out, 0, staging, 0, 4);
        let index = ctx.queue.submit(Some(enc.finish()));
        self.pos += 1;
        Ok(index)
    }
}

/// The u32 in `staging` once submission `index` has completed.
async fn read_u32(
    ctx: &crate::context::GpuContext,
    staging: &wgpu::Buffer,
    index: wgpu::SubmissionIndex,
) -> Result<u32> {
    let bytes = map_read(ctx, staging, 4, index).await?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}
