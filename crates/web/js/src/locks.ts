// Two tabs (or workers) loading the same URL take turns through the Web Locks API: the first
// downloads into the cache, the second waits and then loads from the cache, instead of both
// downloading the file and writing the same cache entries.
import { abortError } from './errors.js';

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

function lockManager(): LockManagerLike | null {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return typeof locks?.request === 'function' ? locks : null;
}

/**
 * Runs `fn` holding the lock of `url` (where the browser has Web Locks; otherwise at once).
 * `onWait` is called when another holder has it and this load waits.
 */
export async function withUrlLock<T>(url: string, signal: AbortSignal | undefined, onWait: () => void, fn: () => Promise<T>): Promise<T> {
  const locks = lockManager();
  if (locks === null) return fn();
  const name = `mistral-wgpu:${url}`;
  let result: { value: T } | null = null;
  await locks.request(name, { ifAvailable: true }, async (lock) => {
    if (lock !== null) result = { value: await fn() };
  });
  if (result !== null) return (result as { value: T }).value;
  onWait();
  try {
    return (await locks.request(name, signal === undefined ? {} : { signal }, () => fn())) as T;
  } catch (e) {
    // Waiting for the lock is aborted with the signal's reason as a DOMException.
    if (signal?.aborted) throw abortError(signal.reason);
    throw e;
  }
}
