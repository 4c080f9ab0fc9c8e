// The "Model & GPU info" panel and the model panel's summary line. Setting the model info here
// also records it in the shared state (and window.__mistral), since the panel always shows it.

import { el } from './dom.js';
import { state } from './state.js';
import { updateControls } from './status.js';
import { fmtBytes, fmtCount, sourceName } from './format.js';
import { useWorker } from './url-params.js';

/** Fills a <dl> with [term, value, className?] rows, skipping rows with no value. */
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

/** "cpu (the adapter is a CPU implementation)": the kernel family and why, or undefined. */
function kernelsText(info) {
  if (!info.kernels) return undefined;
  return info.kernelsReason ? `${info.kernels} (${info.kernelsReason})` : info.kernels;
}

/** The loaded model (engine.modelInfo()), or null for none. */
export function setModelInfo(info) {
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
    ['Context', contextText(info)],
    ['KV cache', info.kvPrecision],
    ['Kernels', kernelsText(info)],
    ['Sliding window', window_],
    ['Layers × dim', info.nLayers && info.dim ? `${info.nLayers} × ${info.dim}` : undefined],
    ['Vocabulary', info.vocabSize],
    ['Chat template', info.chatTemplate ? (info.chatTemplateBuiltin ? 'default (the file has none)' : 'from the file') : 'none'],
  ]);
  el.modelSummary.textContent = info.name || sourceName(state.source);
  // ModelInfo.chatTemplate is the template's source text (the file's or the default); as text.
  if (typeof info.chatTemplate === 'string' && info.chatTemplate) {
    el.chatTemplate.textContent = info.chatTemplate;
    el.templateWrap.hidden = false;
  } else {
    el.templateWrap.hidden = true;
  }
  updateControls();
}

/** The GPU adapter (engine.adapterInfo()). */
export function showAdapterFacts(a) {
  const limits = a.limits || {};
  fillFacts(el.adapterFacts, [
    ['GPU', a.name || '(name not disclosed by the browser)'],
    ['Backend', [a.backend, a.deviceType].filter(Boolean).join(', ')],
    ['Driver', a.driver],
    ['Max buffer', limits.maxBufferSize ? fmtBytes(limits.maxBufferSize) : undefined],
    ['Max binding', limits.maxStorageBufferBindingSize ? fmtBytes(limits.maxStorageBufferBindingSize) : undefined],
    ['Features', Array.isArray(a.features) && a.features.length ? a.features.join(', ') : 'none', 'list'],
    ['Kernels (auto)', kernelsText(a)],
    ['Engine runs in', useWorker ? 'a worker' : 'the page'],
  ]);
}

export function showNoAdapterFacts() {
  fillFacts(el.adapterFacts, [['GPU', 'not available']]);
}

// Why the context is as long as it is (ModelInfo.contextLimit, chosen by the engine from the
// model and the adapter's limits): the page shows it so that a short one is not a mystery.
const CONTEXT_LIMITS = {
  trained: 'the model\'s trained context',
  requested: 'as requested',
  binding: 'the GPU\'s largest buffer binding',
  budget: 'the KV memory budget: a quarter of the weights, 0.5 to 2 GiB',
};

function contextText(info) {
  if (!info.contextLength) return undefined;
  if (info.contextLimit === 'window') {
    return `${info.slidingWindow}-token window: the conversation rolls on (trained on ${info.contextLength})`;
  }
  const why = CONTEXT_LIMITS[info.contextLimit];
  const of = info.usableContext < info.contextLength ? ` of the model's ${info.contextLength}` : '';
  return `${info.usableContext}${of} tokens${why ? ` (${why})` : ''}`;
}
