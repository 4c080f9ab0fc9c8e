// Serves an EngineCore over postMessage (the body of the engine's worker).
import { EngineCore, type AbortHandle, type CoreOptions } from './engine-core.js';
import { MistralError, serializeError } from './errors.js';
import type { CallMessage, MessageEndpoint, ReplyMessage } from './protocol.js';
import type { ChatCompletionRequest, KernelChoice } from './types.js';

export function serveEngine(port: MessageEndpoint, coreOptions: CoreOptions = {}): void {
  let core: Promise<EngineCore> | null = null;
  const chats = new Map<number, AbortHandle>();
  const loads = new Map<number, AbortController>();
  const post = (m: ReplyMessage, transfer?: Transferable[]): void => port.postMessage(m, transfer);

  const getCore = (): Promise<EngineCore> => {
    if (core === null) throw new MistralError('internal', 'The worker was not initialised');
    return core;
  };

  async function handle(msg: CallMessage): Promise<void> {
    const { id, method, args } = msg;
    switch (method) {
      case 'ping':
        // Answered whenever the thread is free: what the client's watchdog listens for.
        post({ id, result: null });
        return;
      case 'init': {
        const opts = (args[0] ?? {}) as { wasmUrl?: string };
        const o: CoreOptions = { ...coreOptions };
        if (opts.wasmUrl !== undefined) o.wasmUrl = opts.wasmUrl;
        core ??= EngineCore.create(o);
        try {
          await core;
        } catch (e) {
          core = null;
          throw e;
        }
        post({ id, result: null });
        return;
      }
      case 'abort': {
        const target = args[0] as number | undefined;
        if (target === undefined) (await getCore()).abort();
        else {
          const h = chats.get(target);
          if (h !== undefined) h.aborted = true;
        }
        post({ id, result: null });
        return;
      }
      case 'abortLoad': {
        loads.get(args[0] as number)?.abort();
        post({ id, result: null });
        return;
      }
      case 'loadModel': {
        const [source, options] = args as [string | Blob, { cache?: boolean; contextLength?: number; prefillChunk?: number; kvPrecision?: 'auto' | 'f32' | 'f16'; kernels?: KernelChoice; sha256?: string }];
        const ac = new AbortController();
        loads.set(id, ac);
        try {
          const info = await (await getCore()).loadModel(source, {
            ...options,
            signal: ac.signal,
            onProgress: (progress) => post({ id, progress }),
          });
          post({ id, result: info });
        } finally {
          loads.delete(id);
        }
        return;
      }
      case 'chat': {
        const [request, stream] = args as [ChatCompletionRequest, boolean];
        const h: AbortHandle = { aborted: false };
        chats.set(id, h);
        try {
          const c = await getCore();
          const result = await c.chat(request, stream ? (chunk) => post({ id, chunk }) : undefined, h);
          post({ id, result: stream ? null : result });
        } finally {
          chats.delete(id);
        }
        return;
      }
      case 'logits': {
        let out = await (await getCore()).logits(args[0] as number[] | Uint32Array);
        // Transfer, not copy; a view on a larger buffer (wasm memory) is copied first.
        if (out.byteOffset !== 0 || out.byteLength !== out.buffer.byteLength || !(out.buffer instanceof ArrayBuffer)) out = out.slice();
        post({ id, result: out }, [out.buffer as ArrayBuffer]);
        return;
      }
      case 'reset':
        await (await getCore()).reset();
        post({ id, result: null });
        return;
      case 'unload':
        await (await getCore()).unload();
        post({ id, result: null });
        return;
      case 'adapterInfo':
        post({ id, result: (await getCore()).adapterInfo() });
        return;
      case 'modelInfo':
        post({ id, result: (await getCore()).modelInfo() });
        return;
      case 'wasmMemoryBytes':
        post({ id, result: (await getCore()).wasmMemoryBytes() });
        return;
      default:
        throw new MistralError('internal', `Unknown method ${String(method)}`);
    }
  }

  port.addEventListener('message', (ev: MessageEvent) => {
    const msg = ev.data as CallMessage;
    if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number') return;
    handle(msg).catch((e: unknown) => post({ id: msg.id, error: serializeError(e) }));
  });
}
