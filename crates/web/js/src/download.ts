// Downloading a model file into the cache without loading it (to use later, or offline): the
// same chunked, resumable, verified path as loadModel's, with the cache as the only reader. It
// runs in the calling thread (a page or a worker) and needs no engine and no GPU.
import { absoluteUrlKeepingHash, cachedModels, openCache, requestPersistence } from './cache.js';
import { chunkCount, chunkRange } from './chunks.js';
import { abortError, MistralError } from './errors.js';
import { digestOption, type ExpectedDigest, splitModelUrl } from './integrity.js';
import { urlReader } from './loader.js';
import { withUrlLock } from './locks.js';
import { ProgressThrottle } from './progress.js';
import type { CachedModel, LoadProgress } from './types.js';

/** Options of {@link downloadModel}. */
export interface DownloadOptions {
  /**
   * `{ phase, loaded, total, text }` about 10 times a second at most: `wait` (another tab or the
   * engine is loading the same URL), `download` (bytes stored so far, the part cached before
   * included), `cache` (a file already stored, read back to check its SHA-256), `ready`.
   */
  onProgress?: (p: LoadProgress) => void;
  /** Aborting rejects with code `aborted`; the chunks stored so far stay (the next call resumes). */
  signal?: AbortSignal;
  /** The file's SHA-256 (64 hex digits), as loadModel's option; else the URL's `#sha256=` or the server's. */
  sha256?: string;
  /** Chunk size of a new cache entry in bytes (default 16 MiB; an entry being resumed keeps its own). */
  chunkSize?: number;
}

/**
 * Downloads `url` into the model cache (resuming a partial download), verifies it when a SHA-256
 * is known, and resolves with its cache entry, complete. Nothing is loaded onto the GPU; a later
 * `loadModel(url)` reads it from the cache with no network. A file already complete is not
 * downloaded again.
 */
export async function downloadModel(url: string | URL, options: DownloadOptions = {}): Promise<CachedModel> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal.reason);
  const { url: bare, digest: fromUrl } = splitModelUrl(absoluteUrlKeepingHash(url));
  const digest = digestOption(options.sha256) ?? fromUrl;
  if ((await openCache()) === null) {
    throw new MistralError('quota',
      'This browser offers no Cache Storage to this page (an http:// page other than localhost, or a private window): ' +
      'a model cannot be kept for later here.');
  }
  const throttle = new ProgressThrottle(options.onProgress ?? (() => undefined));
  // As loadModel: a file replaced on the server mid-download loses its chunks; start over once.
  const download = async (): Promise<number> => {
    try {
      return await storeWhole(bare, digest, options, throttle);
    } catch (e) {
      if (!(e instanceof MistralError) || e.code !== 'file-changed' || signal?.aborted) throw e;
      throttle.report('download', 0, 0, 'The file changed on the server: the old chunks were discarded and the download restarts');
    }
    return storeWhole(bare, digest, options, throttle);
  };
  // One writer per URL: a load or download of the same file elsewhere goes first, then this one
  // finds its chunks stored.
  const size = await withUrlLock(bare, signal, () => throttle.report('wait', 0, 0), download);
  requestPersistence();
  throttle.report('ready', size, size);
  const entry = (await cachedModels()).find((m) => m.url === bare);
  return entry ?? { url: bare, size, cachedBytes: size, complete: true, storedAt: new Date().toISOString() };
}

/** Reads every chunk of `url` through the caching reader, then completes the entry; its size. */
async function storeWhole(url: string, digest: ExpectedDigest | null, options: DownloadOptions, throttle: ProgressThrottle): Promise<number> {
  let fromCache = false;
  const reader = await urlReader(url, {
    cache: true,
    digest,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
    onBytes: (_kind, local, position, size) => {
      if (fromCache) throttle.report('cache', position, size);
      else throttle.report('download', local, size);
    },
    onNotice: (text) => throttle.report('download', 0, 0, text),
  });
  // A complete entry needs no reading, unless a digest it was never checked against must be
  // checked now (finish() reads it back for that).
  fromCache = reader.source === 'cache';
  if (!fromCache) {
    // In order: each read stores its chunk, and prefetches the next while this one is stored.
    const n = chunkCount(reader.size, reader.chunkSize);
    for (let i = 0; i < n; i++) {
      const [a, b] = chunkRange(i, reader.size, reader.chunkSize);
      await reader.read(a, b - a);
    }
  }
  await reader.finish();
  return reader.size;
}
