// The preset models in the model panel: each loads at once on a click (the page chose them),
// shows a "cached" badge and Delete when this browser stores it whole, and "Download" (download
// only, for later or offline use) when it does not.

import { deleteCachedModel } from '../pkg/index.js';
import { el } from './dom.js';
import { fmtBytes } from './format.js';
import { showError } from './error-banner.js';
import { onCachedModels, refreshCached } from './cached-models.js';
import { isDownloading } from './download-only.js';
import { moveFocusFrom } from './keyboard.js';

// The one refresh of everything that shows the cache, also under this module's old name (the
// load path imports it from here).
export { refreshCached };

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

const DOWNLOAD_ICON = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">' +
  '<path d="M12 3v12m-5-5 5 5 5-5M5 20h14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>';

/** Whether `url` is one of the presets (which load without asking: the page chose them). */
export function isPreset(url) {
  return PRESETS.some((p) => p.url === url);
}

/**
 * Lists the presets; clicking one calls `onPick(url)`, its Download button `onDownload(url)`.
 * Badges and buttons follow the cache on each refresh (cached-models.js).
 */
export function renderPresets(onPick, onDownload) {
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
    load.addEventListener('click', () => onPick(p.url));

    // An icon (a narrow screen has no room for a word beside the preset), named for screen readers.
    const download = document.createElement('button');
    download.type = 'button';
    download.className = 'btn btn-quiet preset-download';
    download.innerHTML = DOWNLOAD_ICON; // a constant of this file, no outside text
    download.title = `Download ${p.label} into this browser without loading it (for later, or offline)`;
    download.setAttribute('aria-label', download.title);
    download.addEventListener('click', () => onDownload(p.url));

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

    li.append(load, download, del);
    el.presets.append(li);
  }
}

onCachedModels(showPresetCache);

/**
 * Badges and buttons from the cache's list: cached → badge and Delete; else Download. A button
 * that goes while it has the keyboard focus hands it to the preset's own button.
 */
function showPresetCache(list) {
  for (const li of el.presets.children) {
    const cached = list.some((m) => m.url === li.dataset.url && m.complete);
    const show = (button, shown) => {
      if (!shown) moveFocusFrom(button, li.querySelector('.preset-load'));
      button.hidden = !shown;
    };
    li.querySelector('.badge').hidden = !cached;
    show(li.querySelector('.preset-delete'), cached);
    show(li.querySelector('.preset-download'), !cached && !isDownloading(li.dataset.url));
    li.classList.toggle('is-cached', cached);
  }
}
