// Generated from the Rust types by crates/web/src/typescript.rs (ts-rs): do not edit.
// After changing those types, run `MISTRAL_UPDATE_TS=1 cargo test -p mistral-web --lib typescript`.

/**
 * The fields of a chat request besides the sampling ones (OpenAI's names). Absent or `null`
 * means the default; any other field must be a sampling field, or the request is refused.
 */
export type ChatRequestFields = { 
/**
 * The conversation, oldest first; the answer continues it. At least one message.
 */
messages: Array<ChatMessage>, 
/**
 * Accepted and ignored: the engine runs the model it loaded.
 */
model?: string | null, 
/**
 * Stream the answer as `chat.completion.chunk`s (default false).
 */
stream?: boolean | null, 
/**
 * Accepted for compatibility: the last chunk of a stream carries `usage`.
 */
stream_options?: StreamOptions | null, 
/**
 * One answer per request: only 1 is accepted.
 */
n?: 1 | null, 
/**
 * OpenAI's end-user id: accepted and ignored.
 */
user?: string | null, };

/**
 * A chat message as OpenAI sends it (string content only).
 */
export type ChatMessage = { 
/**
 * Who speaks. The chat template decides which roles it takes (and where a system
 * message may stand).
 */
role: "system" | "user" | "assistant", content: string, 
/**
 * OpenAI's participant name: accepted, not shown to the model.
 */
name?: string, };

/**
 * OpenAI's `stream_options`.
 */
export type StreamOptions = { 
/**
 * A last chunk with the token counts.
 */
include_usage?: boolean | null, };

/**
 * The sampling fields of a request: OpenAI's names plus llama.cpp's extensions, with the
 * same names and ranges as the CLI and its HTTP server. Absent or `null` means the default.
 * Sampling order: logit bias, penalties, temperature, top-k, top-p, min-p, then the draw.
 *
 * (In Rust: the JSON shape `SamplingParams` is parsed from. Aliases are fields of their own,
 * so that both names are declared; giving both is an error.)
 */
export type SamplingFields = { 
/**
 * 0 to 100, default 0.7; 0 samples greedily.
 */
temperature?: number | null, 
/**
 * Nucleus sampling mass, in (0, 1], default 1.
 */
top_p?: number | null, 
/**
 * Keep the k most likely tokens; default 40, 0 = no limit.
 */
top_k?: number | null, 
/**
 * Drop tokens less likely than min_p times the most likely one; 0 to 1, default 0.
 */
min_p?: number | null, 
/**
 * llama.cpp's repeat penalty over the last `penalty_last_n` tokens (prompt and answer): a
 * positive logit is divided by it, a negative one multiplied. (0, 10], default 1 (off).
 */
repetition_penalty?: number | null, 
/**
 * Alias of `repetition_penalty` (llama.cpp's name); give one or the other.
 */
repeat_penalty?: number | null, 
/**
 * OpenAI's: subtracted once from the logit of every token in the window. -2 to 2, default 0.
 */
presence_penalty?: number | null, 
/**
 * OpenAI's: subtracted once per occurrence in the window. -2 to 2, default 0.
 */
frequency_penalty?: number | null, 
/**
 * The window the penalties look at, in tokens; default 64, 0 = penalties off.
 */
penalty_last_n?: number | null, 
/**
 * Alias of `penalty_last_n` (llama.cpp's name); give one or the other.
 */
repeat_last_n?: number | null, 
/**
 * Token id (as a string, as in OpenAI's JSON) to a bias from -100 to 100 added to its
 * logit before anything else: -100 bans the token, +100 all but forces it.
 */
logit_bias?: Record<string, number> | null, 
/**
 * Seed of the sampler, for reproducible output.
 */
seed?: number | null, 
/**
 * Generation stops before any of these strings (at most 16, each at most 1024 bytes),
 * which are not returned. Empty strings are ignored.
 */
stop?: string | Array<string> | null, 
/**
 * Most tokens to generate (default: the rest of the context; 512 for a model with a
 * sliding window).
 */
max_tokens?: number | null, 
/**
 * Alias of `max_tokens` (OpenAI's newer name); give one or the other.
 */
max_completion_tokens?: number | null, 
/**
 * Per-token log probabilities in `choices[0].logprobs.content` (the model's own
 * distribution, before bias, penalties and temperature). The legacy `logprobs: n` means
 * `logprobs: true, top_logprobs: n`.
 */
logprobs?: boolean | number | null, 
/**
 * With `logprobs: true`: this many most likely alternatives per token, 0 to 20 (default 0).
 */
top_logprobs?: number | null, };

/**
 * What `beginChat` returns.
 */
export type EngineChatBegin = { 
/**
 * Tokens of the prompt, as fitted to the context.
 */
promptTokens: number, 
/**
 * Of those, the prefix whose keys/values the previous turn left in the KV cache.
 */
reusedTokens: number, 
/**
 * Old turns left out to fit the context (0 when all fit).
 */
droppedMessages: number, 
/**
 * Says so in words; only when messages were dropped.
 */
notice?: string, };

/**
 * What `step` returns: one token's text and whether the answer is over.
 */
export type EngineStep = { 
/**
 * Text this token completes (may be empty: a piece of a character, or text held back
 * while it may begin a stop string).
 */
text: string, done: boolean, 
/**
 * Why the answer ended, once `done`.
 */
finishReason: EngineFinishReason | null, 
/**
 * With `logprobs` in the request: the token's log probability and the best alternatives,
 * already in OpenAI's shape (the JavaScript layer only has ids, not the vocabulary).
 */
logprobs?: ChatCompletionTokenLogprob, };

/**
 * Why an answer ended, with OpenAI's names.
 */
export type EngineFinishReason = "stop" | "length";

/**
 * One generated token with its log probability: an entry of OpenAI's
 * `choices[].logprobs.content`, plus `id`.
 */
export type ChatCompletionTokenLogprob = { 
/**
 * The token id (an extension, as llama.cpp's server gives it): what `logit_bias` takes,
 * and token texts alone can be ambiguous.
 */
id: number, 
/**
 * The token's text (as decoded alone: a piece of a multi-byte character reads as U+FFFD;
 * the end-of-sequence token, reported when it ends the answer, as `""`).
 */
token: string, 
/**
 * Natural log of its probability, <= 0 (-9999 for a token the model rules out entirely).
 */
logprob: number, 
/**
 * The UTF-8 bytes of `token` (as the CLI server reports them).
 */
bytes: Array<number>, 
/**
 * The most likely tokens at this position, most likely first (`top_logprobs` of them).
 */
top_logprobs: Array<TopLogprob>, };

/**
 * One of the most likely tokens at a position (see `ChatCompletionTokenLogprob`).
 */
export type TopLogprob = { id: number, token: string, logprob: number, bytes: Array<number>, };

/**
 * What `endChat` returns: the completion's token counts and timings.
 */
export type EngineUsage = { 
/**
 * Tokens of the prompt (reused ones included).
 */
promptTokens: number, 
/**
 * Tokens generated.
 */
completionTokens: number, 
/**
 * Time spent on the first step (the prompt's prefill and the first token).
 */
prefillSeconds: number, 
/**
 * Time spent on the later steps.
 */
decodeSeconds: number, };

/**
 * Options of `loadModel`, as JSON: the part of the npm package's `LoadOptions` the engine
 * itself takes (`EngineLoadOptions`). Any other field is a `bad-request` error.
 */
export type EngineLoadOptions = { 
/**
 * KV cache length in tokens, for models without a sliding window (default: the model's
 * trained context, unless the adapter's largest binding or the KV memory budget allows
 * less; `ModelInfo.contextLimit` says which).
 */
contextLength?: number, 
/**
 * Tokens per prefill chunk (default: the kernel family's, 32 for `'cpu'` and 256 for
 * `'gpu'`).
 */
prefillChunk?: number, 
/**
 * Precision of the KV cache on the GPU: `'f32'` (exact), `'f16'` (half the memory, ~7e-4
 * relative error in logits) or `'auto'` (default: f32 while that cache stays under 512 MiB
 * and gives as long a default context as f16 would; else f16, e.g. for Mistral-7B's
 * 4096-token window). Any other value rejects with `bad-request`.
 */
kvPrecision?: "auto" | KvPrecision, 
/**
 * Which kernel family runs the model: `'cpu'` (shaped for GPUs implemented on CPUs:
 * SwiftShader, WARP, lavapipe), `'gpu'` (coalesced matrix-vector products and tiled matrix
 * products in workgroup memory, for real GPUs) or `'auto'` (default: `'cpu'` on a software
 * or fallback adapter, `'gpu'` otherwise; see `AdapterInfo.kernels`). Both compute the
 * same logits up to summation order. Any other value rejects with `bad-request`.
 */
kernels?: "auto" | KernelFamily, };

/**
 * The loaded model.
 */
export type ModelInfo = { 
/**
 * The file's `general.name`, or `"unnamed model"`.
 */
name: string, 
/**
 * The file's `general.architecture`, e.g. `"llama"`.
 */
architecture: string, 
/**
 * The tensor type holding most of the weights' bytes, e.g. `"Q4_K"`.
 */
quantization: string, 
/**
 * Weights, counted over every tensor.
 */
parameters: number, fileBytes: number, vocabSize: number, 
/**
 * The context the model was trained for (what the file says).
 */
contextLength: number, 
/**
 * Tokens the engine can attend to: the sliding window, or the KV cache length without one.
 */
usableContext: number, 
/**
 * What set the context's length.
 */
contextLimit: ContextLimit, 
/**
 * Sliding attention window in tokens, or null when the model attends to the whole context.
 */
slidingWindow: number | null, nLayers: number, 
/**
 * Width of the residual stream.
 */
dim: number, 
/**
 * GPU memory the model's buffers take, in bytes.
 */
gpuBytes: number, 
/**
 * Precision of the KV cache.
 */
kvPrecision: KvPrecision, 
/**
 * The chat template's source text (Jinja) the engine renders conversations with: the
 * file's, or the engine's default (Mistral v1) when the file has none; `null` only if
 * neither exists.
 */
chatTemplate: string | null, 
/**
 * True when the file has no chat template and the engine's default is used.
 */
chatTemplateBuiltin: boolean, 
/**
 * The kernel family the model runs on (see the `kernels` load option).
 */
kernels: KernelFamily, 
/**
 * Why, e.g. `"the adapter is a CPU implementation"` or `"forced by the kernels load
 * option"`.
 */
kernelsReason: string, 
/**
 * The sampling settings the model file recommends, under the request's field names (e.g.
 * to fill a settings form); `{}` when it gives none. A request that leaves a setting out
 * gets the engine's default, not this.
 */
samplingDefaults: SamplingDefaults, 
/**
 * What in the file was left out, and why (e.g. a recommended setting out of range);
 * empty when nothing was.
 */
warnings: Array<string>, };

/**
 * The sampling settings the model file recommends (llama.cpp's `general.sampling.*` keys),
 * under the request's field names. A setting the file does not give is absent; so is one out
 * of the range a request accepts (`ModelInfo.warnings` then says why).
 */
export type SamplingDefaults = { 
/**
 * From `general.sampling.temp`.
 */
temperature?: number, 
/**
 * From `general.sampling.top_k`.
 */
top_k?: number, 
/**
 * From `general.sampling.top_p`.
 */
top_p?: number, 
/**
 * From `general.sampling.min_p`.
 */
min_p?: number, 
/**
 * From `general.sampling.penalty_repeat`.
 */
repetition_penalty?: number, 
/**
 * From `general.sampling.penalty_last_n`.
 */
penalty_last_n?: number, };

/**
 * What set the context's length (`ModelInfo.contextLimit`): `trained` (the model's own),
 * `window` (a sliding window: conversations roll on), `requested` (the `contextLength` load
 * option), `binding` (the adapter's largest storage binding) or `budget` (the KV memory
 * budget: a quarter of the weights' bytes, 512 MiB to 2 GiB; WebGPU tells no GPU memory size).
 */
export type ContextLimit = "trained" | "window" | "requested" | "binding" | "budget";

/**
 * Precision of the KV cache on the GPU: `f32` (exact) or `f16` (half the memory, ~7e-4
 * relative error in logits).
 */
export type KvPrecision = "f32" | "f16";

/**
 * The two kernel families (see the `kernels` load option): `cpu`, shaped for GPUs
 * implemented on CPUs (SwiftShader, WARP, lavapipe), and `gpu`, coalesced matrix-vector
 * products and tiled matrix products in workgroup memory, for real GPUs.
 */
export type KernelFamily = "cpu" | "gpu";

/**
 * The GPU adapter the engine runs on.
 */
export type AdapterInfo = { 
/**
 * The adapter's name as the browser reports it (browsers may leave it empty).
 */
name: string, 
/**
 * The graphics API behind WebGPU.
 */
backend: string, 
/**
 * e.g. `"DiscreteGpu"`, `"IntegratedGpu"`, `"Cpu"` or `"Other"`.
 */
deviceType: string, driver: string, 
/**
 * WebGPU features of the adapter, lower case (e.g. `"shader_f16"`).
 */
features: Array<string>, limits: AdapterLimits, 
/**
 * The kernel family `kernels: 'auto'` picks on this adapter.
 */
kernels: KernelFamily, 
/**
 * Why, e.g. `"the adapter is a CPU implementation"`.
 */
kernelsReason: string, };

/**
 * The adapter limits that decide which models fit (bytes, and a count of bindings).
 */
export type AdapterLimits = { maxBufferSize: number, maxStorageBufferBindingSize: number, maxStorageBuffersPerShaderStage: number, maxComputeWorkgroupStorageSize: number, };

/**
 * What went wrong, as `MistralError.code`: the codes of the wasm engine (the npm package adds
 * those of its JavaScript layer to make `MistralErrorCode`).
 * - `no-webgpu`: the browser has no WebGPU (`navigator.gpu`);
 * - `no-adapter`: WebGPU gave no adapter (GPU or driver blocklisted);
 * - `limits`: the GPU's limits are too small for the model;
 * - `out-of-memory`: GPU (or wasm) memory ran out;
 * - `device-lost`: the GPU device was lost; the next loadModel re-creates it;
 * - `unsupported-file`: not a GGUF file the engine supports (or a server that ignores HTTP
 *   range requests);
 * - `bad-request`: a malformed request (messages, sampling parameters, load options);
 * - `context`: the prompt does not fit in the context;
 * - `no-model`: no model is loaded;
 * - `internal`: a bug, such as a Rust panic in the engine (the message carries it).
 */
export type EngineErrorCode = "no-webgpu" | "no-adapter" | "limits" | "out-of-memory" | "device-lost" | "unsupported-file" | "bad-request" | "context" | "no-model" | "internal";

/**
 * The accepted values of a numeric sampling field. [`SamplingParams::validate`] checks the
 * fractional ones with this table, and crates/web generates it into the npm package's
 * TypeScript (`NUMBER_RULES`), which the package and the chat page check requests and
 * settings with: one table, so the three cannot disagree.
 */
export type NumberRule = { 
/**
 * The request field.
 */
field: string, min: number, max: number, 
/**
 * `min` itself is refused (top_p 0 would keep nothing; a repetition penalty of 0 divides by 0).
 */
min_exclusive: boolean, 
/**
 * Whole numbers only.
 */
integer: boolean, 
/**
 * The range in words, for messages: "must be {words}" in Rust, "must be a number {words}"
 * (or "an integer ...") in JavaScript.
 */
words: string, };

/** Every numeric sampling field's accepted values (`SamplingParams::validate`). */
export const NUMBER_RULES: ReadonlyArray<NumberRule> = [
  {
    "field": "temperature",
    "min": 0.0,
    "max": 100.0,
    "min_exclusive": false,
    "integer": false,
    "words": "from 0 (greedy) to 100"
  },
  {
    "field": "max_tokens",
    "min": 1.0,
    "max": 16777216.0,
    "min_exclusive": false,
    "integer": true,
    "words": "from 1 to 16777216"
  },
  {
    "field": "top_k",
    "min": 0.0,
    "max": 9007199254740991.0,
    "min_exclusive": false,
    "integer": true,
    "words": ">= 0 (0: no limit)"
  },
  {
    "field": "top_p",
    "min": 0.0,
    "max": 1.0,
    "min_exclusive": true,
    "integer": false,
    "words": "above 0 and at most 1"
  },
  {
    "field": "min_p",
    "min": 0.0,
    "max": 1.0,
    "min_exclusive": false,
    "integer": false,
    "words": "from 0 to 1"
  },
  {
    "field": "repetition_penalty",
    "min": 0.0,
    "max": 10.0,
    "min_exclusive": true,
    "integer": false,
    "words": "above 0 and at most 10 (1 = off)"
  },
  {
    "field": "presence_penalty",
    "min": -2.0,
    "max": 2.0,
    "min_exclusive": false,
    "integer": false,
    "words": "from -2 to 2"
  },
  {
    "field": "frequency_penalty",
    "min": -2.0,
    "max": 2.0,
    "min_exclusive": false,
    "integer": false,
    "words": "from -2 to 2"
  },
  {
    "field": "penalty_last_n",
    "min": 0.0,
    "max": 16777216.0,
    "min_exclusive": false,
    "integer": true,
    "words": "from 0 to 16777216"
  },
  {
    "field": "seed",
    "min": 0.0,
    "max": 9007199254740991.0,
    "min_exclusive": false,
    "integer": true,
    "words": ">= 0"
  }
];

/** The other limits of a request's sampling fields (crates/generate/src/params.rs). */
export const SAMPLING_LIMITS = {
  "maxBiasEntries": 65536,
  "maxLogitBias": 100.0,
  "maxStopBytes": 1024,
  "maxStops": 16,
  "maxTokens": 16777216,
  "maxTopLogprobs": 20
} as const;
