//! `cargo xtask npm-pack-check`: the npm package as a user receives it. After `build-web`:
//! `npm pack` crates/web/js into target/npm-pack/, check the tarball's files, install it with
//! the package's TypeScript version into a fresh project (target/npm-scratch/), and type-check
//! crates/web/js/test/consumer.ts there with `tsc --strict` (nodenext resolution, as a
//! consumer's project would resolve the package's `exports`).

use crate::build_web::js_dir;
use crate::shell::root;
use crate::shell::run_in;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files every tarball must hold (paths inside the tarball, under `package/`).
const REQUIRED: &[&str] = &[
    "package/package.json",
    "package/README.md",
    "package/dist/index.js",
    "package/dist/index.d.ts",
];

pub fn run() -> Result<(), String> {
    let js = js_dir();
    let consumer = js.join("test/consumer.ts");
    if !consumer.exists() {
        return Err(format!(
            "{} is missing: it should import the package and use its API (the package's \
             authors write it)",
            consumer.display()
        ));
    }
    if !js.join("dist/index.js").exists() {
        return Err("crates/web/js/dist is missing: run `cargo xtask build-web` first".into());
    }
    let tarball = pack(&js)?;
    check_contents(&tarball)?;
    let scratch = root().join("target/npm-scratch");
    fresh_dir(&scratch)?;
    std::fs::write(
        scratch.join("package.json"),
        "{\n  \"name\": \"npm-scratch\",\n  \"private\": true,\n  \"type\": \"module\"\n}\n",
    )
    .map_err(|e| e.to_string())?;
    let typescript = format!("typescript@{}", typescript_version(&js)?);
    run_in(
        &scratch,
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .arg(&tarball)
            .arg(&typescript),
    )?;
    std::fs::copy(&consumer, scratch.join("consumer.ts")).map_err(|e| e.to_string())?;
    run_in(
        &scratch,
        Command::new(scratch.join("node_modules/.bin/tsc")).args([
            "--noEmit",
            "--strict",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "--target",
            "es2022",
            "--lib",
            "es2022,dom",
            "consumer.ts",
        ]),
    )
    .map_err(|e| format!("the packed package does not type-check for a consumer: {e}"))?;
    eprintln!(
        "npm-pack-check: {} installs and type-checks",
        tarball.display()
    );
    Ok(())
}

/// `npm pack` into a fresh target/npm-pack/; returns the tarball.
fn pack(js: &Path) -> Result<PathBuf, String> {
    let out = root().join("target/npm-pack");
    fresh_dir(&out)?;
    run_in(
        js,
        Command::new("npm")
            .args(["pack", "--pack-destination"])
            .arg(&out),
    )?;
    let tarballs: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tgz"))
        .collect();
    match tarballs.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!(
            "npm pack made {} tarballs in {}",
            other.len(),
            out.display()
        )),
    }
}

fn check_contents(tarball: &Path) -> Result<(), String> {
    let out = Command::new("tar")
        .arg("-tzf")
        .arg(tarball)
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !out.status.success() {
        return Err(format!("tar -tzf {} failed", tarball.display()));
    }
    let listing = String::from_utf8_lossy(&out.stdout);
    let files: Vec<&str> = listing.lines().collect();
    let mut missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|f| !files.contains(f))
        .collect();
    if !files
        .iter()
        .any(|f| f.starts_with("package/dist/wasm/") && f.ends_with(".wasm"))
    {
        missing.push("package/dist/wasm/*.wasm");
    }
    if !missing.is_empty() {
        return Err(format!(
            "{} lacks {}; it holds:\n  {}",
            tarball.display(),
            missing.join(", "),
            files.join("\n  ")
        ));
    }
    eprintln!("{}: {} files", tarball.display(), files.len());
    Ok(())
}

/// The `typescript` version in the package's devDependencies (the scratch project uses the
/// same compiler the package was built with).
fn typescript_version(js: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(js.join("package.json")).map_err(|e| e.to_string())?;
    dev_dependency(&text, "typescript")
        .ok_or_else(|| "crates/web/js/package.json has no devDependencies.typescript".into())
}

/// `"name": "version"` inside the `"devDependencies"` object (a small scan, not a JSON parser:
/// npm writes package.json in a regular shape).
fn dev_dependency(package_json: &str, name: &str) -> Option<String> {
    let deps = &package_json[package_json.find("\"devDependencies\"")?..];
    let deps = &deps[..deps.find('}')?];
    let after = &deps[deps.find(&format!("\"{name}\""))? + name.len() + 2..];
    let value = after.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_typescript_version() {
        let json = r#"{
  "name": "x",
  "dependencies": { "typescript": "1.0.0" },
  "devDependencies": {
    "other": "2",
    "typescript" : "5.9.3"
  }
}"#;
        assert_eq!(
            super::dev_dependency(json, "typescript").as_deref(),
            Some("5.9.3")
        );
        assert_eq!(super::dev_dependency(json, "nope"), None);
    }
}
