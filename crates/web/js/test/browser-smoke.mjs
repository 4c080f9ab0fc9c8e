// End-to-end smoke test of the built package in headless Chromium (WebGPU; SwiftShader where
// there is no GPU): createEngine in a worker, loadModel over HTTP ranges with progress, streamed
// and non-streamed chat, sampling fields (logprobs, logit_bias, min_p, penalties, seed; an
// unknown field refused), abort, the Cache Storage (the second load makes no request for the
// model), a local Blob, typed errors, and a Rust panic reported as code internal.
//
//   npm run build && node test/browser-smoke.mjs [model.gguf] [--prompt TEXT] [--chromium PATH]
//
// Not part of `npm test` (it needs the real wasm, Chromium and a GGUF). Exits 1 on failure.
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const prompt = flag('--prompt', 'What is the capital of France?');
const chromium = flag('--chromium', '/usr/bin/chromium');
const timeoutS = Number(flag('--timeout', '300'));
const model = resolve(args[0] ?? join(pkg, '../../../tests/fixtures/tiny-mistral-256/tiny-mistral-256-Q4_K_M.gguf'));
if (!existsSync(join(pkg, 'dist/wasm/mistral_web_bg.wasm'))) {
  console.error('dist/wasm is missing: run `npm run build` (after wasm-bindgen) first');
  process.exit(2);
}
const modelSize = statSync(model).size;
const requests = { model: 0, modelBytes: 0 };

const PAGE = `<!doctype html><meta charset="utf-8"><title>mistral-wgpu smoke</title><pre id="log"></pre>
<script type="module">
import { createEngine, MistralError, isModelCached, cachedModels, deleteCachedModel } from '/dist/index.js';
const log = (...a) => { document.getElementById('log').textContent += a.join(' ') + '\\n'; fetch('/log', { method: 'POST', body: a.join(' ') }); };
const out = {};
const check = (cond, what) => { if (!cond) throw new Error('check failed: ' + what); };
const requests = async () => (await fetch('/requests')).json();
try {
  const engine = await createEngine();
  const adapter = await engine.adapterInfo();
  out.adapter = adapter.name + ' (' + adapter.backend + ', ' + adapter.deviceType + ')';
  log('adapter', out.adapter, 'auto kernels:', adapter.kernels, '(' + adapter.kernelsReason + ')');
  await deleteCachedModel('/model.gguf');
  const phases = new Set();
  let t = performance.now();
  const info = await engine.loadModel('/model.gguf', { onProgress: (p) => { if (!phases.has(p.phase)) log('progress', p.phase, p.text); phases.add(p.phase); } });
  out.firstLoadMs = Math.round(performance.now() - t);
  log('loaded', JSON.stringify(info));
  check(phases.has('download') && phases.has('ready'), 'download and ready phases: ' + [...phases]);
  check(await isModelCached('/model.gguf'), 'cached after a full load');
  out.cached = await cachedModels();
  const messages = [{ role: 'user', content: ${JSON.stringify(prompt)} }];
  const stream = await engine.chat.completions.create({ messages, stream: true, temperature: 0, max_tokens: 24 });
  let text = '', last = null, n = 0;
  for await (const c of stream) { text += c.choices[0].delta.content ?? ''; last = c; n++; }
  log('stream', JSON.stringify(text), last.choices[0].finish_reason, JSON.stringify(last.usage));
  check(last.object === 'chat.completion.chunk' && last.id.startsWith('chatcmpl-') && last.usage.completion_tokens > 0, 'final chunk');
  out.streamText = text;
  // The same prompt again, without reset(), after a reply longer than the sliding window: the
  // engine cannot rewind its wrapped KV ring and must prefill the prompt again.
  const whole = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 24 });
  log('non-stream', JSON.stringify(whole.choices[0].message.content), whole.choices[0].finish_reason, JSON.stringify(whole.usage));
  check(whole.choices[0].message.content === text, 'greedy stream and non-stream agree');
  check(whole.dropped_messages === 0 && whole.choices[0].logprobs === null, 'no notice, no logprobs unasked');
  // Sampling fields through the real wasm (issue 10). Logprobs: OpenAI's shape, <= 0, the same
  // greedy text, the greedy token the most likely one, the same entries streamed.
  const lpReq = { messages, temperature: 0, max_tokens: 24, logprobs: true, top_logprobs: 3 };
  const withLp = await engine.chat.completions.create(lpReq);
  const lps = withLp.choices[0].logprobs.content;
  log('logprobs', JSON.stringify(lps.slice(0, 2)));
  check(withLp.choices[0].message.content === text, 'logprobs leave the greedy text alone');
  check(lps.length > 0 && lps.every((t) => Number.isInteger(t.id) && typeof t.token === 'string' && Array.isArray(t.bytes) && t.logprob <= 0
    && t.top_logprobs.length === 3 && t.top_logprobs.every((a) => a.logprob <= 0)), 'logprobs shape and range');
  check(lps.every((t) => t.top_logprobs[0].id === t.id || Math.abs(t.top_logprobs[0].logprob - t.logprob) < 1e-6), 'greedy picks the most likely token');
  const streamedLp = [];
  for await (const c of await engine.chat.completions.create({ ...lpReq, stream: true })) streamedLp.push(...(c.choices[0].logprobs?.content ?? []));
  check(streamedLp.map((t) => t.id).join() === lps.map((t) => t.id).join(), 'streamed logprobs = non-streamed');
  // logit_bias: -100 on the greedy first token hands the first place to the runner-up; +100
  // on the third most likely forces it.
  const first = lps[0].id;
  const runnerUp = lps[0].top_logprobs[1];
  const banned = (await engine.chat.completions.create({ ...lpReq, logit_bias: { [first]: -100 } })).choices[0].logprobs.content[0];
  log('logit_bias -100 on', first, '->', banned.id, JSON.stringify(banned.token));
  check(banned.id !== first && (banned.id === runnerUp.id || Math.abs(banned.logprob - runnerUp.logprob) < 1e-6), 'logit_bias -100 bans the greedy token');
  const third = lps[0].top_logprobs[2].id;
  const forced = (await engine.chat.completions.create({ ...lpReq, logit_bias: { [third]: 100 } })).choices[0].logprobs.content[0];
  check(forced.id === third, 'logit_bias +100 forces a token');
  // min_p, penalties and the rest are accepted; a seed reproduces the sampled text.
  const mixed = { messages, temperature: 0.9, seed: 7, max_tokens: 16, top_k: 0, top_p: 0.95, min_p: 0.05, repetition_penalty: 1.3,
    repeat_last_n: 32, presence_penalty: 0.5, frequency_penalty: 0.5 };
  const m1 = (await engine.chat.completions.create(mixed)).choices[0].message.content;
  const m2 = (await engine.chat.completions.create(mixed)).choices[0].message.content;
  log('sampled with min_p/penalties', JSON.stringify(m1));
  check(m1 === m2, 'same seed, same text');
  out.sampling = { first, banned: banned.id, runnerUp: runnerUp.id, forced: forced.id, firstLogprob: lps[0].logprob };
  // Refused: an unknown field (in TS, before the worker), a token id outside the vocabulary (by the wasm).
  for (const [req, needle] of [[{ messages, mirostat: 2 }, 'mirostat'], [{ messages, logit_bias: { 4000000000: 1 } }, 'logit_bias']]) {
    try { await engine.chat.completions.create(req); check(false, needle + ' refused'); }
    catch (e) { log('refused:', e.code, e.message); check(e instanceof MistralError && e.code === 'bad-request' && e.message.includes(needle), needle + ': bad-request naming it'); }
  }
  await engine.reset();
  const s2 = await engine.chat.completions.create({ messages, stream: true, temperature: 0, max_tokens: 64 });
  let k = 0;
  for await (const c of s2) { if (c.choices[0].delta.content) k++; if (k === 2) break; }
  await engine.reset();
  const p = engine.chat.completions.create({ messages, temperature: 0.8, max_tokens: 64 });
  setTimeout(() => engine.abort(), 50);
  const ab = await p;
  log('abort', ab.choices[0].finish_reason, ab.usage.completion_tokens);
  const logits = await engine.logits([1, 2, 3]);
  check(logits.length === 3 * info.vocabSize, 'logits size');
  out.wasmMemoryBytes = await engine.wasmMemoryBytes();
  await engine.reset();
  // Second load: from the cache, no request for the model at all.
  const before = (await requests()).model;
  const phases2 = new Set();
  await engine.loadModel('/model.gguf', { onProgress: (p) => phases2.add(p.phase) });
  out.secondLoadRequests = (await requests()).model - before;
  log('second load: requests for the model:', out.secondLoadRequests, 'phases', [...phases2]);
  check(out.secondLoadRequests === 0, 'no network on the second load');
  check(phases2.has('cache') && !phases2.has('download'), 'cache phase on the second load');
  // A local Blob.
  const blob = await (await fetch('/model.gguf?blob', { cache: 'no-store' })).blob();
  const phases3 = new Set();
  await engine.loadModel(blob, { onProgress: (p) => phases3.add(p.phase) });
  check(phases3.has('upload'), 'upload phase for a Blob');
  await engine.reset();
  const again = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 24 });
  check(again.choices[0].message.content === text, 'same answer from a Blob');
  // The default load ran what auto picks; the gpu kernel family forced gives the same greedy text.
  check(info.kernels === adapter.kernels && info.kernelsReason === adapter.kernelsReason, 'auto runs what adapterInfo says: ' + info.kernels + ' vs ' + adapter.kernels);
  const gpu = await engine.loadModel(blob, { kernels: 'gpu' });
  out.kernels = { auto: info.kernels, autoReason: info.kernelsReason, forced: gpu.kernels, forcedReason: gpu.kernelsReason };
  check(gpu.kernels === 'gpu', 'kernels gpu: ' + gpu.kernels);
  const viaGpu = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 24 });
  log('gpu kernels', JSON.stringify(viaGpu.choices[0].message.content), JSON.stringify(viaGpu.usage));
  check(viaGpu.choices[0].message.content === text, 'same greedy answer with gpu kernels');
  try { await engine.loadModel(blob, { kernels: 'fast' }); check(false, 'bad kernels rejected'); }
  catch (e) { log('bad kernels:', e.code, e.message); check(e instanceof MistralError && e.code === 'bad-request', 'bad kernels: bad-request'); }
  // Errors.
  try { await engine.loadModel(new Blob(['not a gguf file at all, sorry'])); check(false, 'bad file rejected'); }
  catch (e) { log('bad file:', e.name, e.code, e.message); check(e instanceof MistralError && e.code === 'unsupported-file', 'unsupported-file'); }
  try { await engine.chat.completions.create({ messages }); check(false, 'no model'); }
  catch (e) { log('no model:', e.code); check(e instanceof MistralError && e.code === 'no-model', 'no-model'); }
  try { await engine.loadModel('/missing.gguf'); check(false, '404'); }
  catch (e) { log('404:', e.code, e.message); check(e.code === 'network', 'network'); }
  const ac = new AbortController();
  await deleteCachedModel('/model.gguf');
  const lp = engine.loadModel('/model.gguf', { signal: ac.signal, cache: false });
  setTimeout(() => ac.abort(), 5);
  try { await lp; log('load finished before the abort'); } catch (e) { log('aborted load:', e.code); check(e.code === 'aborted', 'aborted'); }
  // kvPrecision reaches the engine; unload frees the model: info is gone and chat says so.
  const f16 = await engine.loadModel(blob, { kvPrecision: 'f16' });
  check(f16.kvPrecision === 'f16', 'kvPrecision f16');
  await engine.unload();
  check((await engine.modelInfo()) === null, 'no model info after unload');
  try { await engine.chat.completions.create({ messages }); check(false, 'chat after unload'); }
  catch (e) { check(e instanceof MistralError && e.code === 'no-model', 'no-model after unload'); }
  engine.terminate();
  // A Rust panic in the wasm (the test-only entry point panics inside an async call, as a bug in
  // loadModel or step would): the call rejects with code internal carrying the panic's message,
  // instead of never settling; loading again creates a new wasm Engine, which works.
  {
    const { EngineCore } = await import('/dist/engine-core.js');
    const core = await EngineCore.create();
    await core.loadModel(blob);
    let panic = null;
    const hung = new Promise((_, reject) => setTimeout(() => reject(new Error('the panicking call never settled')), 20000));
    try { await Promise.race([core.debugPanic('smoke-test panic'), hung]); } catch (e) { panic = e; }
    log('panic:', panic && panic.code, panic && panic.message);
    check(panic instanceof MistralError && panic.code === 'internal' && panic.message.includes('smoke-test panic'), 'a panic is internal with its message');
    try { await core.chat({ messages }); check(false, 'the crashed engine refuses'); }
    catch (e) { check(e.code === 'internal' && e.message.includes('smoke-test panic'), 'the crashed engine says why'); }
    await core.loadModel(blob);
    const afterPanic = await core.chat({ messages, temperature: 0, max_tokens: 24 });
    check(afterPanic.choices[0].message.content === text, 'same answer from the engine created after the panic');
    core.dispose();
    out.panic = panic && panic.message;
  }
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = (e && e.name) + ' ' + (e && e.code) + ': ' + (e && e.message);
  log('FAILED', out.error);
}
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script>`;

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain' };
let done;
const finished = new Promise((r) => (done = r));

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST') {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.end('ok');
      if (url.pathname === '/log') console.log('[page]', body);
      if (url.pathname === '/result') done(JSON.parse(body));
    });
    return;
  }
  if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  if (url.pathname === '/requests') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(requests));
  if (url.pathname === '/model.gguf') {
    if (!url.search) requests.model++;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const headers = { 'accept-ranges': 'bytes', etag: '"smoke-1"', 'content-type': 'application/octet-stream' };
    if (range === null) {
      requests.modelBytes += modelSize;
      res.writeHead(200, { ...headers, 'content-length': modelSize });
      return createReadStream(model).pipe(res);
    }
    const start = Number(range[1]);
    const end = Math.min(range[2] ? Number(range[2]) : modelSize - 1, modelSize - 1);
    requests.modelBytes += end - start + 1;
    res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${modelSize}` });
    return createReadStream(model, { start, end }).pipe(res);
  }
  if (url.pathname.startsWith('/dist/')) {
    const file = join(pkg, url.pathname);
    if (file.startsWith(join(pkg, 'dist')) && existsSync(file) && statSync(file).isFile()) {
      return res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    }
  }
  res.writeHead(404).end('not found');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const profile = mkdtempSync(join(tmpdir(), 'mistral-wgpu-smoke-'));
const browser = spawn(chromium, [
  '--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  `--user-data-dir=${profile}`, '--remote-debugging-port=0', `http://127.0.0.1:${port}/`,
], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
browser.stderr.on('data', (d) => (stderr += d));
const timer = setTimeout(() => done({ ok: false, error: `timed out after ${timeoutS}s` }), timeoutS * 1000);
const result = await finished;
clearTimeout(timer);
browser.kill('SIGTERM');
server.close();
setTimeout(() => rmSync(profile, { recursive: true, force: true }), 500);
console.log(JSON.stringify({ ...result, modelRequests: requests.model, modelBytesServed: requests.modelBytes, modelSize }, null, 2));
if (!result.ok) {
  console.error(stderr.split('\n').filter((l) => /error|webgpu/i.test(l)).slice(-20).join('\n'));
  process.exitCode = 1;
}
setTimeout(() => process.exit(process.exitCode ?? 0), 1000);
