// The chat page: plain ES module, no framework, no build step. It only talks to the engine
// through the package API (pkg/index.js). Model output is only ever put in the page as text
// (textContent / Text nodes), never parsed as HTML.
//
// Testing contract (kept stable for web/e2e/e2e.mjs and others):
//   ?model=<url> loads that model on start; ?worker=0 runs the engine on the main thread;
//   [data-testid=status] is exactly one of idle | loading | ready | generating | error;
//   [data-testid=prompt|send|stop], [data-testid=user-message|assistant-message] (one per
//   message, holding only the message text), [data-testid=error] the error banner,
//   [data-testid=temperature|max-tokens] the settings, [data-testid=stats] the last tokens/s;
//   window.__mistral = { engine, lastUsage, modelInfo, adapterInfo }.

import { createEngine, MistralError, isModelCached, deleteCachedModel } from './pkg/index.js';

const HF = 'https://huggingface.co';
const PRESETS = [
  {
    label: 'SmolLM2-135M-Instruct Q8_0',
    note: 'tiny test model: quick to download, simple answers',
    url: `${HF}/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q8_0.gguf`,
    bytes: 145e6,
  },
  {
    label: 'Mistral-7B-Instruct v0.2 Q4_K_M',
    note: 'recommended: best quality for its size, needs ~5 GB of GPU memory',
    url: `${HF}/TheBloke/Mistral-7B-Instruct-v0.2-GGUF/resolve/main/mistral-7b-instruct-v0.2.Q4_K_M.gguf`,
    bytes: 4.37e9,
  },
  {
    label: 'Mistral-7B-Instruct v0.2 Q4_0',
    note: 'smallest 7B download, slightly lower quality',
    url: `${HF}/TheBloke/Mistral-7B-Instruct-v0.2-GGUF/resolve/main/mistral-7b-instruct-v0.2.Q4_0.gguf`,
    bytes: 4.11e9,
  },
  {
    label: 'Mistral-7B-Instruct v0.2 Q8_0',
    note: 'near-lossless, needs ~8.5 GB of GPU memory',
    url: `${HF}/TheBloke/Mistral-7B-Instruct-v0.2-GGUF/resolve/main/mistral-7b-instruct-v0.2.Q8_0.gguf`,
    bytes: 7.7e9,
  },
];

// What to tell the user for each MistralError code: a title, a hint, and whether the engine
// should be restarted (terminate() + createEngine()).
const ERRORS = {
  'no-webgpu': { title: 'WebGPU is not available', restart: false },
  'no-adapter': { title: 'No GPU adapter', restart: false },
  limits: {
    title: 'This GPU cannot hold this model',
    hint: 'Its buffer limits are too small. Try a smaller model or quantization (Q4_0, or SmolLM2).',
  },
  'out-of-memory': {
    title: 'Out of GPU memory',
    hint: 'Try a smaller quantization (Q4_0, or SmolLM2), close other GPU-heavy tabs, or restart the engine to free what it holds.',
    restart: true,
  },
  'device-lost': {
    title: 'The GPU device was lost',
    hint: 'The browser or driver reset the GPU (this happens after a driver crash, a timeout or when the GPU sleeps). Restart the engine to carry on; the model reloads from the cache.',
    restart: true,
  },
  'unsupported-file': {
    title: 'Unsupported model file',
    hint: 'Pick a GGUF file of a Mistral or Llama-architecture model quantized as Q4_0, Q4_1, Q8_0, Q4_K, Q6_K, F16 or F32 (e.g. a Q4_K_M or Q8_0 file).',
  },
  network: {
    title: 'Download failed',
    hint: 'Check the URL and your connection. A server on another site must allow CORS and range requests (Hugging Face /resolve/ URLs do).',
  },
  quota: {
    title: 'Not enough browser storage to cache the model',
    hint: 'Free some disk space, delete cached models (in the model list), or untick “Keep downloaded models in the browser cache”.',
  },
  context: {
    title: 'The conversation no longer fits in the model’s context',
    hint: 'Start a new chat, or lower “Max tokens”.',
  },
  'bad-request': { title: 'The request was refused' },
  'no-model': { title: 'No model is loaded', hint: 'Pick a model first.' },
  worker: {
    title: 'The engine stopped',
    hint: 'Its worker failed to start or was ended (the tab may have run out of memory). Restart the engine to carry on.',
    restart: true,
  },
  internal: { title: 'Internal error', hint: 'Restarting the engine usually helps. Please report this if it keeps happening.', restart: true },
};
// Errors after which the loaded model can still be used: the page goes back to `ready`.
const RECOVERABLE = new Set(['context', 'bad-request', 'network', 'quota', 'unsupported-file', 'limits']);

// ---------------------------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);
const el = {
  status: document.querySelector('[data-testid="status"]'),
  statusDetail: $('status-detail'),
  banner: $('error-banner'),
  errorTitle: $('error-title'),
  errorMessage: $('error-message'),
  errorHint: $('error-hint'),
  restart: $('restart-engine'),
  dismiss: $('dismiss-error'),
  modelPanel: $('model-panel'),
  modelSummary: $('model-summary'),
  presets: $('presets'),
  urlForm: $('url-form'),
  url: $('model-url'),
  file: $('model-file'),
  useCache: $('use-cache'),
  storageNote: $('storage-note'),
  progress: $('progress'),
  progressBar: $('progress-bar'),
  progressText: $('progress-text'),
  cancelLoad: $('cancel-load'),
  modelFacts: $('model-facts'),
  adapterFacts: $('adapter-facts'),
  templateWrap: $('template-wrap'),
  chatTemplate: $('chat-template'),
  unload: $('unload-model'),
  system: $('system-prompt'),
  temperature: $('temperature'),
  temperatureOut: $('temperature-out'),
  maxTokens: $('max-tokens'),
  messages: $('messages'),
  empty: $('empty-state'),
  stats: $('stats'),
  composer: $('composer'),
  prompt: $('prompt'),
  send: $('send'),
  stop: $('stop'),
  newChat: $('new-chat'),
  dropOverlay: $('drop-overlay'),
};

const params = new URLSearchParams(location.search);
const useWorker = params.get('worker') !== '0';

const state = {
  engine: null,
  engineStarting: null, // Promise while createEngine() runs
  modelInfo: null,
  source: null, // what was loaded last (string URL or File), to reload after a restart
  loading: null, // { controller, seq } while a load runs
  loadSeq: 0,
  generating: false,
  messages: [], // {role, content}: the conversation sent to the engine
  status: 'idle',
};

window.__mistral = { engine: null, lastUsage: null, modelInfo: null, adapterInfo: null, useWorker };

// ---------------------------------------------------------------------------------------------
// Status, errors

function setStatus(status, detail = '') {
  state.status = status;
  el.status.textContent = status;
  el.status.dataset.state = status;
  document.body.dataset.status = status;
  el.statusDetail.textContent = detail;
  updateControls();
}

function updateControls() {
  const canChat = !!state.modelInfo && !state.generating && !state.loading;
  el.send.disabled = !canChat;
  el.stop.disabled = !state.generating;
  el.unload.hidden = !state.modelInfo;
  el.unload.disabled = state.generating || !!state.loading;
  el.newChat.disabled = !!state.loading;
}

function codeOf(err) {
  if (err instanceof MistralError || (err && typeof err.code === 'string' && err.code in ERRORS)) return err.code;
  if (err && (err.code === 'aborted' || err.name === 'AbortError')) return 'aborted';
  return 'internal';
}

function isAbort(err) {
  return codeOf(err) === 'aborted';
}

function showError(err, context = '') {
  const code = codeOf(err);
  const info = ERRORS[code] || ERRORS.internal;
  const message = (err && err.message) || String(err);
  console.error(context || 'error', err);
  el.errorTitle.textContent = context ? `${info.title} (${context})` : info.title;
  el.errorMessage.textContent = message;
  el.errorHint.textContent = info.hint || '';
  el.errorHint.hidden = !info.hint;
  el.restart.hidden = !info.restart;
  el.banner.dataset.code = code;
  el.banner.hidden = false;
}

function clearError() {
  el.banner.hidden = true;
  delete el.banner.dataset.code;
}

el.dismiss.addEventListener('click', clearError);
el.restart.addEventListener('click', () => restartEngine());

// ---------------------------------------------------------------------------------------------
// Formatting helpers

function fmtBytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(n >= 10 ? 1 : 2)} ${units[i]}`;
}

function fmtCount(n) {
  if (!Number.isFinite(n) || n <= 0) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

function fmtRate(x) {
  return Number.isFinite(x) && x > 0 ? (x >= 100 ? Math.round(x).toString() : x.toFixed(1)) : '–';
}

function fillFacts(dl, rows) {
  dl.replaceChildren();
  for (const [k, v, className] of rows) {
    if (v === undefined || v === null || v === '') continue;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = String(v);
    if (className) dd.className = className;
    dl.append(dt, dd);
  }
}

function sourceName(source) {
  if (typeof source === 'string' || source instanceof URL) {
    try {
      const u = new URL(String(source), location.href);
      return decodeURIComponent(u.pathname.split('/').pop() || u.host);
    } catch { return String(source); }
  }
  return source && source.name ? source.name : 'model';
}

// ---------------------------------------------------------------------------------------------
// Engine lifecycle

async function startEngine() {
  if (state.engineStarting) return state.engineStarting;
  state.engineStarting = (async () => {
    try {
      const engine = await createEngine({ worker: useWorker });
      state.engine = engine;
      window.__mistral.engine = engine;
      showAdapter(engine);
      return engine;
    } finally {
      state.engineStarting = null;
    }
  })();
  return state.engineStarting;
}

async function showAdapter(engine) {
  try {
    const a = await engine.adapterInfo();
    if (engine !== state.engine) return;
    window.__mistral.adapterInfo = a;
    const limits = a.limits || {};
    fillFacts(el.adapterFacts, [
      ['GPU', a.name || '(name not disclosed by the browser)'],
      ['Backend', [a.backend, a.deviceType].filter(Boolean).join(', ')],
      ['Driver', a.driver],
      ['Max buffer', limits.maxBufferSize ? fmtBytes(limits.maxBufferSize) : undefined],
      ['Max binding', limits.maxStorageBufferBindingSize ? fmtBytes(limits.maxStorageBufferBindingSize) : undefined],
      ['Features', Array.isArray(a.features) && a.features.length ? a.features.join(', ') : 'none', 'list'],
      ['Engine runs in', useWorker ? 'a worker' : 'the page'],
    ]);
  } catch (err) {
    if (engine !== state.engine) return;
    fillFacts(el.adapterFacts, [['GPU', 'not available']]);
    // No WebGPU or no adapter: no model can load, so say so at once (stopping a download that
    // has started) rather than after 4 GB.
    const code = codeOf(err);
    if (code === 'no-webgpu' || code === 'no-adapter' || (!state.loading && !state.modelInfo)) {
      if (state.loading) { state.loading.controller.abort(); state.loading = null; el.progress.hidden = true; }
      showError(err);
      setStatus('error');
    }
  }
}

async function restartEngine() {
  clearError();
  const old = state.engine;
  state.engine = null;
  window.__mistral.engine = null;
  if (state.loading) { state.loading.controller.abort(); state.loading = null; }
  state.generating = false;
  setModelInfo(null);
  try { old && old.terminate(); } catch (err) { console.warn('terminate failed', err); }
  setStatus('loading', 'restarting the engine');
  try {
    await startEngine();
  } catch (err) {
    showError(err, 'restart');
    setStatus('error');
    return;
  }
  // The conversation survives on the page; the engine starts afresh, so reload the model
  // (from the browser cache when it was downloaded) and carry on.
  if (state.source) await loadModel(state.source);
  else setStatus('idle');
}

// ---------------------------------------------------------------------------------------------
// Model loading

function setModelInfo(info) {
  state.modelInfo = info;
  window.__mistral.modelInfo = info;
  if (!info) {
    fillFacts(el.modelFacts, [['Model', 'none loaded']]);
    el.modelSummary.textContent = 'none loaded';
    el.templateWrap.hidden = true;
    updateControls();
    return;
  }
  const window_ = info.slidingWindow ? `${info.slidingWindow} tokens` : 'none';
  fillFacts(el.modelFacts, [
    ['Model', info.name || sourceName(state.source)],
    ['Architecture', info.architecture],
    ['Quantization', info.quantization],
    ['Parameters', fmtCount(info.parameters)],
    ['File size', fmtBytes(info.fileBytes)],
    ['GPU memory', fmtBytes(info.gpuBytes)],
    ['Context', info.contextLength
      ? (info.usableContext && info.usableContext < info.contextLength
        ? `${info.usableContext} of the model's ${info.contextLength} tokens (to fit GPU memory)`
        : `${info.contextLength} tokens`)
      : undefined],
    ['KV cache', info.kvPrecision],
    ['Sliding window', window_],
    ['Layers × dim', info.nLayers && info.dim ? `${info.nLayers} × ${info.dim}` : undefined],
    ['Vocabulary', info.vocabSize],
    // The package says whether the file has a template (boolean); show the template if it is text.
    ['Chat template', typeof info.chatTemplate === 'boolean' ? (info.chatTemplate ? 'from the file' : 'default (the file has none)') : undefined],
  ]);
  el.modelSummary.textContent = info.name || sourceName(state.source);
  if (typeof info.chatTemplate === 'string' && info.chatTemplate) {
    el.chatTemplate.textContent = String(info.chatTemplate);
    el.templateWrap.hidden = false;
  } else {
    el.templateWrap.hidden = true;
  }
  updateControls();
}

function showProgress(p) {
  el.progress.hidden = false;
  if (p && p.total > 0) {
    el.progressBar.max = p.total;
    el.progressBar.value = Math.min(p.loaded, p.total);
  } else {
    el.progressBar.removeAttribute('value'); // indeterminate
  }
  const text = (p && p.text) || (p && p.phase) || 'Starting…';
  el.progressText.textContent = text;
  el.statusDetail.textContent = p && p.total > 0 ? `${Math.floor((100 * p.loaded) / p.total)}%` : '';
}

async function loadModel(source) {
  if (state.generating) await stopGeneration();
  if (state.loading) state.loading.controller.abort();
  clearError();
  const controller = new AbortController();
  const seq = ++state.loadSeq;
  state.loading = { controller, seq };
  state.source = source;
  setModelInfo(null);
  setStatus('loading', sourceName(source));
  showProgress(null);
  el.progressText.textContent = `Loading ${sourceName(source)}…`;
  const current = () => state.loading && state.loading.seq === seq;
  try {
    const engine = state.engine || (await startEngine());
    const info = await engine.loadModel(source, {
      signal: controller.signal,
      cache: el.useCache.checked,
      onProgress: (p) => { if (current()) showProgress(p); },
    });
    if (!current()) return;
    state.loading = null;
    el.progress.hidden = true;
    setModelInfo(info);
    // Make a reload (or a bookmark) come back to this model, from the cache; a local file
    // cannot be reloaded that way, so then drop the parameter.
    const u = new URL(location.href);
    if (typeof source === 'string') u.searchParams.set('model', source);
    else u.searchParams.delete('model');
    if (u.href !== location.href) history.replaceState(null, '', u);
    setStatus('ready');
    if (window.matchMedia('(max-width: 820px)').matches) el.modelPanel.open = false;
    el.prompt.focus({ preventScroll: true });
  } catch (err) {
    if (!current()) return;
    state.loading = null;
    el.progress.hidden = true;
    let info = null;
    try { info = state.engine ? await state.engine.modelInfo() : null; } catch { info = null; }
    setModelInfo(info);
    if (isAbort(err)) {
      setStatus(info ? 'ready' : 'idle', 'loading cancelled');
    } else {
      showError(err, `loading ${sourceName(source)}`);
      setStatus('error');
    }
  } finally {
    refreshCached();
  }
}

el.cancelLoad.addEventListener('click', () => {
  if (state.loading) state.loading.controller.abort();
});

el.unload.addEventListener('click', async () => {
  if (!state.engine || state.generating) return;
  try { await state.engine.unload(); } catch (err) { showError(err, 'unload'); }
  setModelInfo(null);
  setStatus('idle');
});

el.urlForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const raw = el.url.value.trim();
  if (!raw) { el.url.focus(); return; }
  let url;
  try { url = new URL(raw, location.href).href; } catch {
    showError(Object.assign(new Error(`“${raw}” is not a URL.`), { code: 'bad-request' }));
    return;
  }
  loadModel(url);
});

el.file.addEventListener('change', () => {
  const f = el.file.files && el.file.files[0];
  if (f) loadModel(f);
  el.file.value = '';
});

// Drag and drop anywhere on the page.
let dragDepth = 0;
const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
window.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth++;
  el.dropOverlay.hidden = false;
});
window.addEventListener('dragover', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  e.dataTransfer.dropEffect = 'copy';
});
window.addEventListener('dragleave', (e) => {
  if (!hasFiles(e)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) el.dropOverlay.hidden = true;
});
window.addEventListener('drop', (e) => {
  if (!hasFiles(e)) return;
  e.preventDefault();
  dragDepth = 0;
  el.dropOverlay.hidden = true;
  const f = e.dataTransfer.files && e.dataTransfer.files[0];
  if (f) loadModel(f);
});

// Presets, with "cached" badges.
function renderPresets() {
  el.presets.replaceChildren();
  for (const p of PRESETS) {
    const li = document.createElement('li');
    li.className = 'preset';
    li.dataset.url = p.url;

    const load = document.createElement('button');
    load.type = 'button';
    load.className = 'preset-load';
    const name = document.createElement('span');
    name.className = 'preset-name';
    name.textContent = p.label;
    const meta = document.createElement('span');
    meta.className = 'preset-meta';
    const size = document.createElement('span');
    size.textContent = fmtBytes(p.bytes);
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'cached';
    badge.hidden = true;
    meta.append(size, badge);
    const note = document.createElement('span');
    note.className = 'preset-note';
    note.textContent = p.note;
    load.append(name, meta, note);
    load.addEventListener('click', () => loadModel(p.url));

    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'btn btn-quiet preset-delete';
    del.textContent = 'Delete';
    del.title = `Delete ${p.label} from the browser cache`;
    del.setAttribute('aria-label', del.title);
    del.hidden = true;
    del.addEventListener('click', async () => {
      try { await deleteCachedModel(p.url); } catch (err) { showError(err, 'deleting the cached copy'); }
      refreshCached();
    });

    li.append(load, del);
    el.presets.append(li);
  }
}

async function refreshCached() {
  for (const li of el.presets.children) {
    let cached = false;
    try { cached = !!(await isModelCached(li.dataset.url)); } catch { cached = false; }
    li.querySelector('.badge').hidden = !cached;
    li.querySelector('.preset-delete').hidden = !cached;
    li.classList.toggle('is-cached', cached);
  }
  try {
    if (navigator.storage && navigator.storage.estimate) {
      const { usage, quota } = await navigator.storage.estimate();
      el.storageNote.textContent = quota ? `Browser storage: ${fmtBytes(usage)} used of ${fmtBytes(quota)} available to this site.` : '';
    }
  } catch { /* storage estimate is optional */ }
}

// ---------------------------------------------------------------------------------------------
// Chat

function addMessage(role, text) {
  el.empty.hidden = true;
  const row = document.createElement('div');
  row.className = `msg ${role}`;
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.testid = `${role}-message`;
  bubble.setAttribute('data-testid', `${role}-message`);
  const node = document.createTextNode(text);
  bubble.append(node);
  const meta = document.createElement('div');
  meta.className = 'msg-meta';
  row.append(bubble, meta);
  el.messages.append(row);
  scrollToEnd(true);
  return { row, bubble, node, meta };
}

// On wide screens the message list scrolls by itself; on phones the whole page scrolls.
function scroller() {
  return getComputedStyle(el.messages).overflowY === 'visible' ? document.scrollingElement : el.messages;
}

function nearBottom() {
  const m = scroller();
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

function scrollToEnd(force = false) {
  if (force || nearBottom()) {
    const m = scroller();
    m.scrollTop = m.scrollHeight;
  }
}

function readSettings() {
  let temperature = Number(el.temperature.value);
  if (!Number.isFinite(temperature) || temperature < 0) temperature = 0.7;
  let maxTokens = Math.floor(Number(el.maxTokens.value));
  if (!Number.isFinite(maxTokens) || maxTokens < 1) maxTokens = 512;
  return { temperature, max_tokens: maxTokens };
}

function showUsage(usage) {
  window.__mistral.lastUsage = usage || null;
  if (!usage) { el.stats.textContent = ''; return; }
  const x = usage.extra || {};
  el.stats.textContent =
    `Prefill ${fmtRate(x.prefill_tokens_per_s)} tok/s · Decode ${fmtRate(x.decode_tokens_per_s)} tok/s · ` +
    `${usage.prompt_tokens ?? '–'} prompt + ${usage.completion_tokens ?? '–'} generated tokens`;
}

let generationDone = null; // Promise resolved when the running generation has finished

async function send() {
  const text = el.prompt.value.trim();
  if (!text || !state.modelInfo || state.generating || state.loading || !state.engine) return;
  clearError();
  el.prompt.value = '';
  autosize();
  state.messages.push({ role: 'user', content: text });
  addMessage('user', text);
  const answer = addMessage('assistant', '');
  answer.row.classList.add('streaming');
  state.generating = true;
  setStatus('generating');

  let finish = null;
  let usage = null;
  let failure = null;
  let content = '';
  let resolveDone;
  generationDone = new Promise((r) => { resolveDone = r; });
  const engine = state.engine;
  try {
    const system = el.system.value.trim();
    const request = {
      messages: [...(system ? [{ role: 'system', content: system }] : []), ...state.messages],
      ...readSettings(),
      stream: true,
    };
    const stream = await engine.chat.completions.create(request);
    for await (const chunk of stream) {
      const choice = chunk && chunk.choices && chunk.choices[0];
      const delta = choice && choice.delta && choice.delta.content;
      if (delta) {
        content += delta;
        answer.node.data = content;
        scrollToEnd();
      }
      if (choice && choice.finish_reason) finish = choice.finish_reason;
      if (chunk && chunk.usage) usage = chunk.usage;
    }
  } catch (err) {
    if (isAbort(err)) finish = 'abort';
    else failure = err;
  }
  if (engine !== state.engine) { resolveDone(); return; } // the engine was restarted meanwhile

  answer.row.classList.remove('streaming');
  state.generating = false;
  if (content) {
    state.messages.push({ role: 'assistant', content });
  } else if (failure) {
    // Nothing came back: take the question off so that it can be edited and sent again.
    state.messages.pop();
    answer.row.remove();
    if (!el.prompt.value) { el.prompt.value = text; autosize(); }
  } else {
    answer.node.data = '';
  }
  const notes = [];
  if (finish === 'abort') notes.push('stopped');
  if (finish === 'length') notes.push('reached the max-tokens limit');
  if (usage && usage.extra && Number.isFinite(usage.extra.decode_tokens_per_s)) {
    notes.push(`${usage.completion_tokens ?? '?'} tokens · ${fmtRate(usage.extra.decode_tokens_per_s)} tok/s`);
  }
  answer.meta.textContent = notes.join(' · ');
  if (usage) showUsage(usage);

  if (failure) {
    showError(failure, 'generating');
    const code = codeOf(failure);
    setStatus(RECOVERABLE.has(code) && state.modelInfo ? 'ready' : 'error');
  } else {
    setStatus('ready');
  }
  resolveDone();
}

async function stopGeneration() {
  if (!state.generating || !state.engine) return;
  try { state.engine.abort(); } catch (err) { console.warn('abort failed', err); }
  await generationDone;
}

async function newChat() {
  await stopGeneration();
  state.messages = [];
  el.messages.replaceChildren(el.empty);
  el.empty.hidden = false;
  showUsage(null);
  clearError();
  if (state.engine && state.modelInfo) {
    try { await state.engine.reset(); } catch (err) { showError(err, 'new chat'); }
  }
  if (!state.loading) setStatus(state.modelInfo ? 'ready' : state.status === 'error' ? 'error' : 'idle');
  el.prompt.focus({ preventScroll: true });
}

el.composer.addEventListener('submit', (e) => { e.preventDefault(); send(); });
el.stop.addEventListener('click', () => stopGeneration());
el.newChat.addEventListener('click', () => newChat());
el.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !matchMedia('(pointer: coarse)').matches) {
    e.preventDefault();
    send();
  }
});

function autosize() {
  el.prompt.style.height = 'auto';
  el.prompt.style.height = `${Math.min(el.prompt.scrollHeight, Math.round(window.innerHeight * 0.4))}px`;
}
el.prompt.addEventListener('input', autosize);

el.temperature.addEventListener('input', () => {
  el.temperatureOut.textContent = Number(el.temperature.value).toFixed(2).replace(/0$/, '');
});

// Keep the settings across visits (not the conversation).
const SETTINGS_KEY = 'mistral-wgpu.settings';
try {
  const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) || 'null');
  if (saved) {
    if (typeof saved.system === 'string') el.system.value = saved.system;
    if (Number.isFinite(saved.temperature)) el.temperature.value = saved.temperature;
    if (Number.isFinite(saved.maxTokens)) el.maxTokens.value = saved.maxTokens;
    if (typeof saved.cache === 'boolean') el.useCache.checked = saved.cache;
  }
} catch { /* private mode: no storage */ }
el.temperatureOut.textContent = Number(el.temperature.value).toFixed(2).replace(/0$/, '');
for (const input of [el.system, el.temperature, el.maxTokens, el.useCache]) {
  input.addEventListener('change', () => {
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify({
        system: el.system.value,
        temperature: Number(el.temperature.value),
        maxTokens: Number(el.maxTokens.value),
        cache: el.useCache.checked,
      }));
    } catch { /* ignore */ }
  });
}

// ---------------------------------------------------------------------------------------------
// Start

async function main() {
  renderPresets();
  refreshCached();
  setStatus('idle');
  const model = params.get('model');
  if (model) el.url.value = model;
  try {
    await startEngine();
  } catch (err) {
    showError(err, 'starting the engine');
    setStatus('error');
    const code = codeOf(err);
    el.restart.hidden = code === 'no-webgpu' || code === 'no-adapter'; // a restart cannot help there
    return;
  }
  if (model) await loadModel(model);
}

main();
