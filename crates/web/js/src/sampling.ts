// The sampling fields of a chat request, checked with the rules of the Rust side
// (crates/generate/src/params.rs `SamplingParams::validate`, params_wire.rs): OpenAI's names
// plus llama.cpp's extensions, the same ranges, the same aliases. Checking here too means a
// bad request fails at once with a message naming the field, before the worker round trip;
// the wasm engine checks again (it is the authority, e.g. logit_bias ids against the vocabulary).
// The field names come from the generated SamplingFields type: a field added on the Rust side
// fails to compile here until it is handled.
import { MistralError } from './errors.js';
import { NUMBER_RULES, SAMPLING_LIMITS, type NumberRule, type SamplingFields } from './generated/engine-types.js';

/** llama.cpp's and OpenAI's other names for three fields. */
type Alias = 'repeat_penalty' | 'repeat_last_n' | 'max_completion_tokens';
type Canonical = Exclude<keyof SamplingFields, Alias>;

/**
 * Sampling fields as the wasm's `beginChat` takes them: canonical names, absent = default, `stop`
 * as a list and `logprobs` as a flag (with `top_logprobs`).
 */
export type WasmSampling = Omit<{ [K in Canonical]?: NonNullable<SamplingFields[K]> }, 'stop' | 'logprobs'> & {
  stop?: string[];
  logprobs?: boolean;
};

// Limits of crates/generate/src/params.rs, generated from it.
const {
  maxStops: MAX_STOPS, maxStopBytes: MAX_STOP_BYTES, maxTopLogprobs: MAX_TOP_LOGPROBS,
  maxLogitBias: MAX_LOGIT_BIAS, maxBiasEntries: MAX_BIAS_ENTRIES,
} = SAMPLING_LIMITS;
const MAX_U32 = 0xffff_ffff;

/** Alias to canonical name (params_wire.rs `one_of`). */
const ALIASES: Record<string, Canonical> = {
  repeat_penalty: 'repetition_penalty',
  repeat_last_n: 'penalty_last_n',
  max_completion_tokens: 'max_tokens',
} satisfies Record<Alias, Canonical>;

// Every field once: the compiler rejects a missing or unknown key, so this follows SamplingFields.
const FIELD_LIST: Record<keyof SamplingFields, true> = {
  temperature: true, top_p: true, top_k: true, min_p: true, repetition_penalty: true, repeat_penalty: true,
  presence_penalty: true, frequency_penalty: true, penalty_last_n: true, repeat_last_n: true, logit_bias: true, seed: true,
  stop: true, max_tokens: true, max_completion_tokens: true, logprobs: true, top_logprobs: true,
};

/** Every sampling field name a request may use, aliases included. */
export const SAMPLING_FIELDS: ReadonlySet<string> = new Set(Object.keys(FIELD_LIST));

export function bad(message: string): MistralError {
  return new MistralError('bad-request', message);
}

const show = (v: unknown): string => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v) ?? String(v));

const intRange = (lo: number, hi: number) => (n: number): boolean => Number.isInteger(n) && n >= lo && n <= hi;

/** Whether `rule` (generated from the Rust table) accepts `n`, as `NumberRule::accepts` does. */
export function ruleAccepts(rule: NumberRule, n: number): boolean {
  const aboveMin = rule.min_exclusive ? n > rule.min : n >= rule.min;
  return Number.isFinite(n) && aboveMin && n <= rule.max && (!rule.integer || Number.isInteger(n));
}

/** What a rule's message says a value must be, e.g. "a number from 0 (greedy) to 100". */
export function ruleWords(rule: NumberRule): string {
  return `${rule.integer ? 'an integer' : 'a number'} ${rule.words}`;
}

// The table's fields are canonical request names (crates/generate's test checks the table
// against SamplingParams::validate).
const NUMBERS = NUMBER_RULES as ReadonlyArray<NumberRule & { field: Canonical }>;

/** The request's sampling fields under their canonical names; null means absent. */
function canonical(req: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SAMPLING_FIELDS) {
    const v = req[key];
    if (v === undefined || v === null) continue;
    const name = ALIASES[key] ?? key;
    if (name in out) throw bad(`duplicate field \`${name}\` (given both as \`${name}\` and as an alias)`);
    out[name] = v;
  }
  return out;
}

function logitBias(v: unknown): Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('logit_bias must be an object of token id -> bias');
  const out: Record<string, number> = {};
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_BIAS_ENTRIES) throw bad(`logit_bias: at most ${MAX_BIAS_ENTRIES} entries, got ${entries.length}`);
  for (const [key, bias] of entries) {
    // Rust parses the trimmed key as a u32: "7", " 7" and "+7" are token 7.
    const k = key.trim();
    const id = /^\+?\d+$/.test(k) ? Number(k) : NaN;
    if (!(id <= MAX_U32)) throw bad(`logit_bias: keys are token ids, got ${JSON.stringify(key)}`);
    if (typeof bias !== 'number' || !Number.isFinite(bias) || Math.abs(bias) > MAX_LOGIT_BIAS) {
      throw bad(`logit_bias: the bias of token ${id} must be from -100 to 100, got ${show(bias)}`);
    }
    out[String(id)] = bias;
  }
  return out;
}

function stopList(v: unknown): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw bad('stop must be a string or an array of strings');
  // An empty stop string would match before any text: ignored, as OpenAI (and Rust) do.
  const nonEmpty = (list as string[]).filter((s) => s.length > 0);
  if (nonEmpty.length > MAX_STOPS) throw bad(`stop: at most ${MAX_STOPS} strings, got ${nonEmpty.length}`);
  const enc = new TextEncoder();
  const long = nonEmpty.find((s) => enc.encode(s).length > MAX_STOP_BYTES);
  if (long !== undefined) throw bad(`stop: a stop string is at most ${MAX_STOP_BYTES} bytes, got ${enc.encode(long).length}`);
  return nonEmpty;
}

/**
 * Chat takes `logprobs: true` (+ `top_logprobs: n`); the legacy completions form
 * `logprobs: n` is accepted as Rust does. Normalized to `logprobs: true, top_logprobs: n`.
 */
function logprobs(out: WasmSampling, lp: unknown, top: unknown): void {
  const count = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !intRange(0, MAX_TOP_LOGPROBS)(v)) throw bad(`${field} must be an integer from 0 to ${MAX_TOP_LOGPROBS} (got ${show(v)})`);
    return v;
  };
  if (lp !== undefined && typeof lp !== 'boolean' && typeof lp !== 'number') throw bad(`logprobs must be true or false (got ${show(lp)})`);
  if (typeof lp === 'number') {
    if (top !== undefined) throw bad('top_logprobs: give either logprobs: n or logprobs: true with top_logprobs: n');
    out.logprobs = true;
    out.top_logprobs = count(lp, 'logprobs');
    return;
  }
  if (lp !== true) {
    if (top !== undefined) throw bad('top_logprobs needs logprobs: true');
    return;
  }
  out.logprobs = true;
  if (top !== undefined) out.top_logprobs = count(top, 'top_logprobs');
}

/** Checks the sampling fields of `req` and returns them under their canonical names. */
export function normalizeSampling(req: Record<string, unknown>): WasmSampling {
  const c = canonical(req);
  const out: WasmSampling = {};
  for (const rule of NUMBERS) {
    const key = rule.field;
    const v = c[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !ruleAccepts(rule, v)) throw bad(`${key} must be ${ruleWords(rule)} (got ${show(v)})`);
    (out as Record<string, number>)[key] = v;
  }
  if (c.logit_bias !== undefined) {
    const b = logitBias(c.logit_bias);
    if (Object.keys(b).length > 0) out.logit_bias = b;
  }
  if (c.stop !== undefined) {
    const s = stopList(c.stop);
    if (s.length > 0) out.stop = s;
  }
  logprobs(out, c.logprobs, c.top_logprobs);
  return out;
}
