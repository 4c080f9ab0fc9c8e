// The models stored in this browser: every file in the package's cache (presets or not), each
// with its name, size, complete or partial, and date, and Load (or Resume, for a partial
// download) and Delete; then how much storage the site uses of its quota, and whether the
// browser keeps it (persistent storage, asked for once a model is stored).
//
// Deleting the loaded model frees its storage only: the copy on the GPU keeps answering until
// another model is loaded or the page is closed.

import { deleteCachedModel } from '../pkg/index.js';
import { el } from './dom.js';
import { state } from './state.js';
import { fmtBytes, sourceName } from './format.js';
import { showError } from './error-banner.js';
import { cacheUrl, onCachedModels, refreshCached } from './cached-models.js';
import { downloadOnly, isDownloading } from './download-only.js';

let load = () => {};
let askedPersistence = false;

/** Shows the stored models on every cache refresh; Load calls `onLoad(url)`. */
export function wireStoredModels(onLoad) {
  load = onLoad;
  onCachedModels(renderStored);
  onCachedModels(showStorage);
}

function renderStored(list) {
  const items = [...list].sort((a, b) => (b.storedAt ?? '').localeCompare(a.storedAt ?? '') || a.url.localeCompare(b.url));
  // Redrawn on every cache change: the keyboard focus stays on the same button of the same
  // model, or (the model deleted) on the list's first button, else the URL field.
  const focused = el.storedModels.contains(document.activeElement) ? document.activeElement : null;
  const focusedUrl = focused?.closest('.stored')?.dataset.url;
  const focusedTestid = focused?.dataset.testid;
  if (focused) el.url.focus({ preventScroll: true });
  el.storedModels.replaceChildren(...items.map(storedItem));
  el.storedEmpty.hidden = items.length > 0;
  if (focused) {
    const same = [...el.storedModels.children].find((li) => li.dataset.url === focusedUrl)?.querySelector(`[data-testid="${focusedTestid}"]`);
    (same ?? el.storedModels.querySelector('button'))?.focus();
  }
}

function storedItem(m) {
  const li = document.createElement('li');
  li.className = 'stored';
  li.dataset.testid = 'cached-model';
  li.dataset.url = m.url;
  li.dataset.complete = String(m.complete);
  const loaded = isLoaded(m.url);

  const main = document.createElement('div');
  main.className = 'stored-main';
  const name = document.createElement('span');
  name.className = 'stored-name';
  name.textContent = sourceName(m.url);
  name.title = m.url;
  main.append(name);
  if (loaded) main.append(badge('loaded'));

  const meta = document.createElement('span');
  meta.className = 'stored-meta';
  const size = document.createElement('span');
  size.className = 'stored-size';
  size.textContent = fmtBytes(m.size);
  const done = document.createElement('span');
  done.className = 'stored-state';
  done.textContent = m.complete ? 'complete' : `partial: ${Math.floor((100 * m.cachedBytes) / m.size)}% (${fmtBytes(m.cachedBytes)})`;
  const when = document.createElement('time');
  when.className = 'stored-date';
  if (m.storedAt) {
    when.dateTime = m.storedAt;
    when.textContent = new Date(m.storedAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  } else {
    when.textContent = 'date unknown';
  }
  meta.append(size, dot(), done, dot(), when, dot(), host(m.url));
  main.append(meta);

  const actions = document.createElement('div');
  actions.className = 'stored-actions';
  if (m.complete) {
    actions.append(button('Load', `Load ${sourceName(m.url)} from this browser's storage`, 'load-stored', () => load(m.url)));
  } else {
    actions.append(button('Resume', `Download the rest of ${sourceName(m.url)} without loading it`, 'resume-download', () => downloadOnly(m.url)));
  }
  const del = button('Delete', loaded
    ? `Delete ${sourceName(m.url)} from this browser (the loaded copy keeps running until another model is loaded)`
    : `Delete ${sourceName(m.url)} from this browser`, 'delete-model', () => remove(m.url));
  actions.append(del);

  li.append(main, actions);
  return li;
}

async function remove(url) {
  // A download in progress would store its chunks again: it has to stop first.
  const busy = isDownloading(url) || (state.loading && typeof state.source === 'string' && cacheUrl(state.source) === url);
  if (busy) {
    el.storedNote.textContent = `${sourceName(url)} is downloading: cancel its download first, then delete it.`;
    el.storedNote.hidden = false;
    return;
  }
  el.storedNote.hidden = true;
  try {
    await deleteCachedModel(url);
  } catch (err) {
    showError(err, `deleting ${sourceName(url)}`);
  }
  await refreshCached();
}

/** Whether `url` is the model on the GPU now. */
function isLoaded(url) {
  return !!state.modelInfo && typeof state.source === 'string' && cacheUrl(state.source) === url;
}

/** "Storage: 150 MB used of 10 GB · persistent", asking for persistence once a model is stored. */
async function showStorage(list) {
  const storage = navigator.storage;
  if (!storage || typeof storage.estimate !== 'function') {
    el.storage.textContent = 'This browser does not say how much storage the page may use.';
    return;
  }
  let persisted = typeof storage.persisted === 'function' ? await storage.persisted().catch(() => false) : false;
  // Without it the browser may delete gigabytes of models under storage pressure. Asked once per
  // visit, and only with something worth keeping (browsers may prompt, or decide by engagement).
  if (!persisted && !askedPersistence && typeof storage.persist === 'function' && list.some((m) => m.complete)) {
    askedPersistence = true;
    persisted = await storage.persist().catch(() => false);
  }
  const { usage, quota } = await storage.estimate();
  el.storage.dataset.usage = String(usage ?? '');
  el.storage.dataset.quota = String(quota ?? '');
  el.storage.dataset.persistent = String(persisted);
  el.storage.textContent = `Storage: ${fmtBytes(usage) === '–' ? '0 B' : fmtBytes(usage)} used of ${fmtBytes(quota)} available to this page · ` +
    (persisted ? 'persistent (the browser keeps it)' : 'not persistent (the browser may clear it when space runs low)');
}

function badge(text) {
  const b = document.createElement('span');
  b.className = 'badge';
  b.textContent = text;
  return b;
}

function dot() {
  const s = document.createElement('span');
  s.setAttribute('aria-hidden', 'true');
  s.textContent = '·';
  return s;
}

function host(url) {
  const s = document.createElement('span');
  s.className = 'stored-host';
  try { s.textContent = new URL(url).host; } catch { s.textContent = ''; }
  return s;
}

function button(text, title, testid, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'btn btn-quiet btn-small';
  b.textContent = text;
  b.title = title;
  b.setAttribute('aria-label', title);
  b.dataset.testid = testid;
  b.addEventListener('click', onClick);
  return b;
}
