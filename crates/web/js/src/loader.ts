// Readers over model files that never hold the whole file: HTTP range requests (with the
// persistent chunk cache) and Blobs. The wasm engine pulls bytes through `read(offset, length)`.
import { absoluteUrl, ModelCache } from './cache.js';
import { cachedReader } from './cached-reader.js';
import { chunkRange, DEFAULT_CHUNK_SIZE } from './chunks.js';
import { ChunkedReader, type ReaderEvents } from './chunked-reader.js';
import { abortError } from './errors.js';
import type { ExpectedDigest } from './integrity.js';
import { networkReader } from './network-reader.js';
import { probeRemote } from './remote.js';

export { ChunkedReader, type OpenedReader, type RangeReader, type ReadKind, type ReaderEvents } from './chunked-reader.js';
export { fetchRange, probeRemote, type RemoteFile } from './remote.js';

/** A reader over a local Blob or File (no caching). */
export function blobReader(blob: Blob, events: ReaderEvents = {}, signal?: AbortSignal, chunkSize = DEFAULT_CHUNK_SIZE): ChunkedReader {
  const reader: ChunkedReader = new ChunkedReader(blob.size, chunkSize, async (i) => {
    const [a, b] = chunkRange(i, blob.size, chunkSize);
    const data = new Uint8Array(await blob.slice(a, b).arrayBuffer());
    events.onBytes?.('cache', b, reader.position, blob.size);
    return data;
  }, 'blob', signal);
  return reader;
}

export interface UrlReaderOptions extends ReaderEvents {
  cache?: boolean;
  signal?: AbortSignal;
  chunkSize?: number;
  /** The SHA-256 the file must have (the caller's or the URL's); else the server's, if it states one. */
  digest?: ExpectedDigest | null;
}

/**
 * A reader over `url`: chunks come from the cache when stored there, otherwise from one range
 * request each (If-Range: the validator learned at the probe), and are then stored. When the
 * cache holds the whole file, no request is made.
 */
export async function urlReader(url: string | URL, opts: UrlReaderOptions = {}): Promise<ChunkedReader> {
  const abs = absoluteUrl(url);
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal.reason);
  const mc = opts.cache === false ? null : await ModelCache.open(abs);
  const wanted = opts.digest ?? null;
  const meta = mc?.meta ?? null;
  // A complete entry is used as it is, unless it was verified as another file than the one wanted.
  if (mc !== null && meta !== null && meta.complete && !(wanted !== null && meta.sha256 && meta.sha256 !== wanted.hex)) {
    return cachedReader(abs, mc, meta, wanted, opts);
  }
  const remote = await probeRemote(abs, signal);
  return networkReader(abs, mc, remote, opts);
}
