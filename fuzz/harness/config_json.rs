// Included by fuzz/fuzz_targets/config_json.rs and crates/formats/tests/fuzz_corpora.rs.
//
// Any text as a Hugging Face config.json or a Mistral params.json (the first byte picks which):
// Ok or Err, never a panic; a config that loads is valid and its expected tensor list is as long
// as counted, so per-layer work only ever follows validation.
fn exercise(data: &[u8]) {
    use mistral_formats::model_file::{expected_shapes, expected_tensor_count};
    use mistral_formats::ModelConfig;
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let config = if which & 1 == 0 {
        ModelConfig::from_hf_config_json(text)
    } else {
        ModelConfig::from_mistral_params_json(text)
    };
    let Ok(config) = config else { return };
    assert!(config.validate().is_ok(), "a loaded config is valid");
    let shapes = expected_shapes(&config);
    assert_eq!(shapes.len() as u64, expected_tensor_count(&config));
    for (_, dims) in &shapes {
        assert!(dims.iter().all(|&d| d > 0), "no empty dimension");
    }
}
