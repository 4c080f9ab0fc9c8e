//! The sampling settings a model file recommends: llama.cpp's `general.sampling.*` GGUF keys
//! (gguf-py's `Keys.General.SAMPLING_*`, written by `add_sampling_top_k` and friends), under the
//! request field names. Each value is checked with [`SamplingParams::validate`]'s ranges; one
//! out of range (or of the wrong type) is left out with a warning rather than failing the
//! load: a model file's advice must never stop the model from loading.

use mistral_formats::gguf::Metadata;
use serde::Serialize;

use crate::params::SamplingParams;

/// The sampling settings the model file recommends (llama.cpp's `general.sampling.*` keys),
/// under the request's field names. A setting the file does not give is absent; so is one out
/// of the range a request accepts (`ModelInfo.warnings` then says why).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct SamplingDefaults {
    /// From `general.sampling.temp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// From `general.sampling.top_k`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<usize>,
    /// From `general.sampling.top_p`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    /// From `general.sampling.min_p`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f32>,
    /// From `general.sampling.penalty_repeat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repetition_penalty: Option<f32>,
    /// From `general.sampling.penalty_last_n`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty_last_n: Option<usize>,
}

/// The GGUF keys, as llama.cpp names them (gguf-py constants.py, `Keys.General`).
pub const KEY_TEMP: &str = "general.sampling.temp";
pub const KEY_TOP_K: &str = "general.sampling.top_k";
pub const KEY_TOP_P: &str = "general.sampling.top_p";
pub const KEY_MIN_P: &str = "general.sampling.min_p";
pub const KEY_PENALTY_REPEAT: &str = "general.sampling.penalty_repeat";
pub const KEY_PENALTY_LAST_N: &str = "general.sampling.penalty_last_n";

/// What [`SamplingDefaults::from_metadata`] found: the usable values, and a sentence for each
/// value it left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadDefaults {
    pub defaults: SamplingDefaults,
    pub warnings: Vec<String>,
}

impl SamplingDefaults {
    /// Reads the `general.sampling.*` keys of a GGUF's metadata.
    pub fn from_metadata(md: &Metadata) -> ReadDefaults {
        let mut read = Reader {
            md,
            warnings: Vec::new(),
        };
        let defaults = SamplingDefaults {
            temperature: read.float(KEY_TEMP, |p, v| p.temperature = v),
            top_k: read.count(KEY_TOP_K, |p, v| p.top_k = v),
            top_p: read.float(KEY_TOP_P, |p, v| p.top_p = v),
            min_p: read.float(KEY_MIN_P, |p, v| p.min_p = v),
            repetition_penalty: read.float(KEY_PENALTY_REPEAT, |p, v| p.repetition_penalty = v),
            penalty_last_n: read.count(KEY_PENALTY_LAST_N, |p, v| p.penalty_last_n = v),
        };
        ReadDefaults {
            defaults,
            warnings: read.warnings,
        }
    }

    /// Whether the file gave none.
    pub fn is_empty(&self) -> bool {
        *self == SamplingDefaults::default()
    }

    /// Sets each setting the file gives on `params` (the settings a caller did not choose).
    pub fn apply_to(&self, params: &mut SamplingParams) {
        let SamplingDefaults {
            temperature,
            top_k,
            top_p,
            min_p,
            repetition_penalty,
            penalty_last_n,
        } = *self;
        params.temperature = temperature.unwrap_or(params.temperature);
        params.top_k = top_k.unwrap_or(params.top_k);
        params.top_p = top_p.unwrap_or(params.top_p);
        params.min_p = min_p.unwrap_or(params.min_p);
        params.repetition_penalty = repetition_penalty.unwrap_or(params.repetition_penalty);
        params.penalty_last_n = penalty_last_n.unwrap_or(params.penalty_last_n);
    }

    /// These defaults without the settings `request` (an OpenAI-shaped JSON object) gives, under
    /// their names or aliases (`repeat_penalty`, `repeat_last_n`); a field given as null counts
    /// as not given, as the request parser reads it. What is left is what a server fills in.
    pub fn not_given_in(&self, request: &serde_json::Value) -> SamplingDefaults {
        fn unless<T>(given: bool, v: Option<T>) -> Option<T> {
            if given {
                None
            } else {
                v
            }
        }
        let given = |names: &[&str]| names.iter().any(|n| !request[*n].is_null());
        SamplingDefaults {
            temperature: unless(given(&["temperature"]), self.temperature),
            top_k: unless(given(&["top_k"]), self.top_k),
            top_p: unless(given(&["top_p"]), self.top_p),
            min_p: unless(given(&["min_p"]), self.min_p),
            repetition_penalty: unless(
                given(&["repetition_penalty", "repeat_penalty"]),
                self.repetition_penalty,
            ),
            penalty_last_n: unless(
                given(&["penalty_last_n", "repeat_last_n"]),
                self.penalty_last_n,
            ),
        }
    }

    /// `name value` pairs, in request field order, for a one-line summary.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut push = |name, v: Option<String>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        push("temperature", self.temperature.map(|v| v.to_string()));
        push("top_k", self.top_k.map(|v| v.to_string()));
        push("top_p", self.top_p.map(|v| v.to_string()));
        push("min_p", self.min_p.map(|v| v.to_string()));
        push(
            "repetition_penalty",
            self.repetition_penalty.map(|v| v.to_string()),
        );
        push("penalty_last_n", self.penalty_last_n.map(|v| v.to_string()));
        out
    }
}

struct Reader<'a> {
    md: &'a Metadata,
    warnings: Vec<String>,
}

impl Reader<'_> {
    /// The key's number, if the file has one of the right type.
    fn number(&mut self, key: &str) -> Option<f64> {
        match self.md.get_f64(key) {
            Ok(v) => v,
            Err(e) => {
                self.warnings.push(format!("{e}: ignored"));
                None
            }
        }
    }

    /// The value, if `SamplingParams::validate` accepts it once `set` puts it on the defaults.
    fn checked<T: Copy>(
        &mut self,
        key: &str,
        value: T,
        set: impl FnOnce(&mut SamplingParams, T),
    ) -> Option<T> {
        let mut p = SamplingParams::default();
        set(&mut p, value);
        match p.validate() {
            Ok(()) => Some(value),
            Err(e) => {
                self.warnings.push(format!("{key}: ignored: {e}"));
                None
            }
        }
    }

    fn float(&mut self, key: &str, set: impl FnOnce(&mut SamplingParams, f32)) -> Option<f32> {
        let v = self.number(key)?;
        self.checked(key, v as f32, set)
    }

    /// A count: a whole number >= 0 (llama.cpp's -1, "the whole context", has no equivalent in
    /// a request, so it is left out like any other negative value).
    fn count(&mut self, key: &str, set: impl FnOnce(&mut SamplingParams, usize)) -> Option<usize> {
        let v = self.number(key)?;
        if !(v >= 0.0 && v.fract() == 0.0 && v <= usize::MAX as f64) {
            self.warnings.push(format!(
                "{key}: ignored: must be a whole number >= 0, got {v}"
            ));
            return None;
        }
        self.checked(key, v as usize, set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mistral_formats::gguf::{GgufFile, GgufWriter, MetadataValue as V};

    /// The metadata of a GGUF written with these keys and read back.
    fn gguf_with(keys: &[(&str, V)]) -> Metadata {
        let mut w = GgufWriter::new();
        w.metadata
            .set("general.architecture", V::String("llama".into()));
        for (k, v) in keys {
            w.metadata.set(k, v.clone());
        }
        GgufFile::read(&w.to_bytes().unwrap()).unwrap().metadata
    }

    #[test]
    fn every_key_is_read_under_its_request_name() {
        // The types gguf-py's writer uses: int32 for counts, float32 for the rest.
        let md = gguf_with(&[
            (KEY_TEMP, V::F32(0.6)),
            (KEY_TOP_K, V::I32(20)),
            (KEY_TOP_P, V::F32(0.95)),
            (KEY_MIN_P, V::F32(0.05)),
            (KEY_PENALTY_REPEAT, V::F32(1.1)),
            (KEY_PENALTY_LAST_N, V::I32(128)),
        ]);
        let read = SamplingDefaults::from_metadata(&md);
        assert_eq!(read.warnings, Vec::<String>::new());
        let d = read.defaults;
        assert_eq!(
            d,
            SamplingDefaults {
                temperature: Some(0.6),
                top_k: Some(20),
                top_p: Some(0.95),
                min_p: Some(0.05),
                repetition_penalty: Some(1.1),
                penalty_last_n: Some(128),
            }
        );
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"temperature": 0.6f32, "top_k": 20, "top_p": 0.95f32,
                "min_p": 0.05f32, "repetition_penalty": 1.1f32, "penalty_last_n": 128})
        );
        let mut p = SamplingParams::default();
        d.apply_to(&mut p);
        assert_eq!((p.temperature, p.top_k, p.penalty_last_n), (0.6, 20, 128));
        assert_eq!(
            p.presence_penalty, 0.0,
            "settings the file lacks keep theirs"
        );
    }

    #[test]
    fn a_file_without_the_keys_gives_nothing() {
        let read = SamplingDefaults::from_metadata(&gguf_with(&[]));
        assert!(read.defaults.is_empty() && read.warnings.is_empty());
        assert_eq!(
            serde_json::to_string(&read.defaults).unwrap(),
            "{}",
            "absent keys are left out, not null"
        );
        let mut p = SamplingParams::default();
        read.defaults.apply_to(&mut p);
        assert_eq!(p, SamplingParams::default());
    }

    #[test]
    fn bad_values_are_left_out_with_a_warning() {
        let md = gguf_with(&[
            (KEY_TEMP, V::F32(250.0)),
            (KEY_TOP_K, V::I32(-1)),
            (KEY_TOP_P, V::F32(0.0)),
            (KEY_MIN_P, V::String("0.1".into())),
            (KEY_PENALTY_REPEAT, V::F32(1.05)),
            (KEY_PENALTY_LAST_N, V::F32(f32::NAN)),
        ]);
        let read = SamplingDefaults::from_metadata(&md);
        assert_eq!(
            read.defaults,
            SamplingDefaults {
                repetition_penalty: Some(1.05),
                ..Default::default()
            },
            "only the valid value is kept"
        );
        let w = read.warnings.join("\n");
        assert_eq!(read.warnings.len(), 5, "{w}");
        for needle in [
            "general.sampling.temp: ignored: temperature: must be from 0 (greedy) to 100, got 250",
            "general.sampling.top_k: ignored: must be a whole number >= 0, got -1",
            "general.sampling.top_p: ignored: top_p: must be above 0 and at most 1, got 0",
            "general.sampling.min_p",
            "general.sampling.penalty_last_n: ignored",
        ] {
            assert!(w.contains(needle), "{needle:?} not in:\n{w}");
        }
    }

    #[test]
    fn a_request_keeps_what_it_gives_and_gets_the_rest_from_the_file() {
        let file = SamplingDefaults {
            temperature: Some(0.2),
            top_k: Some(20),
            top_p: Some(0.8),
            min_p: Some(0.05),
            repetition_penalty: Some(1.1),
            penalty_last_n: Some(32),
        };
        let request = serde_json::json!({
            "messages": [], "temperature": 1.0, "top_k": null, "repeat_penalty": 1.3,
            "repeat_last_n": 8
        });
        let left = file.not_given_in(&request);
        assert_eq!(
            left,
            SamplingDefaults {
                temperature: None,
                top_k: Some(20), // null is not given
                top_p: Some(0.8),
                min_p: Some(0.05),
                repetition_penalty: None, // given under its alias
                penalty_last_n: None,
            }
        );
        let mut params = SamplingParams::from_json(r#"{"temperature": 1.0}"#).unwrap();
        left.apply_to(&mut params);
        assert_eq!((params.temperature, params.top_k), (1.0, 20));
    }
}
