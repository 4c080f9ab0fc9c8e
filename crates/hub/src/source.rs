//! What `--model` names: a path on disk, a URL, or a file in a Hugging Face repository.

use crate::error::{HubError, Result};
use std::path::PathBuf;

/// The model run when `--model` is not given: Mistral-7B-Instruct-v0.2 in Q4_K_M, from the
/// most used public GGUF conversion (4,368,439,584 bytes, 4.37 GB).
pub const DEFAULT_MODEL: &str =
    "hf:TheBloke/Mistral-7B-Instruct-v0.2-GGUF/mistral-7b-instruct-v0.2.Q4_K_M.gguf";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelSource {
    /// A file or folder on disk, used as it is.
    Local(PathBuf),
    /// An http(s) URL; `sha256` from a `#sha256=HEX` fragment (stripped from `url`).
    Url { url: String, sha256: Option<String> },
    /// `hf:OWNER/REPO/PATH/IN/REPO.gguf`.
    HfFile { repo: String, file: String },
    /// `hf:OWNER/REPO:QUANT`: the repository's one GGUF of that quantization type.
    HfQuant { repo: String, quant: String },
}

impl ModelSource {
    /// Parses a `--model` value. Anything that is not `hf:` or `http(s)://` is a path.
    pub fn parse(s: &str) -> Result<Self> {
        if let Some(rest) = s.strip_prefix("hf:") {
            return parse_hf(rest);
        }
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let (url, fragment) = match s.split_once('#') {
                Some((u, f)) => (u, Some(f)),
                None => (s, None),
            };
            let sha256 = match fragment.and_then(|f| f.strip_prefix("sha256=")) {
                Some(h) => Some(parse_sha256(h).ok_or_else(|| {
                    HubError::BadSource(format!(
                        "{s}: #sha256= must be 64 hexadecimal digits, got {h:?}"
                    ))
                })?),
                None => None,
            };
            return Ok(ModelSource::Url {
                url: url.to_string(),
                sha256,
            });
        }
        Ok(ModelSource::Local(PathBuf::from(s)))
    }

    /// Whether getting it may need the network (everything but a local path).
    pub fn is_remote(&self) -> bool {
        !matches!(self, ModelSource::Local(_))
    }
}

impl std::fmt::Display for ModelSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelSource::Local(p) => write!(f, "{}", p.display()),
            ModelSource::Url { url, .. } => f.write_str(url),
            ModelSource::HfFile { repo, file } => write!(f, "hf:{repo}/{file}"),
            ModelSource::HfQuant { repo, quant } => write!(f, "hf:{repo}:{quant}"),
        }
    }
}

const HF_FORMS: &str = "use hf:OWNER/REPO/FILE.gguf or hf:OWNER/REPO:QUANT (e.g. \
hf:TheBloke/Mistral-7B-Instruct-v0.2-GGUF:Q4_K_M)";

fn parse_hf(rest: &str) -> Result<ModelSource> {
    let bad = |why: &str| HubError::BadSource(format!("hf:{rest}: {why}; {HF_FORMS}"));
    // OWNER/REPO:QUANT, where the colon comes after the repository (file names may hold none).
    if let Some((repo, quant)) = rest.rsplit_once(':') {
        check_repo(repo).map_err(|w| bad(&w))?;
        if quant.is_empty() || !quant.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad(
                "a quantization type is letters, digits and _ (like Q4_K_M)",
            ));
        }
        return Ok(ModelSource::HfQuant {
            repo: repo.to_string(),
            quant: quant.to_string(),
        });
    }
    let mut parts = rest.splitn(3, '/');
    let (owner, name, file) = (parts.next(), parts.next(), parts.next());
    let (Some(owner), Some(name), Some(file)) = (owner, name, file) else {
        return Err(bad("missing the file"));
    };
    let repo = format!("{owner}/{name}");
    check_repo(&repo).map_err(|w| bad(&w))?;
    // A path inside the repository: no empty, `.` or `..` components that would climb out of
    // the cache folder it is stored under.
    if file
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == ".." || c.contains('\\'))
    {
        return Err(bad("the file path has an empty, '.' or '..' component"));
    }
    Ok(ModelSource::HfFile {
        repo,
        file: file.to_string(),
    })
}

/// OWNER/REPO with Hugging Face's characters (letters, digits, `-`, `_`, `.`), no `..`.
fn check_repo(repo: &str) -> Result<(), String> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repo.split_once('/') {
        Some((o, n)) if ok_part(o) && ok_part(n) => Ok(()),
        _ => Err(format!("{repo:?} is not OWNER/REPO")),
    }
}

/// 64 hex digits, lowercased; None otherwise.
pub(crate) fn parse_sha256(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            ModelSource::parse("models/a.gguf").unwrap(),
            ModelSource::Local("models/a.gguf".into())
        );
        assert_eq!(
            ModelSource::parse("hf:o/r/sub/f.Q4_K_M.gguf").unwrap(),
            ModelSource::HfFile {
                repo: "o/r".into(),
                file: "sub/f.Q4_K_M.gguf".into()
            }
        );
        assert_eq!(
            ModelSource::parse("hf:o/r-GGUF:q4_k_m").unwrap(),
            ModelSource::HfQuant {
                repo: "o/r-GGUF".into(),
                quant: "q4_k_m".into()
            }
        );
        let h = "AB".repeat(32);
        assert_eq!(
            ModelSource::parse(&format!("https://x.org/m.gguf#sha256={h}")).unwrap(),
            ModelSource::Url {
                url: "https://x.org/m.gguf".into(),
                sha256: Some(h.to_ascii_lowercase())
            }
        );
        assert!(ModelSource::parse(DEFAULT_MODEL).unwrap().is_remote());
    }

    #[test]
    fn rejects_bad_hf_names() {
        for bad in [
            "hf:o/r",
            "hf:o",
            "hf:o/r/../x.gguf",
            "hf:o/r//x.gguf",
            "hf:../r/x.gguf",
            "hf:o/r:",
            "hf:o/r:Q4 K",
            "https://x.org/m.gguf#sha256=abc",
        ] {
            let e = ModelSource::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad.split('#').next().unwrap()), "{bad}: {e}");
        }
    }
}
