// The page's URL parameters, part of its testing contract (web/e2e/README.md). Read once, at
// start: the page rewrites ?model= later and must not pick its own write up as a request.

const params = new URLSearchParams(location.search);

/** ?worker=0 runs the engine on the main thread; by default it runs in a worker. */
export const useWorker = params.get('worker') !== '0';

/**
 * ?kernels=auto|cpu|gpu: the kernel family every load asks for (the package's `kernels` load
 * option), or null for the engine's choice. Another value is passed on and refused by the engine
 * (a bad-request error in the banner), rather than silently ignored.
 */
export const kernels = params.get('kernels');

/** ?model=<url>: the model to load on start, or null. */
export const startModel = params.get('model');

/**
 * Writes the loaded model into ?model= so that a reload (or a bookmark) comes back to it, from
 * the cache. A local file cannot be reloaded that way, so then the parameter is dropped.
 */
export function rememberModel(source) {
  const u = new URL(location.href);
  if (typeof source === 'string') u.searchParams.set('model', source);
  else u.searchParams.delete('model');
  if (u.href !== location.href) history.replaceState(null, '', u);
}
