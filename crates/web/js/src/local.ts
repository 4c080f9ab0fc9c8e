// MistralEngine on the calling thread: createEngine({ worker: false }).
import { absoluteUrlKeepingHash, requestPersistence } from './cache.js';
import { EngineCore, type AbortHandle, type CoreOptions } from './engine-core.js';
import { MistralError } from './errors.js';
import { PushStream } from './stream.js';
import type {
  AdapterInfo, ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatCompletions, LoadOptions, MistralEngine, ModelInfo,
} from './types.js';

export class LocalEngine implements MistralEngine {
  readonly chat: { completions: ChatCompletions };
  private terminated = false;

  private constructor(private readonly core: EngineCore) {
    const create = (req: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> => this.create(req);
    this.chat = { completions: { create: create as ChatCompletions['create'] } };
  }

  static async create(opts: CoreOptions = {}): Promise<LocalEngine> {
    return new LocalEngine(await EngineCore.create(opts));
  }

  private alive(): void {
    if (this.terminated) throw new MistralError('worker', 'The engine was terminated');
  }

  private async create(req: ChatCompletionRequest): Promise<AsyncIterable<ChatCompletionChunk> | ChatCompletion> {
    this.alive();
    const handle: AbortHandle = { aborted: false };
    if (req?.stream !== true) return this.core.chat(req, undefined, handle);
    const stream = new PushStream<ChatCompletionChunk>(() => {
      handle.aborted = true;
    });
    this.core.chat(req, (c) => stream.push(c), handle).then(() => stream.end(), (e: unknown) => stream.fail(e));
    await stream.first();
    return stream;
  }

  async loadModel(source: string | URL | Blob, options: LoadOptions = {}): Promise<ModelInfo> {
    this.alive();
    const isBlob = typeof Blob !== 'undefined' && source instanceof Blob;
    if (!isBlob && options.cache !== false) requestPersistence();
    return this.core.loadModel(isBlob ? source : absoluteUrlKeepingHash(source as string | URL), options);
  }

  abort(): void {
    this.core.abort();
  }

  async reset(): Promise<void> {
    this.alive();
    return this.core.reset();
  }

  async unload(): Promise<void> {
    this.alive();
    return this.core.unload();
  }

  async adapterInfo(): Promise<AdapterInfo> {
    this.alive();
    return this.core.adapterInfo();
  }

  async modelInfo(): Promise<ModelInfo | null> {
    this.alive();
    return this.core.modelInfo();
  }

  async logits(tokens: number[] | Uint32Array): Promise<Float32Array> {
    this.alive();
    return this.core.logits(tokens);
  }

  async wasmMemoryBytes(): Promise<number> {
    return this.core.wasmMemoryBytes();
  }

  terminate(): void {
    this.terminated = true;
    this.core.dispose();
  }
}
