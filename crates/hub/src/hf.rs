//! The Hugging Face Hub's HTTP interface, as much of it as getting one file needs:
//! `GET {endpoint}/api/models/{repo}/tree/main?recursive=true` (the file list) and
//! `{endpoint}/{repo}/resolve/main/{file}` (the file; for LFS files a redirect to a CDN that
//! carries the SHA-256 in `X-Linked-Etag` and the size in `X-Linked-Size`).

use crate::error::{HubError, Result};
use crate::http::{check_status, encode_path, header, origin, Auth, Follow, Http, Method};
use crate::source::parse_sha256;

pub(crate) struct Hub<'a> {
    pub http: &'a Http,
    pub endpoint: &'a str,
    pub auth: Option<Auth>,
}

/// What a HEAD of the resolve URL tells before downloading.
pub(crate) struct RemoteFile {
    pub url: String,
    pub size: Option<u64>,
    pub sha256: Option<String>,
}

impl<'a> Hub<'a> {
    pub fn new(http: &'a Http, endpoint: &'a str, token: Option<&str>) -> Self {
        let auth = token.and_then(|t| {
            Some(Auth {
                token: t.to_string(),
                origin: origin(endpoint)?.to_string(),
            })
        });
        Hub {
            http,
            endpoint,
            auth,
        }
    }

    pub fn resolve_url(&self, repo: &str, file: &str) -> String {
        format!(
            "{}/{repo}/resolve/main/{}",
            self.endpoint,
            encode_path(file)
        )
    }

    /// Size and SHA-256 of a file, from the headers of the resolve URL and its redirects.
    pub fn probe(&self, repo: &str, file: &str) -> Result<RemoteFile> {
        let url = self.resolve_url(repo, file);
        // Not followed past the Hub's own origin: the redirect to the CDN carries the hash and
        // size, and the download GETs the resolve URL again (signed URLs expire).
        let reply = self.http.send(
            Method::Head,
            &url,
            &[],
            self.auth.as_ref(),
            Follow::SameOrigin,
        )?;
        check_status(&reply)?;
        let hops: Vec<_> = reply
            .redirects
            .iter()
            .chain(std::iter::once(reply.response.headers()))
            .collect();
        let first = |name: &str| hops.iter().find_map(|h| header(h, name));
        // The resolve endpoint's own ETag is the SHA-256 for LFS files (a git SHA-1, which
        // parse_sha256 ignores, for small ones); a CDN's ETag is its own business.
        let sha256 = first("x-linked-etag")
            .or_else(|| header(hops[0], "etag"))
            .map(|e| e.trim_start_matches("W/").trim_matches('"'))
            .and_then(parse_sha256);
        let size = first("x-linked-size")
            .or_else(|| {
                (reply.status() < 300)
                    .then(|| reply.header("content-length"))
                    .flatten()
            })
            .and_then(|v| v.parse().ok());
        Ok(RemoteFile { url, size, sha256 })
    }

    /// Every file path in the repository (following the API's pagination).
    pub fn list_files(&self, repo: &str) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct Item {
            #[serde(rename = "type")]
            kind: String,
            path: String,
        }
        let mut next = Some(format!(
            "{}/api/models/{repo}/tree/main?recursive=true",
            self.endpoint
        ));
        let mut files = Vec::new();
        while let Some(url) = next.take() {
            let mut reply =
                self.http
                    .send(Method::Get, &url, &[], self.auth.as_ref(), Follow::All)?;
            check_status(&reply)?;
            next = reply.header("link").and_then(next_link);
            let body = reply
                .response
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()
                .map_err(|e| HubError::Protocol {
                    url: url.clone(),
                    detail: e.to_string(),
                })?;
            let items: Vec<Item> =
                serde_json::from_slice(&body).map_err(|e| HubError::Protocol {
                    url: url.clone(),
                    detail: format!("not a file list: {e}"),
                })?;
            files.extend(
                items
                    .into_iter()
                    .filter(|i| i.kind == "file")
                    .map(|i| i.path),
            );
        }
        Ok(files)
    }
}

/// The `rel="next"` URL of a Link header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}
