// The entry of the engine's dedicated module Worker (created by client.ts).
import { claimPanicTrap } from './panics.js';
import type { MessageEndpoint } from './protocol.js';
import { serveEngine } from './worker-host.js';

// A Rust panic inside an async engine call traps in a microtask: an uncaught error that would
// reach the page as the worker's death. The call was already rejected with the panic's message
// (code internal), and the worker still serves a new engine: keep it alive.
self.addEventListener('error', (ev: ErrorEvent) => {
  if (claimPanicTrap(ev.error)) ev.preventDefault();
});

serveEngine(self as unknown as MessageEndpoint);
