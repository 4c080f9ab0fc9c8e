//! The `mistral-wgpu` binary run as a process: the interface users and scripts rely on.

use mistral_formats::npy;
use mistral_testdata::{fixture, smollm2_gguf};
use std::process::{Command, Output};

fn bin(args: &[&str]) -> Output {
    bin_env(args, &[])
}

/// `bin` with environment variables set (MISTRAL_WGPU_KERNELS is cleared unless given, so a
/// developer's own setting cannot change what the tests see).
fn bin_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let xdg = std::env::temp_dir().join("mistral-wgpu-cli-xdg");
    let _ = std::fs::create_dir_all(&xdg);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mistral-wgpu"));
    cmd.args(args)
        .env("XDG_RUNTIME_DIR", xdg)
        .env_remove("MISTRAL_WGPU_KERNELS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run mistral-wgpu")
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
fn devices_lists_an_adapter_and_the_kernels_auto_picks() {
    let o = stdout(&bin(&["devices"]));
    assert!(o.contains("max storage binding"), "{o}");
    // lavapipe (what CI has) is a CPU adapter: the table keeps the cpu kernels, and says why.
    let picks: Vec<&str> = o
        .lines()
        .filter(|l| l.trim_start().starts_with("kernels (auto): "))
        .collect();
    assert!(!picks.is_empty(), "{o}");
    for l in &picks {
        assert!(
            (l.contains(": cpu (") || l.contains(": gpu (")) && l.ends_with(')'),
            "{l}"
        );
    }
    let o = stdout(&bin_env(&["devices"], &[("MISTRAL_WGPU_KERNELS", "gpu")]));
    assert!(o.contains("MISTRAL_WGPU_KERNELS=gpu"), "{o}");
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
        "kernels      ",
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

const TINY: &str = "tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf";

/// A `{median, min, max}` object of positive numbers in order.
fn check_summary(report: &serde_json::Value, key: &str) {
    let s = &report[key];
    let get = |k: &str| {
        s[k].as_f64()
            .unwrap_or_else(|| panic!("{key}.{k} is not a number: {report}"))
    };
    let (median, min, max) = (get("median"), get("min"), get("max"));
    assert!(
        min > 0.0 && min <= median && median <= max && max.is_finite(),
        "{key}: {s}"
    );
}

#[test]
fn bench_json_is_one_object_with_every_field() {
    let model = fixture(TINY);
    let m = model.to_str().unwrap();
    for (device, reps) in [("gpu", 3u64), ("cpu", 2)] {
        let o = bin(&[
            "bench",
            "--model",
            m,
            "--device",
            device,
            "--prompt-tokens",
            "20",
            "--gen-tokens",
            "4",
            "--repetitions",
            &reps.to_string(),
            "--json",
        ]);
        // The whole of stdout is the one object (serde_json refuses trailing text).
        let report: serde_json::Value = serde_json::from_str(stdout(&o).trim())
            .unwrap_or_else(|e| panic!("{device}: stdout is not one JSON object: {e}"));
        let obj = report.as_object().unwrap();
        for key in [
            "model",
            "model_name",
            "weights_bytes",
            "adapter",
            "backend",
            "device_type",
            "kernels",
            "kernels_reason",
            "kv",
            "prefill_chunk",
            "prompt_tokens",
            "gen_tokens",
            "repetitions",
            "prefill_tok_s",
            "decode_tok_s",
            "ttft_ms",
            "weight_gb_s",
            "dispatches_per_token",
        ] {
            assert!(
                obj.contains_key(key),
                "{device}: {key} missing from {report}"
            );
        }
        assert_eq!(report["model"], m);
        assert_eq!(report["model_name"], "tiny-mistral-random");
        assert!(report["weights_bytes"].as_u64().unwrap() > 0);
        assert_eq!(report["prompt_tokens"], 20);
        assert_eq!(report["gen_tokens"], 4);
        assert_eq!(report["repetitions"], reps);
        // f16 K/V is the GPU default; the CPU reference keeps f32.
        let expected_kv = if device == "gpu" { "f16" } else { "f32" };
        assert_eq!(report["kv"], expected_kv, "{device}");
        assert!(report["prefill_chunk"].as_u64().unwrap() >= 1);
        for key in ["prefill_tok_s", "decode_tok_s", "ttft_ms", "weight_gb_s"] {
            check_summary(&report, key);
        }
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            stderr.matches("repetition ").count(),
            reps as usize,
            "{stderr}"
        );
        if device == "gpu" {
            assert!(report["adapter"].as_str().is_some_and(|a| !a.is_empty()));
            assert!(report["backend"].is_string() && report["device_type"].is_string());
            assert!(
                report["kernels"] == "cpu" || report["kernels"] == "gpu",
                "{report}"
            );
            assert!(report["kernels_reason"]
                .as_str()
                .is_some_and(|r| !r.is_empty()));
            assert!(stderr.contains("adapter: "), "{stderr}");
            assert!(report["dispatches_per_token"].as_u64().unwrap() > 0);
        } else {
            assert_eq!(report["adapter"], "cpu-reference");
            for key in [
                "backend",
                "device_type",
                "kernels",
                "kernels_reason",
                "dispatches_per_token",
            ] {
                assert!(report[key].is_null(), "{key}: {report}");
            }
            assert_eq!(report["prefill_chunk"], 20);
        }
    }
}

#[test]
fn bench_table_shows_median_min_max_and_the_kernels() {
    let o = stdout(&bin(&[
        "bench",
        "--model",
        fixture(TINY).to_str().unwrap(),
        "--prompt-tokens",
        "8",
        "--gen-tokens",
        "2",
        "--repetitions",
        "1",
        "--warmup",
        "0",
        "--kernels",
        "gpu",
    ]));
    for needle in [
        "prefill ",
        "TTFT ",
        "decode ",
        "weight bandwidth",
        "kernels          gpu (forced by --kernels)",
        "per decode token",
        " .. ",
    ] {
        assert!(o.contains(needle), "{needle:?} missing from:\n{o}");
    }
}

#[test]
fn both_kernel_families_run_and_agree() {
    let model = fixture(TINY);
    let m = model.to_str().unwrap();
    // `run`: the same greedy tokens from either family (and from the CPU reference).
    let mut answers = Vec::new();
    for (device, kernels) in [("gpu", "cpu"), ("gpu", "gpu"), ("cpu", "auto")] {
        let o = bin(&[
            "run",
            "--model",
            m,
            "--prompt",
            "The capital of France is",
            "--raw",
            "--max-tokens",
            "12",
            "--temperature",
            "0",
            "--device",
            device,
            "--kernels",
            kernels,
        ]);
        let text = stdout(&o);
        if device == "gpu" {
            // The family and why, on the line after the adapter's.
            let stderr = String::from_utf8_lossy(&o.stderr);
            let lines: Vec<&str> = stderr.lines().collect();
            let at = lines
                .iter()
                .position(|l| l.starts_with("adapter: "))
                .unwrap_or_else(|| panic!("{stderr}"));
            assert_eq!(
                lines.get(at + 1).copied(),
                Some(format!("kernels: {kernels} (forced by --kernels)").as_str()),
                "{stderr}"
            );
        }
        answers.push((device, kernels, text));
    }
    for (device, kernels, text) in &answers[1..] {
        assert_eq!(
            text, &answers[0].2,
            "{device} --kernels {kernels} generated other tokens than gpu --kernels cpu"
        );
    }

    // `logits`: both families close to transformers, with the same top-1 everywhere.
    let ids: Vec<u32> =
        serde_json::from_str(&std::fs::read_to_string(fixture("tiny-w6/input_ids.json")).unwrap())
            .unwrap();
    let tokens = ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let (_, want) =
        npy::read_f32(&std::fs::read(fixture("tiny-w6/reference.logits.npy")).unwrap()).unwrap();
    let top1 = |v: &[f32]| -> Vec<usize> {
        v.chunks(512)
            .map(|row| {
                (0..row.len())
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                    .unwrap()
            })
            .collect()
    };
    let out = std::env::temp_dir().join(format!("mw-kernels-{}.npy", std::process::id()));
    for kernels in ["cpu", "gpu"] {
        stdout(&bin(&[
            "logits",
            "--model",
            fixture("tiny-w6/tiny-w6-F32.gguf").to_str().unwrap(),
            "--tokens",
            &tokens,
            "--out",
            out.to_str().unwrap(),
            "--kernels",
            kernels,
        ]));
        let (shape, got) = npy::read_f32(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(shape, vec![32, 512]);
        let err: f32 = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-3, "--kernels {kernels}: max |diff| {err}");
        assert_eq!(top1(&got), top1(&want), "--kernels {kernels}: top-1");
    }
    std::fs::remove_file(&out).unwrap();
}

#[test]
fn a_bad_kernel_family_is_refused_clearly() {
    let model = fixture(TINY);
    let m = model.to_str().unwrap();
    // On the command line: clap's usage error (exit 2) names the flag and the three choices.
    for args in [
        vec!["run", "--model", m, "--prompt", "x", "--kernels", "fast"],
        vec!["bench", "--model", m, "--kernels", "fast"],
        vec!["info", "--model", m, "--kernels", "fast"],
    ] {
        let o = bin(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--kernels") && err.contains("fast") && err.contains("auto, cpu or gpu"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // In the environment: exit 1 and one `error:` line naming the variable, not a panic.
    for args in [
        vec![
            "run",
            "--model",
            m,
            "--prompt",
            "x",
            "--raw",
            "--max-tokens",
            "2",
        ],
        vec![
            "bench",
            "--model",
            m,
            "--prompt-tokens",
            "4",
            "--gen-tokens",
            "1",
        ],
    ] {
        let o = bin_env(&args, &[("MISTRAL_WGPU_KERNELS", "bogus")]);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let e = one_line_error(&o);
        assert!(
            e.contains("MISTRAL_WGPU_KERNELS")
                && e.contains("bogus")
                && e.contains("auto, cpu or gpu"),
            "{e}"
        );
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
    }
    // A forced family on the command line wins over the environment (the engine's rule).
    stdout(&bin_env(
        &[
            "run",
            "--model",
            m,
            "--prompt",
            "x",
            "--raw",
            "--max-tokens",
            "2",
            "--kernels",
            "cpu",
        ],
        &[("MISTRAL_WGPU_KERNELS", "bogus")],
    ));
}

#[test]
fn bench_profile_lists_kernel_times_in_the_table_and_the_json() {
    let model = fixture(TINY);
    let args = |json: bool| {
        let mut a = vec![
            "bench",
            "--model",
            model.to_str().unwrap(),
            "--prompt-tokens",
            "8",
            "--gen-tokens",
            "2",
            "--repetitions",
            "1",
            "--warmup",
            "0",
            "--profile",
        ];
        if json {
            a.push("--json");
        }
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let table = stdout(&bin(&args(false)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    for needle in ["profile: prefill", "profile: decode", "matvec", "attention"] {
        assert!(table.contains(needle), "{needle:?} missing from:\n{table}");
    }
    let o = bin(&args(true).iter().map(String::as_str).collect::<Vec<_>>());
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let decode = &report["profile"]["decode"];
    assert_eq!(decode["tokens"], 1);
    assert_eq!(decode["dispatches"], report["dispatches_per_token"]);
    let calls: u64 = decode["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["calls"].as_u64().unwrap())
        .sum();
    assert_eq!(serde_json::json!(calls), decode["dispatches"]);
    assert!(decode["total_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(report["profile"]["prefill"]["tokens"], 8);
    // The CPU reference has no kernels to profile: a clear error.
    let e = bin(&[
        "bench",
        "--model",
        model.to_str().unwrap(),
        "--device",
        "cpu",
        "--prompt-tokens",
        "4",
        "--gen-tokens",
        "1",
        "--repetitions",
        "1",
        "--profile",
    ]);
    assert!(!e.status.success());
    assert!(String::from_utf8_lossy(&e.stderr).contains("--profile"));
}

/// A tokenizer folder (Mistral's tokenizer.json) whose tokenizer_config.json carries
/// `template` as the chat template, for the tiny-mistral-256 model.
fn tokenizer_with_template(name: &str, template: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mistral-wgpu-cli-template-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let src = fixture("mistral-v0.1-tokenizer");
    std::fs::copy(src.join("tokenizer.json"), dir.join("tokenizer.json")).unwrap();
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("tokenizer_config.json")).unwrap()).unwrap();
    config["chat_template"] = serde_json::Value::from(template);
    std::fs::write(
        dir.join("tokenizer_config.json"),
        serde_json::to_vec(&config).unwrap(),
    )
    .unwrap();
    dir.join("tokenizer.json")
}

/// Hostile chat templates shipped with a model are refused with one clear line: the ones that
/// hung (nested loops), overflowed the stack (recursion) or aborted the process (a string
/// doubled in a variable until memory ran out, which only the child process's memory limit
/// stops). The same command with a sane template answers.
#[test]
fn hostile_chat_templates_are_refused_without_hanging_or_aborting() {
    let model = fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf");
    let run = |tokenizer: &std::path::Path| {
        bin(&[
            "run",
            "--model",
            model.to_str().unwrap(),
            "--tokenizer",
            tokenizer.to_str().unwrap(),
            "--device",
            "cpu",
            "--prompt",
            "hi",
            "--max-tokens",
            "2",
        ])
    };
    let cases = [
        (
            "doubling",
            "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            "MiB of memory",
        ),
        (
            "loops",
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            "instructions",
        ),
        (
            "recursion",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            "nested deeper",
        ),
    ];
    for (name, template, says) in cases {
        let o = run(&tokenizer_with_template(name, template));
        let line = one_line_error(&o);
        assert!(line.contains("chat template"), "{name}: {line}");
        assert!(line.contains(says), "{name}: {line}");
    }
    let sane = tokenizer_with_template(
        "sane",
        "{{ bos_token }}{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}",
    );
    let o = run(&sane);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Numeric arguments that used to panic, abort (a KV ring sized from 2^58), wrap (`info`
/// printed "KV cache 960 B") or be silently accepted (`--temperature NaN`) are usage errors
/// naming the flag and its range; an empty prompt for a model without BOS is one clear line.
#[test]
fn hostile_arguments_get_a_clear_error() {
    let model = fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf");
    let m = model.to_str().unwrap();
    let huge = "288230376151711744"; // 2^58
    let cases: [(&[&str], &str); 9] = [
        (
            &["run", "--prompt", "hi", "--temperature", "NaN"],
            "--temperature",
        ),
        (
            &["run", "--prompt", "hi", "--temperature", "inf"],
            "--temperature",
        ),
        (&["run", "--prompt", "hi", "--top-p", "7"], "--top-p"),
        (
            &["run", "--prompt", "hi", "--max-tokens", huge],
            "--max-tokens",
        ),
        (
            &["run", "--prompt", "hi", "--device", "cpu", "--window", huge],
            "--window",
        ),
        (
            &[
                "run",
                "--prompt",
                "hi",
                "--device",
                "cpu",
                "--context",
                huge,
            ],
            "--context",
        ),
        (
            &["run", "--prompt", "hi", "--prefill-chunk", "100000"],
            "--prefill-chunk",
        ),
        (&["info", "--window", huge], "--window"),
        (&["bench", "--prompt-tokens", huge], "--prompt-tokens"),
    ];
    for (args, flag) in cases {
        let mut all = args.to_vec();
        all.extend(["--model", m]);
        let o = bin(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: usage errors exit 2");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("error: invalid value"), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // SmolLM2 adds no BOS: an empty raw prompt has no token at all, on either device.
    let smol = smollm2_gguf();
    for device in ["cpu", "gpu"] {
        let o = bin(&[
            "run",
            "--model",
            smol.to_str().unwrap(),
            "--raw",
            "--prompt",
            "",
            "--device",
            device,
        ]);
        let line = one_line_error(&o);
        assert!(line.contains("the prompt is empty"), "{device}: {line}");
    }
}

/// A tokenizer whose ids run past the model's embedding (here SmolLM2's 49,152-token vocabulary
/// on a 32,000-row Mistral model) is refused before anything runs: its ids would index past the
/// table, which a GPU clamps silently.
#[test]
fn a_tokenizer_of_another_model_is_refused() {
    let model = fixture("tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf");
    let smol = smollm2_gguf();
    let o = bin(&[
        "run",
        "--model",
        model.to_str().unwrap(),
        "--tokenizer",
        smol.to_str().unwrap(),
        "--device",
        "cpu",
        "--prompt",
        "hi",
    ]);
    let line = one_line_error(&o);
    assert!(line.contains("49152 tokens"), "{line}");
    assert!(line.contains("32000 rows"), "{line}");
}

/// A file with weights the forward pass never reads (here a Q bias, as Qwen-style files have)
/// still loads, and `info` names them.
#[test]
fn info_reports_tensors_the_model_does_not_use() {
    use mistral_formats::byte_source::MappedFile;
    use mistral_formats::gguf::{GgufFile, GgufWriter};
    use mistral_formats::TensorType;
    let src = MappedFile::open(&fixture("tiny-w6/tiny-w6-F32.gguf")).unwrap();
    let gguf = GgufFile::read(&src).unwrap();
    let mut w = GgufWriter::new();
    w.metadata = gguf.metadata.clone();
    for t in &gguf.tensors {
        w.add_tensor(&t.name, &t.dims, t.ty, gguf.tensor_bytes(&src, t).unwrap())
            .unwrap();
    }
    w.add_tensor("blk.0.attn_q.bias", &[256], TensorType::F32, vec![0; 1024])
        .unwrap();
    let path = std::env::temp_dir().join(format!("mw-unused-{}.gguf", std::process::id()));
    std::fs::write(&path, w.to_bytes().unwrap()).unwrap();
    let o = stdout(&bin(&["info", "--model", path.to_str().unwrap()]));
    std::fs::remove_file(&path).unwrap();
    assert!(
        o.contains("unused       1 tensors the model does not read: blk.0.attn_q.bias"),
        "{o}"
    );
}

/// A model file's recommended sampling settings (llama.cpp's `general.sampling.*` keys): `info`
/// prints them (and why a bad one is left out), and `run` uses them where no flag is given.
#[test]
fn the_files_sampling_recommendation_is_shown_and_used() {
    use mistral_formats::byte_source::MappedFile;
    use mistral_formats::gguf::{GgufFile, GgufWriter, MetadataValue};
    let model = smollm2_gguf();
    let src = MappedFile::open(&model).unwrap();
    let gguf = GgufFile::read(&src).unwrap();
    let mut w = GgufWriter::new();
    w.metadata = gguf.metadata.clone();
    // Greedy, so the answer is known: the same as --temperature 0 on the original file.
    w.metadata
        .set("general.sampling.temp", MetadataValue::F32(0.0));
    w.metadata
        .set("general.sampling.top_k", MetadataValue::I32(-1));
    for t in &gguf.tensors {
        w.add_tensor(&t.name, &t.dims, t.ty, gguf.tensor_bytes(&src, t).unwrap())
            .unwrap();
    }
    let path = std::env::temp_dir().join(format!("mw-sampling-{}.gguf", std::process::id()));
    std::fs::write(&path, w.to_bytes().unwrap()).unwrap();
    let info = bin(&["info", "--model", path.to_str().unwrap()]);
    let run = |model: &std::path::Path, flags: &[&str]| {
        let mut args = vec![
            "run",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            "Tell me a story.",
            "--max-tokens",
            "12",
        ];
        args.extend_from_slice(flags);
        bin(&args)
    };
    let with_file_defaults = run(&path, &["--seed", "3"]);
    let greedy = run(&model, &["--temperature", "0", "--seed", "4"]);
    std::fs::remove_file(&path).unwrap();
    let info = stdout(&info);
    assert!(
        info.contains("sampling     temperature 0 (the file's"),
        "{info}"
    );
    assert!(
        info.contains("general.sampling.top_k: ignored: must be a whole number >= 0, got -1"),
        "{info}"
    );
    assert_eq!(stdout(&with_file_defaults), stdout(&greedy));
    let warned = String::from_utf8_lossy(&with_file_defaults.stderr);
    assert!(
        warned.contains("warning: general.sampling.top_k"),
        "{warned}"
    );
    let plain = stdout(&bin(&["info", "--model", smollm2_gguf().to_str().unwrap()]));
    assert!(plain.contains("sampling     none in the file"), "{plain}");
}
