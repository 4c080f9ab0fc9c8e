//! Writes GGUF v3 files (used by `mistral-wgpu quantize` and by tests that build malformed or
//! synthetic files).

use super::metadata::Metadata;
use super::stream_writer::{StreamingWriter, TensorSpec};
use super::value::{MetadataArray, MetadataValue};
use super::{value_type as vt, DEFAULT_ALIGNMENT, MAGIC};
use crate::error::{FormatError, Result};
use crate::tensor_type::TensorType;
use std::io::Write;

struct PendingTensor {
    name: String,
    dims: Vec<u64>,
    ty: TensorType,
    data: Vec<u8>,
}

/// Collects metadata and tensors, then writes them in one go.
#[derive(Default)]
pub struct GgufWriter {
    pub metadata: Metadata,
    tensors: Vec<PendingTensor>,
}

impl GgufWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tensor; `dims` innermost first. The byte length is checked against type and shape.
    pub fn add_tensor(
        &mut self,
        name: &str,
        dims: &[u64],
        ty: TensorType,
        data: Vec<u8>,
    ) -> Result<()> {
        let n: u64 = dims.iter().product();
        if ty.bytes_for(n) != Some(data.len() as u64) {
            return Err(FormatError::BadTensor {
                tensor: name.to_string(),
                reason: format!(
                    "{} bytes do not hold shape {dims:?} of type {}",
                    data.len(),
                    ty.name()
                ),
            });
        }
        self.tensors.push(PendingTensor {
            name: name.to_string(),
            dims: dims.to_vec(),
            ty,
            data,
        });
        Ok(())
    }

    pub fn write_to(&self, out: &mut impl Write) -> Result<()> {
        let specs: Vec<TensorSpec> = self
            .tensors
            .iter()
            .map(|t| TensorSpec {
                name: t.name.clone(),
                dims: t.dims.clone(),
                ty: t.ty,
            })
            .collect();
        let mut stream = StreamingWriter::begin(out, &self.metadata, specs)?;
        for t in &self.tensors {
            stream.write_tensor(&t.name, &t.data)?;
        }
        stream.finish()?;
        Ok(())
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.write_to(&mut v)?;
        Ok(v)
    }
}

/// The header of a GGUF v3 file: metadata, then each tensor's info with its offset in the data
/// section (tensors in `specs` order, each aligned), padded to the alignment. `alignment` comes
/// from `general.alignment` or the default.
pub(crate) fn header_bytes(metadata: &Metadata, specs: &[TensorSpec]) -> Result<(Vec<u8>, u64)> {
    let alignment = metadata
        .get_u64("general.alignment")?
        .unwrap_or(DEFAULT_ALIGNMENT);
    let mut header = Vec::new();
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&3u32.to_le_bytes());
    header.extend_from_slice(&(specs.len() as u64).to_le_bytes());
    header.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    for (key, value) in metadata.iter() {
        put_string(&mut header, key);
        header.extend_from_slice(&value_type(value).to_le_bytes());
        put_value(&mut header, value);
    }
    let mut offset = 0u64;
    for t in specs {
        put_string(&mut header, &t.name);
        header.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
        for d in &t.dims {
            header.extend_from_slice(&d.to_le_bytes());
        }
        header.extend_from_slice(&t.ty.ggml_id().to_le_bytes());
        header.extend_from_slice(&offset.to_le_bytes());
        offset = (offset + t.n_bytes()?).next_multiple_of(alignment);
    }
    pad_to(&mut header, alignment);
    Ok((header, alignment))
}

fn pad_to(buf: &mut Vec<u8>, alignment: u64) {
    let len = (buf.len() as u64).next_multiple_of(alignment) as usize;
    buf.resize(len, 0);
}

fn put_string(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn value_type(v: &MetadataValue) -> u32 {
    match v {
        MetadataValue::U8(_) => vt::U8,
        MetadataValue::I8(_) => vt::I8,
        MetadataValue::U16(_) => vt::U16,
        MetadataValue::I16(_) => vt::I16,
        MetadataValue::U32(_) => vt::U32,
        MetadataValue::I32(_) => vt::I32,
        MetadataValue::U64(_) => vt::U64,
        MetadataValue::I64(_) => vt::I64,
        MetadataValue::F32(_) => vt::F32,
        MetadataValue::F64(_) => vt::F64,
        MetadataValue::Bool(_) => vt::BOOL,
        MetadataValue::String(_) => vt::STRING,
        MetadataValue::Array(_) => vt::ARRAY,
    }
}

fn put_value(buf: &mut Vec<u8>, v: &MetadataValue) {
    match v {
        MetadataValue::U8(x) => buf.push(*x),
        MetadataValue::I8(x) => buf.push(*x as u8),
        MetadataValue::U16(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::I16(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::U32(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::I32(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::U64(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::I64(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::F32(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::F64(x) => buf.extend_from_slice(&x.to_le_bytes()),
        MetadataValue::Bool(x) => buf.push(*x as u8),
        MetadataValue::String(s) => put_string(buf, s),
        MetadataValue::Array(items) => put_array(buf, items),
    }
}

fn array_elem_type(a: &MetadataArray) -> u32 {
    match a {
        MetadataArray::U8(_) => vt::U8,
        MetadataArray::I8(_) => vt::I8,
        MetadataArray::U16(_) => vt::U16,
        MetadataArray::I16(_) => vt::I16,
        MetadataArray::U32(_) => vt::U32,
        MetadataArray::I32(_) => vt::I32,
        MetadataArray::U64(_) => vt::U64,
        MetadataArray::I64(_) => vt::I64,
        MetadataArray::F32(_) => vt::F32,
        MetadataArray::F64(_) => vt::F64,
        MetadataArray::Bool(_) => vt::BOOL,
        MetadataArray::String(_) => vt::STRING,
        MetadataArray::Array(_) => vt::ARRAY,
    }
}

fn put_array(buf: &mut Vec<u8>, a: &MetadataArray) {
    buf.extend_from_slice(&array_elem_type(a).to_le_bytes());
    buf.extend_from_slice(&(a.len() as u64).to_le_bytes());
    macro_rules! le {
        ($v:expr) => {
            for x in $v {
                buf.extend_from_slice(&x.to_le_bytes());
            }
        };
    }
    match a {
        MetadataArray::U8(v) => buf.extend_from_slice(v),
        MetadataArray::I8(v) => le!(v),
        MetadataArray::U16(v) => le!(v),
        MetadataArray::I16(v) => le!(v),
        MetadataArray::U32(v) => le!(v),
        MetadataArray::I32(v) => le!(v),
        MetadataArray::U64(v) => le!(v),
        MetadataArray::I64(v) => le!(v),
        MetadataArray::F32(v) => le!(v),
        MetadataArray::F64(v) => le!(v),
        MetadataArray::Bool(v) => buf.extend(v.iter().map(|&b| b as u8)),
        MetadataArray::String(v) => v.iter().for_each(|s| put_string(buf, s)),
        MetadataArray::Array(v) => v.iter().for_each(|inner| put_array(buf, inner)),
    }
}
