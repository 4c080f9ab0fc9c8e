// Included by fuzz/fuzz_targets/prefix_source.rs and crates/formats/tests/fuzz_corpora.rs.
//
// A browser parses a GGUF header from a prefix of the file and the total length the server
// claims. Here the first 8 bytes give how much longer the file claims to be than the bytes that
// follow them: parsing must fail (or succeed) without allocating for bytes that are not there,
// so a lying length cannot trap the wasm with an allocation failure.
fn exercise(data: &[u8]) {
    use mistral_formats::byte_source::PrefixSource;
    if data.len() < 8 {
        return;
    }
    let extra = u64::from_le_bytes(data[..8].try_into().unwrap());
    let prefix = data[8..].to_vec();
    let total_len = (prefix.len() as u64).saturating_add(extra);
    let source = PrefixSource { prefix, total_len };
    if mistral_formats::gguf::GgufFile::read(&source).is_ok() {
        let _ = mistral_formats::ModelFile::from_gguf(Box::new(source));
    }
}
