//! GGUF metadata, HF config.json and Mistral params.json describe the same model identically.

use mistral_formats::config::{ModelConfig, WindowSource};
use mistral_formats::gguf::{Metadata, MetadataValue};
use mistral_formats::open::open_model;
use mistral_testdata::fixture;

fn same_shape(a: &ModelConfig, b: &ModelConfig) {
    let key = |c: &ModelConfig| {
        (
            c.dim,
            c.n_layers,
            c.n_heads,
            c.n_kv_heads,
            c.head_dim,
            c.ffn_dim,
            c.vocab_size,
            c.norm_eps,
            c.rope_theta,
            c.sliding_window,
            c.tied_embeddings,
        )
    };
    assert_eq!(key(a), key(b));
}

#[test]
fn gguf_config_json_and_params_json_agree() {
    let gguf = open_model(&fixture("tiny-w6/tiny-w6-F32.gguf"))
        .unwrap()
        .config;
    let hf = open_model(&fixture("tiny-w6/model.safetensors"))
        .unwrap()
        .config;
    let params = ModelConfig::from_mistral_params_json(
        &std::fs::read_to_string(fixture("tiny-w6/params.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(gguf.sliding_window, Some(6));
    assert_eq!(gguf.window_source, WindowSource::File);
    same_shape(&gguf, &hf);
    same_shape(&gguf, &params);
    let no_window = |f: &str| std::fs::read_to_string(fixture(&format!("tiny-w6/nowindow/{f}")));
    let hf = ModelConfig::from_hf_config_json(&no_window("config.json").unwrap()).unwrap();
    let params = ModelConfig::from_mistral_params_json(&no_window("params.json").unwrap()).unwrap();
    assert_eq!((hf.sliding_window, params.sliding_window), (None, None));
}

fn mistral_7b_v01_metadata(window: Option<u32>) -> Metadata {
    let mut m = Metadata::default();
    let u = MetadataValue::U32;
    m.set(
        "general.architecture",
        MetadataValue::String("llama".into()),
    );
    m.set("llama.embedding_length", u(4096));
    m.set("llama.block_count", u(32));
    m.set("llama.feed_forward_length", u(14336));
    m.set("llama.attention.head_count", u(32));
    m.set("llama.attention.head_count_kv", u(8));
    m.set("llama.rope.freq_base", MetadataValue::F32(10000.0));
    m.set("llama.context_length", u(32768));
    if let Some(w) = window {
        m.set("llama.attention.sliding_window", u(w));
    }
    m
}

#[test]
fn mistral_7b_v01_without_a_window_key_gets_4096() {
    let c = ModelConfig::from_gguf(&mistral_7b_v01_metadata(None), 32000, true).unwrap();
    assert_eq!(c.sliding_window, Some(4096));
    assert_eq!(c.window_source, WindowSource::InferredMistral7Bv01);
    let c = c.with_window_override(None);
    assert_eq!(c.sliding_window, None);
    // v0.2 has rope_theta 1e6 and no window: nothing is inferred.
    let mut m = mistral_7b_v01_metadata(None);
    m.set("llama.rope.freq_base", MetadataValue::F32(1e6));
    assert_eq!(
        ModelConfig::from_gguf(&m, 32000, true)
            .unwrap()
            .sliding_window,
        None
    );
    let c = ModelConfig::from_gguf(&mistral_7b_v01_metadata(Some(2048)), 32000, true).unwrap();
    assert_eq!(
        (c.sliding_window, c.window_source),
        (Some(2048), WindowSource::File)
    );
}

#[test]
fn params_json_without_rope_theta_means_10000_and_infers_the_v01_window() {
    let p = r#"{"dim": 4096, "n_layers": 32, "head_dim": 128, "hidden_dim": 14336,
        "n_heads": 32, "n_kv_heads": 8, "norm_eps": 1e-05, "vocab_size": 32000}"#;
    let c = ModelConfig::from_mistral_params_json(p).unwrap();
    assert_eq!(c.rope_theta, 10000.0);
    assert_eq!(c.sliding_window, Some(4096));
}

#[test]
fn missing_and_mistyped_keys_are_named() {
    let mut m = mistral_7b_v01_metadata(None);
    m.remove("llama.block_count");
    let e = ModelConfig::from_gguf(&m, 32000, true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("llama.block_count"), "{e}");
    let mut m = mistral_7b_v01_metadata(None);
    m.set(
        "llama.embedding_length",
        MetadataValue::String("big".into()),
    );
    let e = ModelConfig::from_gguf(&m, 32000, true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("embedding_length") && e.contains("string"),
        "{e}"
    );
    let mut m = mistral_7b_v01_metadata(None);
    m.set("llama.attention.head_count_kv", MetadataValue::U32(7));
    assert!(ModelConfig::from_gguf(&m, 32000, true).is_err());
    let mut m = mistral_7b_v01_metadata(None);
    m.set(
        "general.architecture",
        MetadataValue::String("gemma".into()),
    );
    let e = ModelConfig::from_gguf(&m, 32000, true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gemma"), "{e}");
    let e = ModelConfig::from_hf_config_json("{")
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.json"), "{e}");
}

#[test]
fn tensor_shape_mismatch_and_missing_tensor_are_refused() {
    use mistral_formats::gguf::{GgufFile, GgufWriter};
    use mistral_formats::ModelFile;
    let src = std::fs::read(fixture("tiny-w6/tiny-w6-Q8_0.gguf")).unwrap();
    let g = GgufFile::read(&src).unwrap();
    let rebuild = |skip: &str, reshape: &str| {
        let mut w = GgufWriter::new();
        w.metadata = g.metadata.clone();
        for t in &g.tensors {
            if t.name == skip {
                continue;
            }
            let mut dims = t.dims.clone();
            if t.name == reshape {
                dims.reverse();
            }
            w.add_tensor(&t.name, &dims, t.ty, g.tensor_bytes(&src, t).unwrap())
                .unwrap();
        }
        ModelFile::from_gguf(Box::new(w.to_bytes().unwrap()))
    };
    let e = rebuild("blk.1.ffn_up.weight", "")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("blk.1.ffn_up.weight"), "{e}");
    let e = rebuild("", "blk.0.ffn_down.weight")
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("blk.0.ffn_down.weight") && e.contains("shape"),
        "{e}"
    );
    assert!(rebuild("", "").is_ok());
}
