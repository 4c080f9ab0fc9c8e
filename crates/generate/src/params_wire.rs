//! [`SamplingParams`] as JSON: OpenAI's field names (`temperature`, `top_p`, `stop`,
//! `max_tokens`, `presence_penalty`, `frequency_penalty`, `logit_bias`, `seed`, `logprobs`,
//! `top_logprobs`) plus llama.cpp's extensions (`top_k`, `min_p`, `repetition_penalty` alias
//! `repeat_penalty`, `penalty_last_n` alias `repeat_last_n`). Every field may be absent or null
//! (the default). The npm package's TypeScript request type is generated from [`WireParams`]. An unknown field is an error, never silently dropped: a client that asks for
//! something we do not do must learn it. Values are range-checked while deserializing.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{invalid, GenerateError};
use crate::params::SamplingParams;

/// The sampling fields of a request: OpenAI's names plus llama.cpp's extensions, with the
/// same names and ranges as the CLI and its HTTP server. Absent or `null` means the default.
/// Sampling order: logit bias, penalties, temperature, top-k, top-p, min-p, then the draw.
///
/// (In Rust: the JSON shape `SamplingParams` is parsed from. Aliases are fields of their own,
/// so that both names are declared; giving both is an error.)
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(rename = "SamplingFields", optional_fields = nullable)
)]
pub struct WireParams {
    /// 0 to 100, default 0.7; 0 samples greedily.
    temperature: Option<f32>,
    /// Nucleus sampling mass, in (0, 1], default 1.
    top_p: Option<f32>,
    /// Keep the k most likely tokens; default 40, 0 = no limit.
    top_k: Option<usize>,
    /// Drop tokens less likely than min_p times the most likely one; 0 to 1, default 0.
    min_p: Option<f32>,
    /// llama.cpp's repeat penalty over the last `penalty_last_n` tokens (prompt and answer): a
    /// positive logit is divided by it, a negative one multiplied. (0, 10], default 1 (off).
    repetition_penalty: Option<f32>,
    /// Alias of `repetition_penalty` (llama.cpp's name); give one or the other.
    repeat_penalty: Option<f32>,
    /// OpenAI's: subtracted once from the logit of every token in the window. -2 to 2, default 0.
    presence_penalty: Option<f32>,
    /// OpenAI's: subtracted once per occurrence in the window. -2 to 2, default 0.
    frequency_penalty: Option<f32>,
    /// The window the penalties look at, in tokens; default 64, 0 = penalties off.
    penalty_last_n: Option<usize>,
    /// Alias of `penalty_last_n` (llama.cpp's name); give one or the other.
    repeat_last_n: Option<usize>,
    /// Token id (as a string, as in OpenAI's JSON) to a bias from -100 to 100 added to its
    /// logit before anything else: -100 bans the token, +100 all but forces it.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number> | null", optional))]
    logit_bias: Option<BTreeMap<String, f32>>,
    /// Seed of the sampler, for reproducible output.
    seed: Option<u64>,
    /// Generation stops before any of these strings (at most 16, each at most 1024 bytes),
    /// which are not returned. Empty strings are ignored.
    #[cfg_attr(feature = "ts", ts(inline))]
    stop: Option<StopWire>,
    /// Most tokens to generate (default: the rest of the context; 512 for a model with a
    /// sliding window).
    max_tokens: Option<usize>,
    /// Alias of `max_tokens` (OpenAI's newer name); give one or the other.
    max_completion_tokens: Option<usize>,
    /// Per-token log probabilities in `choices[0].logprobs.content` (the model's own
    /// distribution, before bias, penalties and temperature). The legacy `logprobs: n` means
    /// `logprobs: true, top_logprobs: n`.
    #[cfg_attr(feature = "ts", ts(inline))]
    logprobs: Option<LogprobsWire>,
    /// With `logprobs: true`: this many most likely alternatives per token, 0 to 20 (default 0).
    top_logprobs: Option<usize>,
}

/// OpenAI's `stop`: one string or a list.
#[derive(Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
enum StopWire {
    One(String),
    Many(Vec<String>),
}

/// Chat completions take `logprobs: true` (+ `top_logprobs: n`), completions `logprobs: n`.
#[derive(Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
enum LogprobsWire {
    Flag(bool),
    Count(usize),
}

/// The value of a field given under one of two names (absent or null under both: None).
fn one_of<T>(
    name: &str,
    value: Option<T>,
    alias: &str,
    aliased: Option<T>,
) -> Result<Option<T>, GenerateError> {
    match (value, aliased) {
        (Some(_), Some(_)) => Err(GenerateError::InvalidRequest(format!(
            "duplicate field `{name}` (given both as `{name}` and as `{alias}`)"
        ))),
        (v, a) => Ok(v.or(a)),
    }
}

impl TryFrom<WireParams> for SamplingParams {
    type Error = GenerateError;

    fn try_from(w: WireParams) -> Result<Self, GenerateError> {
        let d = SamplingParams::default();
        let repetition_penalty = one_of(
            "repetition_penalty",
            w.repetition_penalty,
            "repeat_penalty",
            w.repeat_penalty,
        )?;
        let penalty_last_n = one_of(
            "penalty_last_n",
            w.penalty_last_n,
            "repeat_last_n",
            w.repeat_last_n,
        )?;
        let max_tokens = one_of(
            "max_tokens",
            w.max_tokens,
            "max_completion_tokens",
            w.max_completion_tokens,
        )?;
        let logprobs = match (w.logprobs, w.top_logprobs) {
            (Some(LogprobsWire::Flag(true)), n) => Some(n.unwrap_or(0)),
            (Some(LogprobsWire::Count(n)), None) => Some(n),
            (Some(LogprobsWire::Count(_)), Some(_)) => {
                return Err(invalid(
                    "top_logprobs",
                    "give either logprobs: n or logprobs: true with top_logprobs: n",
                ))
            }
            (None | Some(LogprobsWire::Flag(false)), Some(_)) => {
                return Err(invalid("top_logprobs", "needs logprobs: true"))
            }
            (None | Some(LogprobsWire::Flag(false)), None) => None,
        };
        let mut logit_bias = BTreeMap::new();
        for (key, bias) in w.logit_bias.unwrap_or_default() {
            let id: u32 = key
                .trim()
                .parse()
                .map_err(|_| invalid("logit_bias", format!("keys are token ids, got {key:?}")))?;
            logit_bias.insert(id, bias);
        }
        let stop = match w.stop {
            None => Vec::new(),
            Some(StopWire::One(s)) => vec![s],
            Some(StopWire::Many(v)) => v,
        };
        let p = SamplingParams {
            temperature: w.temperature.unwrap_or(d.temperature),
            top_k: w.top_k.unwrap_or(d.top_k),
            top_p: w.top_p.unwrap_or(d.top_p),
            min_p: w.min_p.unwrap_or(d.min_p),
            repetition_penalty: repetition_penalty.unwrap_or(d.repetition_penalty),
            presence_penalty: w.presence_penalty.unwrap_or(d.presence_penalty),
            frequency_penalty: w.frequency_penalty.unwrap_or(d.frequency_penalty),
            penalty_last_n: penalty_last_n.unwrap_or(d.penalty_last_n),
            logit_bias,
            seed: w.seed,
            // An empty stop string would match before any text: ignored, as OpenAI does.
            stop: stop.into_iter().filter(|s| !s.is_empty()).collect(),
            max_tokens,
            logprobs,
        };
        p.validate()?;
        Ok(p)
    }
}

impl<'de> Deserialize<'de> for SamplingParams {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = WireParams::deserialize(d)?;
        SamplingParams::try_from(wire).map_err(serde::de::Error::custom)
    }
}

impl SamplingParams {
    /// Parses OpenAI-shaped JSON sampling fields (see the module docs).
    pub fn from_json(json: &str) -> crate::Result<Self> {
        serde_json::from_str(json).map_err(|e| GenerateError::InvalidRequest(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<SamplingParams, String> {
        SamplingParams::from_json(json).map_err(|e| e.to_string())
    }

    #[test]
    fn openai_fields_parse_and_absent_or_null_mean_default() {
        assert_eq!(parse("{}").unwrap(), SamplingParams::default());
        assert_eq!(
            parse(r#"{"temperature": null, "stop": null}"#).unwrap(),
            SamplingParams::default()
        );
        let p = parse(
            r#"{"temperature": 0.2, "top_p": 0.9, "top_k": 5, "min_p": 0.05,
                "repeat_penalty": 1.1, "presence_penalty": 0.5, "frequency_penalty": -0.5,
                "repeat_last_n": 32, "logit_bias": {"7": -100, " 9": 2.5}, "seed": 42,
                "stop": "\n", "max_completion_tokens": 10, "logprobs": true, "top_logprobs": 3}"#,
        )
        .unwrap();
        assert_eq!(
            p,
            SamplingParams {
                temperature: 0.2,
                top_k: 5,
                top_p: 0.9,
                min_p: 0.05,
                repetition_penalty: 1.1,
                presence_penalty: 0.5,
                frequency_penalty: -0.5,
                penalty_last_n: 32,
                logit_bias: [(7, -100.0), (9, 2.5)].into(),
                seed: Some(42),
                stop: vec!["\n".into()],
                max_tokens: Some(10),
                logprobs: Some(3),
            }
        );
        assert_eq!(
            parse(r#"{"stop": ["a", "", "b"]}"#).unwrap().stop,
            ["a", "b"]
        );
        assert_eq!(parse(r#"{"logprobs": 2}"#).unwrap().logprobs, Some(2));
        assert_eq!(parse(r#"{"logprobs": false}"#).unwrap().logprobs, None);
        assert_eq!(parse(r#"{"logprobs": true}"#).unwrap().logprobs, Some(0));
        // An alias given as null beside its field is absent, not a duplicate.
        let p = parse(r#"{"max_tokens": 3, "max_completion_tokens": null}"#).unwrap();
        assert_eq!(p.max_tokens, Some(3));
    }

    #[test]
    fn unknown_fields_and_bad_values_are_errors() {
        let e = parse(r#"{"temperature": 1, "mirostat": 2}"#).unwrap_err();
        assert!(e.contains("unknown field `mirostat`"), "{e}");
        for (json, needle) in [
            (r#"{"temperature": -1}"#, "temperature"),
            (r#"{"temperature": "hot"}"#, "invalid type"),
            (r#"{"top_p": 0}"#, "top_p"),
            (r#"{"top_k": -1}"#, "invalid value"),
            (r#"{"logit_bias": {"x": 1}}"#, "keys are token ids"),
            (r#"{"logit_bias": {"1": 500}}"#, "logit_bias"),
            (r#"{"top_logprobs": 2}"#, "needs logprobs: true"),
            (r#"{"logprobs": 2, "top_logprobs": 2}"#, "either"),
            (r#"{"logprobs": 50}"#, "top_logprobs"),
            (
                r#"{"max_tokens": 1, "max_completion_tokens": 2}"#,
                "duplicate field",
            ),
            (r#"{"presence_penalty": 3}"#, "presence_penalty"),
            (
                r#"{"repeat_penalty": 1.1, "repetition_penalty": 1.2}"#,
                "given both as `repetition_penalty` and as `repeat_penalty`",
            ),
        ] {
            let e = parse(json).unwrap_err();
            assert!(e.contains(needle), "{json}: {e}");
        }
    }
}
