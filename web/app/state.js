// What the page knows, shared by its parts: one plain object, so that every part sees the same
// engine, model and conversation without passing them around.

import { useWorker } from './url-params.js';

export const state = {
  engine: null,
  engineStarting: null, // Promise while createEngine() runs
  modelInfo: null,
  source: null, // what was loaded last (string URL or File), to reload after a restart
  loading: null, // { controller, seq } while a load runs
  loadSeq: 0,
  generating: false,
  // The open conversation: {role, content} sent to the engine (an answer also keeps its
  // `finish` and context `notice`, for the page only).
  messages: [],
  conversation: null, // the open conversation's record, less its messages (conversations.js)
  status: 'idle',
};

// Script access for tests and for anyone driving the page (web/e2e/README.md); the parts that
// change these keep them up to date.
window.__mistral = { engine: null, lastUsage: null, modelInfo: null, adapterInfo: null, useWorker };
