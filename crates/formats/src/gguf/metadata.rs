//! GGUF metadata: key/value pairs in file order, with typed look-ups that say which key was
//! missing or mistyped.

use super::value::{MetadataArray, MetadataValue};
use crate::error::{FormatError, Result};
use std::collections::HashMap;

/// Metadata in file order, with look-ups by key.
/// Look-ups go through a hash index, so a header of 300k keys is read and queried in linear
/// time (a scan per key made duplicate detection quadratic: minutes).
#[derive(Clone, Debug, Default)]
pub struct Metadata {
    entries: Vec<(String, MetadataValue)>,
    /// Key -> position in `entries` (the first one, should a caller pass duplicates to `new`).
    index: HashMap<String, usize>,
}

impl PartialEq for Metadata {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Metadata {
    pub fn new(entries: Vec<(String, MetadataValue)>) -> Self {
        let mut index = HashMap::with_capacity(entries.len());
        for (i, (k, _)) in entries.iter().enumerate() {
            index.entry(k.clone()).or_insert(i);
        }
        Metadata { entries, index }
    }

    /// Appends a key that must not be present yet (the reader: GGUF keys are unique).
    pub fn insert_new(&mut self, key: String, value: MetadataValue) -> Result<()> {
        if self.index.contains_key(&key) {
            return Err(FormatError::Duplicate {
                what: "metadata key",
                name: key,
            });
        }
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push((key, value));
        Ok(())
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
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    /// Sets or replaces a value (used by writers and converters).
    pub fn set(&mut self, key: &str, value: MetadataValue) {
        match self.index.get(key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(key.to_string(), self.entries.len());
                self.entries.push((key.to_string(), value));
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<MetadataValue> {
        let i = self.index.remove(key)?;
        let (_, value) = self.entries.remove(i);
        // Later entries moved down by one (removal is rare: converters, not readers).
        for slot in self.index.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        Some(value)
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

    pub fn get_array(&self, key: &str) -> Result<Option<&MetadataArray>> {
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
        let Some(a) = self.get_array(key)? else {
            return Ok(None);
        };
        // An empty array has no element of a wrong type (writers type empty arrays as u8).
        if a.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let strings = a
            .as_strings()
            .ok_or_else(|| wrong_elements(key, "array of strings", a.elem_type_name()))?;
        Ok(Some(strings.iter().map(String::as_str).collect()))
    }

    /// A numeric array as f32 (token scores).
    pub fn get_f32_array(&self, key: &str) -> Result<Option<Vec<f32>>> {
        let Some(a) = self.get_array(key)? else {
            return Ok(None);
        };
        // An empty array has no element of a wrong type (writers type empty arrays as u8).
        if a.is_empty() {
            return Ok(Some(Vec::new()));
        }
        a.to_f32_vec()
            .map(Some)
            .ok_or_else(|| wrong_elements(key, "array of numbers", a.elem_type_name()))
    }

    /// An integer array as i64 (token types).
    pub fn get_i64_array(&self, key: &str) -> Result<Option<Vec<i64>>> {
        let Some(a) = self.get_array(key)? else {
            return Ok(None);
        };
        // An empty array has no element of a wrong type (writers type empty arrays as u8).
        if a.is_empty() {
            return Ok(Some(Vec::new()));
        }
        match a.to_i64_vec() {
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(i)) => Err(FormatError::WrongKeyType {
                key: key.to_string(),
                expected: "array of integers",
                found: format!("element {i} beyond the i64 range"),
            }),
            None => Err(wrong_elements(key, "array of integers", a.elem_type_name())),
        }
    }
}

fn wrong_elements(key: &str, expected: &'static str, elem: &str) -> FormatError {
    FormatError::WrongKeyType {
        key: key.to_string(),
        expected,
        found: format!("array containing {elem}"),
    }
}
