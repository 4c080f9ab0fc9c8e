//! GGUF metadata values and typed look-ups that say which key was missing or mistyped.

use crate::error::{FormatError, Result};

/// One metadata value. Arrays may nest (the spec allows arrays of arrays).
#[derive(Clone, Debug, PartialEq)]
pub enum MetadataValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    Array(Vec<MetadataValue>),
}

impl MetadataValue {
    pub fn type_name(&self) -> &'static str {
        match self {
            MetadataValue::U8(_) => "u8",
            MetadataValue::I8(_) => "i8",
            MetadataValue::U16(_) => "u16",
            MetadataValue::I16(_) => "i16",
            MetadataValue::U32(_) => "u32",
            MetadataValue::I32(_) => "i32",
            MetadataValue::U64(_) => "u64",
            MetadataValue::I64(_) => "i64",
            MetadataValue::F32(_) => "f32",
            MetadataValue::F64(_) => "f64",
            MetadataValue::Bool(_) => "bool",
            MetadataValue::String(_) => "string",
            MetadataValue::Array(_) => "array",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetadataValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// Any integer type, as i64 (u64 values above i64::MAX give None).
    pub fn as_i64(&self) -> Option<i64> {
        Some(match *self {
            MetadataValue::U8(v) => v as i64,
            MetadataValue::I8(v) => v as i64,
            MetadataValue::U16(v) => v as i64,
            MetadataValue::I16(v) => v as i64,
            MetadataValue::U32(v) => v as i64,
            MetadataValue::I32(v) => v as i64,
            MetadataValue::U64(v) => i64::try_from(v).ok()?,
            MetadataValue::I64(v) => v,
            _ => return None,
        })
    }

    /// Any non-negative integer, as u64.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MetadataValue::U64(v) => Some(v),
            _ => u64::try_from(self.as_i64()?).ok(),
        }
    }

    /// Any number (integers included: writers disagree on the type of e.g. rope.freq_base).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            MetadataValue::F32(v) => Some(v as f64),
            MetadataValue::F64(v) => Some(v),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            MetadataValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[MetadataValue]> {
        match self {
            MetadataValue::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Metadata in file order, with look-ups by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    entries: Vec<(String, MetadataValue)>,
}

impl Metadata {
    pub fn new(entries: Vec<(String, MetadataValue)>) -> Self {
        Metadata { entries }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetadataValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets or replaces a value (used by writers and converters).
    pub fn set(&mut self, key: &str, value: MetadataValue) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_string(), value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<MetadataValue> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    fn typed<'a, T>(
        &'a self,
        key: &str,
        expected: &'static str,
        f: impl FnOnce(&'a MetadataValue) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => f(v).map(Some).ok_or_else(|| FormatError::WrongKeyType {
                key: key.to_string(),
                expected,
                found: v.type_name().to_string(),
            }),
        }
    }

    pub fn get_str(&self, key: &str) -> Result<Option<&str>> {
        self.typed(key, "string", MetadataValue::as_str)
    }

    pub fn get_u64(&self, key: &str) -> Result<Option<u64>> {
        self.typed(key, "non-negative integer", MetadataValue::as_u64)
    }

    pub fn get_f64(&self, key: &str) -> Result<Option<f64>> {
        self.typed(key, "number", MetadataValue::as_f64)
    }

    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        self.typed(key, "bool", MetadataValue::as_bool)
    }

    pub fn get_array(&self, key: &str) -> Result<Option<&[MetadataValue]>> {
        self.typed(key, "array", MetadataValue::as_array)
    }

    pub fn require_str(&self, key: &str) -> Result<&str> {
        self.get_str(key)?
            .ok_or_else(|| FormatError::MissingKey(key.to_string()))
    }

    pub fn require_u64(&self, key: &str) -> Result<u64> {
        self.get_u64(key)?
            .ok_or_else(|| FormatError::MissingKey(key.to_string()))
    }

    /// A string array as `Vec<&str>` (tokenizer vocabularies, merges).
    pub fn get_str_array(&self, key: &str) -> Result<Option<Vec<&str>>> {
        let Some(items) = self.get_array(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| FormatError::WrongKeyType {
                    key: key.to_string(),
                    expected: "array of strings",
                    found: format!("array containing {}", v.type_name()),
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// A numeric array as f32 (token scores).
    pub fn get_f32_array(&self, key: &str) -> Result<Option<Vec<f32>>> {
        self.numeric_array(key, |v| v.as_f64().map(|x| x as f32))
    }

    /// An integer array as i64 (token types).
    pub fn get_i64_array(&self, key: &str) -> Result<Option<Vec<i64>>> {
        self.numeric_array(key, MetadataValue::as_i64)
    }

    fn numeric_array<T>(
        &self,
        key: &str,
        f: impl Fn(&MetadataValue) -> Option<T>,
    ) -> Result<Option<Vec<T>>> {
        let Some(items) = self.get_array(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|v| {
                f(v).ok_or_else(|| FormatError::WrongKeyType {
                    key: key.to_string(),
                    expected: "array of numbers",
                    found: format!("array containing {}", v.type_name()),
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}
