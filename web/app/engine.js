// The engine's lifecycle: start it (in a worker unless ?worker=0), show its GPU, and replace it
// with a fresh one when it cannot carry on (device lost, out of memory, worker ended).

import { createEngine } from '../pkg/index.js';
import { el } from './dom.js';
import { state } from './state.js';
import { useWorker } from './url-params.js';
import { setStatus } from './status.js';
import { codeOf } from './error-hints.js';
import { showError, clearError } from './error-banner.js';
import { setModelInfo, showAdapterFacts, showNoAdapterFacts } from './info-panel.js';

/** Starts the engine, or joins the start already running. */
export async function startEngine() {
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
    showAdapterFacts(a);
  } catch (err) {
    if (engine !== state.engine) return;
    showNoAdapterFacts();
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

/**
 * Ends the engine (and any load or answer it was running) and starts a fresh one. Returns
 * whether it started; if not, the error is shown. Reloading the model is the caller's part.
 */
export async function replaceEngine() {
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
    return false;
  }
  return true;
}
