// The engine logic around the wasm Engine, usable on any thread (the worker runs it; so does
// createEngine({ worker: false })). One operation runs at a time; abort() acts at once.
import { abortError, MistralError, toMistralError } from './errors.js';
import { digestOption, type ExpectedDigest, splitModelUrl } from './integrity.js';
import { blobReader, type ChunkedReader, type ReadKind, urlReader } from './loader.js';
import { withUrlLock } from './locks.js';
import { claimPanicTrap, crashError, type PanicApi, takePanic, watchPanics } from './panics.js';
import { completionHeader, makeChunk, makeCompletion, makeUsage } from './openai.js';
import { ProgressThrottle } from './progress.js';
import { normalizeRequest } from './request.js';
import type { EngineChatBegin, EngineLoadOptions, EngineStep, EngineUsage } from './generated/engine-types.js';
import type {
  AdapterInfo, ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatCompletionTokenLogprob, ContextNotice, FinishReason,
  LoadOptions, ModelInfo,
} from './types.js';

/** The wasm Engine as this layer uses it (wasm-bindgen's declarations may be looser). */
export interface WasmEngine {
  adapterInfo(): string;
  loadModel(
    reader: { size: number; read(offset: number, length: number): Promise<Uint8Array> },
    optionsJson: string,
    onProgress: (phase: string, done: number, total: number) => void,
  ): Promise<unknown>;
  unload(): void;
  modelInfo(): string | undefined | null;
  logits(tokens: Uint32Array): Promise<Float32Array>;
  reset(): void;
  readonly vocabSize: number;
  tokenize(text: string): Uint32Array;
  beginChat(requestJson: string): string;
  step(): Promise<unknown>;
  endChat(): string;
  free(): void;
  /** Test-only: a Rust panic inside an async call (crates/web/src/panic.rs). */
  panicForTests?(message: string): Promise<unknown>;
}

/** The wasm-bindgen module (`wasm/mistral_web.js`). */
export interface WasmModule {
  default: (input?: unknown) => Promise<unknown>;
  Engine: PanicApi & { create(): Promise<WasmEngine>; wasmMemoryBytes(): number };
}

export interface CoreOptions {
  /** URL of the .wasm file (absolute). */
  wasmUrl?: string;
  /** An already initialised module (tests). */
  wasm?: WasmModule;
}

export interface CoreLoadOptions extends LoadOptions {
  /** Bytes per range request and cache entry (tests; default 16 MiB). */
  chunkSize?: number;
}

/** Set to stop one completion between two tokens. */
export interface AbortHandle {
  aborted: boolean;
}

let wasmReady: Promise<WasmModule> | null = null;

async function loadWasm(opts: CoreOptions): Promise<WasmModule> {
  if (opts.wasm !== undefined) return opts.wasm;
  wasmReady ??= (async () => {
    // wasm-bindgen's output (src/wasm/, copied to dist/wasm/ by the build). The comment lets the
    // package type-check and its unit tests run before the wasm is built.
    // @ts-ignore TS2307 when src/wasm/ is not generated yet
    const mod = (await import('./wasm/mistral_web.js')) as unknown as WasmModule;
    await mod.default(opts.wasmUrl !== undefined ? { module_or_path: opts.wasmUrl } : undefined);
    return mod;
  })();
  try {
    return await wasmReady;
  } catch (e) {
    wasmReady = null;
    const m = toMistralError(e);
    throw m.code === 'internal' ? new MistralError('internal', `Could not load the engine's WebAssembly module: ${m.message}`, { cause: e }) : m;
  }
}

function parse<T>(json: unknown, what: string): T {
  try {
    return JSON.parse(String(json)) as T;
  } catch (e) {
    throw new MistralError('internal', `The engine returned malformed ${what}: ${String(json).slice(0, 200)}`, { cause: e });
  }
}

function contextNotice(b: EngineChatBegin): ContextNotice {
  const c: ContextNotice = { dropped_messages: b.droppedMessages };
  if (typeof b.notice === 'string' && b.notice.length > 0) c.notice = b.notice;
  return c;
}

const DEVICE_LOST_HINT = ' The GPU device was lost; the next loadModel() re-creates it: load the model again.';

const CHANGED_AGAIN = ' It changed again while downloading afresh: load it again later.';

export class EngineCore {
  private lock: Promise<unknown> = Promise.resolve();
  private lost = false;
  private info: ModelInfo | null = null;
  private current: AbortHandle | null = null;
  private disposed = false;
  /** Set by a Rust panic: this wasm Engine is unusable (the next loadModel creates another). */
  private crash: MistralError | null = null;
  /** Rejects at the next panic: what wasm calls race against (theirs may never settle). */
  private crashed!: Promise<never>;
  private rejectCrashed!: (e: MistralError) => void;
  private readonly unwatch: () => void;

  private constructor(private readonly wasm: WasmModule, private engine: WasmEngine) {
    this.armCrash();
    this.unwatch = watchPanics(wasm.Engine, (message) => this.onPanic(message));
  }

  private armCrash(): void {
    this.crashed = new Promise<never>((_, reject) => { this.rejectCrashed = reject; });
    this.crashed.catch(() => undefined);
  }

  private onPanic(message: string): void {
    if (this.crash !== null) return;
    this.crash = crashError(message);
    this.info = null;
    this.rejectCrashed(this.crash);
  }

  /** A wasm call's Promise, rejected by a panic (after which it would never settle). */
  private guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.crashed]);
  }

  /** Initialises the wasm module (once) and opens the GPU device. */
  static async create(opts: CoreOptions = {}): Promise<EngineCore> {
    const wasm = await loadWasm(opts);
    let engine: WasmEngine;
    try {
      engine = await wasm.Engine.create();
    } catch (e) {
      throw toMistralError(e);
    }
    return new EngineCore(wasm, engine);
  }

  /** Runs `fn` after every operation queued before it. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(() => {
      if (this.disposed) throw new MistralError('worker', 'The engine was terminated');
      return fn();
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Maps an error, remembering a lost device or a panic. */
  private fail(e: unknown): MistralError {
    if (this.crash === null) {
      const message = takePanic(this.wasm.Engine);
      if (message !== null) this.onPanic(message);
    }
    if (this.crash !== null) {
      claimPanicTrap(e); // caught here: not an uncaught error later
      return this.crash;
    }
    const m = toMistralError(e);
    if (m.code === 'device-lost') {
      this.lost = true;
      this.info = null;
      if (!m.message.includes('next loadModel()')) return new MistralError('device-lost', m.message + DEVICE_LOST_HINT, { cause: e });
    }
    return m;
  }

  private requireDevice(): void {
    if (this.crash !== null) throw this.crash;
    if (this.lost) throw new MistralError('device-lost', `The GPU device was lost.${DEVICE_LOST_HINT}`);
  }

  private requireModel(): ModelInfo {
    this.requireDevice();
    if (this.info === null) throw new MistralError('no-model', 'No model is loaded: call loadModel() first');
    return this.info;
  }

  loadModel(source: string | Blob, opts: CoreLoadOptions = {}): Promise<ModelInfo> {
    return this.exclusive(async () => {
      const { signal } = opts;
      if (signal?.aborted) throw abortError(signal.reason);
      if (this.lost || this.crash !== null) {
        // A crashed Engine stays borrowed by the call that panicked: free() would throw.
        if (this.crash === null) try { this.engine.free(); } catch { /* already gone */ }
        this.crash = null;
        this.armCrash();
        try {
          this.engine = await this.guard(this.wasm.Engine.create());
        } catch (e) {
          throw this.fail(e);
        }
        this.lost = false;
      }
      if (this.info !== null) {
        this.info = null;
        try { this.engine.unload(); } catch (e) { throw this.fail(e); }
      }

      const throttle = new ProgressThrottle(opts.onProgress ?? (() => undefined));
      if (typeof source !== 'string') return this.loadOnce(source, opts, throttle, null);
      const { url, digest: fromUrl } = splitModelUrl(source);
      const digest = digestOption(opts.sha256) ?? fromUrl;
      // A file replaced on the server mid-download loses its cached chunks; start over once.
      const load = async (): Promise<ModelInfo> => {
        try {
          return await this.loadOnce(url, opts, throttle, digest);
        } catch (e) {
          if (!(e instanceof MistralError) || e.code !== 'file-changed' || signal?.aborted) throw e;
          throttle.report('download', 0, 0, 'The file changed on the server: the old chunks were discarded and the download restarts');
        }
        try {
          return await this.loadOnce(url, opts, throttle, digest);
        } catch (e) {
          if (e instanceof MistralError && e.code === 'file-changed') throw new MistralError('file-changed', e.message + CHANGED_AGAIN);
          throw e;
        }
      };
      if (opts.cache === false) return load();
      // Another tab loading the same URL goes first; this one then reads its cache entry.
      return withUrlLock(url, signal, () => throttle.report('wait', 0, 0), load);
    });
  }

  private async loadOnce(source: string | Blob, opts: CoreLoadOptions, throttle: ProgressThrottle, digest: ExpectedDigest | null): Promise<ModelInfo> {
    const { signal } = opts;
    const isBlob = typeof source !== 'string';
    let wasmPhase = '';
    const onBytes = (kind: ReadKind, local: number, position: number, size: number): void => {
      if (isBlob) return;
      if (kind === 'download') throttle.report('download', local, size);
      else if (wasmPhase === 'upload') throttle.report('cache', position, size);
    };
    const onNotice = (text: string): void => throttle.report('download', 0, 0, text);
    const r: ChunkedReader = isBlob
      ? blobReader(source, { onBytes }, signal)
      : await urlReader(source, { cache: opts.cache !== false, signal, onBytes, onNotice, digest, ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}) });
    const onWasmProgress = (phase: string, done: number, total: number): void => {
      wasmPhase = phase;
      switch (phase) {
        case 'header':
        case 'compile':
          throttle.report(phase, done, total);
          break;
        case 'upload':
          if (isBlob) throttle.report('upload', done, total);
          else if (r.source === 'cache') throttle.report('cache', r.position, r.size);
          break;
        case 'ready':
          break; // after the reader's finish (the digest check)
        default:
          break;
      }
    };
    const wasmOptions: EngineLoadOptions = {};
    if (opts.contextLength !== undefined) wasmOptions.contextLength = opts.contextLength;
    if (opts.prefillChunk !== undefined) wasmOptions.prefillChunk = opts.prefillChunk;
    if (opts.kvPrecision !== undefined) wasmOptions.kvPrecision = opts.kvPrecision;
    if (opts.kernels !== undefined) wasmOptions.kernels = opts.kernels;

    let infoJson: unknown;
    try {
      infoJson = await this.guard(this.engine.loadModel(
        { size: r.size, read: (offset, length) => r.read(offset, length) },
        JSON.stringify(wasmOptions),
        onWasmProgress,
      ));
      if (signal?.aborted) throw abortError(signal.reason);
      // The SHA-256 is checked (and the cache entry completed) before the model counts as loaded.
      await r.finish();
    } catch (e) {
      // The wasm may wrap the reader's error: report the reader's own (network, quota, aborted),
      // unless the engine panicked.
      const failure = this.fail(e); // notices a panic or a lost device
      const err = signal?.aborted ? abortError(signal.reason) : this.crash ?? r.error ?? failure;
      if (!this.lost && this.crash === null) {
        try { this.engine.unload(); } catch { /* nothing loaded */ }
      }
      throw err;
    }
    this.info = parse<ModelInfo>(infoJson, 'model info');
    throttle.report('ready', r.size, r.size);
    return this.info;
  }

  /**
   * Runs one chat completion. With `onChunk`, streams OpenAI chunks (a role chunk, content
   * chunks, then a final chunk with finish_reason and usage). Resolves with the whole result.
   */
  chat(request: ChatCompletionRequest, onChunk?: (c: ChatCompletionChunk) => void, handle: AbortHandle = { aborted: false }): Promise<ChatCompletion> {
    let wasmRequest: string;
    let wantLogprobs: boolean;
    try {
      const normalized = normalizeRequest(request);
      wantLogprobs = normalized.logprobs === true;
      wasmRequest = JSON.stringify(normalized);
    } catch (e) {
      return Promise.reject(toMistralError(e));
    }
    return this.exclusive(async () => {
      const info = this.requireModel();
      let begin: EngineChatBegin;
      try {
        begin = parse(this.engine.beginChat(wasmRequest), 'beginChat result');
      } catch (e) {
        throw this.fail(e);
      }
      this.current = handle;
      const header = completionHeader(info.name);
      let content = '';
      let finish: FinishReason = 'abort';
      const logprobs: ChatCompletionTokenLogprob[] = [];
      // Tokens whose text has not gone out in a chunk yet (held back by the stop-string matcher
      // or an incomplete UTF-8 character): they ride with the next chunk that has text.
      let unsent: ChatCompletionTokenLogprob[] = [];
      const take = (): { content: ChatCompletionTokenLogprob[] } | null => {
        if (!wantLogprobs) return null;
        const out = { content: unsent };
        unsent = [];
        return out;
      };
      try {
        onChunk?.(makeChunk(header, { role: 'assistant', content: '' }));
        while (!handle.aborted) {
          const step = parse<EngineStep>(await this.guard(this.engine.step()), 'step result');
          if (wantLogprobs && step.logprobs) {
            logprobs.push(step.logprobs);
            unsent.push(step.logprobs);
          }
          if (step.text) {
            content += step.text;
            onChunk?.(makeChunk(header, { content: step.text }, take()));
          }
          if (step.done) {
            finish = step.finishReason ?? 'stop';
            break;
          }
        }
      } catch (e) {
        this.current = null;
        const err = this.fail(e);
        if (!this.lost && this.crash === null) {
          try { this.engine.endChat(); } catch { /* already ended */ }
        }
        throw err;
      }
      this.current = null;
      let usage;
      try {
        usage = makeUsage(parse<EngineUsage>(this.engine.endChat(), 'usage'), begin.reusedTokens);
      } catch (e) {
        throw this.fail(e);
      }
      const end = { finishReason: finish, usage, context: contextNotice(begin) };
      onChunk?.(makeChunk(header, {}, take(), end));
      return makeCompletion(header, content, wantLogprobs ? { content: logprobs } : null, end);
    });
  }

  /** Stops the running completion (between two tokens). */
  abort(): void {
    if (this.current !== null) this.current.aborted = true;
  }

  reset(): Promise<void> {
    return this.exclusive(async () => {
      this.requireDevice();
      try { this.engine.reset(); } catch (e) { throw this.fail(e); }
    });
  }

  unload(): Promise<void> {
    return this.exclusive(async () => {
      this.info = null;
      if (this.lost || this.crash !== null) return;
      try { this.engine.unload(); } catch (e) { throw this.fail(e); }
    });
  }

  adapterInfo(): AdapterInfo {
    if (this.crash !== null) throw this.crash;
    return parse<AdapterInfo>(this.engine.adapterInfo(), 'adapter info');
  }

  modelInfo(): ModelInfo | null {
    if (this.lost || this.crash !== null) return null;
    const json = this.engine.modelInfo();
    return json === undefined || json === null ? null : parse<ModelInfo>(json, 'model info');
  }

  logits(tokens: number[] | Uint32Array): Promise<Float32Array> {
    const ids = tokens instanceof Uint32Array ? tokens : Uint32Array.from(tokens);
    return this.exclusive(async () => {
      this.requireModel();
      try {
        return await this.guard(this.engine.logits(ids));
      } catch (e) {
        throw this.fail(e);
      }
    });
  }

  wasmMemoryBytes(): number {
    return this.wasm.Engine.wasmMemoryBytes();
  }

  /**
   * Test-only: makes the wasm engine panic inside an async call, as a bug in `loadModel` or
   * `step` would. Rejects with code `internal` carrying the panic's message.
   */
  debugPanic(message: string): Promise<void> {
    return this.exclusive(async () => {
      this.requireDevice();
      if (this.engine.panicForTests === undefined) throw new MistralError('internal', 'This wasm build has no panicForTests');
      try {
        await this.guard(this.engine.panicForTests(message));
      } catch (e) {
        throw this.fail(e);
      }
    });
  }

  /** Frees the engine; every later call fails. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unwatch();
    this.abort();
    void this.lock.then(() => {
      try { this.engine.free(); } catch { /* freed */ }
    });
  }
}
