//! Every way getting a model can fail, each with a message that says what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    BadSource(String),

    /// DNS, refused connections and timeouts: most often no network at all.
    #[error(
        "cannot reach {host} ({detail}): are you offline? A model already on disk runs with \
         --model PATH (a .gguf file or a safetensors folder); `mistral-wgpu list` shows the cached ones"
    )]
    Offline { host: String, detail: String },

    #[error(
        "{url} answered {status}: the repository is gated or private. Accept its terms on the \
         website if it asks, create an access token (huggingface.co/settings/tokens) and set \
         HF_TOKEN=hf_... (or pass --model PATH to a file you already have)"
    )]
    Unauthorized { url: String, status: u16 },

    #[error("{url} answered {status}: {what}")]
    Http {
        url: String,
        status: u16,
        what: &'static str,
    },

    #[error("{url}: {detail}")]
    Protocol { url: String, detail: String },

    /// The connection ended early; the `.part` file and its sidecar stay for the next run.
    #[error(
        "download interrupted after {got} of {total} bytes ({detail}); run the same command again \
         to resume from byte {got}"
    )]
    Interrupted {
        got: u64,
        total: String,
        detail: String,
    },

    /// The bytes are not the ones the server promised; they were deleted.
    #[error(
        "{url}: the downloaded file's SHA-256 is {actual} but {expected} was expected; the \
         download was deleted (run again to fetch it anew)"
    )]
    Checksum {
        url: String,
        expected: String,
        actual: String,
    },

    #[error(
        "{url}: got {actual} bytes but the server announced {expected}; the download was deleted \
         (run again to fetch it anew)"
    )]
    Size {
        url: String,
        expected: u64,
        actual: u64,
    },

    #[error(
        "the disk is full while writing {path} ({written} bytes written): free some space (or \
         pick another --cache-dir) and run again; the download resumes where it stopped"
    )]
    DiskFull { path: PathBuf, written: u64 },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{0}")]
    NoMatch(String),

    #[error("{0}")]
    NotInCache(String),
}

impl HubError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if is_disk_full(&source) {
            HubError::DiskFull { path, written: 0 }
        } else {
            HubError::Io { path, source }
        }
    }
}

/// ENOSPC (and EDQUOT, a full quota, which users meet the same way).
pub(crate) fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || e.raw_os_error() == Some(28)
}

pub type Result<T, E = HubError> = std::result::Result<T, E>;
