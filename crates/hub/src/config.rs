//! Where models come from and who asks: the Hugging Face endpoint and token, from the
//! environment as `huggingface_hub` reads them.

use std::path::PathBuf;

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

#[derive(Clone, Debug)]
pub struct HubConfig {
    /// `HF_ENDPOINT` (a mirror, or a test server), without a trailing slash.
    pub endpoint: String,
    /// `HF_TOKEN`, else the token `huggingface-cli login` saved; sent as a bearer token to
    /// the endpoint's host only, never to a CDN it redirects to or to plain URLs.
    pub token: Option<String>,
}

impl HubConfig {
    /// From the process environment.
    pub fn from_env() -> Self {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// From any variable lookup (tests pass a closure instead of touching the environment).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let endpoint = var("HF_ENDPOINT")
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string())
            .trim()
            .trim_end_matches('/')
            .to_string();
        let token = var("HF_TOKEN")
            .or_else(|| var("HUGGING_FACE_HUB_TOKEN"))
            .or_else(|| std::fs::read_to_string(saved_token_path(&var)?).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        HubConfig { endpoint, token }
    }
}

/// `$HF_TOKEN_PATH`, else `$HF_HOME/token`, else `~/.cache/huggingface/token`.
fn saved_token_path(var: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = var("HF_TOKEN_PATH") {
        return Some(p.into());
    }
    let home = var("HF_HOME")
        .map(PathBuf::from)
        .or_else(|| Some(dirs::home_dir()?.join(".cache/huggingface")))?;
    Some(home.join("token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_hf_endpoint_and_token() {
        let c = HubConfig::from_vars(|k| match k {
            "HF_ENDPOINT" => Some("http://127.0.0.1:9/ ".into()),
            "HF_TOKEN" => Some(" hf_abc\n".into()),
            _ => None,
        });
        assert_eq!(c.endpoint, "http://127.0.0.1:9");
        assert_eq!(c.token.as_deref(), Some("hf_abc"));
        let d = HubConfig::from_vars(|k| match k {
            "HF_TOKEN_PATH" => Some("/nonexistent/token".into()),
            _ => None,
        });
        assert_eq!(d.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(d.token, None);
    }
}
