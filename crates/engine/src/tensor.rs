//! Weight tensors on the GPU, still quantized, split by rows into parts whose arrays each fit in
//! one storage binding (`max_storage_buffer_binding_size`: 128 MiB on lavapipe and by default in
//! browsers, smaller than Mistral-7B's F16/Q8_0 embedding table).

use std::ops::Range;

use mistral_formats::{ModelFile, ModelTensor, TensorType};

use crate::context::GpuContext;
use crate::error::{EngineError, Result};
use crate::layout::{repack, source_row_bytes, WeightFormat};

/// Rows of GGUF data repacked and written per `write_buffer` call: bounds the CPU memory an
/// upload holds at once (a browser must never hold a whole 4 GB file).
const UPLOAD_CHUNK_BYTES: usize = 8 << 20;

/// A contiguous range of rows with its own buffers (one per array of the layout).
#[derive(Debug)]
pub struct GpuTensorPart {
    pub row_start: usize,
    pub rows: usize,
    pub arrays: Vec<wgpu::Buffer>,
}

/// A `rows x cols` weight matrix (row-major, GGUF order) in a [`WeightFormat`].
#[derive(Debug)]
pub struct GpuTensor {
    pub name: String,
    /// The type the file stores.
    pub source_type: TensorType,
    pub format: WeightFormat,
    pub rows: usize,
    pub cols: usize,
    pub parts: Vec<GpuTensorPart>,
}

/// Splits `rows` into ranges whose arrays each hold at most `max_bytes` (after padding to 16).
pub fn plan_parts(
    name: &str,
    ty: TensorType,
    rows: usize,
    cols: usize,
    max_bytes: u64,
) -> Result<Vec<Range<usize>>> {
    let format = WeightFormat::for_type(ty);
    let bpr = format.blocks_per_row(cols) as u64;
    let fits = |n: u64| {
        format
            .array_bytes(n * bpr)
            .iter()
            .all(|&b| pad16(b) <= max_bytes)
    };
    // The body array dominates (>= 16 bytes per block against <= 4 of scales).
    let mut per_part = (max_bytes / (bpr * format.body_bytes() as u64)).min(rows as u64);
    while per_part > 0 && !fits(per_part) {
        per_part -= 1;
    }
    if per_part == 0 {
        return Err(EngineError::BadTensor {
            tensor: name.to_string(),
            ty,
            reason: format!(
                "one row of {cols} weights needs more than the {max_bytes} bytes a storage \
                 binding may hold on this adapter"
            ),
        });
    }
    let per_part = per_part as usize;
    Ok((0..rows)
        .step_by(per_part)
        .map(|s| s..(s + per_part).min(rows))
        .collect())
}

fn pad16(n: u64) -> u64 {
    n.div_ceil(16).max(1) * 16
}

impl GpuTensor {
    /// Uploads a tensor whose GGUF bytes are in memory.
    pub async fn upload(
        ctx: &GpuContext,
        name: &str,
        ty: TensorType,
        rows: usize,
        cols: usize,
        raw: &[u8],
    ) -> Result<Self> {
        Self::upload_split(ctx, name, ty, rows, cols, raw, ctx.max_binding_bytes()).await
    }

    /// [`GpuTensor::upload`] with parts of at most `max_part_bytes` per array (tests lower it
    /// to exercise splitting on small tensors).
    pub async fn upload_split(
        ctx: &GpuContext,
        name: &str,
        ty: TensorType,
        rows: usize,
        cols: usize,
        raw: &[u8],
        max_part_bytes: u64,
    ) -> Result<Self> {
        let row_bytes = source_row_bytes(name, ty, rows, cols)?;
        if raw.len() != rows * row_bytes {
            return Err(EngineError::BadTensor {
                tensor: name.into(),
                ty,
                reason: format!(
                    "{} bytes given, {rows}x{cols} needs {}",
                    raw.len(),
                    rows * row_bytes
                ),
            });
        }
        let read = |r: Range<usize>| Ok(raw[r.start * row_bytes..r.end * row_bytes].to_vec());
        Self::upload_rows(ctx, name, ty, rows, cols, max_part_bytes, read).await
    }

    /// Uploads a model tensor, streaming it from the model's byte source in chunks of rows.
    pub async fn from_model(ctx: &GpuContext, model: &ModelFile, t: &ModelTensor) -> Result<Self> {
        let (rows, cols) = (t.rows(), t.cols());
        let max = ctx.max_binding_bytes();
        if t.unpermute_heads.is_some() {
            // HF Q/K rows are un-permuted by the reader, which needs the whole (small) tensor.
            let raw = model.read_raw(t)?;
            return Self::upload_split(ctx, &t.name, t.ty, rows, cols, &raw, max).await;
        }
        let row_bytes = source_row_bytes(&t.name, t.ty, rows, cols)? as u64;
        let source = model.source(t.shard);
        let read = |r: Range<usize>| {
            let start = t.offset + r.start as u64 * row_bytes;
            Ok(source.read_vec(start, r.len() as u64 * row_bytes)?)
        };
        Self::upload_rows(ctx, &t.name, t.ty, rows, cols, max, read).await
    }

    /// The upload itself: `read(rows)` yields the GGUF bytes of a row range.
    pub async fn upload_rows(
        ctx: &GpuContext,
        name: &str,
        ty: TensorType,
        rows: usize,
        cols: usize,
        max_part_bytes: u64,
        mut read: impl FnMut(Range<usize>) -> Result<Vec<u8>>,
    ) -> Result<Self> {
        let row_bytes = source_row_bytes(name, ty, rows, cols)?;
        let format = WeightFormat::for_type(ty);
        let bpr = format.blocks_per_row(cols);
        // An even number of rows per chunk keeps every chunk's first block even, so that its
        // f16 scale pairs start on a word boundary.
        let chunk_rows = ((UPLOAD_CHUNK_BYTES / row_bytes) & !1).max(2);
        let mut parts = Vec::new();
        for range in plan_parts(name, ty, rows, cols, max_part_bytes)? {
            let what = format!("uploading {name} (rows {}..{})", range.start, range.end);
            let sizes = format.array_bytes((range.len() * bpr) as u64);
            let arrays: Vec<wgpu::Buffer> = ctx
                .scoped(&what, || {
                    sizes[..format.n_arrays()]
                        .iter()
                        .enumerate()
                        .map(|(i, &size)| {
                            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                                label: Some(&format!("{name}[{}..{}].{i}", range.start, range.end)),
                                size: pad16(size),
                                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                                mapped_at_creation: false,
                            })
                        })
                        .collect()
                })
                .await?;
            for start in range.clone().step_by(chunk_rows) {
                let end = (start + chunk_rows).min(range.end);
                let raw = read(start..end)?;
                let packed = repack(ty, &raw, end - start, cols);
                let first_block = ((start - range.start) * bpr) as u64;
                ctx.scoped(&what, || {
                    for (i, buf) in arrays.iter().enumerate() {
                        let per_block = [format.body_bytes(), format.scale_bytes()][i] as u64;
                        ctx.queue
                            .write_buffer(buf, first_block * per_block, &packed[i]);
                    }
                    // Flush the staged copy now so that staging memory does not pile up over
                    // a multi-gigabyte model.
                    ctx.queue.submit(None);
                })
                .await?;
                let _ = ctx.device.poll(wgpu::PollType::Poll);
            }
            parts.push(GpuTensorPart {
                row_start: range.start,
                rows: range.len(),
                arrays,
            });
        }
        Ok(GpuTensor {
            name: name.to_string(),
            source_type: ty,
            format,
            rows,
            cols,
            parts,
        })
    }

    /// Bytes this tensor occupies on the GPU.
    pub fn gpu_bytes(&self) -> u64 {
        self.parts
            .iter()
            .flat_map(|p| p.arrays.iter().map(|b| b.size()))
            .sum()
    }

    /// Bytes a `rows x cols` tensor of type `ty` will occupy on the GPU (for memory estimates
    /// before loading).
    pub fn estimate_gpu_bytes(ty: TensorType, rows: usize, cols: usize) -> u64 {
        let f = WeightFormat::for_type(ty);
        f.array_bytes((rows * f.blocks_per_row(cols)) as u64)
            .iter()
            .filter(|&&b| b > 0)
            .map(|&b| pad16(b))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_all_rows_within_the_limit() {
        // Q8_0 4096 x 32000 (Mistral's token table): 132.8 MiB of GGUF, 125 MiB of quants
        // after the repack; a 64 MiB limit needs two parts, 128 MiB one.
        let (rows, cols) = (32000, 4096);
        let one = plan_parts("t", TensorType::Q8_0, rows, cols, 128 << 20).unwrap();
        assert_eq!(one, vec![0..32000]);
        let two = plan_parts("t", TensorType::Q8_0, rows, cols, 64 << 20).unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two.last().unwrap().end, rows);
        // F16 embedding (250 MiB) under the WebGPU default binding limit: two parts.
        let f16 = plan_parts("t", TensorType::F16, rows, cols, 128 << 20).unwrap();
        assert_eq!(f16.len(), 2);
        for r in &f16 {
            let bytes = WeightFormat::F16.array_bytes((r.len() * 128) as u64)[0];
            assert!(bytes <= 128 << 20);
        }
    }

    #[test]
    fn a_row_larger_than_the_binding_limit_is_an_error() {
        let err = plan_parts("big", TensorType::F32, 2, 1 << 20, 1 << 20).unwrap_err();
        assert!(err.to_string().contains("storage binding"), "{err}");
    }

    #[test]
    fn shapes_that_are_not_whole_blocks_are_rejected() {
        let err = source_row_bytes("w", TensorType::Q4K, 4, 300).unwrap_err();
        assert!(err.to_string().contains("256"), "{err}");
    }
}
