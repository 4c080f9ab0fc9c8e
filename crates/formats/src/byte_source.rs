//! Where model bytes come from. Parsers only ever ask for ranges, so the same code reads a
//! memory-mapped file natively and ranges fetched on demand in a browser.

use crate::error::{FormatError, Result};

/// Random-access, read-only bytes of known length.
pub trait ByteSource {
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from `offset`; a range past the end is a [`FormatError::Truncated`].
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;

    /// Reads `len` bytes at `offset` into a new vector, checking the range before allocating.
    fn read_vec(&self, offset: u64, len: u64) -> Result<Vec<u8>> {
        check_range(offset, len, self.len())?;
        let mut v = vec![0u8; len as usize];
        self.read_at(offset, &mut v)?;
        Ok(v)
    }
}

/// Errors unless `offset..offset+needed` lies inside a source of `len` bytes.
pub fn check_range(offset: u64, needed: u64, len: u64) -> Result<()> {
    match offset.checked_add(needed) {
        Some(end) if end <= len => Ok(()),
        _ => Err(FormatError::Truncated {
            offset,
            needed,
            len,
        }),
    }
}

impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, ByteSource::len(self))?;
        let start = offset as usize;
        buf.copy_from_slice(&self[start..start + buf.len()]);
        Ok(())
    }
}

impl ByteSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.as_slice().read_at(offset, buf)
    }
}

/// A whole file mapped into memory (native only). Pages are loaded by the OS as tensors are
/// touched, so opening a 4 GB model costs nothing until its tensors are read.
#[cfg(not(target_arch = "wasm32"))]
pub struct MappedFile {
    map: memmap2::Mmap,
}

#[cfg(not(target_arch = "wasm32"))]
impl MappedFile {
    pub fn open(path: &std::path::Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| {
            FormatError::Io(std::io::Error::new(
                e.kind(),
                format!("cannot open {}: {e}", path.display()),
            ))
        })?;
        // SAFETY: the map is read-only; a file truncated by another process while mapped would
        // fault, which is the documented hazard of every mmap-based model loader.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(MappedFile { map })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl ByteSource for MappedFile {
    fn len(&self) -> u64 {
        self.map.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.bytes().read_at(offset, buf)
    }
}

/// The first bytes of a larger file whose total length is known, as a browser has after one
/// range request. Parsing a header from it either succeeds or fails with
/// [`FormatError::PrefixTooShort`], telling the caller to fetch a longer prefix and retry.
pub struct PrefixSource {
    pub prefix: Vec<u8>,
    pub total_len: u64,
}

impl ByteSource for PrefixSource {
    fn len(&self) -> u64 {
        self.total_len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len() as u64, self.total_len)?;
        let end = offset + buf.len() as u64;
        if end > self.prefix.len() as u64 {
            return Err(FormatError::PrefixTooShort { needed: end });
        }
        self.prefix.as_slice().read_at(offset, buf)
    }
}
