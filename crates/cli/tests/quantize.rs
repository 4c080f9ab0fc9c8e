//! `mistral-wgpu quantize` on a Hugging Face folder: the GGUF carries the folder's tokenizer and
//! chat template, reads the same in PyPI `gguf` (llama.cpp's Python package: metadata, shapes
//! and dequantized tensors equal ours), and its logits stay close to the f32 checkpoint's.

use mistral_formats::byte_source::MappedFile;
use mistral_formats::gguf::{GgufFile, MetadataValue};
use mistral_formats::{npy, open::open_model};
use mistral_testdata::{fixture, gguf_python};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_mistral-wgpu"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("run mistral-wgpu");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mw-quantize-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TEMPLATE: &str =
    "{{ bos_token }}{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}";

/// tiny-w6's safetensors checkpoint (vocabulary of 512) with a tokenizer that fits it: Mistral's
/// tokenizer.json shrunk to 512 pieces (its 3 specials and 256 byte pieces, common characters,
/// then the pieces its merges build from those, in merge order), with the merge list written as
/// transformers writes a SentencePiece one: every split of each piece into two pieces, piece by
/// piece in rank order.
fn hf_folder() -> PathBuf {
    let dir = scratch("folder");
    for f in ["model.safetensors", "config.json"] {
        std::fs::copy(fixture(&format!("tiny-w6/{f}")), dir.join(f)).unwrap();
    }
    let src = fixture("mistral-v0.1-tokenizer");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("tokenizer.json")).unwrap()).unwrap();
    let original = json["model"]["vocab"].as_object().unwrap().clone();
    let mut pieces: Vec<String> = (0..259)
        .map(|id| {
            original
                .iter()
                .find(|(_, v)| v.as_u64() == Some(id))
                .unwrap()
                .0
                .clone()
        })
        .collect();
    for c in " etaoinshrdlucmfwypvbgkqjxz,.ETAOINSHRDLUCMFWYPVBGKQJXZ0123456789".chars() {
        let piece = c.to_string().replace(' ', "\u{2581}");
        if original.contains_key(&piece) && !pieces.contains(&piece) {
            pieces.push(piece);
        }
    }
    let singles = pieces.len();
    for m in json["model"]["merges"].as_array().unwrap() {
        if pieces.len() == 512 {
            break;
        }
        let (a, b) = m.as_str().unwrap().split_once(' ').unwrap();
        let joined = format!("{a}{b}");
        if pieces.iter().any(|p| p == a)
            && pieces.iter().any(|p| p == b)
            && !pieces.contains(&joined)
        {
            pieces.push(joined);
        }
    }
    assert_eq!(pieces.len(), 512);
    let id = |p: &str| pieces.iter().position(|q| q == p);
    let mut merges = Vec::new();
    for piece in &pieces[singles..] {
        let mut splits: Vec<(usize, usize, String)> = piece
            .char_indices()
            .skip(1)
            .filter_map(|(i, _)| {
                let (l, r) = piece.split_at(i);
                Some((id(l)?, id(r)?, format!("{l} {r}")))
            })
            .collect();
        splits.sort();
        merges.extend(
            splits
                .into_iter()
                .map(|(_, _, m)| serde_json::Value::from(m)),
        );
    }
    let vocab: serde_json::Map<String, serde_json::Value> = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| (p.clone(), serde_json::Value::from(i)))
        .collect();
    json["model"]["vocab"] = vocab.into();
    json["model"]["merges"] = merges.into();
    std::fs::write(
        dir.join("tokenizer.json"),
        serde_json::to_vec(&json).unwrap(),
    )
    .unwrap();
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("tokenizer_config.json")).unwrap()).unwrap();
    config["chat_template"] = TEMPLATE.into();
    std::fs::write(
        dir.join("tokenizer_config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    dir
}

fn quantize(folder: &Path, ty: &str, out: &Path) {
    bin(&[
        "quantize",
        "--model",
        folder.to_str().unwrap(),
        "--type",
        ty,
        "--out",
        out.to_str().unwrap(),
    ]);
}

fn tokenize(model: &Path, text: &str) -> String {
    String::from_utf8(
        bin(&[
            "tokenize",
            "--model",
            model.to_str().unwrap(),
            "--text",
            text,
        ])
        .stdout,
    )
    .unwrap()
}

#[test]
fn the_gguf_carries_the_folders_tokenizer_and_reads_the_same_in_gguf_py() {
    let folder = hf_folder();
    let out = scratch("q4km").join("model.gguf");
    quantize(&folder, "q4_k_m", &out);

    for text in [
        "Hello world",
        "The quick brown fox, 12 times.",
        "  two  spaces\n",
    ] {
        assert_eq!(
            tokenize(&out, text),
            tokenize(&folder.join("tokenizer.json"), text),
            "{text:?}"
        );
    }
    let ours = GgufFile::read(&MappedFile::open(&out).unwrap()).unwrap();
    assert_eq!(
        ours.metadata.get_str("tokenizer.chat_template").unwrap(),
        Some(TEMPLATE)
    );

    // llama.cpp's Python package reads what we wrote.
    let dump = scratch("dump");
    let status = gguf_python()
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/gguf_py_dump.py"))
        .arg(&out)
        .arg(&dump)
        .status()
        .unwrap();
    assert!(status.success(), "gguf-py could not read the file");
    let theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dump.join("dump.json")).unwrap()).unwrap();
    let meta = theirs["metadata"].as_object().unwrap();
    assert_eq!(meta.len(), ours.metadata.len());
    for (key, value) in ours.metadata.iter() {
        let want = &meta[key];
        match value {
            MetadataValue::String(s) => assert_eq!(want.as_str(), Some(s.as_str()), "{key}"),
            MetadataValue::U32(v) => assert_eq!(want.as_u64(), Some(*v as u64), "{key}"),
            MetadataValue::F32(v) => assert_eq!(want.as_f64(), Some(*v as f64), "{key}"),
            MetadataValue::Bool(v) => assert_eq!(want.as_bool(), Some(*v), "{key}"),
            MetadataValue::Array(a) => {
                assert_eq!(want.as_array().unwrap().len(), a.len(), "{key}")
            }
            other => panic!("{key}: unexpected type {}", other.type_name()),
        }
    }
    assert_eq!(
        meta["tokenizer.ggml.tokens"].as_array().unwrap()[300].as_str(),
        ours.metadata
            .get_str_array("tokenizer.ggml.tokens")
            .unwrap()
            .unwrap()
            .get(300)
            .copied()
    );

    // Same tensors, shapes and types; dequantized values bit-equal to our dequantizer's.
    let model = open_model(&out).unwrap();
    let tensors = theirs["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), ours.tensors.len());
    for (i, (t, info)) in tensors.iter().zip(&ours.tensors).enumerate() {
        assert_eq!(t["name"].as_str(), Some(info.name.as_str()));
        let dims: Vec<u64> = t["dims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        assert_eq!(dims, info.dims, "{}", info.name);
        assert_eq!(
            t["type"].as_str(),
            Some(gguf_py_type(info.ty)),
            "{}",
            info.name
        );
        let (_, values) =
            npy::read_f32(&std::fs::read(dump.join(format!("{i}.npy"))).unwrap()).unwrap();
        let mine = model.read_f32(&info.name).unwrap();
        assert!(
            values
                .iter()
                .zip(&mine)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{} dequantizes differently",
            info.name
        );
    }
    // llama.cpp's Q4_K_M mix on two layers: Q6_K for the output head and layer 1's V and down.
    let ty = |n: &str| ours.tensor(n).unwrap().ty.name();
    assert_eq!(ty("output.weight"), "Q6_K");
    assert_eq!(ty("blk.1.attn_v.weight"), "Q6_K");
    assert_eq!(ty("blk.0.attn_v.weight"), "Q4_K");
    assert_eq!(ty("blk.0.attn_norm.weight"), "F32");
}

fn gguf_py_type(ty: mistral_formats::TensorType) -> &'static str {
    match ty.name() {
        "Q4_K" => "Q4_K",
        "Q6_K" => "Q6_K",
        "F32" => "F32",
        other => panic!("unexpected type {other}"),
    }
}

/// The streamed conversion writes the same tensors as the independent references: Q8_0 equal
/// byte for byte to gguf-py's quantizer output for the same checkpoint (tiny-w6-Q8_0.gguf), and
/// Q4_K_M equal to the committed Q4_K_M fixture (our in-memory converter before streaming, with
/// llama.cpp's type mix). Logits against the f32 checkpoint on the CPU reference (exact f32
/// arithmetic: only the weights differ), relative Frobenius norm: these random-weight models
/// amplify rounding (gguf-py's own Q8_0 file measures 3.2e-2, the Q4_K_M fixture 0.38), so the
/// bounds are 5e-2 and 0.5; a wrong block decode or a swapped tensor gives errors near 1.
#[test]
fn quantized_files_equal_the_references_and_stay_close_to_f32() {
    let folder = hf_folder();
    let ids: Vec<u32> =
        serde_json::from_str(&std::fs::read_to_string(fixture("tiny-w6/input_ids.json")).unwrap())
            .unwrap();
    let tokens = ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let logits = |model: &Path| {
        let out = scratch("logits").join("l.npy");
        bin(&[
            "logits",
            "--model",
            model.to_str().unwrap(),
            "--tokens",
            &tokens,
            "--out",
            out.to_str().unwrap(),
            "--device",
            "cpu",
        ]);
        npy::read_f32(&std::fs::read(out).unwrap()).unwrap().1
    };
    let f32_logits = logits(&folder);
    for (ty, reference, tolerance) in [
        ("q8_0", "tiny-w6/tiny-w6-Q8_0.gguf", 5e-2),
        ("q4_k_m", "tiny-w6/tiny-w6-Q4_K_M.gguf", 0.5),
    ] {
        let out = scratch(ty).join("model.gguf");
        quantize(&folder, ty, &out);
        let ours_src = MappedFile::open(&out).unwrap();
        let ours = GgufFile::read(&ours_src).unwrap();
        let theirs_src = MappedFile::open(&fixture(reference)).unwrap();
        let theirs = GgufFile::read(&theirs_src).unwrap();
        for t in &theirs.tensors {
            let mine = ours
                .tensor(&t.name)
                .unwrap_or_else(|| panic!("{ty}: no {}", t.name));
            assert_eq!((mine.ty, &mine.dims), (t.ty, &t.dims), "{ty}: {}", t.name);
            assert!(
                ours.tensor_bytes(&ours_src, mine).unwrap()
                    == theirs.tensor_bytes(&theirs_src, t).unwrap(),
                "{ty}: {} differs from {reference}",
                t.name
            );
        }
        assert_eq!(ours.tensors.len(), theirs.tensors.len());
        let got = logits(&out);
        let diff: f64 = got
            .iter()
            .zip(&f32_logits)
            .map(|(a, b)| ((a - b) as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let norm: f64 = f32_logits
            .iter()
            .map(|&a| (a as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        let rel = diff / norm;
        eprintln!("{ty}: relative Frobenius error {rel:.2e}");
        assert!(rel < tolerance, "{ty}: {rel:.2e} >= {tolerance}");
    }
}
