// The public types of mistral-wgpu. Chat types follow OpenAI's Chat Completions API (and WebLLM).
//
// Every type that crosses the wasm boundary (model and adapter info, the engine's load options,
// the request fields Rust validates, results, error codes) is generated from its Rust definition
// into ./generated/engine-types.ts (crates/web/src/typescript.rs; a Rust test keeps it current).
// This file re-exports those and adds only what JavaScript alone has: callbacks, AbortSignal,
// caching, the engine interface and the OpenAI objects the JavaScript layer assembles.
import type {
  AdapterInfo, AdapterLimits, ChatCompletionTokenLogprob, ChatMessage, ChatRequestFields, ContextLimit, EngineFinishReason,
  EngineLoadOptions, KernelFamily, KvPrecision, ModelInfo, SamplingDefaults, SamplingFields, StreamOptions, TopLogprob,
} from './generated/engine-types.js';

export type {
  AdapterInfo, AdapterLimits, ChatCompletionTokenLogprob, ChatMessage, ChatRequestFields, ContextLimit, KernelFamily, KvPrecision,
  ModelInfo, SamplingDefaults, SamplingFields, StreamOptions, TopLogprob,
};

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

/**
 * Options of {@link MistralEngine.loadModel}: the engine's own (`contextLength`, `prefillChunk`,
 * `kvPrecision`, `kernels`) plus how the file is fetched.
 */
export interface LoadOptions extends EngineLoadOptions {
  /** Called during loading, about 10 times a second at most. */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborting rejects the load with a `MistralError` of code `"aborted"`. */
  signal?: AbortSignal;
  /**
   * Keep a URL's file in the browser's Cache Storage (default `true`): an interrupted download
   * resumes where it stopped, and later visits load with no network request at all.
   */
  cache?: boolean;
  /**
   * The file's SHA-256 (64 hex digits). Without it, a `#sha256=<hex>` fragment of the URL, or a
   * digest the server states (`Repr-Digest`/`Digest: sha-256=`, `X-Linked-Etag`, Hugging Face's
   * ETag), is used. The file is hashed as it streams and verified before its cache entry is
   * marked complete; a mismatch rejects with code `integrity` and deletes the cached copy.
   */
  sha256?: string;
}

/** A kernel family, or `'auto'` for the engine's pick for the adapter (see {@link LoadOptions.kernels}). */
export type KernelChoice = NonNullable<EngineLoadOptions['kernels']>;
/** A KV precision, or `'auto'` (see {@link LoadOptions.kvPrecision}). */
export type KvPrecisionChoice = NonNullable<EngineLoadOptions['kvPrecision']>;

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

export type ChatRole = ChatMessage['role'];

/**
 * OpenAI's Chat Completions request, with llama.cpp's extensions (`top_k`, `min_p`,
 * `repetition_penalty`, `penalty_last_n`): the same fields, names and ranges as the CLI and its
 * HTTP server (crates/generate). Absent or `null` means the default. Any other field is refused
 * with a `bad-request` error naming it. Sampling order: logit bias, penalties, temperature,
 * top-k, top-p, min-p, then the draw.
 */
export interface ChatCompletionRequest extends ChatRequestFields, SamplingFields {}

export type ChatCompletionRequestStreaming = ChatCompletionRequest & { stream: true };
export type ChatCompletionRequestNonStreaming = ChatCompletionRequest & { stream?: false | null };

/**
 * Why the answer ended: `"stop"` (an end-of-sequence token or a stop string), `"length"`
 * (`max_tokens` reached, or the context of a model without a sliding window is full) or
 * `"abort"` ({@link MistralEngine.abort}, or leaving a `for await` loop, stopped generation).
 */
export type FinishReason = EngineFinishReason | 'abort';

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
