//! The `mistral-wgpu` binary run as a process: the interface users and scripts rely on.

use mistral_formats::npy;
use mistral_testdata::{fixture, smollm2_gguf};
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    let xdg = std::env::temp_dir().join("mistral-wgpu-cli-xdg");
    let _ = std::fs::create_dir_all(&xdg);
    Command::new(env!("CARGO_BIN_EXE_mistral-wgpu"))
        .args(args)
        .env("XDG_RUNTIME_DIR", xdg)
        .output()
        .expect("run mistral-wgpu")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A failure exits non-zero and ends stderr with exactly one `error:` line (progress lines
/// such as the chosen adapter may come before it).
fn one_line_error(o: &Output) -> String {
    assert!(!o.status.success(), "expected failure");
    let err = String::from_utf8(o.stderr.clone()).unwrap();
    let lines: Vec<&str> = err.trim_end().lines().collect();
    let errors = lines.iter().filter(|l| l.starts_with("error")).count();
    assert_eq!(errors, 1, "stderr: {err}");
    let last = lines.last().copied().unwrap_or("");
    assert!(last.starts_with("error: "), "stderr: {err}");
    last.to_string()
}

#[test]
fn smollm2_answers_the_capital_of_france_greedily_on_gpu_and_cpu() {
    let model = smollm2_gguf();
    for device in ["gpu", "cpu"] {
        let o = bin(&[
            "run",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            "What is the capital of France?",
            "--max-tokens",
            "24",
            "--temperature",
            "0",
            "--device",
            device,
        ]);
        let answer = stdout(&o);
        assert!(answer.contains("Paris"), "{device} answer: {answer:?}");
        // stdout holds only the generated text; timings go to stderr.
        assert!(!answer.contains("tok/s"));
        assert!(String::from_utf8_lossy(&o.stderr).contains("tok/s"));
    }
}

#[test]
fn sampling_is_reproducible_with_a_seed() {
    let model = smollm2_gguf();
    let run = |seed: &str| {
        stdout(&bin(&[
            "run",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            "Tell me a story.",
            "--max-tokens",
            "12",
            "--temperature",
            "0.9",
            "--seed",
            seed,
        ]))
    };
    assert_eq!(run("7"), run("7"));
}

#[test]
fn a_model_over_the_memory_budget_is_refused_before_loading() {
    let model = smollm2_gguf();
    let e = one_line_error(&bin(&[
        "run",
        "--model",
        model.to_str().unwrap(),
        "--prompt",
        "hi",
        "--gpu-memory-mib",
        "50",
    ]));
    assert!(
        e.contains("needs") && e.contains("GPU memory") && e.contains("50.0 MiB"),
        "{e}"
    );
}

#[test]
fn devices_lists_an_adapter() {
    let o = stdout(&bin(&["devices"]));
    assert!(o.contains("max storage binding"), "{o}");
}

#[test]
fn tokenize_matches_the_reference_corpus_from_gguf_and_tokenizer_json() {
    #[derive(serde::Deserialize)]
    struct Entry {
        text: String,
        ids: Vec<u32>,
    }
    let corpus: Vec<Entry> = serde_json::from_str(
        &std::fs::read_to_string(fixture("mistral-v0.1-tokenizer/corpus-dev.json")).unwrap(),
    )
    .unwrap();
    let texts: Vec<&str> = corpus.iter().take(20).map(|e| e.text.as_str()).collect();
    let input = std::env::temp_dir().join(format!("mw-texts-{}.json", std::process::id()));
    std::fs::write(&input, serde_json::to_string(&texts).unwrap()).unwrap();
    for model in [
        fixture("mistral-v0.1-tokenizer/tokenizer.json"),
        fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf"),
    ] {
        let m = model.to_str().unwrap();
        let all: Vec<Vec<u32>> = serde_json::from_str(&stdout(&bin(&[
            "tokenize",
            "--model",
            m,
            "--input",
            input.to_str().unwrap(),
        ])))
        .unwrap();
        for (got, e) in all.iter().zip(&corpus) {
            assert_eq!(got, &e.ids, "{m}: {:?}", e.text);
        }
        let one: Vec<u32> = serde_json::from_str(&stdout(&bin(&[
            "tokenize", "--model", m, "--text", texts[0],
        ])))
        .unwrap();
        assert_eq!(one, corpus[0].ids);
    }
}

#[test]
fn logits_on_cpu_match_transformers_and_chunking_does_not_matter() {
    let ids: Vec<u32> =
        serde_json::from_str(&std::fs::read_to_string(fixture("tiny-w6/input_ids.json")).unwrap())
            .unwrap();
    let tokens = ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let (_, want) =
        npy::read_f32(&std::fs::read(fixture("tiny-w6/reference.logits.npy")).unwrap()).unwrap();
    let out = std::env::temp_dir().join(format!("mw-logits-{}.npy", std::process::id()));
    let model = fixture("tiny-w6/tiny-w6-F32.gguf");
    let mut previous: Option<Vec<f32>> = None;
    for (device, chunk) in [("cpu", "32"), ("cpu", "5"), ("gpu", "5"), ("gpu", "1")] {
        stdout(&bin(&[
            "logits",
            "--model",
            model.to_str().unwrap(),
            "--tokens",
            &tokens,
            "--out",
            out.to_str().unwrap(),
            "--device",
            device,
            "--chunk",
            chunk,
        ]));
        let (shape, got) = npy::read_f32(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(shape, vec![32, 512]);
        let err: f32 = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-3, "{device} chunk {chunk}: max |diff| {err}");
        if let (Some(p), "cpu") = (&previous, device) {
            assert_eq!(p, &got, "chunk size changed the CPU logits");
        }
        previous = Some(got);
    }
}

#[test]
fn info_reports_window_types_tokenizer_and_memory() {
    let o = stdout(&bin(&[
        "info",
        "--model",
        fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf")
            .to_str()
            .unwrap(),
    ]));
    for needle in [
        "window       16 (from the file)",
        "Q4_K x13",
        "Q6_K x3",
        "SentencePiece",
        "memory",
    ] {
        assert!(o.contains(needle), "{needle:?} missing from:\n{o}");
    }
    let o = stdout(&bin(&[
        "info",
        "--model",
        fixture("tiny-w6/sharded").to_str().unwrap(),
        "--window",
        "none",
    ]));
    assert!(o.contains("window       none"), "{o}");
    assert!(o.contains("un-permuted"), "{o}");
}

#[test]
fn quantize_writes_a_model_that_loads_and_stays_close() {
    let out = std::env::temp_dir().join(format!("mw-q8-{}.gguf", std::process::id()));
    stdout(&bin(&[
        "quantize",
        "--input",
        fixture("tiny-w6/model.safetensors").to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--type",
        "q8_0",
    ]));
    let info = stdout(&bin(&["info", "--model", out.to_str().unwrap()]));
    assert!(
        info.contains("Q8_0 x16") && info.contains("window       6"),
        "{info}"
    );
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn errors_are_one_clear_line() {
    let e = one_line_error(&bin(&["info", "--model", "/no/such/model.gguf"]));
    assert!(
        e.contains("/no/such/model.gguf") && e.contains("does not exist"),
        "{e}"
    );

    // A tensor of a type we do not support: patch Q8_0's id (8) to Q5_K's (13) in a copy.
    let src = std::fs::read(fixture("tiny-w6/tiny-w6-Q8_0.gguf")).unwrap();
    let g = mistral_formats::gguf::GgufFile::read(&src).unwrap();
    let name = b"blk.0.ffn_up.weight";
    let at = src.windows(name.len()).position(|w| w == name).unwrap() + name.len() + 4 + 16;
    assert_eq!(src[at..at + 4], 8u32.to_le_bytes());
    let mut bad = src.clone();
    bad[at..at + 4].copy_from_slice(&13u32.to_le_bytes());
    let path = std::env::temp_dir().join(format!("mw-q5k-{}.gguf", std::process::id()));
    std::fs::write(&path, &bad).unwrap();
    let e = one_line_error(&bin(&["info", "--model", path.to_str().unwrap()]));
    assert!(
        e.contains("unsupported tensor type Q5_K in tensor \"blk.0.ffn_up.weight\""),
        "{e}"
    );
    drop(g);

    // Truncated file.
    std::fs::write(&path, &src[..src.len() / 2]).unwrap();
    let e = one_line_error(&bin(&["info", "--model", path.to_str().unwrap()]));
    assert!(
        e.contains("truncated") || e.contains("outside the file"),
        "{e}"
    );
    std::fs::remove_file(&path).unwrap();

    // Prompt past the context of a model without a window.
    let e = one_line_error(&bin(&[
        "run",
        "--model",
        fixture("tiny-w6/tiny-w6-nowindow-Q4_0.gguf")
            .to_str()
            .unwrap(),
        "--prompt",
        "x",
        "--raw",
        "--context",
        "8",
        "--max-tokens",
        "10",
    ]));
    assert!(e.contains("exceeds the context of 8"), "{e}");

    let e = one_line_error(&bin(&[
        "quantize", "--input", "x.gguf", "--output", "y.gguf", "--type", "q5_k",
    ]));
    assert!(e.contains("unknown quantization type"), "{e}");
}
