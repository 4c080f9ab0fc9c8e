// Downloading a model into this browser's storage without loading it, to use later or offline
// (a preset, a stored partial download, or a URL after the same confirmation a load asks for):
// progress, Cancel, one download at a time. The engine and the page's status are left alone, so
// a loaded model keeps answering meanwhile.

import { downloadModel } from '../pkg/index.js';
import { el } from './dom.js';
import { isAbort } from './error-hints.js';
import { showError } from './error-banner.js';
import { fmtBytes, sourceName } from './format.js';
import { cacheUrl, refreshCached } from './cached-models.js';
import { moveFocusFrom } from './keyboard.js';
import { typedUrl } from './model-sources.js';
import { progressAnnouncer } from './announce.js';

let running = null; // { url, controller } while a download runs

/** Whether `url` is being downloaded here now. */
export function isDownloading(url) {
  return running !== null && running.url === cacheUrl(url);
}

/** Downloads `url` into the cache (resuming what is stored), showing progress and Cancel. */
export async function downloadOnly(url) {
  if (running) {
    show('busy', `Already downloading ${sourceName(running.url)}: wait for it or cancel it first.`);
    return;
  }
  const controller = new AbortController();
  running = { url: cacheUrl(url), controller };
  const name = sourceName(url);
  show('downloading', `Starting the download of ${name}…`);
  el.downloadBar.hidden = false;
  el.downloadBar.removeAttribute('value');
  el.cancelDownload.hidden = false;
  let listed = false;
  try {
    const entry = await downloadModel(url, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.total > 0) {
          el.downloadBar.max = p.total;
          el.downloadBar.value = Math.min(p.loaded, p.total);
        }
        el.downloadText.textContent = `${name}: ${p.text}`;
        el.downloadBar.setAttribute('aria-valuetext', p.text);
        announceDownload(p);
        // The partial entry shows in the list as soon as it exists.
        if (!listed && p.phase === 'download' && p.loaded > 0) { listed = true; refreshCached(); }
      },
    });
    show('done', `${name} is stored (${fmtBytes(entry.size)}): load it any time, also offline.`);
  } catch (err) {
    if (isAbort(err)) {
      show('cancelled', `Download of ${name} cancelled. What was downloaded is kept: Resume in the list continues it.`);
    } else {
      show('failed', `Download of ${name} failed.`);
      showError(err, `downloading ${name}`);
    }
  } finally {
    running = null;
    el.downloadBar.hidden = true;
    moveFocusFrom(el.cancelDownload, el.downloadUrl); // Cancel goes: the focus to "Download only"
    el.cancelDownload.hidden = true;
    refreshCached();
  }
}

/** Cancels the running download (its stored chunks stay). */
export function cancelDownload() {
  if (running) running.controller.abort();
}

const announceDownload = progressAnnouncer(el.downloadAnnounce);

function show(state, text) {
  el.downloadProgress.hidden = false;
  el.downloadProgress.dataset.state = state;
  el.downloadText.textContent = text;
  announceDownload.say(text);
}

/** Wires Cancel and the URL form's "Download only" (`ask(url)` confirms a URL, then downloads). */
export function wireDownloadOnly(ask) {
  el.cancelDownload.addEventListener('click', cancelDownload);
  el.downloadUrl.addEventListener('click', () => {
    const url = typedUrl();
    if (url) ask(url);
  });
}
