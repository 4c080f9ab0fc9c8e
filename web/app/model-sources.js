// Where a model can come from besides the presets: a URL typed in the form, a file picked with
// the file input, or a file dropped anywhere on the page.

import { el } from './dom.js';
import { showError } from './error-banner.js';

/**
 * The URL typed in the form, made absolute; null (the field focused, or a bad-request error
 * shown) when it is empty or not a URL.
 */
export function typedUrl() {
  const raw = el.url.value.trim();
  if (!raw) { el.url.focus(); return null; }
  try {
    return new URL(raw, location.href).href;
  } catch {
    showError(Object.assign(new Error(`“${raw}” is not a URL.`), { code: 'bad-request' }));
    return null;
  }
}

/** Wires the URL form, the file input and drag and drop; each calls `onSource(urlOrFile)`. */
export function wireModelSources(onSource) {
  el.urlForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const url = typedUrl();
    if (url) onSource(url);
  });

  el.file.addEventListener('change', () => {
    const f = el.file.files && el.file.files[0];
    if (f) onSource(f);
    el.file.value = '';
  });

  wireDropAnywhere(onSource);
}

// The overlay shows while files are dragged over the page. dragenter/dragleave fire for every
// child element crossed, so count them rather than hiding on the first dragleave.
function wireDropAnywhere(onSource) {
  let dragDepth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth++;
    el.dropOverlay.hidden = false;
  });
  window.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', (e) => {
    if (!hasFiles(e)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) el.dropOverlay.hidden = true;
  });
  window.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    el.dropOverlay.hidden = true;
    const f = e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) onSource(f);
  });
}
