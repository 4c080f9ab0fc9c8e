// The chat page's entry point: plain ES modules, no framework, no build step. It wires the
// parts in web/app/ together and starts the engine. The page only talks to the engine through
// the package API (pkg/index.js). Model output is put in the page as text (textContent / Text
// nodes), except answers, which are Markdown rendered with raw HTML disabled and the result
// sanitised (app/markdown.js; marked and DOMPurify, vendored into vendor/ by build-web).
//
// Testing contract (kept stable for web/e2e/e2e.mjs and others; see web/e2e/README.md):
//   ?model=<url> loads that model on start (a preset at once; any other URL after a click on
//   [data-testid=confirm-load], the box showing its origin and size); ?worker=0 runs the engine on the main thread;
//   ?kernels=auto|cpu|gpu forces a kernel family (the model facts show "Kernels: cpu (why)");
//   [data-testid=status] is exactly one of idle | loading | ready | generating | error;
//   [data-testid=prompt|send|stop], [data-testid=user-message|assistant-message] (one per
//   message, holding only the message text; answers rendered as Markdown, each code block with
//   a [data-testid=copy-code] button), [data-testid=context-notice] under an answer for which
//   older turns were dropped, [data-testid=chat-template] the template viewer,
//   [data-testid=error] the error banner,
//   [data-testid=settings-<field>] one input per sampler setting (the request field, `_` as `-`:
//   settings-temperature, -max-tokens, -top-k, -top-p, -min-p, -repetition-penalty,
//   -presence-penalty, -frequency-penalty, -penalty-last-n, -seed, -stop), [data-testid=temperature|max-tokens]
//   their sliders, [data-testid=settings-error] a field's error, [data-testid=settings-reset],
//   [data-testid=system-prompt]; [data-testid=new-chat], [data-testid=conversation] each saved
//   conversation (the open one aria-current; conversation-open / -rename / -delete, export-markdown,
//   export-json in it), [data-testid=conversations-note] (not saved, storage full),
//   [data-testid=stats] the last tokens/s;
//   [data-testid=cached-model] one per model stored in this browser (data-url, data-complete;
//   [data-testid=delete-model] in it), [data-testid=storage] used/quota/persistence,
//   [data-testid=download-only] (URL form), [data-testid=download-progress|cancel-download],
//   [data-testid=offline-state] (data-state "ready" once sw.js keeps the page), [data-testid=update];
//   [data-testid=skip-link] "Skip to the message box", the first Tab stop; Escape in the prompt
//   stops a running answer; the message list is aria-busy while an answer streams;
//   window.__mistral = { engine, lastUsage, modelInfo, adapterInfo, useWorker }.
//
// Accessible by keyboard alone (checked by web/e2e/steps/accessibility.mjs, with axe-core): the
// Tab order follows the page (skip link, model, conversations, info, settings, messages, prompt),
// every focus shows a ring, boxes that open take the focus and give it back when they close, a
// control that goes away hands the focus on (keyboard.js) instead of dropping it; no animation
// or smooth scrolling with prefers-reduced-motion.
//
// The parts (web/app/), each wired here or used by the others:
//   url-params.js     ?model=, ?worker= and ?kernels=, and writing ?model= back after a load
//   dom.js            the page's elements, by id
//   state.js          the shared state and window.__mistral
//   status.js         the status badge and which buttons are enabled
//   error-hints.js    error codes: titles, hints, which ones leave the model usable
//   error-banner.js   the error banner, Dismiss and Restart
//   format.js         bytes, counts, tokens/s, model names
//   info-panel.js     the model & GPU facts
//   engine.js         starting and replacing the engine
//   loading.js        loading (progress, Cancel), unloading, restart with reload
//   presets.js        the preset models, their cache badges, Download and Delete
//   cached-models.js  what the model cache holds, handed to every view of it on each refresh
//   models.js         every stored model (size, complete/partial, date; Load, Resume, Delete), storage
//   download-only.js  downloading a model into the cache without loading it, with Cancel
//   offline.js        the service worker (sw.js: the page offline), network state, update and reload
//   confirm-load.js   asking before downloading a URL the page did not choose
//   model-sources.js  URL form, file input, drag and drop
//   messages.js       the message list, its scrolling, answers' notices
//   markdown.js       answers as sanitised Markdown, code blocks with a copy button
//   chat.js           send and stream, Stop, showing a conversation, the composer, the stats line
//   sampler-settings.js  every sampler setting: request field, range, default; model defaults
//   settings.js       the Settings panel: system prompt and sampler fields, checked inline
//   conversation-store.js  conversations in IndexedDB (memory where it is refused)
//   conversation-list.js   the conversation list: open, rename, export, delete
//   conversation-export.js a conversation as Markdown or JSON, downloaded
//   conversations.js  the open conversation: saved after each change, New chat, switching, reopened on reload
//   conversation-model.js  the bar naming the model a conversation was held with, when another is loaded
//   announce.js       what screen readers hear of a load or download (phases and quarters, not every update)
//   keyboard.js       the skip link, and the focus handed on when the control holding it goes away

import { el } from './app/dom.js';
import { startModel } from './app/url-params.js';
import { setStatus } from './app/status.js';
import { codeOf } from './app/error-hints.js';
import { showError, wireErrorBanner } from './app/error-banner.js';
import { startEngine } from './app/engine.js';
import { loadModel, restartEngine, wireLoadControls } from './app/loading.js';
import { wireModelSources } from './app/model-sources.js';
import { renderPresets, isPreset } from './app/presets.js';
import { refreshCached } from './app/cached-models.js';
import { wireStoredModels } from './app/models.js';
import { downloadOnly, wireDownloadOnly } from './app/download-only.js';
import { initOffline } from './app/offline.js';
import { confirmLoad } from './app/confirm-load.js';
import { wireChat } from './app/chat.js';
import { initSettings } from './app/settings.js';
import { initConversations, messagesChanged, settingsChanged } from './app/conversations.js';
import { wireSkipLink } from './app/keyboard.js';
import { wireConversationModel } from './app/conversation-model.js';

wireSkipLink();
wireErrorBanner({ onRestart: restartEngine });
wireLoadControls();
// A URL from a link or typed in is only downloaded once the user confirms it (origin and size
// shown): a crafted ?model= link must not make the page fetch and store gigabytes from anywhere.
const loadOrAsk = (source) => (typeof source === 'string' && !isPreset(source) ? confirmLoad(source, loadModel) : loadModel(source));
wireModelSources(loadOrAsk);
// Download only: a preset at once, any other URL after the same confirmation as a load.
wireDownloadOnly((url) => (isPreset(url) ? downloadOnly(url) : confirmLoad(url, downloadOnly, { loadAfter: false })));
// A stored model loads without asking: the user confirmed it when it was downloaded.
wireStoredModels(loadModel);
initOffline();
wireChat({ onChange: messagesChanged });
initSettings({ changed: settingsChanged });
initConversations();
wireConversationModel(loadOrAsk);

async function main() {
  renderPresets(loadModel, downloadOnly);
  refreshCached();
  setStatus('idle');
  if (startModel) el.url.value = startModel;
  try {
    await startEngine();
  } catch (err) {
    showError(err, 'starting the engine');
    setStatus('error');
    const code = codeOf(err);
    el.restart.hidden = code === 'no-webgpu' || code === 'no-adapter'; // a restart cannot help there
    return;
  }
  if (startModel) await loadOrAsk(startModel);
}

main();
