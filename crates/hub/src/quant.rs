//! Picking a repository's GGUF file by quantization type (`hf:OWNER/REPO:Q4_K_M`).

use crate::error::{HubError, Result};

/// Whether `path`'s file name is a `.gguf` whose name carries `quant` as a whole word:
/// `Q4_K` matches `m.Q4_K.gguf` and `m-q4_k-00001-of-00002.gguf` but not `m.Q4_K_M.gguf`.
pub fn matches_quant(path: &str, quant: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let Some(stem) = name.strip_suffix(".gguf") else {
        return false;
    };
    let q = quant.to_ascii_lowercase();
    let b = stem.as_bytes();
    stem.match_indices(&q).any(|(i, _)| {
        let end = i + q.len();
        (i == 0 || b"._-".contains(&b[i - 1])) && (end == b.len() || b".-".contains(&b[end]))
    })
}

/// `-00001-of-00003` at the end of a stem: one shard of a split GGUF.
fn is_shard(path: &str) -> bool {
    let stem = path.trim_end_matches(".gguf");
    let tail: Vec<&str> = stem.rsplitn(4, '-').collect();
    tail.len() == 4
        && tail[1] == "of"
        && [tail[0], tail[2]]
            .iter()
            .all(|n| n.len() == 5 && n.bytes().all(|c| c.is_ascii_digit()))
}

/// The one file of `files` (repository paths) of type `quant`; a clear error for none, for
/// several, and for a model split into shards (which the engine does not read).
pub fn pick(repo: &str, quant: &str, files: &[String]) -> Result<String> {
    let found: Vec<&String> = files.iter().filter(|f| matches_quant(f, quant)).collect();
    let ggufs: Vec<&str> = files
        .iter()
        .filter(|f| f.to_ascii_lowercase().ends_with(".gguf"))
        .map(String::as_str)
        .collect();
    match found.as_slice() {
        [one] if !is_shard(one) => Ok((*one).clone()),
        [] if ggufs.is_empty() => Err(HubError::NoMatch(format!(
            "hf:{repo} has no .gguf file (a safetensors repository? download it and pass the \
             folder with --model PATH)"
        ))),
        [] => Err(HubError::NoMatch(format!(
            "hf:{repo} has no GGUF file of type {quant}; its GGUF files are: {}",
            ggufs.join(", ")
        ))),
        several if several.iter().all(|f| is_shard(f)) => Err(HubError::NoMatch(format!(
            "hf:{repo}:{quant} is split into {} shards ({}), which mistral-wgpu cannot load; \
             merge them with llama.cpp's llama-gguf-split --merge and pass the file with --model",
            several.len(),
            several
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        several => Err(HubError::NoMatch(format!(
            "hf:{repo}:{quant} matches {} files: {}; name one with hf:{repo}/FILE",
            several.len(),
            several
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quant_is_a_whole_word() {
        assert!(matches_quant(
            "mistral-7b-instruct-v0.2.Q4_K_M.gguf",
            "Q4_K_M"
        ));
        assert!(matches_quant("dir/model-q4_k_m.gguf", "Q4_K_M"));
        assert!(matches_quant("Model_Q8_0.gguf", "q8_0"));
        assert!(!matches_quant("m.Q4_K_M.gguf", "Q4_K"));
        assert!(!matches_quant("m.IQ4_XS.gguf", "Q4_XS"));
        assert!(!matches_quant("m.Q4_0_4_4.gguf", "Q4_0"));
        assert!(!matches_quant("m.Q4_K_M.bin", "Q4_K_M"));
        assert!(is_shard("m-Q4_K_M-00001-of-00002.gguf"));
    }

    #[test]
    fn picks_one_or_explains() {
        let files: Vec<String> = ["README.md", "m.Q4_K_M.gguf", "m.Q4_K_S.gguf", "m.Q8_0.gguf"]
            .map(String::from)
            .into();
        assert_eq!(pick("o/r", "q4_k_m", &files).unwrap(), "m.Q4_K_M.gguf");
        let none = pick("o/r", "Q5_K_M", &files).unwrap_err().to_string();
        assert!(none.contains("no GGUF file of type Q5_K_M") && none.contains("m.Q8_0.gguf"));
        let two: Vec<String> = ["a.Q4_0.gguf", "b/a.Q4_0.gguf"].map(String::from).into();
        let e = pick("o/r", "Q4_0", &two).unwrap_err().to_string();
        assert!(
            e.contains("matches 2 files") && e.contains("hf:o/r/FILE"),
            "{e}"
        );
        let shards: Vec<String> = ["a-Q4_0-00001-of-00002.gguf", "a-Q4_0-00002-of-00002.gguf"]
            .map(String::from)
            .into();
        let e = pick("o/r", "Q4_0", &shards).unwrap_err().to_string();
        assert!(e.contains("split into 2 shards"), "{e}");
    }
}
