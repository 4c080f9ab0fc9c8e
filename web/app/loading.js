// Loading a model (URL or File) with a progress bar and Cancel, unloading it, and restarting the
// engine with the model reloaded. Only the latest load counts: an older one that finishes late,
// or fails after being replaced, leaves the page alone.

import { el } from './dom.js';
import { state } from './state.js';
import { kernels, rememberModel } from './url-params.js';
import { setStatus } from './status.js';
import { isAbort } from './error-hints.js';
import { showError, clearError } from './error-banner.js';
import { sourceName } from './format.js';
import { setModelInfo } from './info-panel.js';
import { refreshCached } from './presets.js';
import { startEngine, replaceEngine } from './engine.js';
import { stopGeneration } from './chat.js';
import { hideConfirm } from './confirm-load.js';
import { moveFocusFrom } from './keyboard.js';
import { refreshHeldWith } from './conversation-model.js';
import { progressAnnouncer } from './announce.js';

const announceLoad = progressAnnouncer(el.progressAnnounce);

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
  el.progressBar.setAttribute('aria-valuetext', text); // what a screen reader says for the bar
  announceLoad(p);
  el.statusDetail.textContent = p && p.total > 0 ? `${Math.floor((100 * p.loaded) / p.total)}%` : '';
}

// The bar goes when the load ends; Cancel, if it had the focus, hands it to the message box.
function hideProgress() {
  moveFocusFrom(el.progress);
  el.progress.hidden = true;
}

/** Loads `source` (a URL string or a File), replacing any model and stopping any answer. */
export async function loadModel(source) {
  if (state.generating) await stopGeneration();
  if (state.loading) state.loading.controller.abort();
  hideConfirm();
  clearError();
  const controller = new AbortController();
  const seq = ++state.loadSeq;
  state.loading = { controller, seq };
  state.source = source;
  setModelInfo(null);
  setStatus('loading', sourceName(source));
  showProgress(null);
  el.progressText.textContent = `Loading ${sourceName(source)}…`;
  announceLoad.say(`Loading ${sourceName(source)}…`);
  const current = () => state.loading && state.loading.seq === seq;
  try {
    const engine = state.engine || (await startEngine());
    const options = {
      signal: controller.signal,
      cache: el.useCache.checked,
      onProgress: (p) => { if (current()) showProgress(p); },
    };
    if (kernels !== null) options.kernels = kernels;
    const info = await engine.loadModel(source, options);
    if (!current()) return;
    state.loading = null;
    hideProgress();
    setModelInfo(info);
    rememberModel(source);
    setStatus('ready');
    if (window.matchMedia('(max-width: 820px)').matches) el.modelPanel.open = false;
    el.prompt.focus({ preventScroll: true });
  } catch (err) {
    if (!current()) return;
    state.loading = null;
    hideProgress();
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
    refreshHeldWith();
  }
}

/** The Restart engine button: a fresh engine, then the last model again. */
export async function restartEngine() {
  if (!(await replaceEngine())) return;
  // The conversation survives on the page; the engine starts afresh, so reload the model
  // (from the browser cache when it was downloaded) and carry on.
  if (state.source) await loadModel(state.source);
  else setStatus('idle');
}

/** Wires Cancel (of a running load) and Unload (to free GPU memory). */
export function wireLoadControls() {
  el.cancelLoad.addEventListener('click', () => {
    if (state.loading) state.loading.controller.abort();
  });

  el.unload.addEventListener('click', async () => {
    if (!state.engine || state.generating) return;
    try { await state.engine.unload(); } catch (err) { showError(err, 'unload'); }
    setModelInfo(null);
    setStatus('idle');
  });
}
