//! The TypeScript declarations of every JSON type that crosses the wasm boundary, generated from
//! the Rust types (ts-rs) into `js/src/generated/engine-types.ts`. The file is checked in, so
//! the npm package type-checks and runs its unit tests without a Rust build; the test below
//! fails when it is not what the Rust types give, and says how to regenerate it. The package's
//! `types.ts` re-exports these and adds only what JavaScript alone has (callbacks, AbortSignal,
//! the engine interface, OpenAI's result objects built in JavaScript).

use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::completion::{ChatLogprob, StepOut, TopLogprob, Usage};
use crate::errors::Code;
use crate::info::{
    AdapterInfo, AdapterLimits, ContextLimitName, KernelFamily, KvPrecision, ModelInfo,
};
use crate::{ChatBegin, LoadOptions};
use mistral_generate::{
    ChatFields, FinishReason, NumberRule, RequestMessage, SamplingDefaults, StreamOptions,
    WireParams, MAX_BIAS_ENTRIES, MAX_LOGIT_BIAS, MAX_STOPS, MAX_STOP_BYTES, MAX_TOKENS_LIMIT,
    MAX_TOP_LOGPROBS, NUMBER_RULES,
};

/// Set to rewrite the file instead of comparing.
const UPDATE_VAR: &str = "MISTRAL_UPDATE_TS";

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js/src/generated/engine-types.ts")
}

/// `export type Name = ...;` with the type's docs (the field docs are inside the declaration).
fn declare<T: TS + ?Sized>(cfg: &Config) -> String {
    format!("{}export {}", T::docs().unwrap_or_default(), T::decl(cfg))
}

/// The file's text: every type, in a fixed order (requests, results, model and adapter, errors).
fn generate() -> String {
    // JSON numbers: the counts and byte sizes are far below 2^53.
    let cfg = Config::new().with_large_int("number");
    let declarations = [
        // A chat request (crates/generate: what ChatRequest::from_json reads).
        declare::<ChatFields>(&cfg),
        declare::<RequestMessage>(&cfg),
        declare::<StreamOptions>(&cfg),
        declare::<WireParams>(&cfg),
        // What the engine's calls return.
        declare::<ChatBegin>(&cfg),
        declare::<StepOut>(&cfg),
        declare::<FinishReason>(&cfg),
        declare::<ChatLogprob>(&cfg),
        declare::<TopLogprob>(&cfg),
        declare::<Usage>(&cfg),
        // Loading, the model and the adapter.
        declare::<LoadOptions>(&cfg),
        declare::<ModelInfo>(&cfg),
        declare::<SamplingDefaults>(&cfg),
        declare::<ContextLimitName>(&cfg),
        declare::<KvPrecision>(&cfg),
        declare::<KernelFamily>(&cfg),
        declare::<AdapterInfo>(&cfg),
        declare::<AdapterLimits>(&cfg),
        declare::<Code>(&cfg),
        // The values the sampling fields accept (crates/generate/src/params.rs), checked by the
        // package before a request reaches the worker and by the chat page at each field.
        declare::<NumberRule>(&cfg),
        format!(
            "/** Every numeric sampling field's accepted values (`SamplingParams::validate`). */\n\
             export const NUMBER_RULES: ReadonlyArray<NumberRule> = {};",
            serde_json::to_string_pretty(NUMBER_RULES).expect("plain data")
        ),
        format!(
            "/** The other limits of a request's sampling fields (crates/generate/src/params.rs). */\n\
             export const SAMPLING_LIMITS = {} as const;",
            serde_json::to_string_pretty(&serde_json::json!({
                "maxStops": MAX_STOPS,
                "maxStopBytes": MAX_STOP_BYTES,
                "maxTopLogprobs": MAX_TOP_LOGPROBS,
                "maxLogitBias": MAX_LOGIT_BIAS,
                "maxBiasEntries": MAX_BIAS_ENTRIES,
                "maxTokens": MAX_TOKENS_LIMIT,
            }))
            .expect("plain data")
        ),
    ];
    format!(
        "// Generated from the Rust types by crates/web/src/typescript.rs (ts-rs): do not edit.\n\
         // After changing those types, run `{UPDATE_VAR}=1 cargo test -p mistral-web --lib typescript`.\n\n{}\n",
        declarations.join("\n\n")
    )
}

#[test]
fn generated_typescript_is_current() {
    let path = path();
    let want = generate();
    if std::env::var_os(UPDATE_VAR).is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is not what the Rust types give: run `{UPDATE_VAR}=1 cargo test -p mistral-web --lib \
         typescript` and commit the file",
        path.display()
    );
}

#[test]
fn error_codes_are_their_serde_names() {
    assert_eq!(Code::NoWebgpu.name(), "no-webgpu");
    assert_eq!(Code::UnsupportedFile.name(), "unsupported-file");
    assert!(Code::decl(&Config::new()).contains(r#""out-of-memory""#));
}
