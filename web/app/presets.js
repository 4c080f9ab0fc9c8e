// The preset models in the model panel, each with a "cached" badge and a Delete button when the
// browser cache holds it, and the note on how much browser storage the site uses.

import { isModelCached, deleteCachedModel } from '../pkg/index.js';
import { el } from './dom.js';
import { fmtBytes } from './format.js';
import { showError } from './error-banner.js';

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

/** Whether `url` is one of the presets (which load without asking: the page chose them). */
export function isPreset(url) {
  return PRESETS.some((p) => p.url === url);
}

/** Lists the presets; clicking one calls `onPick(url)`. */
export function renderPresets(onPick) {
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

    li.append(load, del);
    el.presets.append(li);
  }
}

/** Updates the badges and the storage note (after a load, a delete, or on start). */
export async function refreshCached() {
  for (const li of el.presets.children) {
    let cached = false;
    try { cached = !!(await isModelCached(li.dataset.url)); } catch { cached = false; }
    li.querySelector('.badge').hidden = !cached;
    li.querySelector('.preset-delete').hidden = !cached;
    li.classList.toggle('is-cached', cached);
  }
  try {
    if (navigator.storage && navigator.storage.estimate) {
      const { usage, quota } = await navigator.storage.estimate();
      el.storageNote.textContent = quota ? `Browser storage: ${fmtBytes(usage)} used of ${fmtBytes(quota)} available to this site.` : '';
    }
  } catch { /* storage estimate is optional */ }
}
