//! From a `--model` value to a file on disk: local paths as they are, remote files from the
//! cache, downloading them first when they are not there yet.

use crate::cache::Cache;
use crate::config::HubConfig;
use crate::download::{download, Request};
use crate::error::Result;
use crate::hf::Hub;
use crate::http::Http;
use crate::progress::Progress;
use crate::quant::matches_quant;
use crate::source::ModelSource;
use std::path::PathBuf;

pub struct Resolver {
    pub cache: Cache,
    pub config: HubConfig,
    http: Http,
}

impl Resolver {
    pub fn new(cache: Cache, config: HubConfig) -> Self {
        Resolver {
            cache,
            config,
            http: Http::new(),
        }
    }

    /// The local path of `source`. A file already in the cache is used without asking the
    /// network (so cached models work offline); `mistral-wgpu rm` it to fetch it again.
    pub fn resolve(&self, source: &ModelSource, progress: &mut dyn Progress) -> Result<PathBuf> {
        match source {
            ModelSource::Local(p) => Ok(p.clone()),
            ModelSource::Url { url, sha256 } => {
                let dest = self.cache.url_path(url);
                if dest.is_file() {
                    return Ok(dest);
                }
                progress.note(&format!("downloading {url}"));
                let req = Request {
                    source: url,
                    source_url: url,
                    fetch_url: url,
                    // A token is for the Hub; a plain URL gets none.
                    auth: None,
                    size: None,
                    sha256: sha256.clone(),
                    dest: &dest,
                };
                download(&self.http, &req, progress)?;
                progress.note(&format!("saved {}", dest.display()));
                Ok(dest)
            }
            ModelSource::HfFile { repo, file } => self.hf_file(repo, file, progress),
            ModelSource::HfQuant { repo, quant } => {
                if let Some(cached) = self.cached_quant(repo, quant) {
                    return Ok(cached);
                }
                let hub = self.hub();
                let files = hub.list_files(repo)?;
                let file = crate::quant::pick(repo, quant, &files)?;
                progress.note(&format!("hf:{repo}:{quant} is {file}"));
                self.hf_file(repo, &file, progress)
            }
        }
    }

    fn hub(&self) -> Hub<'_> {
        Hub::new(
            &self.http,
            &self.config.endpoint,
            self.config.token.as_deref(),
        )
    }

    fn hf_file(&self, repo: &str, file: &str, progress: &mut dyn Progress) -> Result<PathBuf> {
        let dest = self.cache.hf_path(repo, file);
        if dest.is_file() {
            return Ok(dest);
        }
        let hub = self.hub();
        let remote = hub.probe(repo, file)?;
        let size = remote
            .size
            .map_or_else(String::new, |s| format!(" ({:.2} GB)", s as f64 / 1e9));
        progress.note(&format!(
            "downloading hf:{repo}/{file}{size} from {}",
            self.config.endpoint
        ));
        let source = format!("hf:{repo}/{file}");
        let req = Request {
            source: &source,
            source_url: &remote.url,
            fetch_url: &remote.url,
            auth: hub.auth.as_ref(),
            size: remote.size,
            sha256: remote.sha256,
            dest: &dest,
        };
        download(&self.http, &req, progress)?;
        progress.note(&format!("saved {}", dest.display()));
        Ok(dest)
    }

    /// The one complete cached file of `repo` of type `quant`, if exactly one is there.
    fn cached_quant(&self, repo: &str, quant: &str) -> Option<PathBuf> {
        let dir = self.cache.hf_repo_dir(repo);
        let found: Vec<PathBuf> = self
            .cache
            .list()
            .ok()?
            .into_iter()
            .filter(|e| !e.partial && e.path.starts_with(&dir))
            .filter(|e| matches_quant(&e.name, quant))
            .map(|e| e.path)
            .collect();
        match found.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }
}
