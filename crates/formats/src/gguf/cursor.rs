//! Sequential reads over a byte source for the GGUF header parser.
//!
//! Reads are fetched in chunks so that a header of a million small fields costs a few large
//! reads, and no single read is larger than a chunk: a long string is assembled chunk by chunk,
//! so a length field that lies (or a source whose claimed length lies, as a browser's prefix of
//! a server-announced size does) costs at most the bytes really present before it fails.

use super::implausible;
use crate::byte_source::{check_range, ByteSource};
use crate::error::{FormatError, Result};

/// Bytes fetched from the source per read.
pub(crate) const CHUNK: u64 = 1 << 16;

pub(crate) struct Cursor<'a, S: ByteSource + ?Sized> {
    source: &'a S,
    pub pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a, S: ByteSource + ?Sized> Cursor<'a, S> {
    pub fn new(source: &'a S) -> Self {
        Cursor {
            source,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
        }
    }

    pub fn remaining(&self) -> u64 {
        self.source.len().saturating_sub(self.pos)
    }

    /// Refuses a count that the remaining bytes cannot hold at `min_bytes_each` per item.
    pub fn check_count(&self, what: &'static str, count: u64, min_bytes_each: u64) -> Result<()> {
        let limit = self.remaining() / min_bytes_each;
        if count > limit {
            return Err(implausible(what, count, limit));
        }
        Ok(())
    }

    /// The next `n` bytes; `n` must be at most [`CHUNK`] (longer fields go through
    /// [`Cursor::long_bytes`]).
    pub fn bytes(&mut self, n: u64) -> Result<&[u8]> {
        debug_assert!(n <= CHUNK);
        check_range(self.pos, n, self.source.len())?;
        let buf_end = self.buf_start + self.buf.len() as u64;
        if self.pos < self.buf_start || self.pos + n > buf_end {
            let want = n.max(CHUNK).min(self.source.len() - self.pos);
            // A prefix-only source (or one whose claimed length lies) may hold the bytes asked
            // for but not a whole chunk: then ask for just those, and let that error stand.
            self.buf = match self.source.read_vec(self.pos, want) {
                Err(_) if want > n => self.source.read_vec(self.pos, n)?,
                other => other?,
            };
            self.buf_start = self.pos;
        }
        let start = (self.pos - self.buf_start) as usize;
        self.pos += n;
        Ok(&self.buf[start..start + n as usize])
    }

    /// `n` bytes of any length, read a chunk at a time so memory follows the bytes present.
    pub fn long_bytes(&mut self, n: u64) -> Result<Vec<u8>> {
        check_range(self.pos, n, self.source.len())?;
        let mut out = Vec::with_capacity(n.min(CHUNK) as usize);
        let mut left = n;
        while left > 0 {
            let step = left.min(CHUNK);
            out.extend_from_slice(self.bytes(step)?);
            left -= step;
        }
        Ok(out)
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.bytes(N as u64)?.try_into().expect("N bytes"))
    }

    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A string's length field, checked against the remaining bytes (not read yet).
    pub fn string_len(&mut self) -> Result<u64> {
        let len = self.u64()?;
        if len > self.remaining() {
            return Err(FormatError::Truncated {
                offset: self.pos,
                needed: len,
                len: self.source.len(),
            });
        }
        Ok(len)
    }

    /// The `len` bytes of a string whose length was read by [`Cursor::string_len`].
    pub fn string_body(&mut self, len: u64, what: &'static str) -> Result<String> {
        let bytes = self.long_bytes(len)?;
        String::from_utf8(bytes).map_err(|_| FormatError::BadUtf8(what))
    }
}
