// Asking before downloading a model from a URL the page did not choose itself: a ?model= link
// (anyone can craft one) or a typed URL. Until [data-testid=confirm-load] is clicked nothing is
// downloaded or stored: the page only asks the server for the size (a HEAD request, not
// cached), or reads it from the cache when this browser already holds the whole file.
// The box takes the keyboard focus when it opens (a screen reader reads its title and URL; Tab
// reaches its buttons, Escape cancels) and gives it back to where it was when it closes.

import { cachedModels } from '../pkg/index.js';
import { el } from './dom.js';
import { state } from './state.js';
import { setStatus } from './status.js';
import { fmtBytes, sourceName } from './format.js';
import { canRefocus, moveFocusFrom } from './keyboard.js';

let pending = null; // { url, probe: AbortController, returnFocus } while the box is shown

/** Hides the box (another model was picked, or Cancel); the focus, if in it, goes back. */
export function hideConfirm() {
  const returnFocus = pending?.returnFocus;
  if (pending) pending.probe.abort();
  pending = null;
  moveFocusFrom(el.confirm, canRefocus(returnFocus) ? returnFocus : el.prompt);
  el.confirm.hidden = true;
}

/**
 * Shows the box for `url`; `onConfirm(url)` runs when the user clicks its button ("Download and
 * load", or "Download only" with `{ loadAfter: false }`: the model is stored, not loaded).
 */
export function confirmLoad(url, onConfirm, { loadAfter = true } = {}) {
  const returnFocus = el.confirm.contains(document.activeElement) ? pending?.returnFocus : document.activeElement;
  hideConfirm();
  el.confirmTitle.textContent = loadAfter ? 'Download this model?' : 'Download this model to keep it (without loading it)?';
  el.confirmLoad.textContent = loadAfter ? 'Download and load' : 'Download only';
  let u;
  try { u = new URL(url, location.href); } catch { u = null; }
  const probe = new AbortController();
  pending = { url, probe, returnFocus };
  el.confirmUrl.textContent = url;
  el.confirmOrigin.textContent = u ? u.origin : 'unknown';
  el.confirmSize.textContent = 'asking the server…';
  el.confirm.hidden = false;
  el.modelPanel.open = true;
  el.confirm.focus();
  if (!state.modelInfo && !state.loading) setStatus('idle', `${sourceName(url)}: confirm the download`);
  el.confirmLoad.onclick = () => {
    if (!pending || pending.url !== url) return;
    hideConfirm();
    onConfirm(url);
  };
  el.confirmCancel.onclick = () => {
    hideConfirm();
    if (!state.modelInfo && !state.loading) setStatus(state.status === 'error' ? 'error' : 'idle');
  };
  el.confirm.onkeydown = (e) => {
    if (e.key === 'Escape') { e.preventDefault(); el.confirmCancel.click(); }
  };
  describeSize(url, probe.signal).then((text) => {
    if (pending && pending.url === url) el.confirmSize.textContent = text;
  });
}

async function describeSize(url, signal) {
  const bare = url.split('#')[0];
  try {
    const cached = (await cachedModels()).find((m) => m.url === new URL(bare, location.href).href && m.complete);
    if (cached) return `${fmtBytes(cached.size)}, already in this browser's cache (no download)`;
  } catch { /* no Cache Storage: ask the server */ }
  try {
    const res = await fetch(bare, { method: 'HEAD', cache: 'no-store', signal });
    if (!res.ok) return `unknown (the server answered HTTP ${res.status})`;
    const len = res.headers.get('content-length');
    return len && /^\d+$/.test(len) && Number(len) > 0 ? fmtBytes(Number(len)) : 'unknown (the server did not say)';
  } catch {
    return signal.aborted ? '' : 'unknown (the server did not answer; it may not allow this page to ask)';
  }
}
