//! Getting models for mistral-wgpu: `--model` values (a path, an http(s) URL,
//! `hf:OWNER/REPO/FILE.gguf`, `hf:OWNER/REPO:QUANT`) resolved to a file on disk, downloading
//! into a shared cache with resume, size and SHA-256 checks, and an atomic rename so that a
//! file under its final name is always complete. Native only: blocking HTTP (ureq + rustls).

mod cache;
mod config;
mod download;
mod error;
mod hf;
mod http;
mod partial;
mod progress;
mod quant;
mod resolve;
mod source;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use cache::{Cache, Entry, Meta, CACHE_ENV};
pub use config::{HubConfig, DEFAULT_ENDPOINT};
pub use error::HubError;
pub use progress::{Progress, Quiet};
pub use quant::{matches_quant, pick};
pub use resolve::Resolver;
pub use source::{ModelSource, DEFAULT_MODEL};
