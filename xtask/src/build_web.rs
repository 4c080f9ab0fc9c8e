//! `cargo xtask build-web [--dev]`: the browser build, from the Rust crate to a static site.
//!
//! 1. prerequisites: the wasm32 target and wasm-bindgen-cli at Cargo.lock's version (with
//!    test-web's Chromium), node and npm;
//! 2. `cargo build -p mistral-web --lib --target wasm32-unknown-unknown --release` (`--dev`:
//!    the dev profile, faster to build, larger and slower);
//! 3. `wasm-bindgen --target web` into crates/web/js/src/wasm/ (generated, git-ignored);
//! 4. the npm package: `npm ci` when node_modules is missing or older than package-lock.json,
//!    then `npm run build` (tsc, and src/wasm copied to dist/wasm);
//! 5. the site, target/web-site/: web/ (without web/e2e and node_modules) plus pkg/ = the
//!    package's dist/ (the page imports `./pkg/index.js`) and vendor/ = the ES modules of the
//!    page's own libraries (marked, DOMPurify), from `npm ci` in web/ (see [`VENDORED`]).
//! 6. `sw-precache.js` in the site: the offline app shell's files with their SHA-256 and a
//!    version hashed from them, for the page's service worker (web/sw.js; see [`write_precache`]).
//!
//! No wasm-opt: Debian's binaryen produces modules Chromium rejects. npm's binaryen 132
//! (`wasm-opt -O2`, measured once) took 4.1 MiB to 3.3 MiB, but gzip only 1.30 to 1.18 MiB,
//! for 36 s more per build on two cores, and its output would need the browser tests run
//! against it to be trusted. The wasm is what rustc and wasm-bindgen make.

use crate::shell::{has, root, run as sh, run_in};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The assembled site (see [`site_dir`]) and the size of its wasm.
pub struct Site {
    pub dir: PathBuf,
    #[allow(dead_code)] // the test runner prints it
    pub wasm: WasmSize,
}

/// Size of the wasm-bindgen module, raw and gzip -9 (what a server with compression sends).
pub struct WasmSize {
    pub path: PathBuf,
    pub raw: u64,
    pub gzip: u64,
}

impl std::fmt::Display for WasmSize {
    /// `mistral_web_bg.wasm: 3.1 MiB (1.0 MiB gzip)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let mib = |n: u64| n as f64 / (1024.0 * 1024.0);
        write!(
            f,
            "{name}: {:.1} MiB ({:.1} MiB gzip)",
            mib(self.raw),
            mib(self.gzip)
        )
    }
}

/// `cargo xtask build-web [--dev] [--site-only]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut dev = false;
    let mut site_only = false;
    for arg in args {
        match arg.as_str() {
            "--dev" => dev = true,
            // Only the page changed: copy web/ and the package's existing dist/ again (seconds,
            // where the wasm and the package would take minutes).
            "--site-only" => site_only = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: build-web [--dev] [--site-only])"
                ))
            }
        }
    }
    if site_only {
        eprintln!("site: {}", assemble()?.display());
        return Ok(());
    }
    let site = build(dev)?;
    eprintln!("site: {}", site.dir.display());
    Ok(())
}

/// The whole build; prints and returns the wasm size. `dev`: the dev profile, not release.
pub fn build(dev: bool) -> Result<Site, String> {
    prepare()?;
    let wasm = cargo_build(dev)?;
    wasm_bindgen(&wasm)?;
    let wasm = wasm_size()?;
    eprintln!("{wasm}");
    npm_build()?;
    let dir = assemble()?;
    Ok(Site { dir, wasm })
}

/// <root>/target/web-site (whatever CARGO_TARGET_DIR says), or MISTRAL_WEB_SITE_DIR: what
/// `serve-web` and the page's tests serve. The variable lets two checkouts' (or two people's)
/// page tests run side by side without one rebuild deleting the other's site.
pub fn site_dir() -> PathBuf {
    match std::env::var_os("MISTRAL_WEB_SITE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => root().join("target/web-site"),
    }
}

/// The npm package's folder.
pub fn js_dir() -> PathBuf {
    root().join("crates/web/js")
}

/// Where wasm-bindgen writes (crates/web/js/src/wasm; git-ignored).
pub fn bindgen_dir() -> PathBuf {
    js_dir().join("src/wasm")
}

/// Size of the last build's `mistral_web_bg.wasm`, raw and gzip (level 9).
pub fn wasm_size() -> Result<WasmSize, String> {
    let path = bindgen_dir().join("mistral_web_bg.wasm");
    let mut file = std::fs::File::open(&path)
        .map_err(|e| format!("{}: {e} (run `cargo xtask build-web`)", path.display()))?;
    let mut gz = flate2::write::GzEncoder::new(Counter(0), flate2::Compression::best());
    let raw = std::io::copy(&mut file, &mut gz).map_err(|e| e.to_string())?;
    let gzip = gz.finish().map_err(|e| e.to_string())?.0;
    Ok(WasmSize { path, raw, gzip })
}

/// A writer that only counts bytes.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Cargo's target directory: `CARGO_TARGET_DIR` (relative to the workspace root, where xtask
/// runs cargo) or <root>/target.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

/// wasm32, wasm-bindgen-cli (shared with test-web), node and npm.
fn prepare() -> Result<(), String> {
    crate::test_web::prepare()?;
    if !has("npm") || !has("node") {
        crate::setup::apt_install(&[], &["nodejs", "npm"])?;
    }
    Ok(())
}

/// Builds the cdylib; returns the .wasm's path.
fn cargo_build(dev: bool) -> Result<PathBuf, String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args([
        "build",
        "-p",
        "mistral-web",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    if !dev {
        cmd.arg("--release");
    }
    sh(&mut cmd)?;
    let profile = if dev { "debug" } else { "release" };
    let wasm = target_dir()
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("mistral_web.wasm");
    if !wasm.exists() {
        return Err(format!("cargo built no {}", wasm.display()));
    }
    Ok(wasm)
}

fn wasm_bindgen(wasm: &Path) -> Result<(), String> {
    let out = bindgen_dir();
    // Files of an older wasm-bindgen (inline JS snippets) would linger otherwise.
    let _ = std::fs::remove_dir_all(out.join("snippets"));
    sh(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-dir"])
        .arg(&out)
        .arg(wasm))
}

fn npm_build() -> Result<(), String> {
    let js = js_dir();
    if !js.join("package.json").exists() {
        return Err(format!("{} is missing", js.join("package.json").display()));
    }
    if needs_npm_ci(&js) {
        run_in(&js, Command::new("npm").arg("ci"))?;
    }
    run_in(&js, Command::new("npm").args(["run", "build"]))
}

/// node_modules missing, or older than package-lock.json.
pub fn needs_npm_ci(js: &Path) -> bool {
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let lock = mtime(&js.join("package-lock.json"));
    // npm writes node_modules/.package-lock.json on every install.
    let installed = mtime(&js.join("node_modules/.package-lock.json"))
        .or_else(|| mtime(&js.join("node_modules")));
    match (lock, installed) {
        (_, None) => true,
        (Some(lock), Some(installed)) => lock > installed,
        (None, Some(_)) => false,
    }
}

/// target/web-site = web/ (no e2e/, node_modules, package*.json) + pkg/ = crates/web/js/dist/
/// + vendor/.
fn assemble() -> Result<PathBuf, String> {
    let site = site_dir();
    if site.exists() {
        std::fs::remove_dir_all(&site).map_err(|e| format!("{}: {e}", site.display()))?;
    }
    let web = root().join("web");
    copy_dir(&web, &site, &|p: &Path| {
        // web/package*.json only say what to vendor (below); the site does not serve them.
        p == web.join("e2e")
            // Draws the committed PNG icons; not part of the site.
            || p == web.join("icons/generate.mjs")
            || p == web.join("package.json")
            || p == web.join("package-lock.json")
            || p.file_name().is_some_and(|n| n == "node_modules")
    })?;
    let dist = js_dir().join("dist");
    if !dist.join("index.js").exists() {
        return Err(format!(
            "{} is missing after `npm run build`",
            dist.join("index.js").display()
        ));
    }
    copy_dir(&dist, &site.join("pkg"), &|_: &Path| false)?;
    vendor(&web, &site.join("vendor"))?;
    write_precache(&site)?;
    Ok(site)
}

/// The service worker's precache list (web/sw.js imports it), written last into the site.
const PRECACHE_FILE: &str = "sw-precache.js";

/// Whether the site file at `rel` (a '/'-separated path) is part of the offline app shell: every
/// file the page may load, not the worker and its list (the browser fetches those itself to
/// look for updates), type declarations or licence texts.
fn in_shell(rel: &str) -> bool {
    rel != "sw.js"
        && rel != PRECACHE_FILE
        && !rel.ends_with(".d.ts")
        && !rel.ends_with(".map")
        && !rel.ends_with(".LICENSE")
}

/// Writes `sw-precache.js`: `self.__shellPrecache = { version, files: { path: sha256 } }`. The
/// version is a hash of the whole list, so any changed file gives the site a new version: the
/// browser sees this script change, installs the new shell and the page offers to reload.
fn write_precache(site: &Path) -> Result<(), String> {
    use sha2::{Digest, Sha256};
    let mut paths = Vec::new();
    site_files(site, site, &mut paths)?;
    paths.retain(|rel| in_shell(rel));
    paths.sort();
    let mut files = serde_json::Map::new();
    let mut whole = Sha256::new();
    for rel in paths {
        let path = site.join(&rel);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sha = hex(&Sha256::digest(&bytes));
        whole.update(format!("{rel}\0{sha}\n"));
        files.insert(rel, sha.into());
    }
    let version = hex(&whole.finalize())[..16].to_string();
    let list = serde_json::json!({ "version": version, "files": files });
    let script = format!(
        "// Generated by `cargo xtask build-web`: the app shell's files and their SHA-256, for sw.js.\n\
         self.__shellPrecache = {list};\n"
    );
    let out = site.join(PRECACHE_FILE);
    std::fs::write(&out, script).map_err(|e| format!("{}: {e}", out.display()))
}

/// Every file under `dir`, as a '/'-separated path relative to `root`.
fn site_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("listing {}: {e}", p.display());
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e))? {
        let path = entry.map_err(|e| err(dir, e))?.path();
        if path.is_dir() {
            site_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The page's libraries, (package, file in it, name in the site's vendor/): self-contained ES
/// modules, served from the page's own origin (no CDN: the page must work offline from its
/// cache, and a third-party script could read every conversation). Renamed to `.js` because
/// not every static server sends `.mjs` as JavaScript, which module scripts require.
const VENDORED: [(&str, &str, &str); 2] = [
    ("marked", "lib/marked.esm.js", "marked.esm.js"),
    ("dompurify", "dist/purify.es.mjs", "purify.es.js"),
];

/// `npm ci` in web/ when needed, then copies [`VENDORED`] (with each package's LICENSE) to `to`.
fn vendor(web: &Path, to: &Path) -> Result<(), String> {
    if needs_npm_ci(web) {
        run_in(
            web,
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]),
        )?;
    }
    let err = |p: &Path, e: std::io::Error| format!("vendoring {}: {e}", p.display());
    std::fs::create_dir_all(to).map_err(|e| err(to, e))?;
    for (package, file, name) in VENDORED {
        let dir = web.join("node_modules").join(package);
        let from = dir.join(file);
        std::fs::copy(&from, to.join(name)).map_err(|e| err(&from, e))?;
        let license = dir.join("LICENSE");
        if license.exists() {
            let dest = to.join(format!("{package}.LICENSE"));
            std::fs::copy(&license, dest).map_err(|e| err(&license, e))?;
        }
    }
    Ok(())
}

/// Copies `from` into `to` recursively, skipping paths for which `skip` is true.
fn copy_dir(from: &Path, to: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("copying {}: {e}", p.display());
    std::fs::create_dir_all(to).map_err(|e| err(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| err(from, e))? {
        let entry = entry.map_err(|e| err(from, e))?;
        let path = entry.path();
        if skip(&path) {
            continue;
        }
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest, skip)?;
        } else {
            std::fs::copy(&path, &dest).map_err(|e| err(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{write_precache, PRECACHE_FILE};
    use std::path::Path;

    /// The list `write_precache` wrote into `site`.
    fn precache(site: &Path) -> serde_json::Value {
        write_precache(site).unwrap();
        let script = std::fs::read_to_string(site.join(PRECACHE_FILE)).unwrap();
        let json = &script[script.find('{').unwrap()..=script.rfind('}').unwrap()];
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn precache_lists_the_shell_with_digests_and_versions_it() {
        let site = std::env::temp_dir().join(format!("xtask-precache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&site);
        for (path, text) in [
            ("index.html", "<!doctype html>"),
            ("app/chat.js", "export {};"),
            ("pkg/index.d.ts", "export {};"),
            ("vendor/marked.LICENSE", "MIT"),
            ("sw.js", "importScripts('sw-precache.js');"),
        ] {
            let file = site.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let first = precache(&site);
        let files = first["files"].as_object().unwrap();
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(names, ["app/chat.js", "index.html"]);
        // `printf 'export {};' | sha256sum`
        assert_eq!(
            files["app/chat.js"],
            "2e29cd9a98755c46896f7a2d56524db2d6d96b248e36db46de14c30bf47c8d05"
        );
        let version = first["version"].as_str().unwrap().to_string();
        assert_eq!(version.len(), 16);
        // The same files: the same version (a second run reads its own output file as well).
        assert_eq!(precache(&site)["version"], version.as_str());
        // A changed file: a new version.
        std::fs::write(site.join("app/chat.js"), "export const x = 1;").unwrap();
        assert_ne!(precache(&site)["version"], version.as_str());
        std::fs::remove_dir_all(&site).unwrap();
    }
}
