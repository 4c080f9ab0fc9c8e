// Every sampler setting the engine takes, in one table: its request field, label, its neutral
// value (the engine's own default) and how it is typed in. The ranges and their words are the
// package's NUMBER_RULES and SAMPLING_LIMITS, generated from the engine's table
// (crates/generate/src/params.rs), so that a bad value is caught at the field instead of coming
// back as a `bad-request` error. A settings object is `{ <request field>: value }` with
// every field present: numbers, `seed` a number or null (random), `stop` an array of strings.

import { NUMBER_RULES, SAMPLING_LIMITS, ruleAccepts, ruleWords } from '../pkg/index.js';

const { maxStops: MAX_STOPS, maxStopBytes: MAX_STOP_BYTES } = SAMPLING_LIMITS;

/**
 * The settings, in the order the panel shows them. `neutral`: the engine's default, what the
 * page starts from where the model gives none (max_tokens: the page's 512 rather than the rest
 * of the context). `slider`: also shown as a range input carrying the old test id.
 */
export const SAMPLERS = [
  { name: 'temperature', label: 'Temperature', neutral: 0.7, hint: '0 always picks the most likely token (repeatable answers)', inputmode: 'decimal',
    slider: { testid: 'temperature', min: 0, max: 2, step: 0.05 } },
  { name: 'max_tokens', label: 'Max tokens', neutral: 512, hint: 'the longest answer, in tokens', inputmode: 'numeric',
    slider: { testid: 'max-tokens', min: 1, max: 4096, step: 1 } },
  { name: 'top_k', label: 'Top-k', neutral: 40, hint: 'keep the k likeliest tokens; 0 = no limit', inputmode: 'numeric' },
  { name: 'top_p', label: 'Top-p', neutral: 1, hint: 'keep the likeliest tokens up to this mass; 1 = off', inputmode: 'decimal' },
  { name: 'min_p', label: 'Min-p', neutral: 0, hint: 'drop tokens below this share of the likeliest; 0 = off', inputmode: 'decimal' },
  { name: 'repetition_penalty', label: 'Repetition penalty', neutral: 1, hint: '1 = off; above 1 repeats less', inputmode: 'decimal' },
  { name: 'presence_penalty', label: 'Presence penalty', neutral: 0, hint: 'once per token already in the window', inputmode: 'decimal' },
  { name: 'frequency_penalty', label: 'Frequency penalty', neutral: 0, hint: 'per occurrence in the window', inputmode: 'decimal' },
  { name: 'penalty_last_n', label: 'Penalty window', neutral: 64, hint: 'tokens the penalties look back over; 0 = penalties off', inputmode: 'numeric' },
  { name: 'seed', label: 'Seed', neutral: null, optional: true, hint: 'empty = random; the same seed gives the same answer', inputmode: 'numeric' },
  { name: 'stop', label: 'Stop strings', neutral: [], kind: 'stops',
    hint: `one per line, at most ${MAX_STOPS}; the answer ends before any of them (write \\n for a line break)` },
];

// Each numeric setting's range and its words come from the package's NUMBER_RULES, generated
// from the engine's own table (crates/generate/src/params.rs): the field refuses exactly what
// the engine would.
for (const s of SAMPLERS) {
  if (s.kind === 'stops') continue;
  const rule = NUMBER_RULES.find((r) => r.field === s.name);
  if (!rule) throw new Error(`the package has no NUMBER_RULES entry for ${s.name}`);
  s.check = (n) => ruleAccepts(rule, n);
  s.rule = ruleWords(rule) + (s.optional ? ', or empty for a random seed' : '');
}

const BY_NAME = new Map(SAMPLERS.map((s) => [s.name, s]));

/** The test id of a setting's input: `settings-` and the request field with `-` for `_`. */
export const testIdOf = (name) => `settings-${name.replaceAll('_', '-')}`;

/** The engine's defaults (the page's 512 max tokens), as a settings object. */
export function neutralSettings() {
  return Object.fromEntries(SAMPLERS.map((s) => [s.name, structuredClone(s.neutral)]));
}

// Stop strings are typed one per line; `\n`, `\t` and `\\` stand for a line break, a tab and a
// backslash, so a stop string can hold a line break.
const unescapeStop = (line) => line.replace(/\\(n|t|\\)/g, (_, c) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
const escapeStop = (s) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');

function checkStops(list) {
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) return { error: 'must be a list of strings' };
  const stops = list.filter((s) => s.length > 0); // an empty stop string is ignored, as the engine does
  if (stops.length > MAX_STOPS) return { error: `at most ${MAX_STOPS} stop strings, got ${stops.length}` };
  const enc = new TextEncoder();
  const long = stops.find((s) => enc.encode(s).length > MAX_STOP_BYTES);
  if (long !== undefined) return { error: `a stop string is at most ${MAX_STOP_BYTES} bytes, got ${enc.encode(long).length}` };
  return { value: stops };
}

/** Checks a value of setting `name`: `{ value }` or `{ error }` (a sentence for the field). */
export function checkValue(name, value) {
  const s = BY_NAME.get(name);
  if (!s) return { error: `unknown setting ${name}` };
  if (s.kind === 'stops') return checkStops(value);
  if (value === null && s.optional) return { value: null };
  if (typeof value !== 'number' || !Number.isFinite(value) || !s.check(value)) return { error: `${s.label} must be ${s.rule}.` };
  return { value };
}

/** Parses what is typed in setting `name`'s field: `{ value }` or `{ error }`. */
export function parseText(name, text) {
  const s = BY_NAME.get(name);
  if (s.kind === 'stops') return checkStops(text.split('\n').map(unescapeStop));
  const t = text.trim();
  if (t === '') return s.optional ? { value: null } : { error: `${s.label} must be ${s.rule}.` };
  // Number('') and Number('0x10') are numbers; only plain decimals count here.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return { error: `${s.label} must be ${s.rule}.` };
  return checkValue(name, Number(t));
}

/** A value as its field shows it. */
export function formatValue(name, value) {
  const s = BY_NAME.get(name);
  if (s.kind === 'stops') return (value ?? []).map(escapeStop).join('\n');
  return value === null || value === undefined ? '' : String(value);
}

/**
 * A settings object from anything stored or given (an old record, the model's defaults):
 * every valid field of `given` over `base`; the invalid ones are left out (and logged).
 */
export function mergeSettings(base, given) {
  const out = { ...base };
  if (!given || typeof given !== 'object') return out;
  for (const [name, value] of Object.entries(given)) {
    if (!BY_NAME.has(name) || value === undefined) continue;
    const r = checkValue(name, value);
    if ('value' in r) out[name] = r.value;
    else console.warn(`setting ${name} ignored: ${r.error}`, value);
  }
  return out;
}

/**
 * The model's defaults: the page's, with what the model file sets (`samplingDefaults`, from
 * its general.sampling.* keys, when the package reports them) over them.
 */
export function modelDefaults(info) {
  return mergeSettings(neutralSettings(), info?.samplingDefaults ?? {});
}

/** Which settings the model file sets itself (names), for the panel to say so. */
export function modelSetNames(info) {
  const given = info?.samplingDefaults ?? {};
  return SAMPLERS.filter((s) => s.name in given && 'value' in checkValue(s.name, given[s.name])).map((s) => s.name);
}

/**
 * The request fields for `settings`: every sampler explicitly (so each one reaches the engine
 * as shown), except a random seed (absent) and no stop strings (absent).
 */
export function requestFields(settings) {
  const out = {};
  for (const s of SAMPLERS) {
    const v = settings[s.name];
    if (v === null || v === undefined || (s.kind === 'stops' && v.length === 0)) continue;
    out[s.name] = s.kind === 'stops' ? [...v] : v;
  }
  return out;
}

/** "temperature 0.7, top_k 40, ..." for exports. */
export function describeSettings(settings) {
  return SAMPLERS.map((s) => {
    const v = settings?.[s.name];
    if (s.kind === 'stops') return `${s.name} ${JSON.stringify(v ?? [])}`;
    return `${s.name} ${v === null || v === undefined ? (s.optional ? 'random' : '–') : v}`;
  }).join(', ');
}
