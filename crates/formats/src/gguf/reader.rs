//! Parses a GGUF header from a [`ByteSource`] and locates every tensor's bytes.

use super::budget::Budget;
use super::cursor::Cursor;
use super::metadata::Metadata;
use super::tensor_info::TensorInfo;
use super::value::MetadataValue;
use super::values::{bounded_vec, ValueReader};
use super::{implausible, MAGIC};
use crate::byte_source::ByteSource;
use crate::error::{FormatError, Result};
use crate::tensor_type::TensorType;
use std::mem::size_of;

pub const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml tensors have at most 4 dimensions.
const MAX_DIMS: u32 = 4;
/// A single dimension above 2^40 elements is corrupt, whatever the file size claims.
const MAX_DIM: u64 = 1 << 40;

/// A parsed GGUF header. Tensor bytes stay in the source until asked for.
#[derive(Clone, Debug)]
pub struct GgufFile {
    pub version: u32,
    pub metadata: Metadata,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    /// Absolute offset of the data section.
    pub data_offset: u64,
    /// Length of the whole file.
    pub file_len: u64,
}

impl GgufFile {
    /// Parses the header. Only the header's bytes are read; tensors are validated against the
    /// source's length (in range, sized by their type and shape, not overlapping).
    pub fn read(source: &(impl ByteSource + ?Sized)) -> Result<Self> {
        let mut c = Cursor::new(source);
        let magic: [u8; 4] = c.bytes(4)?.try_into().expect("4 bytes");
        if magic != MAGIC {
            return Err(FormatError::BadMagic(magic));
        }
        let version = c.u32()?;
        if !(2..=3).contains(&version) {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let n_tensors = c.u64()?;
        let n_kv = c.u64()?;
        // Each KV needs at least 8 (key length) + 4 (type) + 1 byte; each tensor info at least
        // 8 + 4 + 4 + 8; checking against the remaining bytes bounds every allocation below.
        c.check_count("metadata count", n_kv, 13)?;
        c.check_count("tensor count", n_tensors, 24)?;

        // Counts are bounded by the source's claimed length only; the budget bounds memory.
        let mut budget = Budget::new();
        let mut metadata = Metadata::default();
        for _ in 0..n_kv {
            let mut values = ValueReader {
                cursor: &mut c,
                budget: &mut budget,
            };
            let key = values.string("metadata key")?;
            // The entry, and the key's second copy in the look-up index.
            values.budget.charge(
                "metadata entry",
                (size_of::<(String, MetadataValue)>() + 2 * key.len() + 16) as u64,
            )?;
            let ty = values.cursor.u32()?;
            let value = values.value(ty)?;
            metadata.insert_new(key, value)?;
        }
        let alignment = match metadata.get_u64("general.alignment")? {
            None => DEFAULT_ALIGNMENT,
            Some(a) if a > 0 && a.is_power_of_two() && a <= 1 << 20 => a,
            Some(a) => return Err(implausible("general.alignment", a, 1 << 20)),
        };

        let mut raw = bounded_vec(n_tensors);
        for _ in 0..n_tensors {
            raw.push(read_tensor_info(&mut c, &mut budget)?);
        }
        let data_offset = c.pos.next_multiple_of(alignment);
        let file_len = source.len();
        let tensors = raw
            .into_iter()
            .map(|r| r.locate(data_offset, alignment, file_len))
            .collect::<Result<Vec<_>>>()?;
        check_unique_and_disjoint(&tensors)?;
        Ok(GgufFile {
            version,
            metadata,
            tensors,
            alignment,
            data_offset,
            file_len,
        })
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    pub fn require_tensor(&self, name: &str) -> Result<&TensorInfo> {
        self.tensor(name)
            .ok_or_else(|| FormatError::MissingTensor(name.to_string()))
    }

    /// Reads one tensor's raw (still quantized) bytes.
    pub fn tensor_bytes(
        &self,
        source: &(impl ByteSource + ?Sized),
        info: &TensorInfo,
    ) -> Result<Vec<u8>> {
        source.read_vec(info.offset, info.n_bytes)
    }

    /// Sum of all tensor sizes in bytes.
    pub fn weight_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.n_bytes).sum()
    }
}

/// A tensor info as written in the header, before its offset is made absolute and checked.
struct RawTensorInfo {
    name: String,
    dims: Vec<u64>,
    ggml_type: u32,
    rel_offset: u64,
}

impl RawTensorInfo {
    fn locate(self, data_offset: u64, alignment: u64, file_len: u64) -> Result<TensorInfo> {
        let bad = |reason: String| FormatError::BadTensor {
            tensor: self.name.clone(),
            reason,
        };
        let ty = TensorType::from_ggml_id(self.ggml_type, &self.name)?;
        let n_elements = self
            .dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| bad(format!("element count of shape {:?} overflows", self.dims)))?;
        if !self.dims[0].is_multiple_of(ty.block_elems() as u64) {
            return Err(bad(format!(
                "row length {} is not a multiple of the {} block size {}",
                self.dims[0],
                ty.name(),
                ty.block_elems()
            )));
        }
        let n_bytes = ty
            .bytes_for(n_elements)
            .ok_or_else(|| bad(format!("byte size of shape {:?} overflows", self.dims)))?;
        if !self.rel_offset.is_multiple_of(alignment) {
            return Err(bad(format!(
                "data offset {} is not aligned to {alignment}",
                self.rel_offset
            )));
        }
        let offset = data_offset
            .checked_add(self.rel_offset)
            .ok_or_else(|| bad("data offset overflows".into()))?;
        if offset.checked_add(n_bytes).is_none_or(|end| end > file_len) {
            return Err(bad(format!(
                "bytes {offset}..{} lie outside the file ({file_len} bytes); is the file truncated?",
                offset.saturating_add(n_bytes)
            )));
        }
        Ok(TensorInfo {
            name: self.name,
            dims: self.dims,
            ty,
            offset,
            n_bytes,
        })
    }
}

fn check_unique_and_disjoint(tensors: &[TensorInfo]) -> Result<()> {
    let mut order: Vec<&TensorInfo> = tensors.iter().collect();
    order.sort_by(|a, b| a.name.cmp(&b.name));
    for w in order.windows(2) {
        if w[0].name == w[1].name {
            return Err(FormatError::Duplicate {
                what: "tensor",
                name: w[0].name.clone(),
            });
        }
    }
    order.sort_by_key(|t| t.offset);
    for w in order.windows(2) {
        if w[0].offset + w[0].n_bytes > w[1].offset && w[0].n_bytes > 0 && w[1].n_bytes > 0 {
            return Err(FormatError::OverlappingTensors {
                a: w[0].name.clone(),
                b: w[1].name.clone(),
            });
        }
    }
    Ok(())
}

/// One tensor info (name, dims, type, relative offset), charged to the metadata budget.
fn read_tensor_info<S: ByteSource + ?Sized>(
    c: &mut Cursor<'_, S>,
    budget: &mut Budget,
) -> Result<RawTensorInfo> {
    budget.charge(
        "tensor info",
        (size_of::<TensorInfo>() + MAX_DIMS as usize * 8) as u64,
    )?;
    let name = ValueReader { cursor: c, budget }.string("tensor name")?;
    let n_dims = c.u32()?;
    if n_dims == 0 || n_dims > MAX_DIMS {
        return Err(FormatError::BadTensor {
            tensor: name,
            reason: format!("{n_dims} dimensions (expected 1 to {MAX_DIMS})"),
        });
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    for _ in 0..n_dims {
        let d = c.u64()?;
        if d == 0 || d > MAX_DIM {
            return Err(FormatError::BadTensor {
                tensor: name,
                reason: format!("dimension {d} is out of range 1..={MAX_DIM}"),
            });
        }
        dims.push(d);
    }
    let ggml_type = c.u32()?;
    let rel_offset = c.u64()?;
    Ok(RawTensorInfo {
        name,
        dims,
        ggml_type,
        rel_offset,
    })
}
