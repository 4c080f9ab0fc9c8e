//! `cargo xtask serve-web [--port N] [--models DIR] [--no-build]`: builds the site (as
//! `build-web`) and serves target/web-site on 127.0.0.1:N (default 8080). The models folder
//! (`--models DIR`, else .cache/smollm2 when it exists) is served by a second server on N+1, so
//! the model is cross-origin, as a Hugging Face URL would be. Runs until Ctrl-C.
//!
//! `cargo xtask serve DIR [--port N]` serves any folder the same way (no build).

use crate::build_web;
use crate::serve::Server;
use crate::shell::root;
use std::path::{Path, PathBuf};

struct Args {
    port: u16,
    models: Option<PathBuf>,
    build: bool,
    dir: Option<PathBuf>,
}

fn parse(args: &[String], usage: &str) -> Result<Args, String> {
    let mut out = Args {
        port: 8080,
        models: None,
        build: true,
        dir: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value ({usage})"));
        match arg.as_str() {
            "--port" => {
                let v = value()?;
                out.port = v.parse().map_err(|_| format!("--port {v}: not a port"))?;
            }
            "--models" => out.models = Some(PathBuf::from(value()?)),
            "--no-build" => out.build = false,
            a if !a.starts_with('-') && out.dir.is_none() => out.dir = Some(PathBuf::from(a)),
            a => return Err(format!("unknown argument {a:?} ({usage})")),
        }
    }
    Ok(out)
}

/// `cargo xtask serve-web`.
pub fn run(args: &[String]) -> Result<(), String> {
    let usage = "usage: serve-web [--port N] [--models DIR] [--no-build]";
    let args = parse(args, usage)?;
    if args.dir.is_some() {
        return Err(usage.into());
    }
    if args.build {
        build_web::build(false)?;
    }
    let site_dir = build_web::site_dir();
    if !site_dir.join("index.html").exists() {
        return Err(format!(
            "{} is missing: run without --no-build",
            site_dir.join("index.html").display()
        ));
    }
    let models = match args.models {
        Some(dir) if !dir.is_dir() => return Err(format!("--models {}: no folder", dir.display())),
        Some(dir) => Some(dir),
        None => Some(root().join(".cache/smollm2")).filter(|d| d.is_dir()),
    };
    let site = Server::site(&site_dir, args.port)?;
    println!("site:   {}/  ({})", site.url(), site_dir.display());
    // Kept alive until the site server returns (never: Ctrl-C).
    let _model_server = match models {
        Some(dir) => {
            let port = if args.port == 0 {
                0
            } else {
                args.port
                    .checked_add(1)
                    .ok_or("--port 65535 leaves no port for models")?
            };
            let server = Server::models(&dir, port)?;
            println!(
                "models: {}/  ({}; counts at /__requests)",
                server.url(),
                dir.display()
            );
            match first_gguf(&dir) {
                Some(name) => println!(
                    "open:   {}/?model={}/{}",
                    site.url(),
                    server.url(),
                    percent_encode(&name)
                ),
                None => println!("        (no .gguf file in {})", dir.display()),
            }
            Some(server)
        }
        None => {
            println!("models: none (--models DIR, or `cargo xtask demo` fetches SmolLM2)");
            None
        }
    };
    println!("counts: {}/__requests   (Ctrl-C stops)", site.url());
    site.wait();
    Ok(())
}

/// `cargo xtask serve DIR [--port N]`: any folder, no build.
pub fn serve_dir(args: &[String]) -> Result<(), String> {
    let usage = "usage: serve DIR [--port N]";
    let args = parse(args, usage)?;
    let (Some(dir), None, true) = (args.dir, &args.models, args.build) else {
        return Err(usage.into());
    };
    // CORS too: any page may fetch from it, as from the models server.
    let server = Server::models(&dir, args.port)?;
    println!("{}/  ({})   (Ctrl-C stops)", server.url(), dir.display());
    server.wait();
    Ok(())
}

/// The alphabetically first `*.gguf` directly in `dir`.
fn first_gguf(dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.to_ascii_lowercase().ends_with(".gguf"))
        .collect();
    names.sort();
    names.into_iter().next()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_file_names() {
        assert_eq!(
            super::percent_encode("SmolLM2-135M.Q4_1.gguf"),
            "SmolLM2-135M.Q4_1.gguf"
        );
        assert_eq!(super::percent_encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
