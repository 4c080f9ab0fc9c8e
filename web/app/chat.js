// The conversation: send a message and stream the answer into the page, regenerate the last
// answer, edit a user's message (and ask again from there), Stop, showing a saved conversation,
// the composer (Enter sends, Escape stops), and the tokens/s line ([data-testid=stats]) of the
// last answer. While an answer streams the message list (a polite live region) is aria-busy, so
// that a screen reader reads the answer once it is complete instead of every token.
// Whoever keeps conversations (conversations.js) hears of every change through `changed`.

import { el } from './dom.js';
import { state } from './state.js';
import { setStatus } from './status.js';
import { RECOVERABLE, codeOf, isAbort } from './error-hints.js';
import { showError, clearError } from './error-banner.js';
import { fmtRate } from './format.js';
import { addMessage, clearMessages } from './messages.js';
import { requestSettings, systemPrompt } from './settings.js';
import { addCopyButton, addEditButton, placeRegenerate, rowsFrom } from './message-actions.js';
import { moveFocusFrom } from './keyboard.js';

let generationDone = null; // Promise resolved when the running generation has finished
let changed = () => {}; // called when state.messages changed (a question, an answer, a cut)

function showUsage(usage) {
  window.__mistral.lastUsage = usage || null;
  if (!usage) { el.stats.textContent = ''; return; }
  const x = usage.extra || {};
  el.stats.textContent =
    `Prefill ${fmtRate(x.prefill_tokens_per_s)} tok/s · Decode ${fmtRate(x.decode_tokens_per_s)} tok/s · ` +
    `${usage.prompt_tokens ?? '–'} prompt + ${usage.completion_tokens ?? '–'} generated tokens`;
}

// Whether an edit or a regenerate may start now (not while a load or an answer runs).
const canAsk = () => !!(state.modelInfo && state.engine && !state.generating && !state.loading);

// The row of state.messages[index] gets its index (data-index) and its copy (and, for a
// user's, edit) buttons.
function addActions(parts, index) {
  parts.row.dataset.index = String(index);
  addCopyButton(parts.actions, () => state.messages[index]?.content ?? '');
  if (state.messages[index].role === 'user') addEditButton(parts, (t) => editFrom(index, t), canAsk);
}

// A user's message in the page and in state.messages.
function showMessage(role, text) {
  state.messages.push({ role, content: text });
  const parts = addMessage(role, text);
  addActions(parts, state.messages.length - 1);
  return parts;
}

// What is said under an answer: how it ended, and (just after it) its speed.
function answerNotes(finish, usage = null) {
  const notes = [];
  if (finish === 'abort') notes.push('stopped');
  if (finish === 'length') notes.push('reached the max-tokens limit');
  if (usage && usage.extra && Number.isFinite(usage.extra.decode_tokens_per_s)) {
    notes.push(`${usage.completion_tokens ?? '?'} tokens · ${fmtRate(usage.extra.decode_tokens_per_s)} tok/s`);
  }
  return notes.join(' · ');
}

// Regenerate sits under the last answer, whichever it is.
function placeRegenerateUnderLast() {
  const lastRow = rowsFrom(state.messages.length - 1)[0];
  if (state.messages.at(-1)?.role === 'assistant' && lastRow) placeRegenerate(lastRow.querySelector('.msg-actions'), regenerate);
  else placeRegenerate(null);
}

// Drops messages `index`.. from the conversation and the page. The next request sends the
// shorter conversation; the engine keeps the KV cache of the prefix it shares with the last one.
function truncateAt(index) {
  state.messages.length = Math.min(state.messages.length, index);
  placeRegenerate(null);
  for (const row of rowsFrom(index)) {
    moveFocusFrom(row);
    row.remove();
  }
}

// Each of these first reads the settings: while one is invalid (its error shown at the field),
// nothing is changed and nothing sent.
function editFrom(index, text) {
  if (!canAsk() || state.messages[index]?.role !== 'user') return;
  const sampling = requestSettings();
  if (!sampling) return;
  clearError();
  truncateAt(index);
  showMessage('user', text);
  ask(sampling);
}

// Regenerate: the last answer goes, the same conversation is asked again.
function regenerate() {
  const last = state.messages.length - 1;
  if (!canAsk() || last < 1 || state.messages[last].role !== 'assistant') return;
  const sampling = requestSettings();
  if (!sampling) return;
  clearError();
  truncateAt(last);
  ask(sampling);
}

async function send() {
  const text = el.prompt.value.trim();
  if (!text || !canAsk()) return;
  const sampling = requestSettings();
  if (!sampling) return;
  clearError();
  el.prompt.value = '';
  autosize();
  showMessage('user', text);
  await ask(sampling);
}

// Streams the answer to state.messages (which ends with a user's message) into a new bubble;
// `sampling` holds the request's sampling fields.
async function ask(sampling) {
  changed(); // the question is kept even if the page goes before the answer
  const text = state.messages[state.messages.length - 1].content;
  const answer = addMessage('assistant', '');
  answer.row.classList.add('streaming');
  el.messages.setAttribute('aria-busy', 'true');
  state.generating = true;
  setStatus('generating');

  let finish = null;
  let usage = null;
  let failure = null;
  let content = '';
  let notice = null;
  let resolveDone;
  generationDone = new Promise((r) => { resolveDone = r; });
  const engine = state.engine;
  try {
    const system = systemPrompt();
    const request = {
      // Only role and content: the engine refuses any other message field.
      messages: [...(system ? [{ role: 'system', content: system }] : []), ...state.messages.map(({ role, content }) => ({ role, content }))],
      ...sampling,
      stream: true,
    };
    const stream = await engine.chat.completions.create(request);
    for await (const chunk of stream) {
      const choice = chunk && chunk.choices && chunk.choices[0];
      const delta = choice && choice.delta && choice.delta.content;
      if (delta) {
        content += delta;
        answer.setText(content); // rendered on the next animation frame
      }
      if (choice && choice.finish_reason) finish = choice.finish_reason;
      if (chunk && chunk.usage) usage = chunk.usage;
      // The last chunk says whether older turns were left out to fit the context.
      if (chunk && typeof chunk.notice === 'string' && chunk.notice) notice = chunk.notice;
    }
  } catch (err) {
    if (isAbort(err)) finish = 'abort';
    else failure = err;
  }
  if (engine !== state.engine) { // the engine was restarted meanwhile
    if (!state.generating) el.messages.removeAttribute('aria-busy'); // unless the new one answers
    resolveDone();
    return;
  }

  answer.row.classList.remove('streaming');
  el.messages.removeAttribute('aria-busy');
  state.generating = false;
  answer.setText(content, true); // the final text, whatever frame was pending
  if (content) {
    state.messages.push({ role: 'assistant', content, ...(finish ? { finish } : {}), ...(notice ? { notice } : {}) });
    addActions(answer, state.messages.length - 1);
  } else if (failure) {
    // Nothing came back: take the question off (page and conversation) so that it can be
    // edited and sent again.
    answer.row.remove();
    truncateAt(state.messages.length - 1);
    if (!el.prompt.value) { el.prompt.value = text; autosize(); }
  }
  placeRegenerateUnderLast();
  if (notice && answer.row.isConnected) answer.showNotice(notice);
  answer.meta.textContent = answerNotes(finish, usage);
  if (usage) showUsage(usage);
  changed();

  if (failure) {
    showError(failure, 'generating');
    const code = codeOf(failure);
    setStatus(RECOVERABLE.has(code) && state.modelInfo ? 'ready' : 'error');
  } else {
    setStatus('ready');
  }
  resolveDone();
}

/** Stops the running answer (if any) and waits until it has finished. */
export async function stopGeneration() {
  if (!state.generating || !state.engine) return;
  try { state.engine.abort(); } catch (err) { console.warn('abort failed', err); }
  await generationDone;
}

/**
 * Shows `messages` (a saved conversation, or [] for a new one) in place of the open one: stops
 * a running answer first, and resets the engine's KV cache (the next request prefills anew).
 */
export async function showConversation(messages) {
  await stopGeneration();
  state.messages = messages.map((m) => ({ ...m }));
  placeRegenerate(null);
  clearMessages();
  showUsage(null);
  clearError();
  state.messages.forEach((m, index) => {
    const parts = addMessage(m.role, m.content);
    addActions(parts, index);
    if (m.role === 'assistant') {
      if (m.notice) parts.showNotice(m.notice);
      parts.meta.textContent = answerNotes(m.finish);
    }
  });
  placeRegenerateUnderLast();
  if (state.engine && state.modelInfo) {
    try { await state.engine.reset(); } catch (err) { showError(err, 'switching conversations'); }
  }
  if (!state.loading) setStatus(state.modelInfo ? 'ready' : state.status === 'error' ? 'error' : 'idle');
}

// The prompt grows with its text, up to 40% of the window.
function autosize() {
  el.prompt.style.height = 'auto';
  el.prompt.style.height = `${Math.min(el.prompt.scrollHeight, Math.round(window.innerHeight * 0.4))}px`;
}

/**
 * Wires Send (and Enter, except on touch screens, where Enter starts a new line) and Stop (and
 * Escape in the message box while an answer runs); `onChange` hears of every change to
 * state.messages.
 */
export function wireChat({ onChange = () => {} } = {}) {
  changed = onChange;
  el.composer.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  el.stop.addEventListener('click', () => stopGeneration());
  el.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !matchMedia('(pointer: coarse)').matches) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && state.generating) {
      e.preventDefault();
      stopGeneration();
    }
  });
  el.prompt.addEventListener('input', autosize);
}
