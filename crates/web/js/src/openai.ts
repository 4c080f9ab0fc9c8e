// OpenAI-shaped results: chat.completion and chat.completion.chunk objects.
import type { EngineUsage } from './generated/engine-types.js';
import type {
  ChatCompletion, ChatCompletionChunk, ChatCompletionChunkDelta, ChatCompletionLogprobs, CompletionUsage, ContextNotice, FinishReason,
} from './types.js';

/** "chatcmpl-" and 24 random hex digits. */
export function completionId(): string {
  const bytes = new Uint8Array(12);
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return `chatcmpl-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function rate(tokens: number, seconds: number): number {
  return seconds > 0 && tokens > 0 ? tokens / seconds : 0;
}

/** OpenAI usage; `reusedTokens` (KV prefix kept from the previous turn) were not prefilled. */
export function makeUsage(u: EngineUsage, reusedTokens = 0): CompletionUsage {
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

/** What the last chunk (and the whole result) carry besides OpenAI's fields. */
export interface Ending {
  finishReason: FinishReason;
  usage: CompletionUsage;
  context: ContextNotice;
}

/** `logprobs` null: not asked for. The last chunk is the one with an `end`. */
export function makeChunk(
  h: CompletionHeader, delta: ChatCompletionChunkDelta, logprobs: ChatCompletionLogprobs | null = null, end?: Ending,
): ChatCompletionChunk {
  const chunk: ChatCompletionChunk = {
    id: h.id,
    object: 'chat.completion.chunk',
    created: h.created,
    model: h.model,
    choices: [{ index: 0, delta, finish_reason: end?.finishReason ?? null, logprobs }],
  };
  if (end !== undefined) Object.assign(chunk, { usage: end.usage }, end.context);
  return chunk;
}

export function makeCompletion(h: CompletionHeader, content: string, logprobs: ChatCompletionLogprobs | null, end: Ending): ChatCompletion {
  return {
    id: h.id,
    object: 'chat.completion',
    created: h.created,
    model: h.model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: end.finishReason, logprobs }],
    usage: end.usage,
    ...end.context,
  };
}

/** Joins a stream's chunks into the result the same request without `stream` would give. */
export function assembleChunks(chunks: ChatCompletionChunk[]): ChatCompletion | null {
  const last = chunks[chunks.length - 1];
  const finish = last?.choices[0]?.finish_reason;
  if (last === undefined || finish === null || finish === undefined || last.usage === undefined) return null;
  const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  // The last chunk has logprobs (maybe empty) whenever they were asked for.
  const logprobs = last.choices[0]?.logprobs === null ? null
    : { content: chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []) };
  const context: ContextNotice = { dropped_messages: last.dropped_messages ?? 0 };
  if (last.notice !== undefined) context.notice = last.notice;
  return makeCompletion(last, content, logprobs, { finishReason: finish, usage: last.usage, context });
}
