//! Malformed and malicious GGUF headers give typed errors: no panic, no huge allocation.

use mistral_formats::gguf::{GgufFile, GgufWriter, MetadataValue};
use mistral_formats::{FormatError, TensorType};

fn small_file() -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.metadata.set(
        "general.architecture",
        MetadataValue::String("llama".into()),
    );
    w.metadata.set(
        "tokenizer.ggml.tokens",
        MetadataValue::array(vec![MetadataValue::String("a".into()); 3]),
    );
    w.add_tensor("w", &[32, 2], TensorType::Q8_0, vec![0; 68])
        .unwrap();
    w.add_tensor("n", &[4], TensorType::F32, vec![0; 16])
        .unwrap();
    w.to_bytes().unwrap()
}

/// Offsets of fields in `small_file()`'s header, found by layout.
const N_TENSORS_AT: usize = 8;
const N_KV_AT: usize = 16;
const FIRST_KEY_LEN_AT: usize = 24;

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = small_file();
    let g = GgufFile::read(&bytes).unwrap();
    let header_end = g.data_offset as usize;
    // Trailing alignment padding after the last tensor may be cut without losing anything.
    let data_end = g
        .tensors
        .iter()
        .map(|t| t.offset + t.n_bytes)
        .max()
        .unwrap() as usize;
    for cut in 0..data_end {
        let r = GgufFile::read(&bytes[..cut]);
        assert!(r.is_err(), "cut at {cut} of {} parsed", bytes.len());
        if cut < header_end {
            let msg = r.unwrap_err().to_string();
            assert!(!msg.is_empty());
        }
    }
}

#[test]
fn wrong_magic_and_version() {
    let mut b = small_file();
    b[0] = b'X';
    assert!(matches!(GgufFile::read(&b), Err(FormatError::BadMagic(_))));
    let mut b = small_file();
    b[4] = 9;
    assert!(matches!(
        GgufFile::read(&b),
        Err(FormatError::UnsupportedVersion(9))
    ));
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    for at in [N_TENSORS_AT, N_KV_AT] {
        let mut b = small_file();
        put_u64(&mut b, at, u64::MAX / 2);
        let err = GgufFile::read(&b).unwrap_err();
        assert!(
            matches!(err, FormatError::Implausible { .. }),
            "{at}: {err}"
        );
    }
}

#[test]
fn string_length_past_the_end() {
    let mut b = small_file();
    put_u64(&mut b, FIRST_KEY_LEN_AT, 1 << 50);
    assert!(matches!(
        GgufFile::read(&b),
        Err(FormatError::Truncated { .. })
    ));
}

#[test]
fn array_length_past_the_end() {
    let b = small_file();
    // The token array's count follows its element type; find it by its value (3).
    let key = b"tokenizer.ggml.tokens";
    let at = b.windows(key.len()).position(|w| w == key).unwrap() + key.len() + 4 + 4;
    assert_eq!(u64::from_le_bytes(b[at..at + 8].try_into().unwrap()), 3);
    let mut b2 = b.clone();
    put_u64(&mut b2, at, 1 << 40);
    assert!(matches!(
        GgufFile::read(&b2),
        Err(FormatError::Implausible { .. })
    ));
}

fn tensor_field_offset(b: &[u8], name: &str, dims: usize) -> usize {
    // name length u64, name, n_dims u32, dims u64*, then type u32 and offset u64.
    let pat = [&(name.len() as u64).to_le_bytes()[..], name.as_bytes()].concat();
    b.windows(pat.len()).position(|w| w == pat).unwrap() + pat.len() + 4 + 8 * dims
}

#[test]
fn unsupported_type_names_type_and_tensor() {
    let mut b = small_file();
    let at = tensor_field_offset(&b, "w", 2);
    b[at..at + 4].copy_from_slice(&13u32.to_le_bytes());
    let msg = GgufFile::read(&b).unwrap_err().to_string();
    assert!(msg.contains("Q5_K") && msg.contains("\"w\""), "{msg}");
}

#[test]
fn tensor_outside_file_overlapping_or_misaligned() {
    let b = small_file();
    let at = tensor_field_offset(&b, "n", 1) + 4;
    let mut outside = b.clone();
    put_u64(&mut outside, at, 1 << 20);
    assert!(matches!(
        GgufFile::read(&outside),
        Err(FormatError::BadTensor { .. })
    ));
    let mut overlap = b.clone();
    put_u64(&mut overlap, at, 32);
    assert!(matches!(
        GgufFile::read(&overlap),
        Err(FormatError::OverlappingTensors { .. })
    ));
    let mut misaligned = b.clone();
    put_u64(&mut misaligned, at, 97);
    assert!(matches!(
        GgufFile::read(&misaligned),
        Err(FormatError::BadTensor { .. })
    ));
}

#[test]
fn shape_type_mismatch_and_bad_dims() {
    let b = small_file();
    // A Q8_0 row must be a multiple of 32 elements.
    let dims_at = tensor_field_offset(&b, "w", 0);
    let mut odd_row = b.clone();
    put_u64(&mut odd_row, dims_at, 33);
    assert!(matches!(
        GgufFile::read(&odd_row),
        Err(FormatError::BadTensor { .. })
    ));
    let mut zero = b.clone();
    put_u64(&mut zero, dims_at, 0);
    assert!(GgufFile::read(&zero).is_err());
    let mut n_dims = b.clone();
    n_dims[dims_at - 4..dims_at].copy_from_slice(&77u32.to_le_bytes());
    assert!(matches!(
        GgufFile::read(&n_dims),
        Err(FormatError::BadTensor { .. })
    ));
}

#[test]
fn duplicate_keys_and_bad_value_types() {
    let b = small_file();
    let key = b"tokenizer.ggml.tokens";
    let at = b.windows(key.len()).position(|w| w == key).unwrap();
    let mut dup = b.clone();
    dup[at..at + key.len()].copy_from_slice(b"general.architecture\0");
    // Same length is needed for a clean duplicate; build one through the writer instead.
    let _ = dup;
    let mut bad_ty = b.clone();
    bad_ty[at + key.len()..at + key.len() + 4].copy_from_slice(&99u32.to_le_bytes());
    assert!(matches!(
        GgufFile::read(&bad_ty),
        Err(FormatError::BadValueType(99))
    ));
    let mut w = GgufWriter::new();
    w.metadata.set("k", MetadataValue::U8(1));
    let mut bytes = w.to_bytes().unwrap();
    // Write the same key twice by patching the count and appending a copy of the entry.
    let entry = bytes[24..24 + 8 + 1 + 4 + 1].to_vec();
    put_u64(&mut bytes, N_KV_AT, 2);
    bytes.splice(24..24, entry);
    assert!(matches!(
        GgufFile::read(&bytes),
        Err(FormatError::Duplicate { .. })
    ));
}

#[test]
fn deeply_nested_arrays_are_bounded() {
    let mut v = MetadataValue::U8(0);
    for _ in 0..20 {
        v = MetadataValue::array(vec![v]);
    }
    let mut w = GgufWriter::new();
    w.metadata.set("deep", v);
    let b = w.to_bytes().unwrap();
    assert!(matches!(
        GgufFile::read(&b),
        Err(FormatError::Implausible { .. })
    ));
}
