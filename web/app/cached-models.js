// What the package's model cache holds, asked in one place and handed to every view of it (the
// presets' badges, the stored-models list) after each load, download or delete.

import { cachedModels } from '../pkg/index.js';

const views = [];
let latest = 0;

/** `view(list)` is called with cachedModels()'s list on every refresh. */
export function onCachedModels(view) {
  views.push(view);
}

/** Asks the cache again and updates every view (an older answer arriving late is dropped). */
export async function refreshCached() {
  const seq = ++latest;
  let list;
  try {
    list = await cachedModels();
  } catch (err) {
    console.warn('listing the model cache failed', err);
    list = [];
  }
  if (seq !== latest) return;
  for (const view of views) {
    try { await view(list); } catch (err) { console.warn('showing the model cache failed', err); }
  }
}

/** `url` (relative or with a fragment) as the cache names it: absolute, without the fragment. */
export function cacheUrl(url) {
  try {
    const u = new URL(String(url), location.href);
    u.hash = '';
    return u.href;
  } catch {
    return String(url);
  }
}
