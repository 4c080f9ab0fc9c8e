//! Parses a GGUF header from a [`ByteSource`] and locates every tensor's bytes.

use super::metadata::{Metadata, MetadataValue};
use super::tensor_info::TensorInfo;
use super::{implausible, value_type as vt, MAGIC};
use crate::byte_source::{check_range, ByteSource};
use crate::error::{FormatError, Result};
use crate::tensor_type::TensorType;

pub const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml tensors have at most 4 dimensions.
const MAX_DIMS: u32 = 4;
/// Arrays of arrays deeper than this are not used by any writer; bounding depth bounds recursion.
const MAX_ARRAY_DEPTH: u32 = 8;
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

        let mut entries: Vec<(String, MetadataValue)> = Vec::with_capacity(n_kv as usize);
        for _ in 0..n_kv {
            let key = c.string("metadata key")?;
            let ty = c.u32()?;
            let value = c.value(ty, 0)?;
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(FormatError::Duplicate {
                    what: "metadata key",
                    name: key,
                });
            }
            entries.push((key, value));
        }
        let metadata = Metadata::new(entries);
        let alignment = match metadata.get_u64("general.alignment")? {
            None => DEFAULT_ALIGNMENT,
            Some(a) if a > 0 && a.is_power_of_two() && a <= 1 << 20 => a,
            Some(a) => return Err(implausible("general.alignment", a, 1 << 20)),
        };

        let mut raw = Vec::with_capacity(n_tensors as usize);
        for _ in 0..n_tensors {
            raw.push(c.tensor_info()?);
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

/// Sequential reads over a byte source, fetched in chunks so that a header of a million small
/// fields costs a few large reads.
struct Cursor<'a, S: ByteSource + ?Sized> {
    source: &'a S,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

const CHUNK: u64 = 1 << 16;

impl<'a, S: ByteSource + ?Sized> Cursor<'a, S> {
    fn new(source: &'a S) -> Self {
        Cursor {
            source,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
        }
    }

    fn remaining(&self) -> u64 {
        self.source.len().saturating_sub(self.pos)
    }

    fn check_count(&self, what: &'static str, count: u64, min_bytes_each: u64) -> Result<()> {
        let limit = self.remaining() / min_bytes_each;
        if count > limit {
            return Err(implausible(what, count, limit));
        }
        Ok(())
    }

    fn bytes(&mut self, n: u64) -> Result<&[u8]> {
        check_range(self.pos, n, self.source.len())?;
        let buf_end = self.buf_start + self.buf.len() as u64;
        if self.pos < self.buf_start || self.pos + n > buf_end {
            let want = n.max(CHUNK).min(self.source.len() - self.pos);
            // A prefix-only source may hold the bytes asked for but not a whole chunk.
            self.buf = match self.source.read_vec(self.pos, want) {
                Err(FormatError::PrefixTooShort { .. }) if want > n => {
                    self.source.read_vec(self.pos, n)?
                }
                other => other?,
            };
            self.buf_start = self.pos;
        }
        let start = (self.pos - self.buf_start) as usize;
        self.pos += n;
        Ok(&self.buf[start..start + n as usize])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.bytes(N as u64)?.try_into().expect("N bytes"))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn string(&mut self, what: &'static str) -> Result<String> {
        let len = self.u64()?;
        if len > self.remaining() {
            return Err(FormatError::Truncated {
                offset: self.pos,
                needed: len,
                len: self.source.len(),
            });
        }
        let bytes = self.bytes(len)?.to_vec();
        String::from_utf8(bytes).map_err(|_| FormatError::BadUtf8(what))
    }

    fn value(&mut self, ty: u32, depth: u32) -> Result<MetadataValue> {
        use MetadataValue as V;
        Ok(match ty {
            vt::U8 => V::U8(self.array::<1>()?[0]),
            vt::I8 => V::I8(self.array::<1>()?[0] as i8),
            vt::U16 => V::U16(u16::from_le_bytes(self.array()?)),
            vt::I16 => V::I16(i16::from_le_bytes(self.array()?)),
            vt::U32 => V::U32(self.u32()?),
            vt::I32 => V::I32(i32::from_le_bytes(self.array()?)),
            vt::F32 => V::F32(f32::from_le_bytes(self.array()?)),
            vt::BOOL => match self.array::<1>()?[0] {
                0 => V::Bool(false),
                1 => V::Bool(true),
                b => return Err(implausible("bool value", b as u64, 1)),
            },
            vt::STRING => V::String(self.string("metadata string")?),
            vt::U64 => V::U64(self.u64()?),
            vt::I64 => V::I64(i64::from_le_bytes(self.array()?)),
            vt::F64 => V::F64(f64::from_le_bytes(self.array()?)),
            vt::ARRAY => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(implausible(
                        "array nesting depth",
                        depth as u64 + 1,
                        MAX_ARRAY_DEPTH as u64,
                    ));
                }
                let elem_ty = self.u32()?;
                let count = self.u64()?;
                self.check_count("array length", count, min_value_bytes(elem_ty)?)?;
                let mut items = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    items.push(self.value(elem_ty, depth + 1)?);
                }
                V::Array(items)
            }
            other => return Err(FormatError::BadValueType(other)),
        })
    }

    fn tensor_info(&mut self) -> Result<RawTensorInfo> {
        let name = self.string("tensor name")?;
        let n_dims = self.u32()?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(FormatError::BadTensor {
                tensor: name,
                reason: format!("{n_dims} dimensions (expected 1 to {MAX_DIMS})"),
            });
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let d = self.u64()?;
            if d == 0 || d > MAX_DIM {
                return Err(FormatError::BadTensor {
                    tensor: name,
                    reason: format!("dimension {d} is out of range 1..={MAX_DIM}"),
                });
            }
            dims.push(d);
        }
        let ggml_type = self.u32()?;
        let rel_offset = self.u64()?;
        Ok(RawTensorInfo {
            name,
            dims,
            ggml_type,
            rel_offset,
        })
    }
}

/// The fewest bytes one value of a type can occupy (for bounding array lengths).
fn min_value_bytes(ty: u32) -> Result<u64> {
    Ok(match ty {
        vt::U8 | vt::I8 | vt::BOOL => 1,
        vt::U16 | vt::I16 => 2,
        vt::U32 | vt::I32 | vt::F32 => 4,
        vt::U64 | vt::I64 | vt::F64 | vt::STRING => 8,
        vt::ARRAY => 12,
        other => return Err(FormatError::BadValueType(other)),
    })
}
