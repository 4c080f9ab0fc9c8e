//! Our dequantizers against gguf-py 0.19.0 (llama.cpp's reference), bit for bit, on the
//! committed fixtures in tests/fixtures/quant (see the README there), and our quantizers
//! against gguf-py's where gguf-py has one (F16, BF16, Q4_0, Q4_1, Q8_0).

use mistral_formats::quant::{dequantize, dequantize_to_vec, quantize};
use mistral_formats::TensorType;

const ALL: [(&str, TensorType); 8] = [
    ("f32", TensorType::F32),
    ("f16", TensorType::F16),
    ("bf16", TensorType::BF16),
    ("q4_0", TensorType::Q4_0),
    ("q4_1", TensorType::Q4_1),
    ("q8_0", TensorType::Q8_0),
    ("q4_k", TensorType::Q4K),
    ("q6_k", TensorType::Q6K),
];

fn read(name: &str) -> Vec<u8> {
    std::fs::read(mistral_testdata::fixture(&format!("quant/{name}"))).unwrap()
}

fn read_f32(name: &str) -> Vec<f32> {
    let bytes = read(name);
    assert_eq!(bytes.len() % 4, 0, "{name}");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Bitwise equality, so -0.0 vs 0.0 and NaN payloads count; reports the first differences.
fn assert_bits_eq(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let bad: Vec<_> = (0..got.len())
        .filter(|&i| got[i].to_bits() != want[i].to_bits())
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: {} of {} values differ, first: {:?}",
        bad.len(),
        got.len(),
        bad.iter()
            .take(5)
            .map(|&i| (i, got[i], want[i]))
            .collect::<Vec<_>>()
    );
}

fn assert_bytes_eq(what: &str, got: &[u8], want: &[u8], block_bytes: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        let b = i / block_bytes;
        let r = b * block_bytes..(b + 1) * block_bytes;
        panic!(
            "{what}: first difference at byte {i} (block {b})\n ours: {:02x?}\n want: {:02x?}",
            &got[r.clone()],
            &want[r]
        );
    }
}

#[test]
fn dequantize_matches_gguf_py_bit_for_bit() {
    for (name, ty) in ALL {
        let blocks = read(&format!("{name}.blocks.bin"));
        let want = read_f32(&format!("{name}.dequant.f32"));
        assert!(!want.is_empty());
        let got = dequantize_to_vec(ty, &blocks).unwrap();
        assert_bits_eq(name, &got, &want);

        // The slice API gives the same, and overwrites whatever was in `out`.
        let mut out = vec![f32::NAN; want.len()];
        dequantize(ty, &blocks, &mut out).unwrap();
        assert_bits_eq(name, &out, &want);
    }
}

#[test]
fn quantize_matches_gguf_py_bit_for_bit() {
    for (name, ty) in [
        ("f16", TensorType::F16),
        ("bf16", TensorType::BF16),
        ("q4_0", TensorType::Q4_0),
        ("q4_1", TensorType::Q4_1),
        ("q8_0", TensorType::Q8_0),
    ] {
        let input = read_f32(&format!("{name}.quant_input.f32"));
        let want = read(&format!("{name}.quant_gguf.bin"));
        let got = quantize(ty, &input).unwrap();
        assert_bytes_eq(name, &got, &want, ty.block_bytes());
    }
}

const K_QUANTS: [(&str, TensorType); 2] = [("q4_k", TensorType::Q4K), ("q6_k", TensorType::Q6K)];

/// gguf-py cannot quantize K-quants, so the fixture script runs OUR quantizer (the ignored
/// test below) and stores gguf-py's dequantization of our blocks. This checks that ggml reads
/// our blocks as we meant them (layout, scale packing), and pins our quantizer's output.
#[test]
fn k_quant_blocks_we_write_read_back_the_same_in_gguf_py() {
    for (name, ty) in K_QUANTS {
        let input = read_f32(&format!("{name}.quant_input.f32"));
        let ours = quantize(ty, &input).unwrap();
        let committed = read(&format!("{name}.quant_ours.bin"));
        assert_bytes_eq(
            &format!("{name}: quantizer output changed since the fixtures were made"),
            &ours,
            &committed,
            ty.block_bytes(),
        );
        let gguf = read_f32(&format!("{name}.quant_ours_dequant.f32"));
        assert_bits_eq(name, &dequantize_to_vec(ty, &ours).unwrap(), &gguf);
    }
}

/// Writes `<type>.quant_ours.bin` for scripts/fixtures/gen_quant_samples.py, which runs it.
#[test]
#[ignore = "fixture generator, run by scripts/fixtures/gen_quant_samples.py"]
fn write_our_k_quant_blocks() {
    for (name, ty) in K_QUANTS {
        let input = read_f32(&format!("{name}.quant_input.f32"));
        let ours = quantize(ty, &input).unwrap();
        let path = mistral_testdata::fixture("quant").join(format!("{name}.quant_ours.bin"));
        std::fs::write(&path, ours).unwrap();
        eprintln!("wrote {}", path.display());
    }
}

/// For `gen_quant_samples.py --ggml-check`: quantizes every `<type>.input.f32` in the folder
/// named by MISTRAL_QUANT_CHECK_DIR to `<type>.ours.bin`, to be compared with ggml's own
/// reference quantizers compiled from llama.cpp's source.
#[test]
#[ignore = "run by scripts/fixtures/gen_quant_samples.py --ggml-check"]
fn quantize_dir_for_ggml_check() {
    let dir = std::path::PathBuf::from(
        std::env::var_os("MISTRAL_QUANT_CHECK_DIR").expect("set MISTRAL_QUANT_CHECK_DIR"),
    );
    for (name, ty) in ALL {
        let input = dir.join(format!("{name}.input.f32"));
        if !input.exists() {
            continue;
        }
        let x: Vec<f32> = std::fs::read(&input)
            .unwrap()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        std::fs::write(
            dir.join(format!("{name}.ours.bin")),
            quantize(ty, &x).unwrap(),
        )
        .unwrap();
    }
}
