// The entry of the engine's dedicated module Worker (created by client.ts).
import type { MessageEndpoint } from './protocol.js';
import { serveEngine } from './worker-host.js';

serveEngine(self as unknown as MessageEndpoint);
