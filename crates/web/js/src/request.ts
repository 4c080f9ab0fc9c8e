// Checks a chat request and turns it into the wasm's request JSON. The fields are those of the
// Rust side (crates/generate/src/request.rs `ChatRequest`): an unknown or unsupported field is a
// bad-request error naming it, never silently dropped (issue 10): a caller asking for something
// the engine does not do (`tools`, `n: 2`, a typo) must learn it.
import type { ChatRequestFields } from './generated/engine-types.js';
import type { ChatCompletionRequest, ChatMessage } from './types.js';
import { bad, normalizeSampling, SAMPLING_FIELDS, type WasmSampling } from './sampling.js';

/** The request object `Engine.beginChat` takes (as JSON). */
export interface WasmChatRequest extends WasmSampling {
  messages: ChatMessage[];
}

const ROLES = new Set(['system', 'user', 'assistant']);

/**
 * Fields other than the sampling ones. `model` (one model is loaded), `user` (OpenAI's end-user
 * id) and `stream_options` (the last chunk always carries usage) are accepted and not needed
 * further; `n` must be 1.
 */
const REQUEST_FIELD_LIST: Record<keyof ChatRequestFields, true> = {
  messages: true, stream: true, stream_options: true, model: true, n: true, user: true,
};
const REQUEST_FIELDS: ReadonlySet<string> = new Set(Object.keys(REQUEST_FIELD_LIST));
const MESSAGE_FIELD_LIST: Record<keyof ChatMessage, true> = { role: true, content: true, name: true };
const MESSAGE_FIELDS: ReadonlySet<string> = new Set(Object.keys(MESSAGE_FIELD_LIST));

function unknownField(key: string, where: string): never {
  throw bad(`unknown field \`${key}\`${where} (mistral-wgpu does not support it; see the README's list of request fields)`);
}

const given = (v: unknown): boolean => v !== undefined && v !== null;

function message(m: unknown, i: number): ChatMessage {
  if (typeof m !== 'object' || m === null) throw bad(`messages[${i}] must be an object`);
  const r = m as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!MESSAGE_FIELDS.has(key)) unknownField(key, ` in messages[${i}]`);
  if (typeof r.role !== 'string' || !ROLES.has(r.role)) throw bad(`messages[${i}].role must be "system", "user" or "assistant"`);
  if (typeof r.content !== 'string') throw bad(`messages[${i}].content must be a string`);
  if (given(r.name) && typeof r.name !== 'string') throw bad(`messages[${i}].name must be a string`);
  // `name` is accepted (OpenAI's participant name) but not shown to the model: not forwarded.
  return { role: r.role as ChatMessage['role'], content: r.content };
}

/** The fields that are not sampling fields: checked, then dropped (nothing further needs them). */
function checkOthers(r: Record<string, unknown>): void {
  if (given(r.stream) && typeof r.stream !== 'boolean') throw bad('stream must be true or false');
  if (given(r.model) && typeof r.model !== 'string') throw bad('model must be a string');
  if (given(r.user) && typeof r.user !== 'string') throw bad('user must be a string');
  if (given(r.n) && r.n !== 1) throw bad(`n: only 1 answer per request is supported, got ${JSON.stringify(r.n)}`);
  const so = r.stream_options;
  if (given(so)) {
    if (typeof so !== 'object' || Array.isArray(so)) throw bad('stream_options must be an object');
    for (const [k, v] of Object.entries(so as Record<string, unknown>)) {
      if (k !== 'include_usage') unknownField(k, ' in stream_options');
      if (given(v) && typeof v !== 'boolean') throw bad('stream_options.include_usage must be true or false');
    }
  }
}

/** Validates `req` and returns what the engine takes (a plain, cloneable object). */
export function normalizeRequest(req: ChatCompletionRequest): WasmChatRequest {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw bad('The request must be an object');
  const r = req as unknown as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!REQUEST_FIELDS.has(key) && !SAMPLING_FIELDS.has(key)) unknownField(key, '');
  }
  if (!Array.isArray(r.messages) || r.messages.length === 0) throw bad('messages must be a non-empty array');
  const messages = r.messages.map(message);
  checkOthers(r);
  return { messages, ...normalizeSampling(r) };
}

/** The request as the `stream` flag and a cloneable copy, for postMessage. */
export function cloneableRequest(req: ChatCompletionRequest): WasmChatRequest & { stream: boolean } {
  const w = normalizeRequest(req);
  return { ...w, stream: req.stream === true };
}
