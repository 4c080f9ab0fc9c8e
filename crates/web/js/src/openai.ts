// OpenAI-shaped results: chat.completion and chat.completion.chunk objects.
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionChunkDelta, CompletionUsage, FinishReason } from './types.js';

/** "chatcmpl-" and 24 random hex digits. */
export function completionId(): string {
  const bytes = new Uint8Array(12);
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return `chatcmpl-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** What the wasm's endChat() reports. */
export interface WasmUsage {
  promptTokens: number;
  completionTokens: number;
  prefillSeconds: number;
  decodeSeconds: number;
}

function rate(tokens: number, seconds: number): number {
  return seconds > 0 && tokens > 0 ? tokens / seconds : 0;
}

/** OpenAI usage; `reusedTokens` (KV prefix kept from the previous turn) were not prefilled. */
export function makeUsage(u: WasmUsage, reusedTokens = 0): CompletionUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    extra: {
      prefill_tokens_per_s: rate(Math.max(0, u.promptTokens - reusedTokens), u.prefillSeconds),
      decode_tokens_per_s: rate(u.completionTokens, u.decodeSeconds),
    },
  };
}

/** The fields every chunk and result of one completion share. */
export interface CompletionHeader {
  id: string;
  created: number;
  model: string;
}

export function completionHeader(model: string, now = Date.now()): CompletionHeader {
  return { id: completionId(), created: Math.floor(now / 1000), model };
}

export function makeChunk(
  h: CompletionHeader, delta: ChatCompletionChunkDelta, finishReason: FinishReason | null = null, usage?: CompletionUsage,
): ChatCompletionChunk {
  const chunk: ChatCompletionChunk = {
    id: h.id,
    object: 'chat.completion.chunk',
    created: h.created,
    model: h.model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  };
  if (usage !== undefined) chunk.usage = usage;
  return chunk;
}

export function makeCompletion(h: CompletionHeader, content: string, finishReason: FinishReason, usage: CompletionUsage): ChatCompletion {
  return {
    id: h.id,
    object: 'chat.completion',
    created: h.created,
    model: h.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null }],
    usage,
  };
}

/** Joins a stream's chunks into the result the same request without `stream` would give. */
export function assembleChunks(chunks: ChatCompletionChunk[]): ChatCompletion | null {
  const last = chunks[chunks.length - 1];
  const finish = last?.choices[0]?.finish_reason;
  if (last === undefined || finish === null || finish === undefined || last.usage === undefined) return null;
  const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  return makeCompletion(last, content, finish, last.usage);
}
