// Messages between the page (client.ts) and the engine's worker (worker-host.ts).
import type { SerializedError } from './errors.js';
import type { ChatCompletionChunk, LoadProgress } from './types.js';

export type Method =
  | 'init' | 'loadModel' | 'chat' | 'abort' | 'abortLoad' | 'reset' | 'unload'
  | 'adapterInfo' | 'modelInfo' | 'logits' | 'wasmMemoryBytes' | 'ping';

/**
 * Page to worker. `abort` takes the id of a `chat` call (none: the running one); `abortLoad` the
 * id of a `loadModel` call; `ping` is answered at once (the client's watchdog).
 */
export interface CallMessage {
  id: number;
  method: Method;
  args: unknown[];
}

/** Worker to page. */
export type ReplyMessage =
  | { id: number; result: unknown }
  | { id: number; error: SerializedError }
  | { id: number; chunk: ChatCompletionChunk }
  | { id: number; progress: LoadProgress };

/** The part of a Worker / DedicatedWorkerGlobalScope / MessagePort the protocol uses. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}
