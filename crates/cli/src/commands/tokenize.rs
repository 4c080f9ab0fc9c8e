//! `tokenize`: ids as JSON, for one text or a JSON array of texts.

use crate::text_loading::tokenizer_from_path;
use anyhow::{Context, Result};
use std::path::Path;

pub fn run(model: &Path, text: Option<&str>, input: Option<&Path>) -> Result<()> {
    let tok = tokenizer_from_path(model)?;
    let encode = |t: &str| tok.encode(t, tok.add_bos());
    let json = match (text, input) {
        (Some(t), _) => serde_json::to_string(&encode(t)?)?,
        (None, Some(path)) => {
            let texts: Vec<String> = serde_json::from_str(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            )
            .with_context(|| format!("{} must hold a JSON array of strings", path.display()))?;
            let ids = texts
                .iter()
                .map(|t| encode(t))
                .collect::<Result<Vec<_>, _>>()?;
            serde_json::to_string(&ids)?
        }
        (None, None) => anyhow::bail!("pass --text TEXT or --input FILE.json"),
    };
    println!("{json}");
    Ok(())
}
