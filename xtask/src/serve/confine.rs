//! Which file a request path names, confined to the served folder.
//!
//! The path is percent-decoded and split into segments; `..`, a backslash or NUL anywhere is
//! refused before the file system is asked. The file is then canonicalized (every symlink
//! resolved) and must still lie under the canonical root: a symlink inside the folder that
//! points out of it is answered as if there were no such file. Symlinks that stay inside (a
//! Hugging Face style `model.gguf -> blobs/sha`) are fine.
//!
//! Checked when the request comes; the file is opened a moment later by its canonical path,
//! so only someone who can already write into the folder could swap a directory for a link
//! in between: a dev server's threat model does not include them.

use percent_encoding::percent_decode_str;
use std::path::{Path, PathBuf};

/// The decoded segments of a request path: no empty or `.` segments; `None` for `..`, a
/// backslash, NUL or bytes that are not UTF-8.
pub fn segments(path: &str) -> Option<Vec<String>> {
    let decoded = percent_decode_str(path).decode_utf8().ok()?;
    let mut out = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\\', '\0']) => return None,
            s => out.push(s.to_string()),
        }
    }
    Some(out)
}

/// The counted name of a request path: "/" + its decoded segments, or the path as sent when
/// it does not decode (still counted, under a name no file has).
pub fn key(path: &str) -> String {
    match segments(path) {
        Some(s) => format!("/{}", s.join("/")),
        None => path.to_string(),
    }
}

/// A request path resolved against the canonical `root`.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A regular file under the root: its canonical `path`, and the `name` asked for (with
    /// index.html appended for a directory), whose extension gives the Content-Type.
    File { path: PathBuf, name: PathBuf },
    /// `..`, bad encoding: 400.
    BadPath,
    /// No such file, a directory without index.html, or a file outside the root: 404.
    NotFound,
}

/// `root` must be canonical. A directory serves its index.html.
pub fn resolve(root: &Path, path: &str) -> Resolved {
    let Some(segments) = segments(path) else {
        return Resolved::BadPath;
    };
    let mut name = root.to_path_buf();
    name.extend(&segments);
    let Some(mut path) = inside(root, &name) else {
        return Resolved::NotFound;
    };
    if path.is_dir() {
        name.push("index.html");
        match inside(root, &name) {
            Some(index) => path = index,
            None => return Resolved::NotFound,
        }
    }
    if path.is_file() {
        Resolved::File { path, name }
    } else {
        Resolved::NotFound
    }
}

/// `path` canonicalized, when it exists and stays under `root`.
fn inside(root: &Path, path: &Path) -> Option<PathBuf> {
    path.canonicalize().ok().filter(|p| p.starts_with(root))
}
