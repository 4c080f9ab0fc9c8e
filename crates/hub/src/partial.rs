//! A download in progress: `NAME.part` holds the bytes so far, `NAME.part.json` says what they
//! are a prefix of, so that the next run asks only for the rest, and only of the same file.

use crate::error::{HubError, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sidecar {
    /// What was asked for (the resolve URL or the plain URL, never a signed CDN URL that
    /// changes with every request).
    pub source_url: String,
    /// The file's SHA-256 where the server gave one: equal hashes mean the same bytes, so the
    /// rest can be fetched without any other validator.
    pub sha256: Option<String>,
    /// A strong ETag, else Last-Modified: sent as If-Range, so that a file changed since
    /// comes back whole (200) instead of a wrong tail.
    pub validator: Option<String>,
    /// The complete file's size, where known.
    pub size: Option<u64>,
}

pub(crate) struct Partial {
    pub part: PathBuf,
    pub sidecar: PathBuf,
}

impl Partial {
    pub fn for_dest(dest: &Path) -> Self {
        Partial {
            part: with_suffix(dest, ".part"),
            sidecar: with_suffix(dest, ".part.json"),
        }
    }

    /// The bytes already on disk, if they are a prefix of what `want` describes; otherwise
    /// the stale part is removed and the download starts over.
    pub fn resumable(&self, want: &Sidecar) -> Result<Option<(u64, Sidecar)>> {
        let len = match std::fs::metadata(&self.part) {
            Ok(m) => m.len(),
            Err(_) => return Ok(None),
        };
        let saved: Option<Sidecar> = std::fs::read(&self.sidecar)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let same = saved.as_ref().is_some_and(|s| {
            s.source_url == want.source_url
                && match (&s.sha256, &want.sha256) {
                    (Some(a), Some(b)) => a == b,
                    // Without hashes to compare, only a validator can prove it (If-Range).
                    (None, None) => s.validator.is_some(),
                    _ => false,
                }
                && (want.size.is_none() || s.size == want.size)
                && s.size.is_none_or(|n| len <= n)
        });
        if same && len > 0 {
            return Ok(saved.map(|s| (len, s)));
        }
        self.remove()?;
        Ok(None)
    }

    pub fn save(&self, s: &Sidecar) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(s).expect("sidecar serializes");
        std::fs::write(&self.sidecar, bytes).map_err(|e| HubError::io(&self.sidecar, e))
    }

    pub fn remove(&self) -> Result<()> {
        for p in [&self.part, &self.sidecar] {
            match std::fs::remove_file(p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(HubError::io(p, e))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

pub(crate) fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
