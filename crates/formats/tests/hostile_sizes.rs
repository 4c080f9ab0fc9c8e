//! Hostile sizes in otherwise well-formed files (issue 9): parsing work stays linear in the
//! input, and hyperparameters are bounded before any per-layer work. No timing asserts: a
//! quadratic or unbounded version of these takes minutes or aborts, so finishing is the test.

use mistral_formats::config::ModelConfig;
use mistral_formats::gguf::{GgufFile, GgufWriter, MetadataValue};
use mistral_formats::model_file::{ModelFormat, SharedSource};
use mistral_formats::safetensors::SafetensorsEntry;
use mistral_formats::{FormatError, ModelFile, TensorType};
use mistral_testdata::fixture;

fn w6_config_json() -> String {
    std::fs::read_to_string(fixture("tiny-w6/config.json")).unwrap()
}

/// The tiny-w6 GGUF rebuilt with `edit` applied to its metadata and `extra` tensors added.
fn w6_gguf_with(
    edit: impl FnOnce(&mut mistral_formats::gguf::Metadata),
    extra: &[&str],
) -> Vec<u8> {
    let src = std::fs::read(fixture("tiny-w6/tiny-w6-Q8_0.gguf")).unwrap();
    let g = GgufFile::read(&src).unwrap();
    let mut w = GgufWriter::new();
    w.metadata = g.metadata.clone();
    edit(&mut w.metadata);
    for t in &g.tensors {
        w.add_tensor(&t.name, &t.dims, t.ty, g.tensor_bytes(&src, t).unwrap())
            .unwrap();
    }
    for name in extra {
        w.add_tensor(name, &[4], TensorType::F32, vec![0; 16])
            .unwrap();
    }
    w.to_bytes().unwrap()
}

#[test]
fn three_hundred_thousand_metadata_keys_parse_and_a_duplicate_is_found() {
    let n = 300_000;
    let mut w = GgufWriter::new();
    for i in 0..n {
        w.metadata
            .set(&format!("key.{i}"), MetadataValue::U32(i as u32));
    }
    let mut bytes = w.to_bytes().unwrap();
    let g = GgufFile::read(&bytes).unwrap();
    assert_eq!(g.metadata.len(), n);
    assert_eq!(g.metadata.get_u64("key.299999").unwrap(), Some(299_999));
    // Rename the last key to an earlier one of the same length: a duplicate at the very end.
    let last = b"key.299999";
    let at = bytes.windows(last.len()).rposition(|w| w == last).unwrap();
    bytes[at..at + last.len()].copy_from_slice(b"key.100000");
    let e = GgufFile::read(&bytes).unwrap_err();
    assert!(
        matches!(&e, FormatError::Duplicate { name, .. } if name == "key.100000"),
        "{e}"
    );
}

#[test]
fn a_hundred_thousand_safetensors_tensors_load_in_linear_time() {
    // The real two-layer checkpoint plus 100k tensors of layers the config does not have.
    let config = ModelConfig::from_hf_config_json(&w6_config_json()).unwrap();
    let path = fixture("tiny-w6/model.safetensors");
    let source = mistral_formats::byte_source::MappedFile::open(&path).unwrap();
    let mut entries = mistral_formats::safetensors::read_header(&source).unwrap();
    let real = entries.len();
    let n = 100_000;
    for i in 0..n {
        entries.push(SafetensorsEntry {
            name: format!("model.layers.{}.mlp.up_proj.weight", 1000 + i),
            dims: vec![1],
            ty: TensorType::F32,
            offset: 8,
            n_bytes: 4,
        });
    }
    let shards = vec![(Box::new(source) as SharedSource, entries.clone())];
    let model =
        ModelFile::from_safetensors(ModelFormat::HfSafetensors, config.clone(), shards).unwrap();
    assert_eq!(model.tensors.len(), real + n);
    assert_eq!(model.unused_tensors().len(), n);
    assert!(model.tensor("blk.100999.ffn_up.weight").is_some());

    // The same name twice is refused, also in a big table.
    entries.push(entries.last().unwrap().clone());
    let source = mistral_formats::byte_source::MappedFile::open(&path).unwrap();
    let shards = vec![(Box::new(source) as SharedSource, entries)];
    let e = ModelFile::from_safetensors(ModelFormat::HfSafetensors, config, shards)
        .err()
        .unwrap();
    assert!(matches!(e, FormatError::Duplicate { .. }), "{e}");
}

/// The error of a config.json with `key` set to `value`.
fn config_json_error(key: &str, value: u64) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&w6_config_json()).unwrap();
    v[key] = value.into();
    ModelConfig::from_hf_config_json(&v.to_string())
        .unwrap_err()
        .to_string()
}

#[test]
fn hyperparameters_beyond_their_bounds_are_refused_by_name() {
    for (key, field, value, bound) in [
        ("num_hidden_layers", "n_layers", 1u64 << 24, "1024"),
        ("num_hidden_layers", "n_layers", 1 << 40, "1024"),
        ("hidden_size", "dim", 1 << 33, "65536"),
        ("num_attention_heads", "n_heads", 4096, "1024"),
        ("head_dim", "head_dim", 1 << 20, "1024"),
        ("intermediate_size", "ffn_dim", 1 << 30, "1048576"),
        ("vocab_size", "vocab_size", 1 << 32, "4194304"),
        (
            "max_position_embeddings",
            "context_length",
            1 << 40,
            "16777216",
        ),
        ("sliding_window", "sliding_window", 1 << 25, "16777216"),
    ] {
        let e = config_json_error(key, value);
        assert!(e.contains(field) && e.contains(bound), "{key}: {e}");
    }

    // params.json and GGUF go through the same validation.
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("tiny-w6/params.json")).unwrap())
            .unwrap();
    p["n_layers"] = (1u64 << 24).into();
    let e = ModelConfig::from_mistral_params_json(&p.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("n_layers") && e.contains("1024"), "{e}");

    let bytes = w6_gguf_with(
        |m| m.set("llama.block_count", MetadataValue::U64(1 << 24)),
        &[],
    );
    let e = ModelFile::from_gguf(Box::new(bytes))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("n_layers") && e.contains("1024"), "{e}");
}

#[test]
fn a_layer_count_needs_its_tensors_before_their_names_are_built() {
    // 1000 layers is within bounds, but the file has the tensors of two.
    let bytes = w6_gguf_with(
        |m| m.set("llama.block_count", MetadataValue::U32(1000)),
        &[],
    );
    let e = ModelFile::from_gguf(Box::new(bytes))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("n_layers = 1000") && e.contains("9 per layer") && e.contains("blk.2."),
        "{e}"
    );
}

#[test]
fn tensors_the_model_does_not_use_are_listed() {
    let plain = ModelFile::from_gguf(Box::new(w6_gguf_with(|_| {}, &[]))).unwrap();
    assert!(plain.unused_tensors().is_empty());
    let extra = ["blk.0.attn_q.bias", "rope_freqs.weight"];
    let model = ModelFile::from_gguf(Box::new(w6_gguf_with(|_| {}, &extra))).unwrap();
    let unused: Vec<&str> = model
        .unused_tensors()
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(unused, extra);
}
