// Browser speed benchmark: the chat page's engine (in its Web Worker) on Chromium's WebGPU,
// greedy generation of a fixed number of tokens, reporting prefill and decode tokens/s and the
// wasm memory before and after loading. Run by `cargo xtask bench-web` (which serves the site
// and the model); the native counterpart is `mistral-wgpu bench`.
//
//   PAGE_URL=... MODEL_URL=... [TOKENS=64] [RUNS=3] node web/e2e/bench.mjs
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PAGE_URL = process.env.PAGE_URL;
const MODEL_URL = process.env.MODEL_URL;
const TOKENS = Number(process.env.TOKENS ?? 64);
const RUNS = Number(process.env.RUNS ?? 3);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!PAGE_URL || !MODEL_URL) {
  console.error('bench: set PAGE_URL and MODEL_URL');
  process.exit(2);
}
const ARGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistral-wgpu-bench-'));
const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS });
try {
  const page = await context.newPage();
  // No ?model=: the script loads it itself, to read the memory before and after.
  await page.goto(PAGE_URL, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => window.__mistral?.engine, null, { timeout: 120_000 });
  const result = await page.evaluate(async ({ url, tokens, runs }) => {
    const engine = window.__mistral.engine;
    const before = await engine.wasmMemoryBytes();
    const t0 = performance.now();
    const info = await engine.loadModel(url, { cache: false });
    const loadSeconds = (performance.now() - t0) / 1000;
    const afterLoad = await engine.wasmMemoryBytes();
    const adapter = await engine.adapterInfo();
    const samples = [];
    for (let i = 0; i < runs; i++) {
      await engine.reset();
      const r = await engine.chat.completions.create({
        messages: [{ role: 'user', content: 'Write a long story about a dragon who learns to bake bread.' }],
        temperature: 0,
        max_tokens: tokens,
      });
      samples.push({
        promptTokens: r.usage.prompt_tokens,
        completionTokens: r.usage.completion_tokens,
        prefillTokensPerS: r.usage.extra.prefill_tokens_per_s,
        decodeTokensPerS: r.usage.extra.decode_tokens_per_s,
      });
    }
    const afterChat = await engine.wasmMemoryBytes();
    return { model: info.name, quantization: info.quantization, fileBytes: info.fileBytes, adapter, loadSeconds,
      wasmBytes: { beforeLoad: before, afterLoad, afterChat }, samples };
  }, { url: MODEL_URL, tokens: TOKENS, runs: RUNS });
  result.browser = context.browser()?.version() ?? null;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  result.median = {
    prefillTokensPerS: median(result.samples.map((s) => s.prefillTokensPerS)),
    decodeTokensPerS: median(result.samples.map((s) => s.decodeTokensPerS)),
  };
  console.log(JSON.stringify(result, null, 2));
  const mib = (b) => (b / 2 ** 20).toFixed(1);
  console.log(`bench-web: ${result.model} (${result.quantization}, ${mib(result.fileBytes)} MiB) on ${result.adapter.name || result.adapter.backend} ` +
    `(${result.adapter.deviceType}): prefill ${result.median.prefillTokensPerS.toFixed(1)} tok/s, ` +
    `decode ${result.median.decodeTokensPerS.toFixed(2)} tok/s (median of ${RUNS}, ${TOKENS} tokens); ` +
    `wasm memory ${mib(result.wasmBytes.beforeLoad)} MiB before load, ${mib(result.wasmBytes.afterLoad)} MiB after load, ` +
    `${mib(result.wasmBytes.afterChat)} MiB after chat; load ${result.loadSeconds.toFixed(1)} s`);
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
