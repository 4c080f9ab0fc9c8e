// Included by fuzz/fuzz_targets/tokenizer_gguf.rs and crates/text/tests/fuzz_corpora.rs.
//
// Any byte string parsed as a GGUF header, then its `tokenizer.ggml.*` vocabulary built into a
// tokenizer (SentencePiece or byte-level BPE), must end in Ok or Err: no panic, no time or
// memory beyond what the bytes justify. A tokenizer that builds also encodes and decodes text
// with special-token texts, byte fallback and non-ASCII characters.
fn exercise(data: &[u8]) {
    let Ok(gguf) = mistral_formats::gguf::GgufFile::read(data) else {
        return;
    };
    let Ok(tok) = mistral_text::Tokenizer::from_gguf_metadata(&gguf.metadata) else {
        return;
    };
    let add_bos = tok.add_bos();
    for text in [
        "Hello world",
        " <s>[INST] ab</s>\n",
        "\u{e9}t\u{e9} \u{1F600} 123",
    ] {
        let encodings = [
            tok.encode(text, add_bos),
            tok.encode_with_special(text, add_bos),
        ];
        for ids in encodings.into_iter().flatten() {
            let _ = tok.decode(&ids);
            let _ = tok.decode_with_special(&ids);
        }
    }
}
