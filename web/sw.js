// The page's service worker: the app shell (HTML, scripts, styles, the package with its wasm,
// the vendored libraries, the manifest and icons) is kept in Cache Storage, so that with the
// network cut the page opens, loads a model from the package's own cache and chats.
//
// What it never touches: model files and anything on another origin (models come from
// Hugging Face or another server, read and cached chunk by chunk by the package in its cache
// 'mistral-wgpu-models-v1', which this worker never opens); Range requests; anything but GET;
// any same-origin URL that is not a file of the shell. Those go to the network exactly as
// without a worker (no respondWith).
//
// Strategy: cache-first for every shell file, navigations included (a navigation to the page,
// whatever its ?model=/?worker= query, is answered with the cached index.html). Not
// stale-while-revalidate: the shell's files must come from one build (an index.html of one
// version with an app.js or a wasm of another would break), so a new version arrives whole, as a
// new worker: the browser checks sw.js and the generated sw-precache.js on every navigation (and
// the page asks hourly), a changed list installs a new cache beside the old one, the page offers
// "update available — reload", and the new worker takes over only when the user reloads.
//
// sw-precache.js is written by `cargo xtask build-web` (xtask/src/build_web.rs): every file of the
// shell with its SHA-256. The cache's name carries a hash of that list, so a new site gets a new
// cache and the old ones are deleted when the new worker activates. Each file is checked against
// its SHA-256 as it is stored (a site caught half deployed fails the install, and the old version
// keeps serving); a file unchanged since the previous version is copied from that version's cache
// instead of being downloaded again (the 4 MB wasm rarely changes with the page).
'use strict';

importScripts('sw-precache.js'); // self.__shellPrecache = { version, files: { path: sha256 } }

const SHELL_PREFIX = 'mistral-wgpu-shell-';
const { version, files } = self.__shellPrecache;
const SHELL_CACHE = SHELL_PREFIX + version;
const SHA_HEADER = 'x-mistral-shell-sha256';
const scope = new URL(self.registration.scope);
const urlOf = (path) => new URL(path, scope).href;
/** Absolute URL of each shell file -> its SHA-256 (hex). */
const SHELL = new Map(Object.entries(files).map(([path, sha]) => [urlOf(path), sha]));
const INDEX = urlOf('index.html');

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(SHELL_PREFIX) && name !== SHELL_CACHE) await caches.delete(name);
    }
    // The first install takes the open page at once (it was served by the network, from this
    // same build); an update only ever activates after the user's reload (see 'skip-waiting').
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
  if (event.data && event.data.type === 'version' && event.ports[0]) event.ports[0].postMessage({ version });
});

self.addEventListener('fetch', (event) => {
  const key = shellKey(event.request);
  if (key !== null) event.respondWith(fromShell(key, event.request));
});

/** The shell file that answers `request`, or null to leave it to the network. */
function shellKey(request) {
  if (request.method !== 'GET' || request.headers.has('range')) return null;
  const url = new URL(request.url);
  if (url.origin !== scope.origin) return null;
  if (request.mode === 'navigate') {
    const page = url.pathname === scope.pathname || url.pathname === new URL(INDEX).pathname;
    return page ? INDEX : null;
  }
  url.hash = '';
  return SHELL.has(url.href) ? url.href : null;
}

async function fromShell(key, request) {
  const hit = await (await caches.open(SHELL_CACHE)).match(key);
  // Not stored (the storage was cleared under the worker): the network, as without a worker.
  return hit || fetch(request);
}

/** Stores every shell file of this version, each checked against its SHA-256. */
async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  const older = (await caches.keys()).filter((n) => n.startsWith(SHELL_PREFIX) && n !== SHELL_CACHE);
  await Promise.all([...SHELL].map(async ([url, sha]) => {
    const stored = await cache.match(url);
    if (stored && stored.headers.get(SHA_HEADER) === sha) return; // an install tried before
    const response = (await unchangedCopy(older, url, sha)) || (await fetchChecked(url, sha));
    await cache.put(url, response);
  }));
}

/** The file from an older version's cache when it has not changed, else null. */
async function unchangedCopy(cacheNames, url, sha) {
  for (const name of cacheNames) {
    const old = await (await caches.open(name)).match(url);
    if (old && old.headers.get(SHA_HEADER) === sha) return old;
  }
  return null;
}

async function fetchChecked(url, sha) {
  // no-cache: revalidated with the server, never an older copy from the HTTP cache.
  const res = await fetch(url, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  const actual = hex(await crypto.subtle.digest('SHA-256', body));
  if (actual !== sha) throw new Error(`${url} is not the file this version of the page lists (SHA-256 ${actual}, expected ${sha}): the site is changing; the install is retried later`);
  // A fresh Response: the stored copy carries its digest, and is never a redirected response
  // (which a navigation must not be answered with).
  const headers = new Headers(res.headers);
  headers.set(SHA_HEADER, sha);
  headers.delete('content-encoding'); // the body is decoded already
  headers.set('content-length', String(body.byteLength));
  return new Response(body, { status: 200, statusText: 'OK', headers });
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}
