//! GGUF metadata values. Arrays are typed (`Vec<u8>`, `Vec<String>`, ...) rather than vectors of
//! values: an element then costs its own size (1 byte for a u8) instead of a 32-byte enum, so
//! the decoded metadata stays within a small multiple of the bytes that justified it.

/// One metadata value.
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
    Array(MetadataArray),
}

/// A homogeneous array; arrays of arrays may mix element types between the inner arrays (the
/// spec allows it, each inner array carries its own type).
#[derive(Clone, Debug, PartialEq)]
pub enum MetadataArray {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    String(Vec<String>),
    Array(Vec<MetadataArray>),
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

    /// An array from loose values, for tests and writers. Panics when the items are not all of
    /// one type (a programming error: GGUF arrays are homogeneous); see
    /// [`MetadataArray::from_values`] for the fallible form. An empty list is an empty u8 array,
    /// as gguf-py writes it.
    pub fn array(items: Vec<MetadataValue>) -> Self {
        MetadataValue::Array(
            MetadataArray::from_values(items).expect("GGUF array items must share one type"),
        )
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

    pub fn as_array(&self) -> Option<&MetadataArray> {
        match self {
            MetadataValue::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Applies `$body` to the vector inside any variant, binding it as `$v`.
macro_rules! each_variant {
    ($arr:expr, $v:ident => $body:expr) => {
        match $arr {
            MetadataArray::U8($v) => $body,
            MetadataArray::I8($v) => $body,
            MetadataArray::U16($v) => $body,
            MetadataArray::I16($v) => $body,
            MetadataArray::U32($v) => $body,
            MetadataArray::I32($v) => $body,
            MetadataArray::U64($v) => $body,
            MetadataArray::I64($v) => $body,
            MetadataArray::F32($v) => $body,
            MetadataArray::F64($v) => $body,
            MetadataArray::Bool($v) => $body,
            MetadataArray::String($v) => $body,
            MetadataArray::Array($v) => $body,
        }
    };
}

impl MetadataArray {
    pub fn len(&self) -> usize {
        each_variant!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type's name, as [`MetadataValue::type_name`] spells it.
    pub fn elem_type_name(&self) -> &'static str {
        match self {
            MetadataArray::U8(_) => "u8",
            MetadataArray::I8(_) => "i8",
            MetadataArray::U16(_) => "u16",
            MetadataArray::I16(_) => "i16",
            MetadataArray::U32(_) => "u32",
            MetadataArray::I32(_) => "i32",
            MetadataArray::U64(_) => "u64",
            MetadataArray::I64(_) => "i64",
            MetadataArray::F32(_) => "f32",
            MetadataArray::F64(_) => "f64",
            MetadataArray::Bool(_) => "bool",
            MetadataArray::String(_) => "string",
            MetadataArray::Array(_) => "array",
        }
    }

    /// Element `i` as a loose value (strings and inner arrays are cloned).
    pub fn get(&self, i: usize) -> Option<MetadataValue> {
        use MetadataValue as V;
        Some(match self {
            MetadataArray::U8(v) => V::U8(*v.get(i)?),
            MetadataArray::I8(v) => V::I8(*v.get(i)?),
            MetadataArray::U16(v) => V::U16(*v.get(i)?),
            MetadataArray::I16(v) => V::I16(*v.get(i)?),
            MetadataArray::U32(v) => V::U32(*v.get(i)?),
            MetadataArray::I32(v) => V::I32(*v.get(i)?),
            MetadataArray::U64(v) => V::U64(*v.get(i)?),
            MetadataArray::I64(v) => V::I64(*v.get(i)?),
            MetadataArray::F32(v) => V::F32(*v.get(i)?),
            MetadataArray::F64(v) => V::F64(*v.get(i)?),
            MetadataArray::Bool(v) => V::Bool(*v.get(i)?),
            MetadataArray::String(v) => V::String(v.get(i)?.clone()),
            MetadataArray::Array(v) => V::Array(v.get(i)?.clone()),
        })
    }

    /// Every element as a loose value (clones; for inspection, not for big arrays).
    pub fn iter(&self) -> impl Iterator<Item = MetadataValue> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    pub fn as_strings(&self) -> Option<&[String]> {
        match self {
            MetadataArray::String(v) => Some(v),
            _ => None,
        }
    }

    /// Integer elements as i64; None for other element types. Element `i` that does not fit
    /// (a u64 above i64::MAX) gives `Err(i)`.
    pub fn to_i64_vec(&self) -> Option<Result<Vec<i64>, usize>> {
        fn widen<T: Copy>(v: &[T], f: impl Fn(T) -> Option<i64>) -> Result<Vec<i64>, usize> {
            v.iter().enumerate().map(|(i, &x)| f(x).ok_or(i)).collect()
        }
        Some(match self {
            MetadataArray::U8(v) => widen(v, |x| Some(x as i64)),
            MetadataArray::I8(v) => widen(v, |x| Some(x as i64)),
            MetadataArray::U16(v) => widen(v, |x| Some(x as i64)),
            MetadataArray::I16(v) => widen(v, |x| Some(x as i64)),
            MetadataArray::U32(v) => widen(v, |x| Some(x as i64)),
            MetadataArray::I32(v) => widen(v, |x| Some(x as i64)),
            MetadataArray::U64(v) => widen(v, |x| i64::try_from(x).ok()),
            MetadataArray::I64(v) => Ok(v.clone()),
            _ => return None,
        })
    }

    /// Numeric elements (integers included) as f32; None for other element types.
    pub fn to_f32_vec(&self) -> Option<Vec<f32>> {
        Some(match self {
            MetadataArray::F32(v) => v.clone(),
            MetadataArray::F64(v) => v.iter().map(|&x| x as f32).collect(),
            _ => match self.to_i64_vec()? {
                Ok(v) => v.into_iter().map(|x| x as f32).collect(),
                // u64 beyond i64: still a number.
                Err(_) => match self {
                    MetadataArray::U64(v) => v.iter().map(|&x| x as f32).collect(),
                    _ => return None,
                },
            },
        })
    }

    /// An array from loose values; None when they are not all of one type. Empty gives an
    /// empty u8 array (gguf-py's choice for an array with no element to take a type from).
    pub fn from_values(items: Vec<MetadataValue>) -> Option<Self> {
        use MetadataValue as V;
        macro_rules! gather {
            ($variant:ident) => {
                MetadataArray::$variant(
                    items
                        .into_iter()
                        .map(|x| match x {
                            V::$variant(x) => Some(x),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()?,
                )
            };
        }
        let Some(first) = items.first() else {
            return Some(MetadataArray::U8(Vec::new()));
        };
        Some(match first {
            V::U8(_) => gather!(U8),
            V::I8(_) => gather!(I8),
            V::U16(_) => gather!(U16),
            V::I16(_) => gather!(I16),
            V::U32(_) => gather!(U32),
            V::I32(_) => gather!(I32),
            V::U64(_) => gather!(U64),
            V::I64(_) => gather!(I64),
            V::F32(_) => gather!(F32),
            V::F64(_) => gather!(F64),
            V::Bool(_) => gather!(Bool),
            V::String(_) => gather!(String),
            V::Array(_) => gather!(Array),
        })
    }
}

macro_rules! from_vec {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<Vec<$t>> for MetadataArray {
            fn from(v: Vec<$t>) -> Self {
                MetadataArray::$variant(v)
            }
        }
    )*};
}

from_vec!(u8 => U8, i8 => I8, u16 => U16, i16 => I16, u32 => U32, i32 => I32, u64 => U64,
    i64 => I64, f32 => F32, f64 => F64, bool => Bool, String => String, MetadataArray => Array);
