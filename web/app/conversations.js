// Saved conversations: which one is open, saving it (after every question, answer, edit,
// regenerate, rename and settings change), New chat, switching, rename, delete and export. The
// records live in conversation-store.js; the list is drawn by conversation-list.js.
//
// A reload reopens the conversation that was open: its id is kept in sessionStorage, which
// lives as long as the tab (reloads and restored sessions included) but is the tab's own, so
// that two tabs each keep their own conversation instead of writing over one another. A new tab
// starts a new chat; the saved ones are in the list. An empty new chat is only stored once it
// has a message or a title of its own, so the list does not fill with empty chats.

import { el } from './dom.js';
import { state } from './state.js';
import { openConversationStore, newConversation } from './conversation-store.js';
import { renderConversationList } from './conversation-list.js';
import { toMarkdown, toJson, fileName, download } from './conversation-export.js';
import { showConversation, stopGeneration } from './chat.js';
import { currentSettings, showSettings, lastUsed } from './settings.js';
import { sourceName } from './format.js';
import { refreshHeldWith } from './conversation-model.js';

const OPEN_KEY = 'mistral-wgpu.open-conversation';
const TITLE_CHARS = 60;

let resolveStore;
const storeReady = new Promise((r) => { resolveStore = r; });
let openStored = false; // whether the open conversation is in the store yet
let deletedId = null; // the open conversation while it is being deleted: not to be saved again
let saving = Promise.resolve(); // store writes, one after another
// Other tabs' writes show up in this tab's list.
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('mistral-wgpu-conversations') : null;

function showNote(text, alert = false) {
  el.conversationsNote.textContent = text;
  el.conversationsNote.hidden = !text;
  el.conversationsNote.setAttribute('role', alert ? 'alert' : 'status');
  el.conversationsNote.classList.toggle('conversations-note-error', alert);
  if (alert) el.conversationsPanel.open = true;
}

// What the note says when nothing went wrong: nothing, or that conversations are not saved at all.
let standingNote = '';
function storeFailed(err) {
  console.error('conversation store', err);
  showNote(err?.message || String(err), true);
}

// Runs `fn(store)` after the writes before it; a failure is shown and does not stop later ones.
function queue(fn) {
  const run = saving.then(async () => fn(await storeReady));
  saving = run.then(() => { if (el.conversationsNote.getAttribute('role') === 'alert') showNote(standingNote); }, storeFailed);
  return run;
}

function titleFrom(messages) {
  const first = messages.find((m) => m.role === 'user');
  if (!first) return 'New chat';
  const text = first.content.replace(/\s+/g, ' ').trim();
  if (text.length <= TITLE_CHARS) return text;
  const cut = text.slice(0, TITLE_CHARS);
  return `${cut.slice(0, cut.lastIndexOf(' ') > TITLE_CHARS / 2 ? cut.lastIndexOf(' ') : TITLE_CHARS).trimEnd()}…`;
}

function loadedModel() {
  if (!state.modelInfo) return null;
  const source = typeof state.source === 'string' ? state.source : state.source ? `file: ${sourceName(state.source)}` : null;
  return { name: state.modelInfo.name, source };
}

// The open conversation as a record, with the panel's system prompt and (valid) settings.
function openRecord() {
  const c = state.conversation;
  c.system = el.system.value;
  c.settings = currentSettings() ?? c.settings;
  return { ...c, messages: state.messages.map((m) => ({ ...m })) };
}

function setOpen(record, stored) {
  const { messages, ...rest } = record;
  state.conversation = rest;
  openStored = stored;
  try { sessionStorage.setItem(OPEN_KEY, record.id); } catch { /* storage disabled */ }
}

async function refreshList() {
  let summaries;
  try {
    summaries = await (await storeReady).list();
  } catch (err) {
    storeFailed(err);
    summaries = [];
  }
  const c = state.conversation;
  if (c && c.id !== deletedId && !summaries.some((s) => s.id === c.id)) {
    summaries.unshift({ id: c.id, title: c.title, created: c.created, updated: c.updated, model: c.model, messageCount: state.messages.length });
  }
  renderConversationList(summaries, c?.id, { open: openConversation, rename, remove, exportAs });
}

/** Saves the open conversation; `turn`: its messages changed (its title, time and model follow). */
function save({ turn = false } = {}) {
  const c = state.conversation;
  if (!c || c.id === deletedId) return Promise.resolve();
  if (turn) {
    c.updated = Date.now();
    if (!c.titleEdited) c.title = titleFrom(state.messages);
    c.model = loadedModel() ?? c.model;
    refreshHeldWith(); // a turn with the loaded model makes it the conversation's
  }
  const record = openRecord();
  if (!openStored && record.messages.length === 0 && !record.titleEdited) return refreshList();
  openStored = true;
  return queue((store) => store.put(record)).then(() => {
    channel?.postMessage('changed');
    return refreshList();
  }, () => {});
}

/** Called by chat.js whenever the messages change. */
export const messagesChanged = () => save({ turn: true });
/** Called by settings.js when the system prompt or a setting is changed. */
export const settingsChanged = () => save();

async function show(record, stored) {
  setOpen(record, stored);
  refreshHeldWith();
  showSettings(record);
  await showConversation(record.messages);
  await refreshList();
}

async function openConversation(id) {
  if (id === state.conversation?.id) return;
  // The running answer ends first and is saved to the conversation it belongs to.
  await stopGeneration();
  await saving;
  let record;
  try {
    record = await (await storeReady).get(id);
  } catch (err) {
    storeFailed(err);
    return;
  }
  if (record) await show(record, true);
  else await refreshList(); // deleted meanwhile (another tab)
}

/** New chat: an empty conversation with the open one's system prompt and settings. */
export async function newChat() {
  await stopGeneration();
  if (state.messages.length > 0 || openStored) {
    const { system, settings } = openRecord();
    await show(newConversation({ system, settings }), false);
  }
  el.prompt.focus({ preventScroll: true });
}

async function rename(id, title) {
  if (id === state.conversation?.id) {
    Object.assign(state.conversation, { title, titleEdited: true });
    await save();
    return;
  }
  await queue(async (store) => {
    const record = await store.get(id);
    if (record) await store.put({ ...record, title, titleEdited: true });
  }).catch(() => {});
  channel?.postMessage('changed');
  await refreshList();
}

// Deleting the open conversation opens the newest one left, or a new chat.
async function remove(id) {
  const wasOpen = id === state.conversation?.id;
  let carried = null; // the system prompt and settings a new chat keeps if none is left
  if (wasOpen) {
    await stopGeneration();
    await saving;
    carried = openRecord();
    deletedId = id;
  }
  try {
    await queue((store) => store.delete(id));
  } catch {
    deletedId = null;
    await refreshList();
    return;
  }
  channel?.postMessage('changed');
  if (!wasOpen) {
    await refreshList();
    return;
  }
  const { system, settings } = carried;
  const next = (await (await storeReady).list().catch(() => []))[0];
  const record = next && (await (await storeReady).get(next.id).catch(() => null));
  if (record) await show(record, true);
  else await show(newConversation({ system, settings }), false);
}

async function exportAs(id, format) {
  let record;
  try {
    record = id === state.conversation?.id ? openRecord() : await (await storeReady).get(id);
  } catch (err) {
    storeFailed(err);
    return;
  }
  if (!record) return;
  if (format === 'json') download(fileName(record, 'json'), toJson(record), 'application/json');
  else download(fileName(record, 'md'), toMarkdown(record), 'text/markdown');
}

/**
 * Opens the store and the conversation this tab had open (else a new chat with the last used
 * settings), and wires New chat. The page is usable at once: until the store answers, the new
 * chat is held in memory and saved when it is ready.
 */
export async function initConversations() {
  if (window.matchMedia('(max-width: 820px)').matches) el.conversationsPanel.open = false;
  el.newChat.addEventListener('click', () => newChat());
  channel?.addEventListener('message', () => refreshList());
  let id = null;
  try { id = sessionStorage.getItem(OPEN_KEY); } catch { /* storage disabled */ }
  setOpen(newConversation(lastUsed()), false);

  const { store, reason } = await openConversationStore();
  resolveStore(store);
  if (reason) {
    standingNote = `Conversations are not saved: ${reason}. They are kept until this page is closed.`;
    showNote(standingNote);
  }
  const record = id ? await store.get(id).catch((err) => { storeFailed(err); return null; }) : null;
  // Only if nothing was said in the new chat meanwhile.
  if (record && state.messages.length === 0) await show(record, true);
  else await refreshList();
}
