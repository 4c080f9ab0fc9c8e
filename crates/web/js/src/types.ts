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
  /** Sliding attention window in tokens, or null when the model attends to the whole context. */
  slidingWindow: number | null;
  nLayers: number;
  dim: number;
  /** GPU memory the model's buffers take, in bytes. */
  gpuBytes: number;
  /** Precision of the KV cache: "f32" or "f16". */
  kvPrecision: string;
  /** Whether the file carries a chat template (otherwise a default one is used). */
  chatTemplate: boolean;
  /** The kernel family the model runs on (see {@link LoadOptions.kernels}). */
  kernels: KernelFamily;
  /** Why, e.g. `"the adapter is a CPU implementation"` or `"forced by the kernels load option"`. */
  kernelsReason: string;
}

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatCompletionRequest {
  messages: ChatMessage[];
  /** Default 0.7; 0 samples greedily. */
  temperature?: number;
  /** Nucleus sampling mass, default 1. */
  top_p?: number;
  /** Default 40. */
  top_k?: number;
  /** Most tokens to generate (default: until the context is full). */
  max_tokens?: number;
  /** Generation stops before any of these strings, which are not returned. */
  stop?: string | string[];
  /** Seed of the sampler, for reproducible output. */
  seed?: number;
  stream?: boolean;
}

export type ChatCompletionRequestStreaming = ChatCompletionRequest & { stream: true };
export type ChatCompletionRequestNonStreaming = ChatCompletionRequest & { stream?: false };

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

export interface ChatCompletion {
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
    logprobs: null;
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
    logprobs: null;
  }>;
  /** Only on the last chunk (the one with a `finish_reason`). */
  usage?: CompletionUsage;
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
