//! The GGUF reader on files written by other tools (gguf-py, llama.cpp's quantizer).

use mistral_formats::byte_source::{MappedFile, PrefixSource};
use mistral_formats::gguf::{GgufFile, GgufWriter, MetadataValue};
use mistral_formats::{ByteSource, FormatError, TensorType};
use mistral_testdata::fixture;

fn open(rel: &str) -> (MappedFile, GgufFile) {
    let src = MappedFile::open(&fixture(rel)).unwrap();
    let gguf = GgufFile::read(&src).unwrap();
    (src, gguf)
}

#[test]
fn reads_gguf_py_q8_0_file() {
    let (_src, g) = open("tiny-w6/tiny-w6-Q8_0.gguf");
    assert_eq!(g.version, 3);
    let m = &g.metadata;
    assert_eq!(m.require_str("general.architecture").unwrap(), "llama");
    assert_eq!(m.require_u64("llama.embedding_length").unwrap(), 256);
    assert_eq!(m.require_u64("llama.attention.head_count_kv").unwrap(), 2);
    assert_eq!(
        m.get_u64("llama.attention.sliding_window").unwrap(),
        Some(6)
    );
    assert_eq!(m.get_f64("llama.rope.freq_base").unwrap(), Some(10000.0));
    let tokens = m.get_str_array("tokenizer.ggml.tokens").unwrap().unwrap();
    assert_eq!(tokens.len(), 512);
    assert_eq!(tokens[1], "<s>");
    assert_eq!(g.tensors.len(), 21);
    let q8 = g
        .tensors
        .iter()
        .filter(|t| t.ty == TensorType::Q8_0)
        .count();
    assert_eq!(q8, 16);
    let q = g.require_tensor("blk.0.attn_q.weight").unwrap();
    assert_eq!(q.dims, vec![256, 256]);
    assert_eq!(q.n_bytes, 256 * 256 / 32 * 34);
    assert_eq!(
        g.require_tensor("token_embd.weight").unwrap().dims,
        vec![256, 512]
    );
}

#[test]
fn reads_llama_cpp_q4_k_m_file() {
    let (_src, g) = open("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf");
    let count = |ty| g.tensors.iter().filter(|t| t.ty == ty).count();
    assert_eq!(
        (
            count(TensorType::Q4K),
            count(TensorType::Q6K),
            count(TensorType::F32)
        ),
        (13, 3, 5)
    );
    assert_eq!(
        g.require_tensor("output.weight").unwrap().ty,
        TensorType::Q6K
    );
    assert_eq!(
        g.metadata.get_u64("general.quantization_version").unwrap(),
        Some(2)
    );
    let tokens = g
        .metadata
        .get_str_array("tokenizer.ggml.tokens")
        .unwrap()
        .unwrap();
    assert_eq!((tokens.len(), tokens[1]), (32000, "<s>"));
    assert_eq!(
        g.metadata
            .get_u64("llama.attention.sliding_window")
            .unwrap(),
        Some(16)
    );
}

#[test]
fn header_parses_from_a_prefix_and_asks_for_more_when_short() {
    let bytes = std::fs::read(fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf")).unwrap();
    let full = GgufFile::read(&bytes).unwrap();
    let short = PrefixSource {
        prefix: bytes[..4096].to_vec(),
        total_len: bytes.len() as u64,
    };
    assert!(matches!(
        GgufFile::read(&short),
        Err(FormatError::PrefixTooShort { .. })
    ));
    let enough = PrefixSource {
        prefix: bytes[..full.data_offset as usize].to_vec(),
        total_len: bytes.len() as u64,
    };
    let g = GgufFile::read(&enough).unwrap();
    assert_eq!(g.tensors, full.tensors);
}

#[test]
fn writer_round_trips_every_value_type_and_tensors() {
    let mut w = GgufWriter::new();
    let values = [
        ("a.u8", MetadataValue::U8(7)),
        ("a.i8", MetadataValue::I8(-7)),
        ("a.u16", MetadataValue::U16(700)),
        ("a.i16", MetadataValue::I16(-700)),
        ("a.u32", MetadataValue::U32(70000)),
        ("a.i32", MetadataValue::I32(-70000)),
        ("a.u64", MetadataValue::U64(u64::MAX)),
        ("a.i64", MetadataValue::I64(i64::MIN)),
        ("a.f32", MetadataValue::F32(1.5)),
        ("a.f64", MetadataValue::F64(-2.25)),
        ("a.bool", MetadataValue::Bool(true)),
        ("a.str", MetadataValue::String("héllo".into())),
        (
            "a.nested",
            MetadataValue::array(vec![
                MetadataValue::array(vec![MetadataValue::I32(1), MetadataValue::I32(2)]),
                MetadataValue::array(vec![MetadataValue::I32(3)]),
            ]),
        ),
    ];
    for (k, v) in &values {
        w.metadata.set(k, v.clone());
    }
    w.add_tensor("t.f32", &[3, 2], TensorType::F32, vec![1u8; 24])
        .unwrap();
    w.add_tensor("t.q8", &[64], TensorType::Q8_0, vec![2u8; 68])
        .unwrap();
    assert!(w
        .add_tensor("bad", &[64], TensorType::Q8_0, vec![0; 67])
        .is_err());
    let bytes = w.to_bytes().unwrap();
    let g = GgufFile::read(&bytes).unwrap();
    for (k, v) in &values {
        assert_eq!(g.metadata.get(k), Some(v), "{k}");
    }
    assert_eq!(g.metadata.get_u64("a.u64").unwrap(), Some(u64::MAX));
    let t = g.require_tensor("t.q8").unwrap();
    assert_eq!(t.offset % 32, 0);
    assert_eq!(g.tensor_bytes(&bytes, t).unwrap(), vec![2u8; 68]);
    assert_eq!(bytes.len() as u64, ByteSource::len(&bytes));
}

#[test]
fn our_q4_k_m_policy_picks_the_types_llama_cpp_picked() {
    use mistral_formats::requantize::{tensor_type_for, QuantTarget};
    let (_src, g) = open("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf");
    for t in &g.tensors {
        assert_eq!(
            tensor_type_for(QuantTarget::Q4KM, &t.name, &t.dims, 2),
            t.ty,
            "{}",
            t.name
        );
    }
}

#[test]
fn version_2_files_read_like_version_3() {
    // v2 and v3 share the little-endian layout (64-bit counts); only the version field differs.
    let mut bytes = std::fs::read(fixture("tiny-w6/tiny-w6-Q4_0.gguf")).unwrap();
    let v3 = GgufFile::read(&bytes).unwrap();
    bytes[4..8].copy_from_slice(&2u32.to_le_bytes());
    let v2 = GgufFile::read(&bytes).unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.tensors, v3.tensors);
    assert_eq!(v2.metadata, v3.metadata);
}
