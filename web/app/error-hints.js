// What each MistralError code means for the user: a title, a hint, and whether restarting the
// engine (terminate() + createEngine()) can help.

import { MistralError } from '../pkg/index.js';

export const ERRORS = {
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
  'file-changed': {
    title: 'The model file changed on the server',
    hint: 'It was replaced while it downloaded; what had been downloaded was discarded so the two versions are never mixed. Load it again to download the new version.',
  },
  integrity: {
    title: 'The downloaded file is not the expected one',
    hint: 'Its SHA-256 does not match (the message shows both). The copy was deleted from the browser cache. Check the link, or the server.',
  },
  unresponsive: {
    title: 'The engine stopped answering',
    hint: 'It was busy for too long without answering (a chat template or model file that never finishes?) and was stopped. Restart the engine to carry on; the model reloads from the cache.',
    restart: true,
  },
  internal: { title: 'Internal error', hint: 'Restarting the engine usually helps. Please report this if it keeps happening.', restart: true },
};

// Errors after which the loaded model can still be used: the page goes back to `ready`.
export const RECOVERABLE = new Set(['context', 'bad-request', 'network', 'quota', 'unsupported-file', 'limits']);

/** The error's code: one of ERRORS' keys, or 'aborted' for a cancel/stop. */
export function codeOf(err) {
  if (err instanceof MistralError || (err && typeof err.code === 'string' && err.code in ERRORS)) return err.code;
  if (err && (err.code === 'aborted' || err.name === 'AbortError')) return 'aborted';
  return 'internal';
}

/** A cancelled load or a stopped answer: not an error to show. */
export function isAbort(err) {
  return codeOf(err) === 'aborted';
}
