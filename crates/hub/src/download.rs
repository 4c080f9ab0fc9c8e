//! One resumable, verified download into the cache: bytes go to `NAME.part`, and only a
//! complete file whose size and SHA-256 match what the server announced is renamed to `NAME`,
//! so a file under its final name is always whole.

use crate::cache::Meta;
use crate::error::{is_disk_full, HubError, Result};
use crate::http::{check_status, Auth, Follow, Http, Method, Reply};
use crate::partial::{Partial, Sidecar};
use crate::progress::Progress;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

pub(crate) struct Request<'a> {
    /// What the user asked for (`hf:...` or a URL), recorded for `list`.
    pub source: &'a str,
    /// The stable URL that names the file (the resume sidecar's key).
    pub source_url: &'a str,
    /// Where to GET it (the redirect target Hugging Face gave, or `source_url`).
    pub fetch_url: &'a str,
    pub auth: Option<&'a Auth>,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub dest: &'a Path,
}

pub(crate) fn download(http: &Http, req: &Request, progress: &mut dyn Progress) -> Result<()> {
    if let Some(dir) = req.dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HubError::io(dir, e))?;
    }
    let partial = Partial::for_dest(req.dest);
    let want = Sidecar {
        source_url: req.source_url.to_string(),
        sha256: req.sha256.clone(),
        validator: None,
        size: req.size,
    };
    // A server that refuses the range of a part it should know (416) gets one fresh try.
    for attempt in 0..2 {
        let resume = partial.resumable(&want)?;
        let have = resume.as_ref().map_or(0, |(n, _)| *n);
        if have > 0 && Some(have) == req.size {
            // Everything arrived last time; only the checks and the rename were left.
            return finish(req, &partial, have, progress);
        }
        let mut headers = Vec::new();
        if let Some((n, saved)) = &resume {
            headers.push(("Range", format!("bytes={n}-")));
            // Equal SHA-256s already prove it is the same file; otherwise If-Range asks the
            // server to send the whole (new) file if it changed.
            if req.sha256.is_none() {
                if let Some(v) = &saved.validator {
                    headers.push(("If-Range", v.clone()));
                }
            }
        }
        let reply = http.send(Method::Get, req.fetch_url, &headers, req.auth, Follow::All)?;
        if reply.status() == 416 {
            // "bytes */N": the part may already be the whole file (a run stopped between the
            // last byte and the rename); else it is of no use and the download starts over.
            let whole = reply
                .header("content-range")
                .and_then(|c| c.strip_prefix("bytes */"))
                .and_then(|n| n.parse::<u64>().ok());
            if have > 0 && whole == Some(have) {
                return finish(req, &partial, have, progress);
            }
            if attempt == 0 {
                partial.remove()?;
                continue;
            }
        }
        check_status(&reply)?;
        let (offset, total) = body_range(&reply, have)?;
        if let (Some(t), Some(s)) = (total, req.size) {
            if t != s {
                partial.remove()?;
                return Err(HubError::Size {
                    url: req.source_url.to_string(),
                    expected: s,
                    actual: t,
                });
            }
        }
        let sidecar = Sidecar {
            validator: validator(&reply),
            size: total.or(req.size),
            ..want.clone()
        };
        partial.save(&sidecar)?;
        let got = receive(reply, req, &partial, offset, sidecar.size, progress)?;
        return finish(req, &partial, got, progress);
    }
    unreachable!("the second attempt returns")
}

/// Where the body starts in the file and the file's full size: a 206 continues at `have`, a
/// 200 is the whole file from byte 0.
fn body_range(reply: &Reply, have: u64) -> Result<(u64, Option<u64>)> {
    let bad = |detail: String| HubError::Protocol {
        url: reply.url.clone(),
        detail,
    };
    let length = reply
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok());
    if reply.status() != 206 {
        return Ok((0, length));
    }
    // Content-Range: bytes START-END/TOTAL
    let cr = reply
        .header("content-range")
        .ok_or_else(|| bad("206 without Content-Range".into()))?;
    let parsed = cr.strip_prefix("bytes ").and_then(|r| {
        let (span, total) = r.split_once('/')?;
        let (start, _) = span.split_once('-')?;
        Some((start.parse::<u64>().ok()?, total.parse::<u64>().ok()))
    });
    match parsed {
        Some((start, total)) if start == have => Ok((have, total)),
        _ => Err(bad(format!(
            "asked for bytes {have}- but got Content-Range {cr:?}"
        ))),
    }
}

/// A strong validator for If-Range (weak ETags are not allowed there).
fn validator(reply: &Reply) -> Option<String> {
    reply
        .header("etag")
        .filter(|e| !e.starts_with("W/"))
        .or_else(|| reply.header("last-modified"))
        .map(str::to_string)
}

/// Streams the body into the part file (appended at `offset`), returning the part's length.
fn receive(
    reply: Reply,
    req: &Request,
    partial: &Partial,
    offset: u64,
    total: Option<u64>,
    progress: &mut dyn Progress,
) -> Result<u64> {
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .append(offset > 0)
        .truncate(offset == 0)
        .open(&partial.part)
        .map_err(|e| HubError::io(&partial.part, e))?;
    let name = req
        .dest
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into());
    progress.start(&name, total, offset);
    let mut body = reply.response.into_body().into_reader();
    let copied = copy_body(&mut body, &mut file, &partial.part, offset, total, progress);
    progress.finish();
    let got = offset + copied?;
    file.sync_all()
        .map_err(|e| HubError::io(&partial.part, e))?;
    Ok(got)
}

/// Copies until the body ends. A failed read is an interruption (the part is kept to resume);
/// a failed write is the disk's (ENOSPC reported as such).
pub(crate) fn copy_body(
    body: &mut impl Read,
    file: &mut impl Write,
    part: &Path,
    offset: u64,
    total: Option<u64>,
    progress: &mut dyn Progress,
) -> Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let mut copied = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(HubError::Interrupted {
                    got: offset + copied,
                    total: total.map_or_else(|| "?".into(), |t| t.to_string()),
                    detail: e.to_string(),
                })
            }
        };
        if let Err(e) = file.write_all(&buf[..n]).and_then(|_| file.flush()) {
            return Err(if is_disk_full(&e) {
                HubError::DiskFull {
                    path: part.to_path_buf(),
                    written: offset + copied,
                }
            } else {
                HubError::io(part, e)
            });
        }
        copied += n as u64;
        progress.advance(n as u64);
    }
}

/// Checks size and SHA-256, then moves the part into place. A short file stays a part (to
/// resume); a long or wrong one is deleted.
fn finish(req: &Request, partial: &Partial, got: u64, progress: &mut dyn Progress) -> Result<()> {
    let url = req.source_url.to_string();
    match req.size {
        Some(s) if got < s => {
            return Err(HubError::Interrupted {
                got,
                total: s.to_string(),
                detail: "the response ended early".into(),
            })
        }
        Some(s) if got > s => {
            partial.remove()?;
            return Err(HubError::Size {
                url,
                expected: s,
                actual: got,
            });
        }
        _ => {}
    }
    if let Some(n) = std::fs::read(&partial.sidecar)
        .ok()
        .and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok())
        .and_then(|s| s.size)
        .filter(|&n| got < n)
    {
        return Err(HubError::Interrupted {
            got,
            total: n.to_string(),
            detail: "the response ended early".into(),
        });
    }
    progress.note("verifying SHA-256");
    let actual = sha256_file(&partial.part)?;
    if let Some(expected) = &req.sha256 {
        if *expected != actual {
            partial.remove()?;
            return Err(HubError::Checksum {
                url,
                expected: expected.clone(),
                actual,
            });
        }
    }
    Meta::new(req.source, req.source_url, got, actual).write(req.dest)?;
    std::fs::rename(&partial.part, req.dest).map_err(|e| HubError::io(req.dest, e))?;
    let _ = std::fs::remove_file(&partial.sidecar);
    Ok(())
}

pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).map_err(|e| HubError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| HubError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Quiet;

    /// A disk that fills up after `room` bytes.
    struct FullDisk {
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            let n = b.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_is_reported_as_such() {
        let data = vec![7u8; 200_000];
        let mut disk = FullDisk { room: 100_000 };
        let e = copy_body(
            &mut &data[..],
            &mut disk,
            Path::new("m.gguf.part"),
            5,
            None,
            &mut Quiet,
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, HubError::DiskFull { .. }), "{msg}");
        assert!(
            msg.contains("disk is full") && msg.contains("m.gguf.part"),
            "{msg}"
        );
    }
}
