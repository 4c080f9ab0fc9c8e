// Checks a chat request and turns it into the wasm's request JSON.
import { MistralError } from './errors.js';
import type { ChatCompletionRequest, ChatMessage } from './types.js';

/** The request object `Engine.beginChat` takes (as JSON). */
export interface WasmChatRequest {
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  max_tokens?: number;
  stop?: string[];
  seed?: number;
}

const ROLES = new Set(['system', 'user', 'assistant']);

function bad(message: string): MistralError {
  return new MistralError('bad-request', message);
}

function num(req: Record<string, unknown>, key: string, check: (n: number) => boolean, what: string): number | undefined {
  const v = req[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw bad(`${key} must be ${what} (got ${JSON.stringify(v)})`);
  return v;
}

/** Validates `req` and keeps only the fields the engine knows (a plain, cloneable object). */
export function normalizeRequest(req: ChatCompletionRequest): WasmChatRequest {
  if (typeof req !== 'object' || req === null) throw bad('The request must be an object');
  const r = req as unknown as Record<string, unknown>;
  if (!Array.isArray(req.messages) || req.messages.length === 0) throw bad('messages must be a non-empty array');
  const messages = req.messages.map((m, i): ChatMessage => {
    if (typeof m !== 'object' || m === null || !ROLES.has(m.role)) {
      throw bad(`messages[${i}].role must be "system", "user" or "assistant"`);
    }
    if (typeof m.content !== 'string') throw bad(`messages[${i}].content must be a string`);
    return { role: m.role, content: m.content };
  });
  const out: WasmChatRequest = { messages };
  const temperature = num(r, 'temperature', (n) => n >= 0, 'a number >= 0');
  const top_p = num(r, 'top_p', (n) => n > 0 && n <= 1, 'a number in (0, 1]');
  const top_k = num(r, 'top_k', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  const max_tokens = num(r, 'max_tokens', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
  const seed = num(r, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  if (temperature !== undefined) out.temperature = temperature;
  if (top_p !== undefined) out.top_p = top_p;
  if (top_k !== undefined) out.top_k = top_k;
  if (max_tokens !== undefined) out.max_tokens = max_tokens;
  if (seed !== undefined) out.seed = seed;
  const stop = req.stop;
  if (stop !== undefined && stop !== null) {
    const list = typeof stop === 'string' ? [stop] : stop;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw bad('stop must be a string or an array of strings');
    const nonEmpty = list.filter((s) => s.length > 0);
    if (nonEmpty.length > 0) out.stop = nonEmpty;
  }
  return out;
}

/** The request as the `stream` flag and a cloneable copy, for postMessage. */
export function cloneableRequest(req: ChatCompletionRequest): ChatCompletionRequest {
  const w = normalizeRequest(req);
  return { ...w, stream: req.stream === true };
}
