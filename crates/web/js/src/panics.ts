// Rust panics in the wasm engine. wasm32 aborts on a panic: the call traps ("RuntimeError:
// unreachable") and, inside an async method, the trap happens in a microtask so the method's
// Promise never settles. The engine's panic hook (crates/web/src/panic.rs) calls the listener
// registered here with the panic's message, synchronously, before the trap: the engine layer
// rejects the call in flight with it (code `internal`) instead of waiting forever.
import { MistralError } from './errors.js';

/** The part of the wasm module's `Engine` class this uses (older builds lack it). */
export interface PanicApi {
  onPanic?(listener: (message: string) => void): void;
  takePanic?(): string | null | undefined;
}

const listeners = new WeakMap<object, Set<(message: string) => void>>();
// Panics whose trap may still surface as an uncaught error (the async case).
let unclaimedTraps = 0;

/** Calls `listener(message)` at every panic of `api`'s wasm instance; returns the unsubscribe. */
export function watchPanics(api: PanicApi, listener: (message: string) => void): () => void {
  let set = listeners.get(api);
  if (set === undefined) {
    const fresh = new Set<(message: string) => void>();
    set = fresh;
    listeners.set(api, fresh);
    api.onPanic?.((message) => {
      unclaimedTraps++;
      for (const l of fresh) l(message);
    });
  }
  set.add(listener);
  return () => set.delete(listener);
}

/** The message of a panic not yet reported through a listener (a sync trap caught here). */
export function takePanic(api: PanicApi): string | null {
  try {
    return api.takePanic?.() ?? null;
  } catch {
    return null;
  }
}

export function crashError(message: string): MistralError {
  return new MistralError('internal',
    `The engine crashed (Rust panic: ${message.trim()}). This engine object cannot be used any more: loading a model ` +
    'creates a new one (or terminate() and createEngine() for a fresh worker). Please report this bug.');
}

/**
 * Whether `error` (an uncaught error event's) is the trap of a panic already reported, which
 * the worker then keeps from reaching the page as a dead worker.
 */
export function claimPanicTrap(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (name !== 'RuntimeError' || unclaimedTraps === 0) return false;
  unclaimedTraps--;
  return true;
}
