// MistralEngine in the page, proxied over postMessage to the engine's worker.
import { absoluteUrl, absoluteUrlKeepingHash, requestPersistence } from './cache.js';
import { abortError, deserializeError, MistralError, type SerializedError } from './errors.js';
import type { CallMessage, MessageEndpoint, Method, ReplyMessage } from './protocol.js';
import { cloneableRequest } from './request.js';
import { PushStream } from './stream.js';
import { Watchdog } from './watchdog.js';
import type {
  AdapterInfo, ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatCompletions, CreateEngineOptions,
  LoadOptions, LoadProgress, MistralEngine, ModelInfo,
} from './types.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: MistralError) => void;
  onChunk?: (c: ChatCompletionChunk) => void;
  onProgress?: (p: LoadProgress) => void;
}

/** A Worker, or anything that talks like one (tests connect a MessagePort). */
export interface WorkerLike extends MessageEndpoint {
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (ev: Event) => void): void;
  terminate?(): void;
}

/** The default of {@link CreateEngineOptions.watchdogMs}. */
export const DEFAULT_WATCHDOG_MS = 30_000;

export class WorkerEngine implements MistralEngine {
  readonly chat: { completions: ChatCompletions };
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: MistralError | null = null;
  private readonly watchdog: Watchdog;

  constructor(private readonly worker: WorkerLike, options: { watchdogMs?: number } = {}) {
    const timeout = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    this.watchdog = new Watchdog(timeout, () => this.notify('ping', []), () => {
      this.worker.terminate?.();
      this.die(new MistralError('unresponsive',
        `The engine's worker did not answer for ${Math.round(timeout / 1000)} s and was terminated (a chat template or ` +
        'model file that makes the engine loop forever?). Create a new engine (createEngine) to carry on.'));
    });
    worker.addEventListener('message', (ev: MessageEvent) => {
      this.watchdog.heard();
      this.onMessage(ev.data as ReplyMessage);
    });
    worker.addEventListener('error', (ev: Event) => {
      const detail = (ev as ErrorEvent).message;
      this.die(new MistralError('worker', `The engine's worker failed${detail ? `: ${detail}` : ''} ` +
        '(if it could not be loaded: bundlers must keep `new Worker(new URL("./worker.js", import.meta.url), { type: "module" })` working)'));
    });
    worker.addEventListener('messageerror', () => this.die(new MistralError('worker', 'A message from the engine worker could not be read')));
    const create = (req: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> => this.create(req);
    this.chat = { completions: { create: create as ChatCompletions['create'] } };
  }

  /** Initialises the wasm module and the GPU device in the worker. */
  async init(wasmUrl?: string): Promise<void> {
    await this.call('init', [wasmUrl === undefined ? {} : { wasmUrl }]).promise;
  }

  private onMessage(m: ReplyMessage): void {
    if (typeof m !== 'object' || m === null) return;
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    if ('chunk' in m) p.onChunk?.(m.chunk);
    else if ('progress' in m) p.onProgress?.(m.progress);
    else if ('error' in m) {
      this.pending.delete(m.id);
      p.reject(deserializeError(m.error as SerializedError));
    } else {
      this.pending.delete(m.id);
      p.resolve(m.result);
    }
    this.watchdog.busy(this.pending.size > 0);
  }

  private die(e: MistralError): void {
    if (this.dead === null) this.dead = e;
    this.watchdog.stop();
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private call<T>(method: Method, args: unknown[], extra: Omit<Pending, 'resolve' | 'reject'> = {}): { id: number; promise: Promise<T> } {
    const id = this.nextId++;
    if (this.dead !== null) return { id, promise: Promise.reject(this.dead) };
    const promise = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...extra });
    });
    const msg: CallMessage = { id, method, args };
    try {
      this.worker.postMessage(msg);
    } catch (e) {
      this.pending.delete(id);
      return { id, promise: Promise.reject(new MistralError('bad-request', `Could not send the call to the worker: ${String(e)}`)) };
    }
    this.watchdog.busy(true);
    return { id, promise };
  }

  private notify(method: Method, args: unknown[]): void {
    if (this.dead !== null) return;
    this.call(method, args).promise.catch(() => undefined);
  }

  private async create(req: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    const clean = cloneableRequest(req); // validates before anything is sent
    if (req.stream !== true) return this.call<ChatCompletion>('chat', [clean, false]).promise;
    let callId = -1;
    const stream = new PushStream<ChatCompletionChunk>(() => this.notify('abort', [callId]));
    const { id, promise } = this.call<null>('chat', [clean, true], { onChunk: (c) => stream.push(c) });
    callId = id;
    promise.then(() => stream.end(), (e: unknown) => stream.fail(e));
    await stream.first();
    return stream;
  }

  async loadModel(source: string | URL | Blob, options: LoadOptions = {}): Promise<ModelInfo> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw abortError(signal.reason);
    const isBlob = typeof Blob !== 'undefined' && source instanceof Blob;
    if (!isBlob && options.cache !== false) requestPersistence(); // only pages may ask
    const opts: Record<string, unknown> = {};
    if (options.cache !== undefined) opts.cache = options.cache;
    if (options.contextLength !== undefined) opts.contextLength = options.contextLength;
    if (options.prefillChunk !== undefined) opts.prefillChunk = options.prefillChunk;
    if (options.kvPrecision !== undefined) opts.kvPrecision = options.kvPrecision;
    if (options.kernels !== undefined) opts.kernels = options.kernels;
    if (options.sha256 !== undefined) opts.sha256 = options.sha256;
    const extra: Omit<Pending, 'resolve' | 'reject'> = {};
    if (onProgress !== undefined) {
      extra.onProgress = (p) => {
        try { onProgress(p); } catch (e) { console.error('mistral-wgpu: onProgress threw', e); }
      };
    }
    // The URL keeps its fragment: a #sha256= there names the file's digest.
    const { id, promise } = this.call<ModelInfo>('loadModel', [isBlob ? source : absoluteUrlKeepingHash(source as string | URL), opts], extra);
    const onAbort = (): void => this.notify('abortLoad', [id]);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await promise;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  abort(): void {
    this.notify('abort', []);
  }

  async reset(): Promise<void> {
    await this.call('reset', []).promise;
  }

  async unload(): Promise<void> {
    await this.call('unload', []).promise;
  }

  adapterInfo(): Promise<AdapterInfo> {
    return this.call<AdapterInfo>('adapterInfo', []).promise;
  }

  modelInfo(): Promise<ModelInfo | null> {
    return this.call<ModelInfo | null>('modelInfo', []).promise;
  }

  logits(tokens: number[] | Uint32Array): Promise<Float32Array> {
    return this.call<Float32Array>('logits', [tokens instanceof Uint32Array ? tokens : Uint32Array.from(tokens)]).promise;
  }

  wasmMemoryBytes(): Promise<number> {
    return this.call<number>('wasmMemoryBytes', []).promise;
  }

  terminate(): void {
    this.worker.terminate?.();
    this.die(new MistralError('worker', 'The engine was terminated'));
  }
}

/**
 * Creates the engine: initialises WebAssembly and opens the GPU device (in a dedicated module
 * Worker unless `worker: false`). Rejects with a MistralError (`no-webgpu`, `no-adapter`...)
 * when the browser cannot run it.
 */
export async function createEngine(options: CreateEngineOptions = {}): Promise<MistralEngine> {
  const wasmUrl = options.wasmUrl === undefined ? undefined : absoluteUrl(options.wasmUrl);
  if (options.worker === false || typeof Worker === 'undefined') {
    const { LocalEngine } = await import('./local.js');
    return LocalEngine.create(wasmUrl === undefined ? {} : { wasmUrl });
  }
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'mistral-wgpu' });
  const engine = new WorkerEngine(worker, options.watchdogMs === undefined ? {} : { watchdogMs: options.watchdogMs });
  try {
    await engine.init(wasmUrl);
  } catch (e) {
    engine.terminate();
    throw e;
  }
  return engine;
}
