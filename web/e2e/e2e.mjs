// End-to-end test of the chat page in headless Chromium (WebGPU on SwiftShader).
//
//   node web/e2e/e2e.mjs
//
// Environment:
//   PAGE_URL         the assembled site (target/web-site/), e.g. http://127.0.0.1:41001/
//   MODEL_URL        a GGUF on another origin with CORS + Range, e.g. http://127.0.0.1:41002/SmolLM2-135M-Instruct.Q4_1.gguf
//   MODEL_STATS_URL  that server's request counter, e.g. http://127.0.0.1:41002/__requests
//                    (GET → {"total": n, "paths": {...}}; GET <it>/reset resets it)
//   ARTIFACTS_DIR    where screenshots and e2e-results.json go (default: a temp dir)
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   E2E_TIMEOUT_S    the longest wait for a model load or an answer (default 600)
//
// Prints one PASS/FAIL line per check and "e2e: N passed, N failed" at the end; exits 1 on any
// failure (printing the browser console), 2 when it cannot start.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import accessibility from './steps/accessibility.mjs';
import conversations from './steps/conversations.mjs';
import models from './steps/models.mjs';
import offline from './steps/offline.mjs';

// Checks of one feature each, in their own modules (web/e2e/steps/), run in this order after the
// cached visit and the resume checks, on the same persistent profile with the model cached. Each
// exports `default async function (ctx)` taking the `ctx` built below.
const FEATURE_STEPS = [accessibility, conversations, models, offline];

const env = process.env;
const PAGE_URL = env.PAGE_URL;
const MODEL_URL = env.MODEL_URL;
const MODEL_STATS_URL = env.MODEL_STATS_URL || '';
const CHROMIUM = env.CHROMIUM || '/usr/bin/chromium';
const LONG = Number(env.E2E_TIMEOUT_S || 600) * 1000;
const ARTIFACTS_DIR = env.ARTIFACTS_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'mistral-e2e-artifacts-'));
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

if (!PAGE_URL || !MODEL_URL) {
  console.error('e2e: set PAGE_URL (the assembled site) and MODEL_URL (a GGUF file); see the top of web/e2e/e2e.mjs');
  process.exit(2);
}
fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });

const pageUrlFor = (model) => {
  const u = new URL(PAGE_URL);
  u.searchParams.set('model', model);
  return u.href;
};
const S = (id) => `[data-testid="${id}"]`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (ms) => Math.round(ms / 100) / 10;

// ---------------------------------------------------------------------------------------------
// Checks and results

const results = {
  ok: false,
  pageUrl: PAGE_URL,
  modelUrl: MODEL_URL,
  startedAt: new Date().toISOString(),
  browser: null,
  checks: [],
  timings: {},
  firstLoadSeconds: null,
  cachedLoadSeconds: null,
  answerSeconds: null,
  decodeTokensPerSecond: null,
  prefillTokensPerSecond: null,
  displayedStats: null,
  usage: null,
  wasmMemoryBytes: null,
  adapterInfo: null,
  modelInfo: null,
  answer: null,
  streamedValues: null,
  modelRequestsOnCachedVisit: null,
  playwrightModelRequestsFirstVisit: null,
  consoleErrors: [],
};
let failed = 0;
let passed = 0;

function check(name, ok, detail = '') {
  results.checks.push({ name, ok: !!ok, detail: String(detail) });
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return !!ok;
}

// Runs one step; an exception is a failed check (named after the step) and the step's result
// is undefined, so later steps that need it are skipped.
async function step(name, fn) {
  const t0 = Date.now();
  try {
    const value = await fn();
    results.timings[name] = secs(Date.now() - t0);
    return value;
  } catch (err) {
    results.timings[name] = secs(Date.now() - t0);
    check(name, false, (err && err.message ? err.message : String(err)).split('\n')[0]);
    return undefined;
  }
}

const consoleLines = [];
function watchPage(page, label) {
  page.on('console', (m) => {
    const line = `[${label}] console.${m.type()}: ${m.text()}`;
    consoleLines.push(line);
    if (m.type() === 'error') results.consoleErrors.push(line);
  });
  page.on('pageerror', (e) => {
    const line = `[${label}] uncaught: ${e && e.stack ? e.stack : e}`;
    consoleLines.push(line);
    results.consoleErrors.push(line);
    pageErrors.push({ label, message: String(e && e.message ? e.message : e) });
  });
  page.on('crash', () => consoleLines.push(`[${label}] page crashed`));
  page.on('worker', (w) => consoleLines.push(`[${label}] worker started: ${w.url()}`));
}
const pageErrors = [];

async function modelStats() {
  if (!MODEL_STATS_URL) return null;
  const r = await fetch(MODEL_STATS_URL);
  if (!r.ok) throw new Error(`GET ${MODEL_STATS_URL}: HTTP ${r.status}`);
  return r.json();
}
async function resetModelStats() {
  if (!MODEL_STATS_URL) return;
  const r = await fetch(`${MODEL_STATS_URL.replace(/\/$/, '')}/reset`);
  if (!r.ok) throw new Error(`reset ${MODEL_STATS_URL}: HTTP ${r.status}`);
}

async function status(page) {
  return (await page.locator(S('status')).textContent({ timeout: 5000 }))?.trim();
}

// Waits for status `want`; fails fast when the page reports `error` instead.
async function waitStatus(page, want, timeout) {
  const handle = await page.waitForFunction(
    ({ sel, want }) => {
      const s = document.querySelector(sel)?.textContent?.trim();
      if (s === want) return { s };
      if (s === 'error' && want !== 'error') {
        const banner = document.querySelector('[data-testid="error"]');
        return { s, error: banner ? banner.innerText.trim() : '' };
      }
      return false;
    },
    { sel: S('status'), want },
    { timeout, polling: 250 },
  );
  const v = await handle.jsonValue();
  if (v.s !== want) throw new Error(`status became "${v.s}" while waiting for "${want}": ${v.error || '(no message)'}`);
}

// Records every distinct text of the last assistant message (MutationObserver), so that the
// test can see that the answer streamed in rather than arriving in one piece.
async function recordAssistantText(page) {
  await page.evaluate(() => {
    window.__e2eSamples = [];
    const log = document.getElementById('messages') || document.body;
    const sample = () => {
      const all = document.querySelectorAll('[data-testid="assistant-message"]');
      const last = all[all.length - 1];
      const text = last ? last.textContent : '';
      const s = window.__e2eSamples;
      if (last && s[s.length - 1]?.text !== text) s.push({ t: performance.now(), n: all.length, text });
    };
    if (window.__e2eObserver) window.__e2eObserver.disconnect();
    window.__e2eObserver = new MutationObserver(sample);
    window.__e2eObserver.observe(log, { subtree: true, childList: true, characterData: true });
  });
}

async function setSetting(page, testid, value) {
  await page.locator(S(testid)).evaluate((el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, String(value));
}

// The model facts panel as "Term value; Term value; ..." (read from the DOM: the panel may be a
// closed <details>, where innerText is empty).
async function modelFacts(page) {
  return page.evaluate(() => [...document.querySelectorAll('#model-facts dt')]
    .map((dt) => `${dt.textContent} ${dt.nextElementSibling?.textContent ?? ''}`).join('; '));
}

// A ?model= URL that is not a preset waits for [data-testid=confirm-load] (nothing is downloaded
// before): click it.
async function confirmLoad(page) {
  const button = page.locator(S('confirm-load'));
  await button.waitFor({ state: 'visible', timeout: 60_000 });
  await button.click();
}

async function lastAssistantText(page) {
  return page.locator(S('assistant-message')).last().textContent();
}

// ---------------------------------------------------------------------------------------------

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mistral-e2e-profile-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
} catch (err) {
  console.error(`e2e: cannot start ${CHROMIUM}: ${err.message}`);
  process.exit(2);
}
results.browser = context.browser()?.version() ?? null;

const modelRequests = []; // Playwright's view of requests for the model file (page and workers)
const modelUrlNoHash = MODEL_URL.split('#')[0];
context.on('request', (r) => {
  if (r.url().split('#')[0] === modelUrlNoHash) modelRequests.push({ t: Date.now(), method: r.method(), range: r.headers().range || null });
});

const page = context.pages()[0] || (await context.newPage());
watchPage(page, 'chat');

try {
  // 1. First visit: the model downloads, uploads to the GPU, the page says `ready`.
  if (MODEL_STATS_URL) await step('reset model server stats', resetModelStats);
  let t0 = Date.now();
  const loaded = await step('first visit: model loads (status ready)', async () => {
    await page.goto(pageUrlFor(MODEL_URL), { waitUntil: 'domcontentloaded' });
    await page.locator(S('confirm-load')).waitFor({ state: 'visible', timeout: 60_000 });
    // Before the click: at most the size probe (HEAD) reached the model server, nothing is
    // cached, and the box names the model's origin and size.
    await sleep(1500);
    const before = modelRequests.slice();
    const statsBefore = await modelStats();
    const n = statsBefore?.paths?.[new URL(MODEL_URL).pathname] ?? 0;
    const stored = await page.evaluate(async (url) => {
      const pkg = await import(new URL('pkg/index.js', location.href).href);
      return (await pkg.cachedModels()).filter((m) => m.url === url);
    }, MODEL_URL);
    check('before confirm-load: nothing fetched from the model server beyond the size probe, nothing cached',
      before.every((r) => r.method === 'HEAD') && before.length <= 1 && (statsBefore === null || n <= 1) && stored.length === 0 && (await status(page)) === 'idle',
      `browser: ${JSON.stringify(before)}; server: ${n} request(s); cached: ${JSON.stringify(stored)}; status ${await status(page)}`);
    const origin = (await page.locator(S('confirm-origin')).textContent())?.trim();
    const size = (await page.locator(S('confirm-size')).textContent())?.trim();
    check('the confirmation shows the model\'s origin and size', origin === new URL(MODEL_URL).origin && /\d+(\.\d+)? MB/.test(size),
      `origin ${JSON.stringify(origin)}, size ${JSON.stringify(size)}`);
    t0 = Date.now();
    await page.locator(S('confirm-load')).click();
    await waitStatus(page, 'ready', LONG);
    results.firstLoadSeconds = secs(Date.now() - t0);
    return true;
  });
  if (loaded) {
    check('first visit: model loads (status ready)', true, `${results.firstLoadSeconds} s`);
    const stats = await step('model server stats', modelStats);
    if (stats) {
      const p = new URL(MODEL_URL).pathname;
      check('first visit: model fetched from the model server', (stats.paths?.[p] ?? 0) > 0, `${stats.paths?.[p] ?? 0} request(s) for ${p}`);
    }
    results.playwrightModelRequestsFirstVisit = modelRequests.length;
    results.modelInfo = await page.evaluate(() => window.__mistral?.modelInfo ?? null).catch(() => null);
    results.adapterInfo = await page.evaluate(() => window.__mistral?.adapterInfo ?? null).catch(() => null);
    check('window.__mistral.engine is exposed', await page.evaluate(() => !!window.__mistral?.engine));
    const kernels = results.modelInfo?.kernels;
    const facts = await modelFacts(page).catch(() => '');
    results.kernels = { auto: kernels ?? null, reason: results.modelInfo?.kernelsReason ?? null, adapterPick: results.adapterInfo?.kernels ?? null };
    check('model facts show the kernel family auto chose (the adapter\'s pick)',
      (kernels === 'cpu' || kernels === 'gpu') && kernels === results.adapterInfo?.kernels && facts.includes(`Kernels ${kernels} (${results.modelInfo.kernelsReason})`),
      `modelInfo.kernels ${kernels}, adapterInfo.kernels ${results.adapterInfo?.kernels}; facts: ${JSON.stringify(facts.slice(0, 400))}`);
  }

  // 2. A question; the answer streams in and names Paris.
  if (loaded) {
    const answered = await step('answer: "Paris", streamed, status back to ready', async () => {
      await setSetting(page, 'temperature', 0);
      await setSetting(page, 'max-tokens', 128);
      await recordAssistantText(page);
      await page.locator(S('prompt')).fill('What is the capital of France?');
      const t1 = Date.now();
      await page.locator(S('send')).click();
      await page.locator(S('user-message')).last().waitFor({ timeout: 10_000 });
      await page.waitForFunction(
        (sel) => {
          const all = document.querySelectorAll(sel);
          return all.length > 0 && /paris/i.test(all[all.length - 1].textContent);
        },
        S('assistant-message'),
        { timeout: LONG, polling: 100 },
      );
      await waitStatus(page, 'ready', LONG);
      results.answerSeconds = secs(Date.now() - t1);
      return true;
    });
    if (answered) {
      const text = await lastAssistantText(page);
      results.answer = text;
      check('answer mentions Paris', /paris/i.test(text), JSON.stringify(text.slice(0, 160)));
      const samples = await page.evaluate(() => window.__e2eSamples || []);
      const values = [...new Set(samples.map((s) => s.text))];
      const beforeFinal = values.filter((v) => v && v !== text);
      results.streamedValues = values.length;
      check('answer streamed (>= 2 distinct partial texts before the final one)', beforeFinal.length >= 2,
        `${beforeFinal.length} partial value(s), ${values.length} distinct in all`);
      check('status is ready after the answer', (await status(page)) === 'ready');

      const usage = await page.evaluate(() => window.__mistral?.lastUsage ?? null);
      results.usage = usage;
      results.decodeTokensPerSecond = usage?.extra?.decode_tokens_per_s ?? null;
      results.prefillTokensPerSecond = usage?.extra?.prefill_tokens_per_s ?? null;
      results.displayedStats = (await page.locator(S('stats')).textContent().catch(() => null))?.trim() || null;
      check('usage with tokens/s reported', Number.isFinite(results.decodeTokensPerSecond) && results.decodeTokensPerSecond > 0,
        `decode ${results.decodeTokensPerSecond} tok/s, prefill ${results.prefillTokensPerSecond} tok/s; page shows "${results.displayedStats}"`);
      results.wasmMemoryBytes = await page
        .evaluate(async () => (typeof window.__mistral?.engine?.wasmMemoryBytes === 'function' ? await window.__mistral.engine.wasmMemoryBytes() : null))
        .catch(() => null);
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'chat.png') });

      // The same page on a phone-sized screen: nothing may scroll sideways.
      await step('phone layout', async () => {
        await page.setViewportSize({ width: 375, height: 740 });
        await page.emulateMedia({ colorScheme: 'dark' });
        await page.evaluate(() => window.scrollTo(0, document.scrollingElement.scrollHeight));
        await sleep(300);
        const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        check('phone layout (375 px): no horizontal scroll', over <= 0, over > 0 ? `${over} px too wide` : '');
        await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'chat-phone-dark.png') });
        await page.emulateMedia({ colorScheme: null });
        await page.setViewportSize({ width: 1280, height: 800 });
      });
    }
  }

  // 2b. Regenerate, copy and edit. Regenerate replaces the last answer (greedy: the same text,
  //     still one answer for the turn); editing the first question drops everything after it
  //     and asks again (the engine reuses the KV prefix the shorter conversation shares).
  if (loaded && results.answer) {
    await step('regenerate, copy a message, edit a user message', async () => {
      const count = async (id) => page.locator(S(id)).count();
      const texts = async (id) => page.locator(S(id)).allTextContents();
      await page.locator(S('regenerate')).click();
      await waitStatus(page, 'ready', LONG);
      const again = await lastAssistantText(page);
      check('regenerate (temperature 0): the same answer again, one answer for the turn',
        again === results.answer && (await count('assistant-message')) === 1 && (await count('user-message')) === 1
          && (await count('regenerate')) === 1,
        `${JSON.stringify(again.slice(0, 120))}; ${await count('user-message')} user / ${await count('assistant-message')} assistant message(s)`);

      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(PAGE_URL).origin });
      const clip = async (n) => {
        await page.locator(S('copy-message')).nth(n).click();
        await page.waitForFunction((i) => document.querySelectorAll('[data-testid="copy-message"]')[i]?.dataset.state, n, { timeout: 5000 });
        return page.evaluate(() => navigator.clipboard.readText());
      };
      const copiedUser = await clip(0);
      const copiedAnswer = await clip(1);
      check('copy-message: a message\'s text goes to the clipboard',
        copiedUser === 'What is the capital of France?' && /paris/i.test(copiedAnswer),
        JSON.stringify({ copiedUser, copiedAnswer: copiedAnswer.slice(0, 120) }));

      await page.locator(S('edit')).first().click();
      await page.locator(S('edit-input')).fill('What is the capital of Italy?');
      await page.locator(S('edit-save')).click();
      await waitStatus(page, 'ready', LONG);
      const users = await texts('user-message');
      const answers = await texts('assistant-message');
      results.editedAnswer = answers.at(-1) ?? null;
      // (Whether the tiny model knows Italy's capital is not the page's business: the next check
      // pins the answer to a fresh conversation's.)
      check('edit: the question is replaced, the old answer is gone, one new answer',
        users.length === 1 && users[0] === 'What is the capital of Italy?' && answers.length === 1
          && answers[0].trim().length > 0 && !answers.some((a) => /paris/i.test(a)),
        JSON.stringify({ users, answers: answers.map((a) => a.slice(0, 120)) }));
      // The reused KV prefix must not change the answer: a new chat (empty cache) asked the same
      // question greedily answers the same.
      await page.locator('#new-chat').click();
      await waitStatus(page, 'ready', 10_000);
      await page.locator(S('prompt')).fill('What is the capital of Italy?');
      await page.locator(S('send')).click();
      await page.locator(S('assistant-message')).last().waitFor({ timeout: 10_000 });
      await waitStatus(page, 'ready', LONG);
      const fresh = await lastAssistantText(page);
      check('edit: the answer equals a new chat\'s answer to the same question (KV prefix reuse is exact)',
        fresh === results.editedAnswer, JSON.stringify({ edited: results.editedAnswer, fresh }));
    });
  }

  // 3. Stop: a long answer, stopped after it has started.
  if (loaded) {
    await step('stop: generation stops and status returns to ready', async () => {
      await setSetting(page, 'max-tokens', 1024); // long enough to be still running on a fast GPU
      await setSetting(page, 'temperature', 0.7);
      const before = await page.locator(S('assistant-message')).count();
      await page.locator(S('prompt')).fill('Write a long story about a dragon.');
      await page.locator(S('send')).click();
      await page.waitForFunction(
        ({ sel, before }) => {
          const all = document.querySelectorAll(sel);
          return all.length > before && all[all.length - 1].textContent.trim().length >= 12;
        },
        { sel: S('assistant-message'), before },
        { timeout: LONG, polling: 100 },
      );
      check('stop: status is generating while the answer streams', (await status(page)) === 'generating');
      const tStop = Date.now();
      await page.locator(S('stop')).click();
      await waitStatus(page, 'ready', 30_000);
      const stopSeconds = secs(Date.now() - tStop);
      results.timings.stopSeconds = stopSeconds;
      const atStop = await lastAssistantText(page);
      await sleep(3000);
      const later = await lastAssistantText(page);
      check('stop: status back to ready within 30 s', true, `${stopSeconds} s`);
      check('stop: the text stops growing', later === atStop, `${atStop.length} chars at stop, ${later.length} chars 3 s later`);
      check('stop: send is enabled again', await page.locator(S('send')).isEnabled());
    });
  }

  // 3b. The chat template viewer: the Model & GPU info panel shows the template's source text
  //     (ModelInfo.chatTemplate is that text, not a flag).
  if (loaded) {
    await step('template viewer: shows the chat template text', async () => {
      const info = await page.evaluate(() => window.__mistral?.modelInfo ?? null);
      await page.locator('#info-panel > summary').click();
      await page.locator(`${S('template-viewer')} > summary`).click();
      const viewer = page.locator(S('chat-template'));
      await viewer.waitFor({ state: 'visible', timeout: 5000 });
      const text = (await viewer.textContent()) ?? '';
      // SmolLM2's template (ChatML) loops over the messages and opens turns with <|im_start|>.
      check('template viewer: visible, showing the model\'s template source',
        typeof info?.chatTemplate === 'string' && text === info.chatTemplate && /\{%-?\s*for\b/.test(text) && text.includes('<|im_start|>')
          && info.chatTemplateBuiltin === false,
        `modelInfo.chatTemplate ${typeof info?.chatTemplate}, builtin ${info?.chatTemplateBuiltin}; viewer ${JSON.stringify(text.slice(0, 120))}`);
      await page.locator(`${S('template-viewer')} > summary`).click();
      await page.locator('#info-panel > summary').click();
    });
  }

  // 3c. Markdown, raw HTML and the context notice, through the page's own send path: the
  //     engine's create() is replaced (window.__mistral.engine is the page's engine) by a stream
  //     of known chunks, split mid-fence and mid-tag as a model's tokens would be.
  if (loaded) {
    await step('markdown answer: code block with copy button, raw HTML as text, context notice', async () => {
      const origin = new URL(PAGE_URL).origin;
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
      const answer = 'Here is the code:\n\n```js\nconst ok = 1 < 2 && "<b>";\n```\n\n' +
        'Raw HTML: <img src=x onerror="window.__xss = 1"> and <script>window.__xss = 2</script> **bold** end.';
      const notice = 'The conversation is longer than the context: the 2 oldest messages were left out.';
      const before = await page.locator(S('assistant-message')).count();
      await recordAssistantText(page);
      await page.evaluate(({ answer, notice }) => {
        const chat = window.__mistral.engine.chat.completions;
        window.__e2eRealCreate = chat.create;
        chat.create = async (request) => {
          window.__e2eRequest = request;
          return (async function* () {
            for (let i = 0; i < answer.length; i += 7) {
              await new Promise((r) => setTimeout(r, 20));
              yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: answer.slice(i, i + 7) }, finish_reason: null }] };
            }
            yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], dropped_messages: 2, notice,
              usage: { prompt_tokens: 10, completion_tokens: 40, total_tokens: 50, extra: { prefill_tokens_per_s: 100, decode_tokens_per_s: 10 } } };
          })();
        };
      }, { answer, notice });
      try {
        await page.locator(S('prompt')).fill('Show me some code.');
        await page.locator(S('send')).click();
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid="assistant-message"]').length > n, before, { timeout: 10_000 });
        await waitStatus(page, 'ready', 30_000);
      } finally {
        await page.evaluate(() => { window.__mistral.engine.chat.completions.create = window.__e2eRealCreate; });
      }
      const msg = page.locator(S('assistant-message')).last();
      const r = await msg.evaluate((m) => ({
        code: m.querySelector('pre code')?.textContent ?? null,
        codeClass: m.querySelector('pre code')?.className ?? null,
        buttons: m.querySelectorAll('[data-testid="copy-code"]').length,
        strong: m.querySelector('strong')?.textContent ?? null,
        imgs: m.querySelectorAll('img, script').length,
        text: m.textContent,
        xss: window.__xss ?? null,
      }));
      check('markdown: a fenced block renders as code with a copy button',
        r.code === 'const ok = 1 < 2 && "<b>";\n' && r.buttons === 1 && r.strong === 'bold' && /language-js/.test(r.codeClass ?? ''), JSON.stringify(r));
      check('markdown: raw HTML is shown as text, nothing of it runs',
        r.imgs === 0 && r.xss === null && r.text.includes('<img src=x onerror="window.__xss = 1">') && r.text.includes('<script>'), JSON.stringify(r));
      const samples = await page.evaluate(() => (window.__e2eSamples || []).filter((x) => x.text).length);
      check('markdown: the answer streamed in (re-rendered as it grew)', samples >= 3, `${samples} distinct text(s)`);
      await msg.locator(S('copy-code')).click();
      await page.waitForFunction(() => document.querySelector('[data-testid="copy-code"][data-state]') !== null, null, { timeout: 5000 }).catch(() => {});
      const copied = await page.evaluate(async () => ({
        state: [...document.querySelectorAll('[data-testid="copy-code"]')].pop()?.dataset.state ?? null,
        clip: await navigator.clipboard.readText().catch((e) => `(unreadable: ${e})`),
      }));
      check('markdown: the copy button puts the code on the clipboard', copied.state === 'copied' && copied.clip === r.code, JSON.stringify(copied));
      const shown = page.locator(S('context-notice')).last();
      check('context notice: the last chunk\'s notice is shown under the answer',
        (await shown.isVisible()) && (await shown.textContent()) === notice, await shown.textContent().catch((e) => String(e)));
      await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'markdown.png') });
    });
  }

  // 4. Second visit: the model comes from the browser cache, the model server sees nothing.
  if (loaded) {
    await step('cached visit: model loads with no request to the model server', async () => {
      await resetModelStats();
      modelRequests.length = 0;
      const t2 = Date.now();
      await page.reload({ waitUntil: 'domcontentloaded' });
      await confirmLoad(page);
      await waitStatus(page, 'ready', LONG);
      results.cachedLoadSeconds = secs(Date.now() - t2);
      check('cached visit: model loads (status ready)', true, `${results.cachedLoadSeconds} s (first visit ${results.firstLoadSeconds} s)`);
      const stats = await modelStats();
      if (stats) {
        const p = new URL(MODEL_URL).pathname;
        const n = stats.paths?.[p] ?? 0;
        results.modelRequestsOnCachedVisit = n;
        check('cached visit: model server saw 0 requests for the model', n === 0, `${n} request(s) for ${p}, ${stats.total} in all`);
      }
      // Only meaningful when Playwright saw the first visit's requests (a worker's fetches are
      // reported in Chromium, but say so rather than pass vacuously if they were not).
      if (results.playwrightModelRequestsFirstVisit > 0) {
        check('cached visit: browser made no request for the model URL', modelRequests.length === 0,
          modelRequests.length ? JSON.stringify(modelRequests.slice(0, 5)) : `first visit: ${results.playwrightModelRequestsFirstVisit}`);
      } else {
        console.log('SKIP cached visit: browser made no request for the model URL — Playwright saw no model request on the first visit either');
      }
    });
  }

  // 4b. ?kernels=gpu: another page forces the gpu kernel family; the same greedy question gets
  //     the same answer (both families compute the same logits up to summation order).
  if (loaded && results.answer) {
    await step('?kernels=gpu: the gpu kernel family loads and answers the same', async () => {
      const gpuPage = await context.newPage();
      watchPage(gpuPage, 'kernels-gpu');
      try {
        const u = new URL(pageUrlFor(MODEL_URL));
        u.searchParams.set('kernels', 'gpu');
        await gpuPage.goto(u.href, { waitUntil: 'domcontentloaded' });
        await confirmLoad(gpuPage);
        await waitStatus(gpuPage, 'ready', LONG);
        const info = await gpuPage.evaluate(() => window.__mistral?.modelInfo ?? null);
        const facts = await modelFacts(gpuPage);
        check('?kernels=gpu: the model runs the gpu kernels and the facts say so',
          info?.kernels === 'gpu' && facts.includes('Kernels gpu (forced by the kernels load option)'),
          `modelInfo.kernels ${info?.kernels}; facts: ${JSON.stringify(facts.slice(0, 400))}`);
        await setSetting(gpuPage, 'temperature', 0);
        await setSetting(gpuPage, 'max-tokens', 128);
        await gpuPage.locator(S('prompt')).fill('What is the capital of France?');
        const t = Date.now();
        await gpuPage.locator(S('send')).click();
        await gpuPage.locator(S('assistant-message')).last().waitFor({ timeout: 10_000 });
        await waitStatus(gpuPage, 'generating', 10_000).catch(() => {});
        await waitStatus(gpuPage, 'ready', LONG);
        const text = await gpuPage.locator(S('assistant-message')).last().textContent();
        const usage = await gpuPage.evaluate(() => window.__mistral?.lastUsage ?? null);
        results.kernels.gpu = { answer: text, seconds: secs(Date.now() - t),
          decodeTokensPerSecond: usage?.extra?.decode_tokens_per_s ?? null, prefillTokensPerSecond: usage?.extra?.prefill_tokens_per_s ?? null };
        check('?kernels=gpu: the greedy answer equals the default kernels\' answer', text === results.answer,
          `${JSON.stringify(text.slice(0, 160))} in ${results.kernels.gpu.seconds} s (decode ${results.kernels.gpu.decodeTokensPerSecond} tok/s)`);
      } finally {
        await gpuPage.close();
      }
    });
  }

  // 5. Resume: a download interrupted half way leaves its chunks in the cache; loading again
  //    fetches only the missing ones (the page's engine, driven through the package API).
  if (loaded) {
    await step('resume: an interrupted download continues from the cache', async () => {
      const first = await page.evaluate(async (url) => {
        const pkg = await import(new URL('pkg/index.js', location.href).href);
        await pkg.deleteCachedModel(url);
        const ac = new AbortController();
        let code = null;
        try {
          await window.__mistral.engine.loadModel(url, {
            signal: ac.signal,
            onProgress: (p) => { if (p.phase === 'download' && p.loaded >= p.total / 2) ac.abort(); },
          });
        } catch (e) {
          code = e.code ?? String(e);
        }
        const entry = (await pkg.cachedModels()).find((m) => m.url === url) ?? null;
        return { code, entry };
      }, MODEL_URL);
      check('resume: the load was aborted half way', first.code === 'aborted', JSON.stringify(first));
      const partial = first.entry && !first.entry.complete && first.entry.cachedBytes > 0;
      check('resume: the cache holds part of the file', partial, JSON.stringify(first.entry));
      await resetModelStats();
      modelRequests.length = 0;
      const second = await page.evaluate(async (url) => {
        const info = await window.__mistral.engine.loadModel(url);
        const pkg = await import(new URL('pkg/index.js', location.href).href);
        return { name: info.name, entry: (await pkg.cachedModels()).find((m) => m.url === url) ?? null };
      }, MODEL_URL);
      const stats = await modelStats();
      const n = stats?.paths?.[new URL(MODEL_URL).pathname] ?? 0;
      const chunks = Math.ceil(first.entry.size / (16 * 2 ** 20));
      results.resume = { firstVisitRequests: results.playwrightModelRequestsFirstVisit, resumedRequests: n, chunks,
        ranges: modelRequests.map((r) => `${r.method} ${r.range}`) };
      // A full download is one probe plus one request per chunk; a resumed one skips the stored
      // chunks: a probe plus the missing ones, and possibly one prefetch of the aborted load that
      // reached the server after the counters were reset.
      const missing = chunks - Math.floor(first.entry.cachedBytes / (16 * 2 ** 20));
      check('resume: only the missing chunks were fetched', n >= missing && n <= missing + 2 && n < chunks + 1,
        `${n} request(s) after ${first.entry.cachedBytes} of ${first.entry.size} bytes were cached (${chunks} chunks): ${results.resume.ranges.join(', ')}`);
      check('resume: the file is complete in the cache afterwards', second.entry?.complete === true, JSON.stringify(second.entry));
    });
  }

  // 5b. The features' own checks (web/e2e/steps/), with what they need from this file.
  if (loaded) {
    const ctx = {
      context, page, results, check, step, S, sleep, secs, status, waitStatus, setSetting, confirmLoad,
      lastAssistantText, recordAssistantText, modelFacts, modelStats, resetModelStats, watchPage, pageUrlFor,
      modelRequests, ARTIFACTS_DIR, MODEL_URL, PAGE_URL, LONG,
    };
    for (const run of FEATURE_STEPS) await run(ctx);
  }

  // 6. The error path: a model URL that does not exist.
  await step('error path: missing model gives status error and a visible message', async () => {
    const errPage = await context.newPage();
    watchPage(errPage, 'error-page');
    try {
      await errPage.goto(pageUrlFor(`${PAGE_URL}does-not-exist.gguf`), { waitUntil: 'domcontentloaded' });
      await confirmLoad(errPage);
      await waitStatus(errPage, 'error', 120_000);
      const banner = errPage.locator(S('error'));
      const visible = await banner.isVisible();
      const text = ((await banner.innerText().catch(() => '')) || '').trim();
      check('error path: status error, error banner visible with a message', visible && text.length > 0, JSON.stringify(text.slice(0, 200)));
      await errPage.screenshot({ path: path.join(ARTIFACTS_DIR, 'error.png') });
    } finally {
      await errPage.close();
    }
  });

  check('no uncaught JavaScript errors in the pages', pageErrors.length === 0, pageErrors.map((e) => `${e.label}: ${e.message}`).join(' | '));
} catch (err) {
  check('e2e ran to the end', false, err && err.stack ? err.stack : String(err));
} finally {
  if (failed) {
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'failure.png') }).catch(() => {});
  }
  await context.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

results.ok = failed === 0 && passed > 0;
results.finishedAt = new Date().toISOString();
results.console = consoleLines.slice(-300);
fs.writeFileSync(path.join(ARTIFACTS_DIR, 'e2e-results.json'), `${JSON.stringify(results, null, 2)}\n`);

console.log(`first load ${results.firstLoadSeconds} s, cached load ${results.cachedLoadSeconds} s, answer ${results.answerSeconds} s, ` +
  `decode ${results.decodeTokensPerSecond ?? '–'} tok/s, prefill ${results.prefillTokensPerSecond ?? '–'} tok/s, wasm memory ${results.wasmMemoryBytes ?? '–'} B`);
console.log(`artifacts: ${ARTIFACTS_DIR}`);
if (failed) {
  console.log('--- browser console (last 300 lines) ---');
  for (const line of consoleLines.slice(-300)) console.log(line);
  console.log('--- end of browser console ---');
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
