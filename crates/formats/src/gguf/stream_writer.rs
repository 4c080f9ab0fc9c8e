//! Writes a GGUF file one tensor at a time, so converting a 7B model holds one tensor in
//! memory, not the whole output: the header (whose tensor offsets follow from each tensor's
//! type and shape) goes first, then each tensor's bytes as they are produced.

use super::metadata::Metadata;
use super::writer::header_bytes;
use crate::error::{FormatError, Result};
use crate::tensor_type::TensorType;
use std::io::Write;

/// A tensor as the header describes it; its bytes come later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: String,
    /// Innermost first, as GGUF stores them.
    pub dims: Vec<u64>,
    pub ty: TensorType,
}

impl TensorSpec {
    /// Bytes of the tensor's data, from its type and shape.
    pub fn n_bytes(&self) -> Result<u64> {
        let bad = |reason: String| FormatError::BadTensor {
            tensor: self.name.clone(),
            reason,
        };
        let n = self
            .dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad(format!("shape {:?} overflows", self.dims)))?;
        self.ty.bytes_for(n).ok_or_else(|| {
            bad(format!(
                "shape {:?} does not fit type {}",
                self.dims,
                self.ty.name()
            ))
        })
    }
}

/// A GGUF being written: the header is out, tensors follow in the order given to `begin`.
pub struct StreamingWriter<W: Write> {
    out: W,
    specs: Vec<TensorSpec>,
    next: usize,
    alignment: u64,
    written: u64,
}

impl<W: Write> StreamingWriter<W> {
    /// Writes the header for `specs` (every tensor the file will hold, in order).
    pub fn begin(mut out: W, metadata: &Metadata, specs: Vec<TensorSpec>) -> Result<Self> {
        let (header, alignment) = header_bytes(metadata, &specs)?;
        out.write_all(&header)?;
        Ok(StreamingWriter {
            out,
            specs,
            next: 0,
            alignment,
            written: 0,
        })
    }

    /// Writes the next tensor's bytes; its name and size must be the ones announced.
    pub fn write_tensor(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let spec = self
            .specs
            .get(self.next)
            .ok_or_else(|| FormatError::BadTensor {
                tensor: name.to_string(),
                reason: "more tensors written than the header announced".into(),
            })?;
        if spec.name != name || spec.n_bytes()? != data.len() as u64 {
            return Err(FormatError::BadTensor {
                tensor: name.to_string(),
                reason: format!(
                    "expected tensor {:?} of {} bytes here, got {} bytes",
                    spec.name,
                    spec.n_bytes()?,
                    data.len()
                ),
            });
        }
        self.out.write_all(data)?;
        self.written += data.len() as u64;
        let padded = self.written.next_multiple_of(self.alignment);
        self.out
            .write_all(&vec![0u8; (padded - self.written) as usize])?;
        self.written = padded;
        self.next += 1;
        Ok(())
    }

    /// Checks every announced tensor was written, flushes, and returns the output.
    pub fn finish(mut self) -> Result<W> {
        if let Some(missing) = self.specs.get(self.next) {
            return Err(FormatError::BadTensor {
                tensor: missing.name.clone(),
                reason: "announced in the header but never written".into(),
            });
        }
        self.out.flush()?;
        Ok(self.out)
    }
}
