// Unit tests of the pure logic, the chunked reader and cache (fake fetch + fake Cache Storage),
// the engine core and the worker protocol (fake wasm module). Run by `npm test` on the compiled
// dist/ with node's built-in runner; no dependencies, no browser, no GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { chunkCount, chunkRange, chunksFor, bytesOfChunks } from '../dist/chunks.js';
import { formatBytes, formatRatio, progressText, ProgressThrottle } from '../dist/progress.js';
import { makeUsage, makeChunk, makeCompletion, completionHeader, assembleChunks } from '../dist/openai.js';
import { normalizeRequest, cloneableRequest } from '../dist/request.js';
import { PushStream } from '../dist/stream.js';
import { MistralError, toMistralError, serializeError, deserializeError } from '../dist/errors.js';
import { urlReader, blobReader } from '../dist/loader.js';
import { chunkKey, chunkIndexOfKey, isModelCached, cachedModels, deleteCachedModel } from '../dist/cache.js';
import { EngineCore } from '../dist/engine-core.js';
import { serveEngine } from '../dist/worker-host.js';
import { WorkerEngine } from '../dist/client.js';
import { downloadModel } from '../dist/download.js';
import * as api from '../dist/index.js';

// ---------------------------------------------------------------- pure logic

test('chunk math', () => {
  assert.equal(chunkCount(0, 16), 0);
  assert.equal(chunkCount(16, 16), 1);
  assert.equal(chunkCount(17, 16), 2);
  assert.deepEqual(chunkRange(0, 40, 16), [0, 16]);
  assert.deepEqual(chunkRange(2, 40, 16), [32, 40]);
  assert.deepEqual(chunksFor(0, 16, 16), [0, 0]);
  assert.deepEqual(chunksFor(15, 2, 16), [0, 1]);
  assert.deepEqual(chunksFor(16, 0, 16), [1, 1]);
  assert.deepEqual(chunksFor(5, 40, 16), [0, 2]);
  assert.equal(bytesOfChunks([0, 2], 40, 16), 24);
});

test('progress text', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(12_345), '12 KB');
  assert.equal(formatBytes(120_500_000), '120.5 MB');
  assert.equal(formatBytes(4_100_000_000), '4.1 GB');
  assert.equal(formatRatio(1_200_000_000, 4_100_000_000), '1.2 / 4.1 GB');
  assert.equal(progressText('download', 1_200_000_000, 4_100_000_000), 'Downloading 1.2 / 4.1 GB (29%)');
  assert.equal(progressText('cache', 50_000_000, 100_000_000), 'Reading from cache 50.0 / 100.0 MB (50%)');
  assert.equal(progressText('upload', 1, 0), 'Uploading to the GPU');
  assert.equal(progressText('compile', 0, 0), 'Compiling GPU kernels');
  assert.equal(progressText('ready', 5, 5), 'Ready');
});

test('progress throttle: ~10/s, but phase changes and phase ends always pass', () => {
  let now = 0;
  const seen = [];
  const t = new ProgressThrottle((p) => seen.push(`${p.phase}:${p.loaded}`), 100, () => now);
  t.report('header', 0, 0);
  t.report('download', 1, 10);
  now = 50;
  t.report('download', 2, 10); // dropped
  now = 120;
  t.report('download', 3, 10);
  now = 130;
  t.report('download', 10, 10); // end of phase
  t.report('ready', 10, 10);
  assert.deepEqual(seen, ['header:0', 'download:1', 'download:3', 'download:10', 'ready:10']);
});

test('OpenAI shapes and usage', () => {
  const u = makeUsage({ promptTokens: 30, completionTokens: 10, prefillSeconds: 0.5, decodeSeconds: 2 }, 20);
  assert.deepEqual(u, { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40, extra: { prefill_tokens_per_s: 20, decode_tokens_per_s: 5 } });
  assert.equal(makeUsage({ promptTokens: 1, completionTokens: 0, prefillSeconds: 0, decodeSeconds: 0 }).extra.decode_tokens_per_s, 0);
  const h = completionHeader('tiny', 1_700_000_000_500);
  assert.match(h.id, /^chatcmpl-[0-9a-f]{24}$/);
  assert.equal(h.created, 1_700_000_000);
  const end = { finishReason: 'stop', usage: u, context: { dropped_messages: 0 } };
  const chunks = [
    makeChunk(h, { role: 'assistant', content: '' }),
    makeChunk(h, { content: 'Hel' }),
    makeChunk(h, { content: 'lo' }),
    makeChunk(h, {}, null, end),
  ];
  assert.equal(chunks[1].object, 'chat.completion.chunk');
  assert.equal(chunks[1].usage, undefined);
  assert.equal(chunks[1].dropped_messages, undefined);
  assert.deepEqual(chunks[3].choices, [{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }]);
  assert.equal(chunks[3].dropped_messages, 0);
  const whole = assembleChunks(chunks);
  assert.deepEqual(whole, makeCompletion(h, 'Hello', null, end));
  assert.equal(whole.object, 'chat.completion');
  assert.deepEqual(whole.choices[0].message, { role: 'assistant', content: 'Hello' });

  // Logprobs and the context notice survive assembling a stream.
  const lp = (token) => ({ id: 1, token, logprob: -0.5, bytes: [...Buffer.from(token)], top_logprobs: [] });
  const noticed = { ...end, context: { dropped_messages: 2, notice: '2 old messages were left out' } };
  const withLp = [
    makeChunk(h, { role: 'assistant', content: '' }),
    makeChunk(h, { content: 'Hel' }, { content: [lp('Hel')] }),
    makeChunk(h, {}, { content: [lp('lo')] }, noticed),
  ];
  assert.equal(withLp[2].notice, '2 old messages were left out');
  assert.deepEqual(assembleChunks(withLp), makeCompletion(h, 'Hel', { content: [lp('Hel'), lp('lo')] }, noticed));
});

const hi = [{ role: 'user', content: 'hi' }];

test('request validation', () => {
  assert.deepEqual(normalizeRequest({ messages: [{ role: 'user', content: 'hi', name: 'ann' }], stop: 'x', temperature: 0, stream: true }), {
    messages: [{ role: 'user', content: 'hi' }], stop: ['x'], temperature: 0,
  });
  for (const bad of [
    {}, { messages: [] }, { messages: [{ role: 'bot', content: 'x' }] }, { messages: [{ role: 'user', content: 1 }] },
    { messages: hi, temperature: -1 }, { messages: hi, top_p: 0 }, { messages: hi, max_tokens: 0.5 }, { messages: hi, stop: [1] },
  ]) {
    assert.throws(() => normalizeRequest(bad), (e) => e instanceof MistralError && e.code === 'bad-request', JSON.stringify(bad));
  }
});

test('request: every sampling field passes through under its canonical name', () => {
  const req = {
    messages: hi, model: 'any', n: 1, user: 'u', stream: false, stream_options: { include_usage: true },
    temperature: 0.2, top_p: 0.9, top_k: 5, min_p: 0.05, repeat_penalty: 1.1, presence_penalty: 0.5, frequency_penalty: -0.5,
    repeat_last_n: 32, logit_bias: { 7: -100, ' 9': 2.5 }, seed: 42, stop: ['\n', ''], max_completion_tokens: 10, logprobs: true, top_logprobs: 3,
  };
  assert.deepEqual(normalizeRequest(req), {
    messages: hi, temperature: 0.2, top_p: 0.9, top_k: 5, min_p: 0.05, repetition_penalty: 1.1, presence_penalty: 0.5,
    frequency_penalty: -0.5, penalty_last_n: 32, logit_bias: { 7: -100, 9: 2.5 }, seed: 42, stop: ['\n'], max_tokens: 10,
    logprobs: true, top_logprobs: 3,
  });
  // Canonical names too; null is the default; logprobs false / the legacy count form.
  assert.deepEqual(normalizeRequest({ messages: hi, repetition_penalty: 1.3, penalty_last_n: 0, max_tokens: 4, temperature: null, logprobs: false }), {
    messages: hi, repetition_penalty: 1.3, penalty_last_n: 0, max_tokens: 4,
  });
  assert.deepEqual(normalizeRequest({ messages: hi, logprobs: 2 }), { messages: hi, logprobs: true, top_logprobs: 2 });
  assert.deepEqual(normalizeRequest({ messages: hi, logprobs: true }), { messages: hi, logprobs: true });
  // What the client sends the worker is accepted again there (the core re-validates).
  const once = cloneableRequest({ ...req, stream: true });
  assert.equal(once.stream, true);
  assert.deepEqual(cloneableRequest(once), once);
});

test('request: unknown fields and bad values are bad-request errors naming the field', () => {
  const cases = [
    [{ messages: hi, mirostat: 2 }, /unknown field `mirostat`/],
    [{ messages: hi, tools: [] }, /unknown field `tools`/],
    [{ messages: hi, topP: 0.5 }, /unknown field `topP`/],
    [{ messages: [{ role: 'user', content: 'hi', extra: 1 }] }, /unknown field `extra` in messages\[0\]/],
    [{ messages: hi, stream_options: { x: 1 } }, /unknown field `x` in stream_options/],
    [{ messages: hi, n: 2 }, /only 1 answer/],
    [{ messages: hi, repeat_penalty: 1.1, repetition_penalty: 1.2 }, /duplicate field `repetition_penalty`/],
    [{ messages: hi, max_tokens: 1, max_completion_tokens: 2 }, /duplicate field `max_tokens`/],
    [{ messages: hi, temperature: 101 }, /temperature/],
    [{ messages: hi, temperature: 'hot' }, /temperature/],
    [{ messages: hi, min_p: 1.5 }, /min_p/],
    [{ messages: hi, repetition_penalty: 0 }, /repetition_penalty/],
    [{ messages: hi, presence_penalty: 3 }, /presence_penalty/],
    [{ messages: hi, frequency_penalty: -2.5 }, /frequency_penalty/],
    [{ messages: hi, penalty_last_n: -1 }, /penalty_last_n/],
    [{ messages: hi, top_k: 1.5 }, /top_k/],
    [{ messages: hi, logit_bias: { x: 1 } }, /keys are token ids/],
    [{ messages: hi, logit_bias: { 1: 500 } }, /logit_bias/],
    [{ messages: hi, logit_bias: [1] }, /logit_bias/],
    [{ messages: hi, top_logprobs: 2 }, /needs logprobs: true/],
    [{ messages: hi, logprobs: 2, top_logprobs: 2 }, /either/],
    [{ messages: hi, logprobs: true, top_logprobs: 21 }, /top_logprobs/],
    [{ messages: hi, logprobs: 'yes' }, /logprobs/],
    [{ messages: hi, stop: Array.from({ length: 17 }, (_, i) => `s${i}`) }, /at most 16/],
    [{ messages: hi, stop: 'é'.repeat(513) }, /1024 bytes/],
    [{ messages: hi, seed: -1 }, /seed/],
    [{ messages: hi, stream: 'yes' }, /stream/],
  ];
  for (const [req, re] of cases) {
    assert.throws(() => normalizeRequest(req), (e) => e instanceof MistralError && e.code === 'bad-request' && re.test(e.message), JSON.stringify(req));
  }
});

test('errors: wasm errors keep their code, DOM errors map, round trip through messages', () => {
  const wasmErr = Object.assign(new Error('no GPU'), { name: 'MistralError', code: 'no-adapter' });
  const m = toMistralError(wasmErr);
  assert.ok(m instanceof MistralError);
  assert.equal(m.code, 'no-adapter');
  assert.equal(m.name, 'MistralError');
  assert.equal(toMistralError(Object.assign(new Error('x'), { name: 'QuotaExceededError' })).code, 'quota');
  assert.equal(toMistralError(Object.assign(new Error('x'), { name: 'AbortError' })).code, 'aborted');
  assert.equal(toMistralError('boom').code, 'internal');
  const back = deserializeError(structuredClone(serializeError(m)));
  assert.ok(back instanceof MistralError && back instanceof Error);
  assert.equal(back.code, 'no-adapter');
  assert.equal(back.message, 'no GPU');
  assert.equal(api.MistralError, MistralError);
});

test('PushStream: queued and waiting items, end, failure, early return cancels', async () => {
  let cancelled = 0;
  const s = new PushStream(() => cancelled++);
  s.push(1);
  await s.first();
  const got = [];
  setTimeout(() => { s.push(2); s.push(3); s.end(); }, 5);
  for await (const x of s) got.push(x);
  assert.deepEqual(got, [1, 2, 3]);
  assert.equal(cancelled, 0);

  const f = new PushStream();
  f.fail(new MistralError('context', 'too long'));
  await assert.rejects(f.first(), (e) => e.code === 'context');
  await assert.rejects(f.next(), (e) => e.code === 'context');

  const c = new PushStream(() => cancelled++);
  c.push('a');
  c.push('b');
  for await (const x of c) { assert.equal(x, 'a'); break; }
  assert.equal(cancelled, 1);
});

// ---------------------------------------------------------------- reader and cache

class FakeCache {
  constructor() { this.entries = new Map(); this.puts = 0; this.failPuts = false; }
  key(k) { return typeof k === 'string' ? new URL(k).href : k.url; }
  async match(k) {
    const e = this.entries.get(this.key(k));
    return e === undefined ? undefined : new Response(e.body.slice(0), { headers: e.headers });
  }
  async put(k, res) {
    if (this.failPuts) throw Object.assign(new Error('quota exceeded'), { name: 'QuotaExceededError' });
    this.puts++;
    this.entries.set(this.key(k), { body: await res.arrayBuffer(), headers: Object.fromEntries(res.headers) });
  }
  async keys() { return [...this.entries.keys()].map((u) => new Request(u)); }
  async delete(k) { return this.entries.delete(this.key(k)); }
}

function installCaches() {
  const cache = new FakeCache();
  globalThis.caches = { open: async () => cache };
  return cache;
}

/** A fake HTTP server for one file: honours single ranges (unless told not to), counts requests. */
function installServer(file, { ranges = true, etag = '"v1"', exposeContentRange = true } = {}) {
  const log = [];
  globalThis.fetch = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    const method = init.method ?? 'GET';
    log.push(`${method} ${headers.get('range') ?? ''}`.trim());
    if (init.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    const base = { etag };
    if (method === 'HEAD') return new Response(null, { status: 200, headers: { ...base, 'content-length': String(file.length) } });
    const range = headers.get('range');
    if (range === null || !ranges) return new Response(file.slice(), { status: 200, headers: base });
    const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range);
    const start = Number(a);
    const end = Math.min(Number(b), file.length - 1);
    const h = { ...base, 'content-length': String(end - start + 1) };
    if (exposeContentRange) h['content-range'] = `bytes ${start}-${end}/${file.length}`;
    return new Response(file.slice(start, end + 1), { status: 206, headers: h });
  };
  return log;
}

function testFile(n) {
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) f[i] = (i * 7 + 3) & 255;
  return f;
}

const URL_ = 'https://example.test/models/tiny.gguf';

test('urlReader without cache: ranged reads across chunk boundaries, prefetch, size from Content-Range', async () => {
  delete globalThis.caches;
  const file = testFile(100);
  const log = installServer(file);
  const r = await urlReader(URL_, { cache: false, chunkSize: 16 });
  assert.equal(r.size, 100);
  assert.deepEqual(await r.read(10, 30), file.slice(10, 40));
  assert.deepEqual(await r.read(95, 5), file.slice(95, 100));
  assert.deepEqual(await r.read(0, 0), new Uint8Array(0));
  await assert.rejects(r.read(99, 2), (e) => e.code === 'unsupported-file');
  assert.equal(log[0], 'GET bytes=0-0');
  assert.ok(log.includes('GET bytes=0-15') && log.includes('GET bytes=32-47'));
  assert.ok(log.includes('GET bytes=48-63'), 'the chunk after a read is prefetched');
});

test('urlReader: size from HEAD when Content-Range is not exposed', async () => {
  delete globalThis.caches;
  const file = testFile(50);
  const log = installServer(file, { exposeContentRange: false });
  const r = await urlReader(URL_, { cache: false, chunkSize: 16 });
  assert.equal(r.size, 50);
  assert.deepEqual(log.slice(0, 2), ['GET bytes=0-0', 'HEAD']);
});

test('urlReader: a server that ignores ranges is a clear network error', async () => {
  delete globalThis.caches;
  installServer(testFile(50), { ranges: false });
  await assert.rejects(urlReader(URL_, { cache: false }), (e) => e instanceof MistralError && e.code === 'network' && /range/i.test(e.message));
});

test('urlReader: fetch failures (CORS) say so', async () => {
  delete globalThis.caches;
  globalThis.fetch = async () => { throw new TypeError('Failed to fetch'); };
  await assert.rejects(urlReader(URL_, { cache: false }), (e) => e.code === 'network' && /CORS/.test(e.message));
});

test('cache: resumes an interrupted download, then a second visit makes no request at all', async () => {
  const cache = installCaches();
  const file = testFile(100);
  let log = installServer(file);
  const events = [];
  // First visit: reads the first 2 chunks, then "the tab is closed".
  const r1 = await urlReader(URL_, { chunkSize: 16, onBytes: (kind, local) => events.push([kind, local]) });
  assert.deepEqual(await r1.read(0, 20), file.slice(0, 20));
  await new Promise((res) => setTimeout(res, 10)); // let the prefetch land
  assert.equal(await isModelCached(URL_), false);
  assert.ok(events.some(([k]) => k === 'download'));
  const partial = await cachedModels();
  assert.equal(partial.length, 1);
  assert.equal(partial[0].url, URL_);
  assert.equal(partial[0].complete, false);
  assert.equal(partial[0].cachedBytes, 48); // chunks 0, 1 and the prefetched 2

  // Second visit: cached chunks come from the cache, the rest from the network.
  log = installServer(file);
  const r2 = await urlReader(URL_, { chunkSize: 16 });
  assert.deepEqual(await r2.read(0, 100), file);
  const fetched = log.filter((l) => l !== 'GET bytes=0-0');
  assert.deepEqual(fetched, ['GET bytes=48-63', 'GET bytes=64-79', 'GET bytes=80-95', 'GET bytes=96-99']);
  assert.equal(await isModelCached(URL_), true);
  const [entry] = await cachedModels();
  assert.ok(Math.abs(Date.parse(entry.storedAt) - Date.now()) < 60_000, `stored just now: ${entry.storedAt}`);
  assert.deepEqual(await cachedModels(), [{ url: URL_, size: 100, cachedBytes: 100, complete: true, storedAt: entry.storedAt }]);

  // Third visit: no network.
  log = installServer(file);
  const kinds = new Set();
  const r3 = await urlReader(URL_, { onBytes: (kind) => kinds.add(kind) });
  assert.equal(r3.source, 'cache');
  assert.deepEqual(await r3.read(3, 90), file.slice(3, 93));
  assert.deepEqual(log, []);
  assert.deepEqual([...kinds], ['cache']);

  // A changed file (new ETag) on a partial entry is downloaded afresh.
  assert.equal(await deleteCachedModel(URL_), true);
  assert.equal(cache.entries.size, 0);
  assert.deepEqual(await cachedModels(), []);
});

test('cache: a changed ETag discards a partial download', async () => {
  installCaches();
  const file = testFile(64);
  installServer(file, { etag: '"old"' });
  const r1 = await urlReader(URL_, { chunkSize: 16 });
  await r1.read(0, 4);
  await new Promise((res) => setTimeout(res, 10));
  const log = installServer(file, { etag: '"new"' });
  const r2 = await urlReader(URL_, { chunkSize: 16 });
  await r2.read(0, 4);
  assert.ok(log.includes('GET bytes=0-15'), 'chunk 0 is fetched again');
});

test('cache keys: chunk index round trip, URLs with a query', () => {
  const u = 'https://h.test/a.gguf?download=true';
  assert.equal(chunkIndexOfKey(u, chunkKey(u, 12)), 12);
  assert.equal(chunkIndexOfKey(u, chunkKey('https://h.test/b.gguf', 12)), null);
  assert.equal(chunkIndexOfKey(URL_, chunkKey(URL_, 0)), 0);
});

test('quota: too little storage fails before downloading; QuotaExceededError maps to quota', async () => {
  const cache = installCaches();
  installServer(testFile(3_000_000));
  Object.defineProperty(globalThis, 'navigator', { value: { storage: { estimate: async () => ({ quota: 1_500_000, usage: 500_000 }) } }, configurable: true, writable: true });
  await assert.rejects(urlReader(URL_ + '?q'), (e) => e.code === 'quota' && /3\.0 MB/.test(e.message) && /1\.0 MB/.test(e.message));
  Object.defineProperty(globalThis, 'navigator', { value: { storage: { estimate: async () => ({ quota: 1e12, usage: 0 }) } }, configurable: true, writable: true });
  const r = await urlReader(URL_ + '?q2', { chunkSize: 1 << 20 });
  cache.failPuts = true;
  await assert.rejects(r.read(0, 10), (e) => e.code === 'quota');
  delete globalThis.navigator;
});

test('abort signal: reads throw aborted', async () => {
  delete globalThis.caches;
  installServer(testFile(64));
  const ac = new AbortController();
  const r = await urlReader(URL_, { cache: false, chunkSize: 16, signal: ac.signal });
  assert.equal((await r.read(0, 4)).length, 4);
  ac.abort();
  await assert.rejects(r.read(20, 4), (e) => e.code === 'aborted');
});

test('blobReader', async () => {
  const file = testFile(70);
  const r = blobReader(new Blob([file]), {}, undefined, 16);
  assert.equal(r.size, 70);
  assert.deepEqual(await r.read(14, 40), file.slice(14, 54));
});

// ---------------------------------------------------------------- engine core and worker protocol

/** A fake wasm module following the Engine contract. */
function fakeWasm({ tokens = ['Hel', 'lo', '', ' world'], finish = 'stop', failStep = null } = {}) {
  const state = { created: 0, freed: 0, unloaded: 0, loadedFrom: null };
  class Engine {
    constructor() { this.model = null; this.chat = null; state.created++; }
    static async create() { return new Engine(); }
    static wasmMemoryBytes() { return 1 << 20; }
    adapterInfo() { return JSON.stringify({ name: 'fake', backend: 'webgpu', deviceType: 'cpu', driver: '', features: [], limits: { maxBufferSize: 1, maxStorageBufferBindingSize: 1 }, kernels: 'cpu', kernelsReason: 'the adapter is a CPU implementation' }); }
    async loadModel(reader, optionsJson, onProgress) {
      onProgress('header', 0, 0);
      const head = await reader.read(0, 4);
      if (String.fromCharCode(...head) !== 'GGUF') throw Object.assign(new Error('not a GGUF file'), { name: 'MistralError', code: 'unsupported-file' });
      onProgress('compile', 0, 0);
      for (let off = 4; off < reader.size; off += 8) {
        await reader.read(off, Math.min(8, reader.size - off));
        await new Promise((r) => setTimeout(r, 0)); // the GPU upload
        onProgress('upload', Math.min(off + 8, reader.size) - 4, reader.size - 4);
      }
      onProgress('ready', 0, 0);
      state.loadedFrom = JSON.parse(optionsJson);
      const kernels = state.loadedFrom.kernels ?? 'auto';
      if (!['auto', 'cpu', 'gpu'].includes(kernels)) throw Object.assign(new Error(`kernels must be "auto", "cpu" or "gpu", not "${kernels}"`), { name: 'MistralError', code: 'bad-request' });
      this.model = {
        name: 'tiny-test', architecture: 'llama', quantization: 'Q8_0', parameters: 1, fileBytes: reader.size, vocabSize: 3, contextLength: 64, usableContext: 64, slidingWindow: null,
        kvPrecision: state.loadedFrom.kvPrecision === 'f16' ? 'f16' : 'f32', nLayers: 1, dim: 8, gpuBytes: 10, chatTemplate: '{{ messages }}', chatTemplateBuiltin: false,
        kernels: kernels === 'auto' ? 'cpu' : kernels, kernelsReason: kernels === 'auto' ? 'the adapter is a CPU implementation' : 'forced by the kernels load option',
      };
      return JSON.stringify(this.model);
    }
    unload() { this.model = null; state.unloaded++; }
    modelInfo() { return this.model ? JSON.stringify(this.model) : undefined; }
    async logits(t) { return new Float32Array(t.length * 3).fill(0.5); }
    reset() {}
    get vocabSize() { return 3; }
    tokenize() { return new Uint32Array([1]); }
    beginChat(json) {
      const req = JSON.parse(json);
      state.lastRequest = req;
      if (!this.model) throw Object.assign(new Error('no model'), { name: 'MistralError', code: 'no-model' });
      this.chat = { i: 0, req };
      // As crates/web/src/lib.rs: more than 3 messages "do not fit", the oldest are dropped.
      const dropped = Math.max(0, req.messages.length - 3);
      return JSON.stringify({ promptTokens: 12, reusedTokens: 2, droppedMessages: dropped, ...(dropped ? { notice: `${dropped} old messages were left out` } : {}) });
    }
    async step() {
      await new Promise((r) => setTimeout(r, 2));
      const c = this.chat;
      if (failStep !== null && c.i === failStep) throw Object.assign(new Error('lost'), { name: 'MistralError', code: 'device-lost' });
      const max = c.req.max_tokens ?? tokens.length;
      const text = tokens[c.i++];
      const done = c.i >= Math.min(max, tokens.length);
      const out = { text, done, finishReason: done ? (c.i >= max && max < tokens.length ? 'length' : finish) : null };
      // As crates/web/src/completion.rs: OpenAI's entry, for every token (even one whose text is held back).
      const entry = (id, token, logprob) => ({ id, token, logprob, bytes: [...Buffer.from(token)] });
      if (c.req.logprobs) {
        out.logprobs = { ...entry(c.i, text, -0.25 * c.i), top_logprobs: Array.from({ length: c.req.top_logprobs ?? 0 }, (_, k) => entry(100 + k, `alt${k}`, -1 - k)) };
      }
      return JSON.stringify(out);
    }
    endChat() { const n = this.chat.i; this.chat = null; return JSON.stringify({ promptTokens: 12, completionTokens: n, prefillSeconds: 0.5, decodeSeconds: 2 }); }
    free() { state.freed++; }
  }
  return { mod: { default: async () => undefined, Engine }, state };
}

function ggufBlob(n = 40) {
  const b = testFile(n);
  b.set([71, 71, 85, 70]);
  return new Blob([b]);
}

test('EngineCore: load with progress, stream, non-stream, abort, errors', async () => {
  const { mod, state } = fakeWasm();
  const core = await EngineCore.create({ wasm: mod });
  await assert.rejects(core.chat({ messages: [{ role: 'user', content: 'hi' }] }), (e) => e.code === 'no-model');
  const phases = [];
  const info = await core.loadModel(ggufBlob(), { contextLength: 32, onProgress: (p) => phases.push(p.phase) });
  assert.equal(info.name, 'tiny-test');
  assert.deepEqual(state.loadedFrom, { contextLength: 32 });
  assert.equal(phases[0], 'header');
  assert.ok(phases.includes('compile') && phases.includes('upload'));
  assert.equal(phases.at(-1), 'ready');
  assert.deepEqual(core.modelInfo(), info);

  const chunks = [];
  const res = await core.chat({ messages: [{ role: 'user', content: 'hi' }], stream: true }, (c) => chunks.push(c));
  assert.deepEqual(chunks.map((c) => c.choices[0].delta), [{ role: 'assistant', content: '' }, { content: 'Hel' }, { content: 'lo' }, { content: ' world' }, {}]);
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16, extra: { prefill_tokens_per_s: 20, decode_tokens_per_s: 2 } });
  assert.ok(chunks.every((c) => c.id === res.id && c.model === 'tiny-test'));
  assert.equal(res.choices[0].message.content, 'Hello world');

  const len = await core.chat({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
  assert.equal(len.choices[0].finish_reason, 'length');
  assert.equal(len.choices[0].message.content, 'Hello');

  const p = core.chat({ messages: [{ role: 'user', content: 'hi' }] });
  setTimeout(() => core.abort(), 3);
  const aborted = await p;
  assert.equal(aborted.choices[0].finish_reason, 'abort');
  assert.ok(aborted.usage.completion_tokens < 4);

  await assert.rejects(core.loadModel(new Blob(['nope, not gguf'])), (e) => e.code === 'unsupported-file');
  assert.equal(core.modelInfo(), null);
  await assert.rejects(core.logits([1, 2]), (e) => e.code === 'no-model');
});

test('EngineCore: logprobs in OpenAI shape, streamed and not; held-back tokens ride with the next text; the context notice', async () => {
  const { mod } = fakeWasm();
  const core = await EngineCore.create({ wasm: mod });
  await core.loadModel(ggufBlob());
  const chunks = [];
  const res = await core.chat({ messages: hi, stream: true, logprobs: true, top_logprobs: 2 }, (c) => chunks.push(c));
  const tokensOf = (c) => c.choices[0].logprobs?.content.map((t) => t.token) ?? null;
  // Fake tokens 'Hel', 'lo', '' (text held back), ' world': the '' token comes with ' world'.
  assert.deepEqual(chunks.map(tokensOf), [null, ['Hel'], ['lo'], ['', ' world'], []]);
  const all = res.choices[0].logprobs.content;
  assert.deepEqual(all.map((t) => t.token), ['Hel', 'lo', '', ' world']);
  assert.deepEqual(all[0], { id: 1, token: 'Hel', logprob: -0.25, bytes: [72, 101, 108], top_logprobs: [
    { id: 100, token: 'alt0', logprob: -1, bytes: [97, 108, 116, 48] }, { id: 101, token: 'alt1', logprob: -2, bytes: [97, 108, 116, 49] },
  ] });
  assert.ok(all.every((t) => t.logprob <= 0));
  assert.equal(res.dropped_messages, 0);
  assert.equal(res.notice, undefined);
  assert.equal(chunks.at(-1).dropped_messages, 0);

  // Not asked: null everywhere, even if the engine sent some.
  const plain = [];
  const r2 = await core.chat({ messages: hi, stream: true }, (c) => plain.push(c));
  assert.ok(plain.every((c) => c.choices[0].logprobs === null));
  assert.equal(r2.choices[0].logprobs, null);

  // Old turns dropped: the last chunk and the completion say so.
  const long = [...Array(5)].map((_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }));
  const last = [];
  const r3 = await core.chat({ messages: long, stream: true }, (c) => last.push(c));
  assert.equal(r3.dropped_messages, 2);
  assert.equal(r3.notice, '2 old messages were left out');
  assert.equal(last.at(-1).notice, '2 old messages were left out');
  assert.ok(last.slice(0, -1).every((c) => c.notice === undefined && c.dropped_messages === undefined));
});

test('EngineCore: device-lost re-creates the device on the next loadModel', async () => {
  const { mod, state } = fakeWasm({ failStep: 1 });
  const core = await EngineCore.create({ wasm: mod });
  await core.loadModel(ggufBlob());
  await assert.rejects(core.chat({ messages: [{ role: 'user', content: 'hi' }] }), (e) => e.code === 'device-lost' && /loadModel/.test(e.message));
  await assert.rejects(core.logits([1]), (e) => e.code === 'device-lost');
  assert.equal(core.modelInfo(), null);
  await core.loadModel(ggufBlob());
  assert.equal(state.created, 2);
  assert.equal(state.freed, 1);
  assert.equal((await core.logits([1, 2])).length, 6);
});

test('EngineCore: an aborted load rejects with aborted and leaves nothing loaded', async () => {
  const { mod } = fakeWasm();
  const core = await EngineCore.create({ wasm: mod });
  const ac = new AbortController();
  const p = core.loadModel(ggufBlob(4000), { signal: ac.signal });
  setTimeout(() => ac.abort(), 1);
  await assert.rejects(p, (e) => e.code === 'aborted');
  assert.equal(core.modelInfo(), null);
});

/** A WorkerEngine talking to serveEngine over a MessageChannel (the worker, in-process). */
function connected(mod) {
  const { port1, port2 } = new MessageChannel();
  serveEngine(port2, { wasm: mod });
  port2.start();
  port1.start();
  const engine = new WorkerEngine({
    postMessage: (m, t) => port1.postMessage(m, t),
    addEventListener: (type, l) => port1.addEventListener(type, l),
    terminate: () => { port1.close(); port2.close(); },
  });
  return engine;
}

test('worker protocol: load with progress, streamed chat, break aborts, typed errors', async () => {
  const { mod } = fakeWasm({ tokens: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] });
  const engine = connected(mod);
  await engine.init();
  await assert.rejects(engine.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] }), (e) => e instanceof MistralError && e.code === 'no-model');
  const progress = [];
  const info = await engine.loadModel(ggufBlob(), { onProgress: (p) => progress.push(p) });
  assert.equal(info.name, 'tiny-test');
  assert.equal(progress.at(-1).phase, 'ready');
  assert.equal(typeof progress[0].text, 'string');
  assert.deepEqual(await engine.modelInfo(), info);
  assert.equal((await engine.adapterInfo()).name, 'fake');
  assert.equal(await engine.wasmMemoryBytes(), 1 << 20);
  const logits = await engine.logits([1, 2]);
  assert.ok(logits instanceof Float32Array && logits.length === 6);

  const stream = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'x' }], stream: true });
  let text = '';
  let last;
  for await (const c of stream) { text += c.choices[0].delta.content ?? ''; last = c; }
  assert.equal(text, 'abcdefgh');
  assert.equal(last.choices[0].finish_reason, 'stop');
  assert.equal(last.usage.completion_tokens, 8);

  const s2 = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'x' }], stream: true });
  let n = 0;
  for await (const c of s2) { if (c.choices[0].delta.content) n++; if (n === 2) break; }
  // The next request waits for the aborted one, which ends early.
  const after = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'x' }], max_tokens: 3 });
  assert.equal(after.choices[0].message.content, 'abc');
  assert.equal(after.choices[0].finish_reason, 'length');

  const p = engine.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] });
  setTimeout(() => engine.abort(), 5);
  const ab = await p;
  assert.equal(ab.choices[0].finish_reason, 'abort');
  assert.ok(ab.choices[0].message.content.length < 8);

  await assert.rejects(engine.chat.completions.create({ messages: [{ role: 'nobody', content: 'x' }], stream: true }), (e) => e.code === 'bad-request');
  await engine.unload();
  assert.equal(await engine.modelInfo(), null);
  engine.terminate();
  await assert.rejects(engine.reset(), (e) => e.code === 'worker');
});

test('worker protocol: every sampling field reaches the wasm engine; logprobs and notice come back', async () => {
  const { mod, state } = fakeWasm();
  const engine = connected(mod);
  await engine.init();
  await engine.loadModel(ggufBlob());
  const long = [...Array(4)].map((_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }));
  const res = await engine.chat.completions.create({
    messages: long, temperature: 0.5, top_p: 0.8, top_k: 7, min_p: 0.1, repetition_penalty: 1.2, presence_penalty: 0.3,
    frequency_penalty: 0.4, penalty_last_n: 16, logit_bias: { 42: -100 }, seed: 9, stop: 'END', max_tokens: 3,
    logprobs: true, top_logprobs: 1,
  });
  assert.deepEqual(state.lastRequest, {
    messages: long, temperature: 0.5, top_p: 0.8, top_k: 7, min_p: 0.1, repetition_penalty: 1.2, presence_penalty: 0.3,
    frequency_penalty: 0.4, penalty_last_n: 16, logit_bias: { 42: -100 }, seed: 9, stop: ['END'], max_tokens: 3,
    logprobs: true, top_logprobs: 1,
  });
  assert.deepEqual(res.choices[0].logprobs.content.map((t) => [t.token, t.top_logprobs.length]), [['Hel', 1], ['lo', 1], ['', 1]]);
  assert.equal(res.dropped_messages, 1);
  assert.equal(res.notice, '1 old messages were left out');

  const stream = await engine.chat.completions.create({ messages: hi, stream: true, logprobs: true });
  const tokens = [];
  for await (const c of stream) tokens.push(...(c.choices[0].logprobs?.content ?? []).map((t) => t.token));
  assert.deepEqual(tokens, ['Hel', 'lo', '', ' world']);
  engine.terminate();
});

test('worker protocol: an unknown request field is refused before anything is sent to the worker', async () => {
  let posted = 0;
  const engine = new WorkerEngine({ postMessage: () => { posted++; }, addEventListener: () => undefined }, { watchdogMs: 0 });
  for (const stream of [false, true]) {
    await assert.rejects(engine.chat.completions.create({ messages: hi, stream, mirostat: 2 }),
      (e) => e instanceof MistralError && e.code === 'bad-request' && /unknown field `mirostat`/.test(e.message));
    await assert.rejects(engine.chat.completions.create({ messages: hi, stream, logit_bias: { 1: 101 } }), (e) => e.code === 'bad-request' && /logit_bias/.test(e.message));
  }
  assert.equal(posted, 0);
});

test('worker protocol: aborting a load through its signal', async () => {
  const { mod } = fakeWasm();
  const engine = connected(mod);
  await engine.init();
  const ac = new AbortController();
  const p = engine.loadModel(ggufBlob(8000), { signal: ac.signal });
  setTimeout(() => ac.abort(), 2);
  await assert.rejects(p, (e) => e instanceof MistralError && e.code === 'aborted');
  engine.terminate();
});

test('worker protocol: every load option reaches the wasm engine (kernels, kvPrecision, ...)', async () => {
  const { mod, state } = fakeWasm();
  const engine = connected(mod);
  await engine.init();
  const all = { contextLength: 48, prefillChunk: 8, kvPrecision: 'f16', kernels: 'gpu' };
  const info = await engine.loadModel(ggufBlob(), { ...all, cache: false });
  // cache is the JavaScript loader's; the rest is the wasm engine's, passed as they are.
  assert.deepEqual(state.loadedFrom, all);
  assert.equal(info.kernels, 'gpu');
  assert.equal(info.kernelsReason, 'forced by the kernels load option');
  assert.equal(info.kvPrecision, 'f16');
  // Unset options stay unset (the engine's defaults: auto), and auto is reported as chosen.
  const auto = await engine.loadModel(ggufBlob());
  assert.deepEqual(state.loadedFrom, {});
  assert.equal(auto.kernels, 'cpu');
  assert.equal((await engine.adapterInfo()).kernels, 'cpu');
  // The engine's refusal reaches the caller typed.
  await assert.rejects(engine.loadModel(ggufBlob(), { kernels: 'fast' }), (e) => e instanceof MistralError && e.code === 'bad-request' && /"auto", "cpu" or "gpu"/.test(e.message));
  engine.terminate();
});

// ---------------------------------------------------------------- hardening (issue 9)

import { createHash } from 'node:crypto';
import { Sha256, sha256Hex } from '../dist/sha256.js';
import { splitModelUrl, serverDigest } from '../dist/integrity.js';
import { Watchdog } from '../dist/watchdog.js';
import { claimPanicTrap } from '../dist/panics.js';

/**
 * A fake HTTP server whose file can change between requests (`state.file`, `state.etag`...).
 * It honours If-Range as RFC 9110 says: a validator that no longer matches gets the whole
 * (new) file with status 200. Every request is logged with its Range and If-Range.
 */
function fakeServer(file, opts = {}) {
  const state = {
    file, etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT', honourIfRange: true, shortBy: 0, headers: {},
    exposeEtag: true, ...opts,
  };
  const log = [];
  globalThis.fetch = async (url, init = {}) => {
    const h = new Headers(init.headers);
    const method = init.method ?? 'GET';
    log.push({ method, range: h.get('range'), ifRange: h.get('if-range') });
    if (init.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    const f = state.file;
    const base = { 'last-modified': state.lastModified, ...state.headers };
    if (state.exposeEtag && state.etag !== null) base.etag = state.etag;
    if (method === 'HEAD') return new Response(null, { status: 200, headers: { ...base, 'content-length': String(f.length) } });
    const range = h.get('range');
    const ifRange = h.get('if-range');
    const validatorOk = ifRange === null || ifRange === state.etag || ifRange === state.lastModified;
    if (range === null || (state.honourIfRange && !validatorOk)) return new Response(f.slice(), { status: 200, headers: base });
    const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range);
    const start = Number(a);
    const end = Math.min(Number(b), f.length - 1);
    const body = f.slice(start, end + 1 - state.shortBy);
    return new Response(body, { status: 206, headers: { ...base, 'content-length': String(body.length), 'content-range': `bytes ${start}-${end}/${f.length}` } });
  };
  return { log, state, gets: () => log.filter((l) => l.method === 'GET' && l.range !== 'bytes=0-0').map((l) => l.range) };
}

function otherFile(n) {
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) f[i] = (i * 13 + 5) & 255;
  return f;
}

const hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
const settle = () => new Promise((res) => setTimeout(res, 10));

test('sha256: matches node:crypto for every length around the block size, fed in odd pieces', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70_000]) {
    const data = testFile(n);
    assert.equal(sha256Hex(data), hex(data), `length ${n}`);
    const s = new Sha256();
    for (let i = 0; i < n; i += 37) s.update(data.subarray(i, Math.min(n, i + 37)));
    assert.equal(s.hex(), hex(data), `length ${n} in 37-byte pieces`);
  }
  assert.equal(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('If-Range: every chunk request carries the validator learned at the probe (strong ETag, else Last-Modified)', async () => {
  delete globalThis.caches;
  const file = testFile(100);
  const server = fakeServer(file);
  const r = await urlReader(URL_, { cache: false, chunkSize: 16 });
  assert.deepEqual(await r.read(0, 100), file);
  const chunks = server.log.filter((l) => l.range !== 'bytes=0-0');
  assert.ok(chunks.length >= 7);
  assert.ok(chunks.every((l) => l.ifRange === '"v1"'), JSON.stringify(chunks));
  assert.equal(server.log[0].ifRange, null, 'the probe has nothing to validate yet');

  const weak = fakeServer(file, { etag: 'W/"weak"' });
  const r2 = await urlReader(URL_, { cache: false, chunkSize: 16 });
  await r2.read(0, 40);
  assert.ok(weak.log.slice(1).every((l) => l.ifRange === 'Mon, 01 Jan 2024 00:00:00 GMT'), 'a weak ETag never matches If-Range');
});

test('file changed mid-download (If-Range answered with 200): clear error, cached chunks of that URL discarded, nothing more stored', async () => {
  const cache = installCaches();
  const file = testFile(100);
  const server = fakeServer(file);
  const r = await urlReader(URL_, { chunkSize: 16 });
  assert.deepEqual(await r.read(0, 20), file.slice(0, 20));
  await settle();
  assert.ok(cache.entries.size > 1, 'chunks were stored');
  // A new version is published.
  server.state.file = otherFile(100);
  server.state.etag = '"v2"';
  server.state.lastModified = 'Tue, 02 Jan 2024 00:00:00 GMT';
  await assert.rejects(r.read(40, 30), (e) => e instanceof MistralError && e.code === 'file-changed' && /changed on the server/.test(e.message) && /restarts/.test(e.message));
  await settle();
  assert.equal(cache.entries.size, 0, 'no chunk of either version is left: ' + [...cache.entries.keys()].join(', '));
  assert.deepEqual(await cachedModels(), []);
  // The reader refuses to serve anything more (never two versions in one load).
  await assert.rejects(r.read(0, 4), (e) => e.code === 'file-changed');
});

test('file changed, server ignoring If-Range: a new ETag or size in a 206 is caught per chunk', async () => {
  delete globalThis.caches;
  const file = testFile(100);
  const server = fakeServer(file, { honourIfRange: false });
  const r = await urlReader(URL_, { cache: false, chunkSize: 16 });
  await r.read(0, 4);
  server.state.etag = '"v2"';
  await assert.rejects(r.read(50, 4), (e) => e.code === 'file-changed' && /ETag/.test(e.message));

  const s2 = fakeServer(file, { honourIfRange: false, exposeEtag: false });
  const r2 = await urlReader(URL_, { cache: false, chunkSize: 16 });
  await r2.read(0, 4);
  s2.state.file = testFile(120); // same Last-Modified, no ETag: the size in Content-Range tells
  await assert.rejects(r2.read(50, 4), (e) => e.code === 'file-changed' && /size/.test(e.message));
});

test('short chunks are refused, never zero-filled; a damaged cached chunk is fetched again', async () => {
  delete globalThis.caches;
  const file = testFile(100);
  const server = fakeServer(file);
  const r = await urlReader(URL_, { cache: false, chunkSize: 16 });
  server.state.shortBy = 3;
  await assert.rejects(r.read(20, 30), (e) => e.code === 'network' && /13 bytes, expected 16/.test(e.message));

  const cache = installCaches();
  const s2 = fakeServer(file);
  const r1 = await urlReader(URL_, { chunkSize: 16 });
  assert.deepEqual(await r1.read(0, 100), file);
  await settle();
  assert.equal(await isModelCached(URL_), true);
  // Truncate chunk 2 in the cache behind the reader's back.
  const key = [...cache.entries.keys()].find((k) => k.endsWith('mistral-wgpu-chunk=2'));
  cache.entries.get(key).body = cache.entries.get(key).body.slice(0, 5);
  s2.log.length = 0;
  const r2 = await urlReader(URL_);
  assert.deepEqual(await r2.read(0, 100), file, 'the right bytes, not zeros');
  assert.deepEqual(s2.gets(), ['bytes=32-47'], 'only the damaged chunk was fetched again');
  assert.equal(s2.log[0].ifRange, '"v1"', 'under the cached validator');
});

test('EngineCore: a file replaced on the server mid-download restarts the load once, saying why, and loads the new version', async () => {
  installCaches();
  const { mod } = fakeWasm();
  const core = await EngineCore.create({ wasm: mod });
  const v1 = new Uint8Array(await ggufBlob(400).arrayBuffer());
  const v2 = new Uint8Array(await ggufBlob(400).arrayBuffer()).map((x, i) => (i < 4 ? x : 255 - x));
  const server = fakeServer(v1);
  // Swap the file after the first chunk request.
  const real = globalThis.fetch;
  let n = 0;
  globalThis.fetch = async (url, init) => {
    if (new Headers(init?.headers).get('range') !== 'bytes=0-0' && n++ === 0) {
      const res = await real(url, init);
      server.state.file = v2;
      server.state.etag = '"v2"';
      server.state.lastModified = 'Wed, 03 Jan 2024 00:00:00 GMT';
      return res;
    }
    return real(url, init);
  };
  const texts = [];
  const info = await core.loadModel(URL_ + '?changing', { chunkSize: 64, onProgress: (p) => texts.push(p.text) });
  assert.equal(info.fileBytes, 400);
  assert.ok(texts.some((t) => /changed on the server/.test(t) && /restarts/.test(t)), texts.join(' | '));
  assert.equal(await isModelCached(URL_ + '?changing'), true);
  const cached = await urlReader(URL_ + '?changing');
  assert.deepEqual(await cached.read(0, 400), v2, 'the cache holds the new version only');
});

test('sha256: verified before the entry is marked complete; a mismatch names both digests and deletes the copy', async () => {
  const cache = installCaches();
  const file = testFile(100);
  const good = hex(file);
  const server = fakeServer(file);
  const { mod } = fakeWasm();
  const core = await EngineCore.create({ wasm: mod });
  const gguf = new Uint8Array(await ggufBlob(100).arrayBuffer());
  server.state.file = gguf;
  // Right digest from the option: complete, and the verified digest recorded.
  await core.loadModel(URL_ + '?a', { sha256: hex(gguf).toUpperCase() });
  assert.equal(await isModelCached(URL_ + '?a'), true);
  // Wrong digest from the URL fragment: integrity error, nothing left in the cache.
  const bad = 'ab'.repeat(32);
  await assert.rejects(core.loadModel(`${URL_}?b#sha256=${bad}`), (e) => e instanceof MistralError && e.code === 'integrity' &&
    e.message.includes(bad) && e.message.includes(hex(gguf)) && /#sha256=/.test(e.message));
  assert.equal(await isModelCached(URL_ + '?b'), false);
  assert.equal([...cache.entries.keys()].filter((k) => k.includes('?b')).length, 0);
  assert.equal(core.modelInfo(), null, 'no model counts as loaded');
  // The server's digest (Repr-Digest) is used when the caller gives none.
  server.state.headers = { 'repr-digest': `sha-256=:${Buffer.from(bad, 'hex').toString('base64')}:` };
  await assert.rejects(core.loadModel(URL_ + '?c'), (e) => e.code === 'integrity' && /Repr-Digest/.test(e.message));
  server.state.headers = { 'repr-digest': `sha-256=:${Buffer.from(hex(gguf), 'hex').toString('base64')}:` };
  await core.loadModel(URL_ + '?c');
  assert.equal(await isModelCached(URL_ + '?c'), true);
  // A complete entry never checked against a digest is hashed as it is read; a wrong one goes.
  server.state.headers = {};
  await core.loadModel(URL_ + '?d');
  assert.equal(await isModelCached(URL_ + '?d'), true);
  server.log.length = 0;
  await assert.rejects(core.loadModel(URL_ + '?d', { sha256: bad }), (e) => e.code === 'integrity');
  assert.equal(await isModelCached(URL_ + '?d'), false);
  await assert.rejects(core.loadModel(URL_, { sha256: 'xyz' }), (e) => e.code === 'bad-request');
  assert.ok(good);
});

test('sha256: where digests come from', () => {
  const h = 'a'.repeat(64);
  assert.deepEqual(splitModelUrl(`https://x.test/m.gguf#sha256=${h.toUpperCase()}`), { url: 'https://x.test/m.gguf', digest: { hex: h, from: "the URL's #sha256=" } });
  assert.deepEqual(splitModelUrl('https://x.test/m.gguf'), { url: 'https://x.test/m.gguf', digest: null });
  assert.throws(() => splitModelUrl('https://x.test/m.gguf#sha256=12'), (e) => e.code === 'bad-request');
  const hdr = (o) => new Headers(o);
  assert.equal(serverDigest(hdr({ 'x-linked-etag': `"${h}"` }), 'https://x.test/m')?.hex, h);
  assert.equal(serverDigest(hdr({ etag: `"${h}"` }), 'https://cdn-lfs.hf.co/m')?.hex, h);
  assert.equal(serverDigest(hdr({ etag: `"${h}"` }), 'https://example.test/m'), null, 'a 64-hex ETag elsewhere need not be a content hash');
  const b64 = Buffer.from(h, 'hex').toString('base64');
  assert.equal(serverDigest(hdr({ digest: `md5=x, sha-256=${b64}` }), 'https://x.test/m')?.hex, h);
  assert.equal(serverDigest(hdr({ 'repr-digest': `sha-256=:${b64}:` }), 'https://x.test/m')?.hex, h);
});

/** A fake navigator.locks: exclusive locks by name, ifAvailable and signal. */
function installLocks() {
  const held = new Map(); // name -> queue of waiters
  const locks = {
    async request(name, options, cb) {
      const queue = held.get(name) ?? [];
      if (options.ifAvailable && queue.length > 0) return cb(null);
      let release;
      const mine = new Promise((r) => { release = r; });
      const before = queue.slice();
      queue.push(mine);
      held.set(name, queue);
      try {
        await Promise.all(before);
        options.signal?.throwIfAborted();
        return await cb({ name });
      } finally {
        queue.splice(queue.indexOf(mine), 1);
        release();
      }
    },
  };
  Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true, writable: true });
}

test('Web Locks: a second load of the same URL waits for the first, then loads from its cache', async () => {
  installCaches();
  installLocks();
  const gguf = new Uint8Array(await ggufBlob(300).arrayBuffer());
  const server = fakeServer(gguf);
  const { mod } = fakeWasm();
  const a = await EngineCore.create({ wasm: mod });
  const b = await EngineCore.create({ wasm: mod });
  const phasesB = [];
  const [ia, ib] = await Promise.all([
    a.loadModel(URL_ + '?locks'),
    b.loadModel(URL_ + '?locks', { onProgress: (p) => phasesB.push(p.phase) }),
  ]);
  delete globalThis.navigator;
  assert.equal(ia.fileBytes, 300);
  assert.equal(ib.fileBytes, 300);
  assert.equal(phasesB[0], 'wait', phasesB.join(','));
  assert.ok(phasesB.includes('cache') && !phasesB.includes('download'), phasesB.join(','));
  assert.equal(server.log.length, 2, `one probe and one chunk in all: ${JSON.stringify(server.log)}`);
});

test('watchdog: a worker that stops answering is terminated and calls reject with unresponsive', async () => {
  let terminated = 0;
  const posted = [];
  const hung = {
    postMessage: (m) => posted.push(m.method),
    addEventListener: () => undefined,
    terminate: () => { terminated++; },
  };
  const engine = new WorkerEngine(hung, { watchdogMs: 80 });
  const t0 = Date.now();
  await assert.rejects(engine.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof MistralError && e.code === 'unresponsive' && /did not answer/.test(e.message));
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(terminated, 1);
  assert.ok(posted.includes('ping'), posted.join(','));
  await assert.rejects(engine.reset(), (e) => e.code === 'unresponsive');
});

test('watchdog: a busy worker that still answers pings is left alone', async () => {
  const { mod } = fakeWasm({ tokens: ['a', 'b', 'c'] });
  // Each token takes 3 watchdog periods, but the worker's thread stays free between awaits.
  mod.Engine.prototype.step = async function step() {
    await new Promise((r) => setTimeout(r, 150));
    const c = this.chat;
    const text = ['a', 'b', 'c'][c.i++];
    return JSON.stringify({ text, done: c.i >= 3, finishReason: c.i >= 3 ? 'stop' : null });
  };
  const { port1, port2 } = new MessageChannel();
  serveEngine(port2, { wasm: mod });
  port2.start();
  port1.start();
  const engine = new WorkerEngine({
    postMessage: (m, t) => port1.postMessage(m, t),
    addEventListener: (type, l) => port1.addEventListener(type, l),
    terminate: () => { port1.close(); port2.close(); },
  }, { watchdogMs: 50 });
  await engine.init();
  await engine.loadModel(ggufBlob());
  const r = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] });
  assert.equal(r.choices[0].message.content, 'abc');
  engine.terminate();
});

test('watchdog: pings after a quiet quarter, gives up after the whole timeout', () => {
  let now = 0;
  let pings = 0;
  let dead = 0;
  const w = new Watchdog(100, () => pings++, () => dead++, () => now);
  w.busy(true);
  now = 30;
  w.tick();
  assert.equal(pings, 1);
  w.heard();
  now = 120;
  w.tick();
  assert.equal(dead, 0, 'heard at 30: 90 ms quiet');
  now = 131;
  w.tick();
  assert.equal(dead, 1);
  w.stop();
});

/** fakeWasm plus the panic API: `panicMode` 'async' never settles the call (as a trap in a microtask), 'sync' throws the trap. */
function panickingWasm() {
  const { mod, state } = fakeWasm();
  let listener = null;
  let last = null;
  mod.Engine.onPanic = (l) => { listener = l; };
  mod.Engine.takePanic = () => { const m = last; last = null; return m; };
  const panic = (message) => {
    const text = `panicked at crates/web/src/lib.rs:1:1:\n${message}`;
    last = text;
    listener?.(text);
  };
  mod.Engine.prototype.panicForTests = function (message) {
    this.borrowed = true;
    Promise.resolve().then(() => panic(message));
    return new Promise(() => undefined); // the trap leaves it pending forever
  };
  const beginChat = mod.Engine.prototype.beginChat;
  mod.Engine.prototype.beginChat = function (json) {
    if (JSON.parse(json).messages[0].content === 'panic now') {
      this.borrowed = true;
      panic('index out of bounds');
      throw new WebAssembly.RuntimeError('unreachable');
    }
    return beginChat.call(this, json);
  };
  // After a panic the wasm-bindgen object stays borrowed: any call on it throws.
  for (const name of ['unload', 'step', 'modelInfo', 'adapterInfo', 'free', 'reset', 'endChat']) {
    const f = mod.Engine.prototype[name];
    mod.Engine.prototype[name] = function (...args) {
      if (this.borrowed) throw new Error('recursive use of an object detected which would lead to unsafe aliasing in rust');
      return f.apply(this, args);
    };
  }
  return { mod, state };
}

test('panic: an async Rust panic rejects the call with internal and its message (no hang); loading again creates a new engine', async () => {
  const { mod, state } = panickingWasm();
  const core = await EngineCore.create({ wasm: mod });
  await core.loadModel(ggufBlob());
  await assert.rejects(core.debugPanic('attempt to divide by zero'),
    (e) => e instanceof MistralError && e.code === 'internal' && /Rust panic/.test(e.message) && /attempt to divide by zero/.test(e.message));
  assert.equal(claimPanicTrap(new WebAssembly.RuntimeError('unreachable')), true, 'its uncaught trap is recognised');
  assert.equal(claimPanicTrap(new WebAssembly.RuntimeError('unreachable')), false, 'once');
  await assert.rejects(core.chat({ messages: [{ role: 'user', content: 'hi' }] }), (e) => e.code === 'internal' && /divide by zero/.test(e.message));
  assert.equal(core.modelInfo(), null);
  await core.loadModel(ggufBlob());
  assert.equal(state.created, 2, 'a new wasm Engine');
  const r = await core.chat({ messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0].message.content, 'Hello world');
});

test('panic: a synchronous panic (beginChat) is internal with its message, through the worker too', async () => {
  const { mod } = panickingWasm();
  const engine = connected(mod);
  await engine.init();
  await engine.loadModel(ggufBlob());
  await assert.rejects(engine.chat.completions.create({ messages: [{ role: 'user', content: 'panic now' }] }),
    (e) => e instanceof MistralError && e.code === 'internal' && /index out of bounds/.test(e.message));
  await engine.loadModel(ggufBlob());
  const r = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0].message.content, 'Hello world');
  engine.terminate();
});

// ---------------------------------------------------------------- download only

test('downloadModel: stores the whole file chunk by chunk without an engine; a second call makes no request', async () => {
  installCaches();
  const file = testFile(100);
  const server = fakeServer(file);
  const seen = [];
  const entry = await downloadModel(URL_, { chunkSize: 16, onProgress: (p) => seen.push(p) });
  assert.equal(entry.url, URL_);
  assert.equal(entry.size, 100);
  assert.equal(entry.cachedBytes, 100);
  assert.equal(entry.complete, true);
  assert.ok(Math.abs(Date.parse(entry.storedAt) - Date.now()) < 60_000, entry.storedAt);
  assert.deepEqual(server.gets().sort(), ['bytes=0-15', 'bytes=16-31', 'bytes=32-47', 'bytes=48-63', 'bytes=64-79', 'bytes=80-95', 'bytes=96-99'].sort(),
    'every chunk once');
  assert.equal(await isModelCached(URL_), true);
  const downloads = seen.filter((p) => p.phase === 'download');
  assert.ok(downloads.length >= 2 && downloads.at(-1).loaded === 100 && downloads.at(-1).total === 100, JSON.stringify(downloads));
  assert.equal(seen.at(-1).phase, 'ready');
  // The cached copy is what a load reads: byte for byte, with no request.
  server.log.length = 0;
  const r = await urlReader(URL_);
  assert.equal(r.source, 'cache');
  assert.deepEqual(await r.read(0, 100), file);
  const again = await downloadModel(URL_);
  assert.deepEqual(again, entry, 'already complete: the same entry, its date kept');
  assert.deepEqual(server.log, [], 'no request for a file already stored');
});

test('downloadModel: an aborted download keeps its chunks and the next call fetches only the rest', async () => {
  installCaches();
  const file = testFile(100);
  const server = fakeServer(file);
  const ac = new AbortController();
  // The user cancels as the fourth chunk is asked for (progress events are throttled to 10/s).
  const serve = globalThis.fetch;
  globalThis.fetch = (url, init = {}) => {
    if (new Headers(init.headers).get('range') === 'bytes=48-63') ac.abort();
    return serve(url, init);
  };
  await assert.rejects(downloadModel(URL_, { chunkSize: 16, signal: ac.signal }), (e) => e instanceof MistralError && e.code === 'aborted');
  await settle();
  const [partial] = await cachedModels();
  assert.equal(partial.complete, false);
  assert.ok(partial.cachedBytes >= 48 && partial.cachedBytes < 100, JSON.stringify(partial));
  assert.equal(typeof partial.storedAt, 'string', 'a partial entry is dated when its download started');
  server.log.length = 0;
  const entry = await downloadModel(URL_);
  assert.equal(entry.complete, true);
  const fetched = server.gets();
  assert.ok(fetched.length > 0 && fetched.length <= (100 - partial.cachedBytes) / 16 + 1, `only the missing chunks: ${fetched.join(', ')}`);
  assert.ok(!fetched.includes('bytes=0-15'), 'chunk 0 was stored before');
});

test('downloadModel: a SHA-256 mismatch is integrity and leaves nothing stored; a bad option is bad-request', async () => {
  const cache = installCaches();
  const file = testFile(100);
  fakeServer(file);
  await assert.rejects(downloadModel(URL_, { sha256: 'xyz' }), (e) => e.code === 'bad-request');
  const wrong = 'ab'.repeat(32);
  await assert.rejects(downloadModel(`${URL_}#sha256=${wrong}`, { chunkSize: 16 }),
    (e) => e instanceof MistralError && e.code === 'integrity' && e.message.includes(wrong) && e.message.includes(hex(file)));
  assert.equal(cache.entries.size, 0);
  const entry = await downloadModel(URL_, { chunkSize: 16, sha256: hex(file) });
  assert.equal(entry.complete, true);
});

test('downloadModel: without Cache Storage it says so (quota) before any request', async () => {
  delete globalThis.caches;
  const server = fakeServer(testFile(10));
  await assert.rejects(downloadModel(URL_), (e) => e instanceof MistralError && e.code === 'quota' && /Cache Storage/.test(e.message));
  assert.deepEqual(server.log, []);
});

test('cachedModels: entries cached before storedAt existed list with storedAt null', async () => {
  const cache = installCaches();
  const meta = { version: 1, url: URL_, size: 10, etag: null, lastModified: null, chunkSize: 16, complete: false };
  await cache.put(`${URL_}?mistral-wgpu-meta=1`, new Response(JSON.stringify(meta)));
  assert.deepEqual(await cachedModels(), [{ url: URL_, size: 10, cachedBytes: 0, complete: false, storedAt: null }]);
});
