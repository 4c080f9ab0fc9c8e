//! safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
//! dtype, shape and byte range, then the data. Sharded checkpoints add
//! `model.safetensors.index.json`, whose `weight_map` names the shard holding each tensor.

use crate::byte_source::ByteSource;
use crate::error::{FormatError, Result};
use crate::tensor_type::TensorType;

/// Headers above this size are not produced by any real writer.
const MAX_HEADER: u64 = 100 << 20;

/// One tensor of a safetensors file. `dims` are as stored (outermost first, PyTorch order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafetensorsEntry {
    pub name: String,
    pub dims: Vec<u64>,
    pub ty: TensorType,
    /// Absolute offset in the file.
    pub offset: u64,
    pub n_bytes: u64,
}

/// Parses a safetensors header and checks every entry's range against the file.
pub fn read_header(source: &(impl ByteSource + ?Sized)) -> Result<Vec<SafetensorsEntry>> {
    let bad = |m: String| FormatError::Safetensors(m);
    let mut len_bytes = [0u8; 8];
    source.read_at(0, &mut len_bytes)?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER || header_len > source.len().saturating_sub(8) {
        return Err(bad(format!(
            "header length {header_len} is larger than the file allows; not a safetensors file?"
        )));
    }
    let header = source.read_vec(8, header_len)?;
    let json: serde_json::Value =
        serde_json::from_slice(&header).map_err(|source| FormatError::Json {
            what: "safetensors header".into(),
            source,
        })?;
    let obj = json
        .as_object()
        .ok_or_else(|| bad("header is not a JSON object".into()))?;
    let data_start = 8 + header_len;
    let data_len = source.len() - data_start;
    let mut entries = Vec::new();
    for (name, v) in obj {
        if name == "__metadata__" {
            continue;
        }
        let dtype = v.get("dtype").and_then(|d| d.as_str()).unwrap_or("");
        let ty = match dtype {
            "F32" => TensorType::F32,
            "F16" => TensorType::F16,
            "BF16" => TensorType::BF16,
            other => {
                return Err(FormatError::UnsupportedTensorType {
                    type_name: other.to_string(),
                    tensor: name.clone(),
                })
            }
        };
        let dims: Vec<u64> = v
            .get("shape")
            .and_then(|s| s.as_array())
            .ok_or_else(|| bad(format!("{name}: missing shape")))?
            .iter()
            .map(|d| d.as_u64().ok_or_else(|| bad(format!("{name}: bad shape"))))
            .collect::<Result<_>>()?;
        let range: Vec<u64> = v
            .get("data_offsets")
            .and_then(|s| s.as_array())
            .filter(|a| a.len() == 2)
            .ok_or_else(|| bad(format!("{name}: missing data_offsets")))?
            .iter()
            .map(|d| {
                d.as_u64()
                    .ok_or_else(|| bad(format!("{name}: bad offsets")))
            })
            .collect::<Result<_>>()?;
        let (begin, end) = (range[0], range[1]);
        let n_elems = dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad(format!("{name}: shape overflows")))?;
        if begin > end || end > data_len || ty.bytes_for(n_elems) != Some(end - begin) {
            return Err(FormatError::BadTensor {
                tensor: name.clone(),
                reason: format!(
                    "byte range {begin}..{end} does not hold shape {dims:?} of {dtype} inside {data_len} data bytes"
                ),
            });
        }
        entries.push(SafetensorsEntry {
            name: name.clone(),
            dims,
            ty,
            offset: data_start + begin,
            n_bytes: end - begin,
        });
    }
    entries.sort_by_key(|e| e.offset);
    for w in entries.windows(2) {
        if w[0].offset + w[0].n_bytes > w[1].offset {
            return Err(FormatError::OverlappingTensors {
                a: w[0].name.clone(),
                b: w[1].name.clone(),
            });
        }
    }
    Ok(entries)
}

/// The shard file names of a `model.safetensors.index.json`, in first-use order.
pub fn shard_files(index_json: &str) -> Result<Vec<String>> {
    let v: serde_json::Value =
        serde_json::from_str(index_json).map_err(|source| FormatError::Json {
            what: "model.safetensors.index.json".into(),
            source,
        })?;
    let map = v
        .get("weight_map")
        .and_then(|m| m.as_object())
        .ok_or_else(|| FormatError::Safetensors("index has no weight_map".into()))?;
    let mut files: Vec<String> = Vec::new();
    for f in map.values() {
        let f = f
            .as_str()
            .ok_or_else(|| FormatError::Safetensors("weight_map value is not a string".into()))?;
        // A shard name with a path separator could escape the model folder.
        if f.contains('/') || f.contains('\\') || f.starts_with('.') {
            return Err(FormatError::Safetensors(format!(
                "shard name {f:?} is not a plain file name"
            )));
        }
        if !files.iter().any(|x| x == f) {
            files.push(f.to_string());
        }
    }
    Ok(files)
}
