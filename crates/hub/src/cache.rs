//! The shared model cache. Layout (documented in the README):
//!
//! ```text
//! ROOT/hf/OWNER/REPO/PATH/IN/REPO.gguf        a file from a Hugging Face repository (main)
//! ROOT/url/HOST/HASH16/NAME.gguf              a file from a plain URL (HASH16: of the URL)
//! .../NAME.gguf.meta.json                     where it came from, size, SHA-256, date
//! .../NAME.gguf.part, NAME.gguf.part.json     an unfinished download and what it is of
//! ```
//!
//! ROOT is `--cache-dir`, else `$MISTRAL_WGPU_CACHE_DIR`, else the platform's cache folder
//! (`~/.cache/mistral-wgpu` on Linux, `~/Library/Caches/mistral-wgpu` on macOS,
//! `%LOCALAPPDATA%\mistral-wgpu` on Windows).

use crate::download::hex;
use crate::error::{HubError, Result};
use crate::partial::with_suffix;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub const CACHE_ENV: &str = "MISTRAL_WGPU_CACHE_DIR";

#[derive(Clone, Debug)]
pub struct Cache {
    pub root: PathBuf,
}

/// What `list` shows about a file, written beside it when its download completes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    /// As the user wrote it: `hf:OWNER/REPO/FILE` or the URL.
    pub source: String,
    pub url: String,
    pub size: u64,
    pub sha256: String,
    /// Seconds since the Unix epoch.
    pub downloaded_at: u64,
}

impl Meta {
    pub(crate) fn new(source: &str, url: &str, size: u64, sha256: String) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Meta {
            source: source.to_string(),
            url: url.to_string(),
            size,
            sha256,
            downloaded_at: now,
        }
    }

    fn path(model: &Path) -> PathBuf {
        with_suffix(model, ".meta.json")
    }

    /// Written (through a temporary file and a rename) before the model is renamed into
    /// place, so a model under its final name always has its record.
    pub(crate) fn write(&self, model: &Path) -> Result<()> {
        let path = Self::path(model);
        let tmp = with_suffix(&path, ".tmp");
        let bytes = serde_json::to_vec_pretty(self).expect("meta serializes");
        std::fs::write(&tmp, bytes).map_err(|e| HubError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| HubError::io(&path, e))
    }

    pub fn read(model: &Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(Self::path(model)).ok()?).ok()
    }
}

/// One file in the cache, complete or not.
#[derive(Clone, Debug)]
pub struct Entry {
    pub path: PathBuf,
    /// The path under the cache root, with `/` separators: the name `rm` takes.
    pub name: String,
    pub size: u64,
    pub modified: Option<SystemTime>,
    pub meta: Option<Meta>,
    /// An unfinished download (`.part`), resumed by the next run that asks for it.
    pub partial: bool,
}

impl Cache {
    /// `explicit` (`--cache-dir`), else `$MISTRAL_WGPU_CACHE_DIR`, else the platform cache.
    pub fn locate(explicit: Option<&Path>) -> Result<Self> {
        let root = explicit
            .map(Path::to_path_buf)
            .or_else(|| {
                std::env::var_os(CACHE_ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| dirs::cache_dir().map(|d| d.join("mistral-wgpu")))
            .ok_or_else(|| {
                HubError::BadSource(format!(
                    "no cache folder: this platform has none; pass --cache-dir or set {CACHE_ENV}"
                ))
            })?;
        Ok(Cache { root })
    }

    pub fn hf_path(&self, repo: &str, file: &str) -> PathBuf {
        let mut p = self.root.join("hf").join(repo);
        p.extend(file.split('/'));
        p
    }

    /// The repository's folder (for finding a cached file by quantization type offline).
    pub fn hf_repo_dir(&self, repo: &str) -> PathBuf {
        self.root.join("hf").join(repo)
    }

    pub fn url_path(&self, url: &str) -> PathBuf {
        let after = url.split_once("://").map_or(url, |(_, r)| r);
        let host: String = after
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = after.split(['?', '#']).next().unwrap_or("");
        let name: String = path
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .unwrap_or("model.gguf")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let id = &hex(&Sha256::digest(url.as_bytes()))[..16];
        self.root.join("url").join(host).join(id).join(name)
    }

    /// Every cached model and unfinished download, sorted by name.
    pub fn list(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        walk(&self.root, &mut |path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".json") || name.ends_with(".tmp") {
                return;
            }
            let Ok(md) = std::fs::metadata(path) else {
                return;
            };
            let partial = name.ends_with(".part");
            let model = if partial {
                path.with_file_name(&name[..name.len() - ".part".len()])
            } else {
                path.to_path_buf()
            };
            out.push(Entry {
                name: self.relative(path),
                path: path.to_path_buf(),
                size: md.len(),
                modified: md.modified().ok(),
                meta: if partial { None } else { Meta::read(&model) },
                partial,
            });
        })
        .map_err(|e| HubError::io(&self.root, e))?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn relative(&self, p: &Path) -> String {
        let rel = p.strip_prefix(&self.root).unwrap_or(p);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The entries `what` names: its `hf:`/URL source, its name under the cache, its path, or
    /// its file name. More than one is an error unless they are one model and its part.
    pub fn find(&self, what: &str) -> Result<Vec<Entry>> {
        let entries = self.list()?;
        let abs = std::fs::canonicalize(what).ok();
        let strip = |n: &str| n.strip_suffix(".part").unwrap_or(n).to_string();
        let matches: Vec<Entry> = entries
            .into_iter()
            .filter(|e| {
                let file = e.path.file_name().map(|f| f.to_string_lossy().to_string());
                e.meta
                    .as_ref()
                    .is_some_and(|m| m.source == what || m.url == what)
                    || strip(&e.name) == strip(what)
                    || file.as_deref().map(strip).as_deref() == Some(&strip(what))
                    || abs.is_some() && std::fs::canonicalize(&e.path).ok() == abs
            })
            .collect();
        if matches.is_empty() {
            return Err(HubError::NotInCache(format!(
                "{what} is not in the cache {} (`mistral-wgpu list` shows what is)",
                self.root.display()
            )));
        }
        let models: std::collections::BTreeSet<String> =
            matches.iter().map(|e| strip(&e.name)).collect();
        if models.len() > 1 {
            return Err(HubError::NoMatch(format!(
                "{what} names several cached files; give one of: {}",
                models.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(matches)
    }

    /// Deletes the entries (with their records and unfinished parts) and the folders they
    /// leave empty. Returns the bytes freed.
    pub fn remove(&self, entries: &[Entry]) -> Result<u64> {
        let mut freed = 0;
        for e in entries {
            let model = if e.partial {
                let s = e.path.to_string_lossy();
                PathBuf::from(&s[..s.len() - ".part".len()])
            } else {
                e.path.clone()
            };
            for p in [
                model.clone(),
                with_suffix(&model, ".meta.json"),
                with_suffix(&model, ".part"),
                with_suffix(&model, ".part.json"),
            ] {
                if let Ok(md) = std::fs::metadata(&p) {
                    std::fs::remove_file(&p).map_err(|err| HubError::io(&p, err))?;
                    freed += md.len();
                }
            }
            // Empty folders up to (not including) the root.
            let mut dir = model.parent();
            while let Some(d) = dir.filter(|d| d.starts_with(&self.root) && *d != self.root) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        Ok(freed)
    }
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) -> std::io::Result<()> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in rd {
        let entry = entry?;
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&entry.path(), f)?;
        } else if ty.is_file() {
            f(&entry.path());
        }
    }
    Ok(())
}
