// The public types of mistral-wgpu. Chat types follow OpenAI's Chat Completions API (and WebLLM).

/** Options of {@link createEngine}. */
export interface CreateEngineOptions {
  /**
   * Run the engine in a dedicated module Worker (default `true`), so that loading and generation
   * never block the page. `false` runs it on the calling thread (e.g. when already in a worker).
   */
  worker?: boolean;
  /** Where the `.wasm` file is served from (default: next to the package's `wasm/mistral_web.js`). */
  wasmUrl?: string | URL;
  /**
   * Milliseconds the worker may go without answering while a call runs (default 30000; 0: never
   * give up). Past it the worker is terminated and calls reject with code `unresponsive`: a
   * synchronous loop in the engine (a hostile chat template) cannot be interrupted otherwise.
   * Only with `worker: true`: an engine on the calling thread blocks that thread instead.
   */
  watchdogMs?: number;
}

/** Options of {@link MistralEngine.loadModel}. */
export interface LoadOptions {
  /** Called during loading, about 10 times a second at most. */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborting rejects the load with a `MistralError` of code `"aborted"`. */
  signal?: AbortSignal;
  /**
   * Keep a URL's file in the browser's Cache Storage (default `true`): an interrupted download
   * resumes where it stopped, and later visits load with no network request at all.
   */
  cache?: boolean;
  /** KV cache length in tokens (default: the model's, capped by the engine to fit the GPU). */
  contextLength?: number;
  /** Tokens per prefill chunk (default: the kernel family's, 32 for `'cpu'` and 256 for `'gpu'`). */
  prefillChunk?: number;
  /**
   * Precision of the KV cache on the GPU: `'f32'` (exact), `'f16'` (half the memory, ~7e-4
   * relative error in logits) or `'auto'` (default: f16 when an f32 cache would pass 512 MiB,
   * e.g. Mistral-7B's 4096-token window).
   */
  kvPrecision?: 'auto' | 'f32' | 'f16';
  /**
   * Which kernel family runs the model: `'cpu'` (shaped for GPUs implemented on CPUs:
   * SwiftShader, WARP, lavapipe), `'gpu'` (coalesced matrix-vector products and tiled matrix
   * products in workgroup memory, for real GPUs) or `'auto'` (default: `'cpu'` on a software
   * or fallback adapter, `'gpu'` otherwise; see {@link AdapterInfo.kernels}). Both compute the
   * same logits up to summation order. Any other value rejects with `bad-request`.
   */
  kernels?: KernelChoice;
  /**
   * The file's SHA-256 (64 hex digits). Without it, a `#sha256=<hex>` fragment of the URL, or a
   * digest the server states (`Repr-Digest`/`Digest: sha-256=`, `X-Linked-Etag`, Hugging Face's
   * ETag), is used. The file is hashed as it streams and verified before its cache entry is
   * marked complete; a mismatch rejects with code `integrity` and deletes the cached copy.
   */
  sha256?: string;
}

/** The two kernel families (see {@link LoadOptions.kernels}). */
export type KernelFamily = 'cpu' | 'gpu';
/** A kernel family, or `'auto'` for the engine's pick for the adapter. */
export type KernelChoice = 'auto' | KernelFamily;

/** `wait`: another tab (or worker) is loading the same URL; this load goes on from the cache after it. */
export type LoadPhase = 'wait' | 'header' | 'download' | 'cache' | 'compile' | 'upload' | 'ready';

/** A loading progress event. `loaded` and `total` are bytes (0 where a phase has no size). */
export interface LoadProgress {
  phase: LoadPhase;
  loaded: number;
  total: number;
  /** Human readable, e.g. `"Downloading 1.2 / 4.1 GB (29%)"`. */
  text: string;
}

/** The GPU adapter the engine runs on. */
export interface AdapterInfo {
  name: string;
  backend: string;
  deviceType: string;
  driver: string;
  features: string[];
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxStorageBuffersPerShaderStage: number;
    maxComputeWorkgroupStorageSize: number;
  };
  /** The kernel family `kernels: 'auto'` picks on this adapter. */
  kernels: KernelFamily;
  /** Why, e.g. `"the adapter is a CPU implementation"`. */
  kernelsReason: string;
}

/** The loaded model. */
export interface ModelInfo {
  name: string;
  architecture: string;
  quantization: string;
  parameters: number;
  fileBytes: number;
  vocabSize: number;
  /** The context the model was trained for (what the file says). */
  contextLength: number;
  /** Tokens the engine can attend to: the sliding window, or the KV cache length without one. */
  usableContext: number;
  /**
   * What set the context's length: `"trained"` (the model's own), `"window"` (a sliding window:
   * conversations roll on), `"requested"` (the `contextLength` load option), `"binding"` (the
   * adapter's largest storage binding) or `"budget"` (the KV memory budget: a quarter of the
   * weights' bytes, 512 MiB to 2 GiB; WebGPU tells no GPU memory size).
   */
  contextLimit: 'trained' | 'window' | 'requested' | 'binding' | 'budget';
  /** Sliding attention window in tokens, or null when the model attends to the whole context. */
  slidingWindow: number | null;
  nLayers: number;
  dim: number;
  /** GPU memory the model's buffers take, in bytes. */
  gpuBytes: number;
  /** Precision of the KV cache: "f32" or "f16". */
  kvPrecision: string;
  /**
   * The chat template's source text (Jinja) the engine renders conversations with: the file's,
   * or the engine's default (Mistral v1) when the file has none; `null` only if neither exists.
   */
  chatTemplate: string | null;
  /** True when the file has no chat template and the engine's default is used. */
  chatTemplateBuiltin: boolean;
  /** The kernel family the model runs on (see {@link LoadOptions.kernels}). */
  kernels: KernelFamily;
  /** Why, e.g. `"the adapter is a CPU implementation"` or `"forced by the kernels load option"`. */
  kernelsReason: string;
}

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** OpenAI's participant name: accepted, not shown to the model. */
  name?: string;
}

/**
 * OpenAI's Chat Completions request, with llama.cpp's extensions (`top_k`, `min_p`,
 * `repetition_penalty`, `penalty_last_n`): the same fields, names and ranges as the CLI and its
 * HTTP server (crates/generate). Absent or `null` means the default. Any other field is refused
 * with a `bad-request` error naming it. Sampling order: logit bias, penalties, temperature,
 * top-k, top-p, min-p, then the draw.
 */
export interface ChatCompletionRequest {
  messages: ChatMessage[];
  /** 0 to 100, default 0.7; 0 samples greedily. */
  temperature?: number | null;
  /** Nucleus sampling mass, in (0, 1], default 1. */
  top_p?: number | null;
  /** Keep the k most likely tokens; default 40, 0 = no limit. */
  top_k?: number | null;
  /** Drop tokens less likely than min_p times the most likely one; 0 to 1, default 0. */
  min_p?: number | null;
  /**
   * llama.cpp's repeat penalty over the last `penalty_last_n` tokens (prompt and answer): a
   * positive logit is divided by it, a negative one multiplied. (0, 10], default 1 (off).
   */
  repetition_penalty?: number | null;
  /** Alias of {@link repetition_penalty} (llama.cpp's name); give one or the other. */
  repeat_penalty?: number | null;
  /** OpenAI's: subtracted once from the logit of every token in the window. -2 to 2, default 0. */
  presence_penalty?: number | null;
  /** OpenAI's: subtracted once per occurrence in the window. -2 to 2, default 0. */
  frequency_penalty?: number | null;
  /** The window the penalties look at, in tokens; default 64, 0 = penalties off. */
  penalty_last_n?: number | null;
  /** Alias of {@link penalty_last_n} (llama.cpp's name). */
  repeat_last_n?: number | null;
  /**
   * Token id (as a string, as in OpenAI's JSON) to a bias from -100 to 100 added to its logit
   * before anything else: -100 bans the token, +100 all but forces it.
   */
  logit_bias?: Record<string, number> | null;
  /** Seed of the sampler, for reproducible output. */
  seed?: number | null;
  /** Most tokens to generate (default: the rest of the context; 512 for a model with a sliding window). */
  max_tokens?: number | null;
  /** Alias of {@link max_tokens} (OpenAI's newer name). */
  max_completion_tokens?: number | null;
  /** Generation stops before any of these strings (at most 16), which are not returned. */
  stop?: string | string[] | null;
  /**
   * Per-token log probabilities in `choices[0].logprobs.content` (the model's own
   * distribution, before bias, penalties and temperature). The legacy `logprobs: n` means
   * `logprobs: true, top_logprobs: n`.
   */
  logprobs?: boolean | number | null;
  /** With `logprobs: true`: this many most likely alternatives per token, 0 to 20 (default 0). */
  top_logprobs?: number | null;
  stream?: boolean | null;
  /** Accepted for compatibility: the last chunk always carries `usage`. */
  stream_options?: { include_usage?: boolean | null } | null;
  /** Accepted and ignored: the engine runs the model it loaded. */
  model?: string | null;
  /** One answer per request: only 1 is accepted. */
  n?: 1 | null;
  /** OpenAI's end-user id: accepted and ignored. */
  user?: string | null;
}

export type ChatCompletionRequestStreaming = ChatCompletionRequest & { stream: true };
export type ChatCompletionRequestNonStreaming = ChatCompletionRequest & { stream?: false | null };

/** `"abort"` when {@link MistralEngine.abort} (or leaving a `for await` loop) stopped generation. */
export type FinishReason = 'stop' | 'length' | 'abort';

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  extra: {
    /** Prompt tokens processed per second (tokens reused from the previous turn's KV cache excluded). */
    prefill_tokens_per_s: number;
    /** Generated tokens per second. */
    decode_tokens_per_s: number;
  };
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string;
}

/** One generated token with its log probability (OpenAI's shape, plus `id`). */
export interface ChatCompletionTokenLogprob {
  /** The token id (an extension, as llama.cpp's server gives it): what `logit_bias` takes. */
  id: number;
  /**
   * The token's text (as decoded alone: a piece of a multi-byte character reads as U+FFFD; the
   * end-of-sequence token, reported when it ends the answer, as `""`).
   */
  token: string;
  /** Natural log of its probability, <= 0 (-9999 for a token the model rules out entirely). */
  logprob: number;
  /** The UTF-8 bytes of `token`. */
  bytes: number[] | null;
  /** The most likely tokens at this position, most likely first (`top_logprobs` of them). */
  top_logprobs: Array<{ id: number; token: string; logprob: number; bytes: number[] | null }>;
}

/** `choices[0].logprobs` when the request asked for `logprobs`, else `null`. */
export interface ChatCompletionLogprobs {
  content: ChatCompletionTokenLogprob[];
}

/**
 * What the engine adds to OpenAI's objects (on a `chat.completion`, and on the last chunk of a
 * stream): when the conversation does not fit in the context, the oldest turns after the system
 * prompt are left out of the prompt (models without a sliding window).
 */
export interface ContextNotice {
  /** How many messages were left out of the prompt (0 when all fit). */
  dropped_messages: number;
  /** Says so in words, e.g. to show under the answer; only when messages were dropped. */
  notice?: string;
}

export interface ChatCompletion extends ContextNotice {
  /** `"chatcmpl-..."` */
  id: string;
  object: 'chat.completion';
  /** Unix time in seconds. */
  created: number;
  /** The model's name. */
  model: string;
  choices: Array<{
    index: number;
    message: ChatCompletionMessage;
    finish_reason: FinishReason;
    logprobs: ChatCompletionLogprobs | null;
  }>;
  usage: CompletionUsage;
}

export interface ChatCompletionChunkDelta {
  role?: 'assistant';
  content?: string;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: ChatCompletionChunkDelta;
    finish_reason: FinishReason | null;
    /**
     * With `logprobs` asked: the tokens whose text this chunk's `delta.content` carries (a token
     * whose text is held back, e.g. while it may begin a stop string, comes with a later chunk;
     * the last chunk carries those never shown). Otherwise `null`.
     */
    logprobs: ChatCompletionLogprobs | null;
  }>;
  /** Only on the last chunk (the one with a `finish_reason`). */
  usage?: CompletionUsage;
  /** Only on the last chunk: see {@link ContextNotice}. */
  dropped_messages?: number;
  /** Only on the last chunk, and only when messages were dropped. */
  notice?: string;
}

export interface ChatCompletions {
  create(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  create(request: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion>;
}

/** A model file in the browser's Cache Storage. */
export interface CachedModel {
  url: string;
  /** File size in bytes. */
  size: number;
  /** Bytes stored so far. */
  cachedBytes: number;
  /** Whether the whole file is stored (loading it needs no network). */
  complete: boolean;
  /**
   * When it was stored (ISO 8601): when the file became complete, or, for a partial file, when
   * its download started; null for entries cached by a version that did not record it.
   */
  storedAt: string | null;
}

/** The engine: one model at a time, one completion at a time (further calls wait their turn). */
export interface MistralEngine {
  /**
   * Loads a GGUF model: `string`/`URL` is fetched over HTTP(S) with range requests (and cached,
   * see {@link LoadOptions.cache}); a `Blob`/`File` (e.g. from drag and drop) is read locally.
   * Replaces the model loaded before.
   */
  loadModel(source: string | URL | Blob, options?: LoadOptions): Promise<ModelInfo>;
  chat: { completions: ChatCompletions };
  /**
   * Stops the running completion: a stream ends with `finish_reason: "abort"`, a non-streaming
   * request resolves with what was generated so far.
   */
  abort(): void;
  /** Forgets the conversation's KV cache (the next request prefills its whole prompt). */
  reset(): Promise<void>;
  /** Frees the model's GPU memory; call loadModel again to use the engine afterwards. */
  unload(): Promise<void>;
  adapterInfo(): Promise<AdapterInfo>;
  modelInfo(): Promise<ModelInfo | null>;
  /**
   * Low level: runs `tokens` after the sequence so far and returns their logits,
   * `tokens.length x vocabSize` values, row by row.
   */
  logits(tokens: number[] | Uint32Array): Promise<Float32Array>;
  /** Size of the WebAssembly memory in bytes (its peak: wasm memory never shrinks). */
  wasmMemoryBytes(): Promise<number>;
  /** Ends the worker (or frees the engine when it runs on this thread). The engine is unusable afterwards. */
  terminate(): void;
}
