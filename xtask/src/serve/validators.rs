//! The file's validators and the conditional headers that use them.
//!
//! tower-http's ServeFile sends Last-Modified and honours If-Modified-Since but has no ETag
//! and ignores If-Range (0.6): a download resumed after the file changed would get a range of
//! the new file spliced onto chunks of the old one. The page's loader sends `If-Range` with
//! the validator of its first chunk; here a stale one turns the range request into a plain
//! 200 of the whole (new) file, as RFC 9110 13.1.5 says, so the loader can tell.

use axum::http::HeaderValue;
use std::fs::Metadata;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct Validators {
    /// Strong: `"<size hex>-<mtime ns hex>"`.
    pub etag: String,
    /// Whole seconds, as Last-Modified carries it.
    modified: Option<SystemTime>,
}

impl Validators {
    pub fn of(meta: &Metadata) -> Validators {
        let modified = meta.modified().ok();
        let nanos = modified
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Validators {
            etag: format!("\"{:x}-{nanos:x}\"", meta.len()),
            modified: modified.map(whole_seconds),
        }
    }

    /// `If-None-Match: "a", W/"b"` or `*` (weak comparison, RFC 9110 13.1.2): true when the
    /// client's copy is current (304).
    pub fn none_match_hits(&self, header: &HeaderValue) -> bool {
        let Ok(header) = header.to_str() else {
            return false;
        };
        header
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == self.etag)
    }

    /// `If-Range` (RFC 9110 13.1.5): true when the range may be served. An entity tag must
    /// match strongly (a weak one never does); a date must equal Last-Modified exactly.
    pub fn if_range_holds(&self, header: &HeaderValue) -> bool {
        let Ok(value) = header.to_str() else {
            return false;
        };
        let value = value.trim();
        if value.starts_with('"') || value.starts_with("W/") {
            return value == self.etag;
        }
        match (httpdate::parse_http_date(value), self.modified) {
            (Ok(date), Some(modified)) => date == modified,
            _ => false,
        }
    }
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + std::time::Duration::from_secs(secs)
}
