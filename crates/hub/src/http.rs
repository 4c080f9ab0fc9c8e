//! The HTTP client: ureq with redirects followed here, so that the headers of each hop can be
//! read (Hugging Face puts the file's SHA-256 and size on the redirect) and the token is sent
//! only to the host it is for.

use crate::error::{HubError, Result};
use std::time::Duration;
use ureq::http::{HeaderMap, Response};
use ureq::Body;

const MAX_REDIRECTS: usize = 10;

/// A bearer token and the origin (`scheme://host:port`) it may be sent to.
#[derive(Clone, Debug)]
pub(crate) struct Auth {
    pub token: String,
    pub origin: String,
}

pub(crate) struct Http {
    agent: ureq::Agent,
}

/// A response after redirects: its final URL, and the headers of every redirect on the way.
pub(crate) struct Reply {
    pub response: Response<Body>,
    pub url: String,
    pub redirects: Vec<HeaderMap>,
}

impl Reply {
    pub fn status(&self) -> u16 {
        self.response.status().as_u16()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header(self.response.headers(), name)
    }
}

pub(crate) fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
}

/// Which redirects `send` follows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Follow {
    All,
    /// Stops at a redirect to another origin and returns it: a HEAD must not reach a CDN's
    /// signed URL, which may be signed for GET only.
    SameOrigin,
}

impl Http {
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            // Statuses are answers to read (401 means "set HF_TOKEN"), not transport errors.
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            // A stalled transfer fails (and resumes next run) instead of hanging forever; no
            // bound on the whole body, which takes as long as 4 GB takes.
            .timeout_per_read(Some(Duration::from_secs(60)))
            .user_agent(concat!("mistral-wgpu/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent: config.into(),
        }
    }

    /// Sends `method` to `url` with `headers`, following redirects. The token goes only to
    /// `auth.origin`: a redirect to another host (a CDN with a signed URL) must not see it.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        auth: Option<&Auth>,
        follow: Follow,
    ) -> Result<Reply> {
        let mut url = url.to_string();
        let mut redirects = Vec::new();
        loop {
            let mut req = match method {
                Method::Get => self.agent.get(&url),
                Method::Head => self.agent.head(&url),
            };
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(a) = auth.filter(|a| origin(&url) == Some(a.origin.as_str())) {
                req = req.header("Authorization", format!("Bearer {}", a.token));
            }
            let response = req.call().map_err(|e| transport_error(&url, e))?;
            let status = response.status().as_u16();
            let location = header(response.headers(), "location").map(str::to_string);
            match location {
                Some(loc)
                    if (300..400).contains(&status)
                        && status != 304
                        && (follow == Follow::All || origin(&join(&url, &loc)) == origin(&url)) =>
                {
                    if redirects.len() >= MAX_REDIRECTS {
                        return Err(HubError::Protocol {
                            url,
                            detail: format!("more than {MAX_REDIRECTS} redirects"),
                        });
                    }
                    redirects.push(response.headers().clone());
                    url = join(&url, &loc);
                }
                _ => {
                    return Ok(Reply {
                        response,
                        url,
                        redirects,
                    })
                }
            }
        }
    }
}

/// Turns a non-success status into the error that tells the user what to do.
pub(crate) fn check_status(reply: &Reply) -> Result<()> {
    let status = reply.status();
    let url = reply.url.clone();
    let what = match status {
        // A redirect only comes back from Follow::SameOrigin, as the answer asked for.
        200..=299 | 301..=303 | 307 | 308 => return Ok(()),
        401 | 403 => return Err(HubError::Unauthorized { url, status }),
        404 => "not found: check the repository and file name (they are case-sensitive)",
        429 => "too many requests: wait a minute and try again",
        500..=599 => "the server failed: try again later",
        _ => "unexpected status",
    };
    Err(HubError::Http { url, status, what })
}

/// Connection-level failures, most of which mean no network (or no such host). Any I/O
/// error before a response counts: a failed DNS lookup is an uncategorised one.
fn transport_error(url: &str, e: ureq::Error) -> HubError {
    let offline = matches!(
        e,
        ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_)
            | ureq::Error::Io(_)
    );
    if offline {
        HubError::Offline {
            host: origin(url).unwrap_or(url).to_string(),
            detail: e.to_string(),
        }
    } else {
        HubError::Protocol {
            url: url.to_string(),
            detail: e.to_string(),
        }
    }
}

/// `scheme://host[:port]` of an absolute URL.
pub(crate) fn origin(url: &str) -> Option<&str> {
    let after = url.find("://")? + 3;
    let end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after + i);
    Some(&url[..end])
}

/// Resolves a Location header against the URL that sent it.
fn join(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let Some(o) = origin(base) else {
        return location.to_string();
    };
    if let Some(rest) = location.strip_prefix("//") {
        let scheme = &o[..o.find("://").unwrap_or(0)];
        return format!("{scheme}://{rest}");
    }
    if location.starts_with('/') {
        return format!("{o}{location}");
    }
    // Relative to the base's folder.
    let path_end = base.find(['?', '#']).unwrap_or(base.len());
    let dir = &base[..base[..path_end].rfind('/').map_or(path_end, |i| i + 1)];
    if dir.len() < o.len() {
        format!("{o}/{location}")
    } else {
        format!("{dir}{location}")
    }
}

/// Percent-encodes a path inside a repository (keeping `/`).
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_locations() {
        assert_eq!(origin("http://a:1/x/y?q"), Some("http://a:1"));
        assert_eq!(origin("https://a.org"), Some("https://a.org"));
        assert_eq!(join("http://a/x/y", "https://b/z"), "https://b/z");
        assert_eq!(join("http://a/x/y", "/z?s=1"), "http://a/z?s=1");
        assert_eq!(join("https://a/x/y", "//c/z"), "https://c/z");
        assert_eq!(join("http://a/x/y", "z"), "http://a/x/z");
        assert_eq!(encode_path("d/a b+.gguf"), "d/a%20b%2B.gguf");
    }
}
