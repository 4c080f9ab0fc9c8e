//! Decoding GGUF metadata values from the header, charging each to the metadata budget before
//! it is allocated. Arrays grow as their elements are actually read (a bounded reservation up
//! front), so a count that the bytes do not back costs nothing beyond the bytes present.

use super::budget::Budget;
use super::cursor::{Cursor, CHUNK};
use super::value::{MetadataArray, MetadataValue};
use super::{implausible, value_type as vt};
use crate::byte_source::ByteSource;
use crate::error::{FormatError, Result};
use std::mem::size_of;

/// Arrays of arrays deeper than this are not used by any writer; bounding depth bounds recursion.
const MAX_ARRAY_DEPTH: u32 = 8;
/// Bytes reserved for a vector before any element is read; beyond it vectors grow with what
/// is read.
const MAX_RESERVE_BYTES: u64 = 1 << 16;

/// A vector for `count` elements to come, reserving at most [`MAX_RESERVE_BYTES`].
pub(crate) fn bounded_vec<T>(count: u64) -> Vec<T> {
    let cap = count.min(MAX_RESERVE_BYTES / size_of::<T>().max(1) as u64);
    Vec::with_capacity(cap as usize)
}

pub(crate) struct ValueReader<'c, 'a, S: ByteSource + ?Sized> {
    pub cursor: &'c mut Cursor<'a, S>,
    pub budget: &'c mut Budget,
}

impl<S: ByteSource + ?Sized> ValueReader<'_, '_, S> {
    /// A string: length checked against the bytes left and charged before its body is read.
    pub fn string(&mut self, what: &'static str) -> Result<String> {
        let len = self.cursor.string_len()?;
        self.budget
            .charge(what, len.saturating_add(size_of::<String>() as u64))?;
        self.cursor.string_body(len, what)
    }

    pub fn value(&mut self, ty: u32) -> Result<MetadataValue> {
        use MetadataValue as V;
        let c = &mut *self.cursor;
        Ok(match ty {
            vt::U8 => V::U8(u8::from_le_bytes(c.array()?)),
            vt::I8 => V::I8(i8::from_le_bytes(c.array()?)),
            vt::U16 => V::U16(u16::from_le_bytes(c.array()?)),
            vt::I16 => V::I16(i16::from_le_bytes(c.array()?)),
            vt::U32 => V::U32(c.u32()?),
            vt::I32 => V::I32(i32::from_le_bytes(c.array()?)),
            vt::F32 => V::F32(f32::from_le_bytes(c.array()?)),
            vt::BOOL => V::Bool(bool_from(c.array()?)?),
            vt::STRING => V::String(self.string("metadata string")?),
            vt::U64 => V::U64(c.u64()?),
            vt::I64 => V::I64(i64::from_le_bytes(c.array()?)),
            vt::F64 => V::F64(f64::from_le_bytes(c.array()?)),
            vt::ARRAY => V::Array(self.array(0)?),
            other => return Err(FormatError::BadValueType(other)),
        })
    }

    /// An array (element type and count, then the elements) at nesting `depth`.
    fn array(&mut self, depth: u32) -> Result<MetadataArray> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(implausible(
                "array nesting depth",
                depth as u64 + 1,
                MAX_ARRAY_DEPTH as u64,
            ));
        }
        let elem_ty = self.cursor.u32()?;
        let count = self.cursor.u64()?;
        self.cursor
            .check_count("array length", count, min_value_bytes(elem_ty)?)?;
        use MetadataArray as A;
        Ok(match elem_ty {
            vt::U8 => A::U8(self.fixed(count, |b: [u8; 1]| Ok(b[0]))?),
            vt::I8 => A::I8(self.fixed(count, |b| Ok(i8::from_le_bytes(b)))?),
            vt::U16 => A::U16(self.fixed(count, |b| Ok(u16::from_le_bytes(b)))?),
            vt::I16 => A::I16(self.fixed(count, |b| Ok(i16::from_le_bytes(b)))?),
            vt::U32 => A::U32(self.fixed(count, |b| Ok(u32::from_le_bytes(b)))?),
            vt::I32 => A::I32(self.fixed(count, |b| Ok(i32::from_le_bytes(b)))?),
            vt::U64 => A::U64(self.fixed(count, |b| Ok(u64::from_le_bytes(b)))?),
            vt::I64 => A::I64(self.fixed(count, |b| Ok(i64::from_le_bytes(b)))?),
            vt::F32 => A::F32(self.fixed(count, |b| Ok(f32::from_le_bytes(b)))?),
            vt::F64 => A::F64(self.fixed(count, |b| Ok(f64::from_le_bytes(b)))?),
            vt::BOOL => A::Bool(self.fixed(count, bool_from)?),
            vt::STRING => {
                self.budget.charge(
                    "string array",
                    count.saturating_mul(size_of::<String>() as u64),
                )?;
                let mut items = bounded_vec(count);
                for _ in 0..count {
                    let len = self.cursor.string_len()?;
                    self.budget.charge("string array element", len)?;
                    items.push(self.cursor.string_body(len, "metadata string")?);
                }
                A::String(items)
            }
            vt::ARRAY => {
                self.budget.charge(
                    "array of arrays",
                    count.saturating_mul(size_of::<MetadataArray>() as u64),
                )?;
                let mut items = bounded_vec(count);
                for _ in 0..count {
                    items.push(self.array(depth + 1)?);
                }
                A::Array(items)
            }
            other => return Err(FormatError::BadValueType(other)),
        })
    }

    /// `count` fixed-size elements of `N` bytes, decoded a chunk at a time.
    fn fixed<T, const N: usize>(
        &mut self,
        count: u64,
        decode: impl Fn([u8; N]) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.budget
            .charge("numeric array", count.saturating_mul(size_of::<T>() as u64))?;
        let mut out = bounded_vec(count);
        let per_chunk = CHUNK / N as u64;
        let mut left = count;
        while left > 0 {
            let n = left.min(per_chunk);
            let bytes = self.cursor.bytes(n * N as u64)?;
            for b in bytes.chunks_exact(N) {
                out.push(decode(b.try_into().expect("N bytes"))?);
            }
            left -= n;
        }
        Ok(out)
    }
}

fn bool_from(b: [u8; 1]) -> Result<bool> {
    match b[0] {
        0 => Ok(false),
        1 => Ok(true),
        b => Err(implausible("bool value", b as u64, 1)),
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
