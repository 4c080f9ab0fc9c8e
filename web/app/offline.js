// The offline app shell, from the page's side: registers the service worker (sw.js: the page's
// files kept for use without the network), says when the network is gone, and offers "update
// available — reload" when a new version of the page has been installed beside the running one.
//
// Service workers exist only on secure contexts (https, or http://localhost / 127.0.0.1) and
// can be turned off; without one the page works as before, online only: nothing here may
// break it, so failures are a quiet note in the Model panel, not the error banner.

import { el } from './dom.js';

const UPDATE_CHECK_MS = 60 * 60 * 1000; // the page is kept open for days: look for a new version hourly

let reloadOnTakeover = false;

/** Starts the network indicator and the service worker. */
export function initOffline() {
  showNetwork();
  window.addEventListener('online', showNetwork);
  window.addEventListener('offline', showNetwork);
  el.updateReload.addEventListener('click', applyUpdate);
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    showShell('unavailable', 'This page cannot keep itself for offline use here (it needs https or localhost, and a browser with service workers).');
    return;
  }
  register().catch((err) => {
    console.warn('service worker registration failed', err);
    showShell('unavailable', `Offline use is unavailable: ${err && err.message ? err.message : err}`);
  });
}

async function register() {
  // updateViaCache 'none': sw.js and its precache list are always checked with the server, so
  // a new version of the site is noticed on the next visit.
  const reg = await navigator.serviceWorker.register('sw.js', { updateViaCache: 'none' });
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloadOnTakeover) window.location.reload();
  });
  if (reg.waiting && navigator.serviceWorker.controller) showUpdate();
  reg.addEventListener('updatefound', () => {
    const incoming = reg.installing;
    if (!incoming) return;
    if (!navigator.serviceWorker.controller) showShell('installing', 'Storing this page for offline use…');
    incoming.addEventListener('statechange', () => {
      // Installed beside a running version: it waits until the user reloads.
      if (incoming.state === 'installed' && navigator.serviceWorker.controller) showUpdate();
      if (incoming.state === 'redundant' && !navigator.serviceWorker.controller) {
        showShell('unavailable', 'Storing this page for offline use failed; it is tried again on the next visit.');
      }
    });
  });
  window.addEventListener('online', () => reg.update().catch(() => {}));
  setInterval(() => { if (navigator.onLine) reg.update().catch(() => {}); }, UPDATE_CHECK_MS);
  const active = await navigator.serviceWorker.ready;
  const version = await askVersion(active.active);
  showShell('ready', `This page works offline${version ? ` (version ${version.slice(0, 8)})` : ''}.`);
}

/** The version (hash of the shell's files) of a running worker, or null. */
function askVersion(worker) {
  if (!worker) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), 3000);
    channel.port1.onmessage = (e) => { clearTimeout(timer); resolve(e.data && e.data.version ? String(e.data.version) : null); };
    worker.postMessage({ type: 'version' }, [channel.port2]);
  });
}

function showShell(state, text) {
  el.shellNote.dataset.state = state;
  el.shellNote.textContent = text;
}

function showNetwork() {
  el.networkState.hidden = navigator.onLine;
}

function showUpdate() {
  el.updateBar.hidden = false;
}

/** The user's reload: the waiting worker takes over, then the page reloads onto the new version. */
async function applyUpdate() {
  const reg = await navigator.serviceWorker.getRegistration();
  if (!reg || !reg.waiting) { window.location.reload(); return; }
  reloadOnTakeover = true;
  reg.waiting.postMessage({ type: 'skip-waiting' });
}
