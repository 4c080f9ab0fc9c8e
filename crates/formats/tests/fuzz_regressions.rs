//! Replays the committed fuzz corpus (tests/fixtures/fuzz-corpus) through exactly what the fuzz
//! target runs: header parse, every tensor's dequantization, model config. Each input must end
//! in Ok or Err; a panic names the file.

use mistral_formats::{gguf::GgufFile, quant, ModelFile};
use mistral_testdata::fixture;

fn exercise(data: &[u8]) -> bool {
    let Ok(g) = GgufFile::read(data) else {
        return false;
    };
    for t in &g.tensors {
        if let Ok(bytes) = g.tensor_bytes(data, t) {
            let _ = quant::dequantize_to_vec(t.ty, &bytes);
        }
    }
    let _ = ModelFile::from_gguf(Box::new(data.to_vec()));
    true
}

#[test]
fn corpus_and_crashes_never_panic() {
    let mut files = Vec::new();
    for dir in ["fuzz-corpus/gguf_header", "fuzz-corpus/crashes"] {
        let Ok(entries) =
            std::fs::read_dir(fixture("fuzz-corpus").join(dir.trim_start_matches("fuzz-corpus/")))
        else {
            continue;
        };
        files.extend(entries.flatten().map(|e| e.path()));
    }
    assert!(files.len() > 100, "corpus missing: {} files", files.len());
    let mut parsed = 0;
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let outcome = std::panic::catch_unwind(|| exercise(&data));
        match outcome {
            Ok(true) => parsed += 1,
            Ok(false) => {}
            Err(_) => panic!("panic on {}", f.display()),
        }
    }
    // The corpus must still reach past the header checks, or it no longer tests the deep paths.
    assert!(
        parsed * 10 >= files.len(),
        "only {parsed} of {} parse",
        files.len()
    );
}
