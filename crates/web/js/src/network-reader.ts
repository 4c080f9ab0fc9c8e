// A reader that downloads a model file chunk by chunk (resuming from the chunks cached by an
// earlier visit) and stores each chunk. The entry is marked complete only once every chunk is
// stored and, when a SHA-256 is expected, the file hashed to it. A file that changed on the
// server, or hashed to another digest, loses every cached chunk and stores nothing more.
import { type CacheMeta, freeStorageBytes, type ModelCache, quotaError } from './cache.js';
import { ChunkedReader, type ReaderEvents } from './chunked-reader.js';
import { bytesOfChunks, chunkCount, chunkRange, DEFAULT_CHUNK_SIZE } from './chunks.js';
import { MistralError } from './errors.js';
import { ChunkHasher, type ExpectedDigest, integrityError } from './integrity.js';
import { formatBytes } from './progress.js';
import { fetchRange, type RemoteFile } from './remote.js';

export interface NetworkReaderOptions extends ReaderEvents {
  signal?: AbortSignal;
  chunkSize?: number;
  digest?: ExpectedDigest | null;
}

/** Why the cached part of a file cannot be continued, or null when it can. */
function staleReason(meta: CacheMeta, remote: RemoteFile, digest: ExpectedDigest | null): string | null {
  if (meta.size !== remote.size) return `its size went from ${meta.size} to ${remote.size} bytes`;
  if (meta.etag !== null && remote.etag !== null) {
    if (meta.etag !== remote.etag) return `its ETag went from ${meta.etag} to ${remote.etag}`;
  } else if (meta.lastModified !== null && remote.lastModified !== null && meta.lastModified !== remote.lastModified) {
    return `its Last-Modified went from ${meta.lastModified} to ${remote.lastModified}`;
  }
  if (digest !== null && meta.sha256 && meta.sha256 !== digest.hex) return `the expected SHA-256 is now ${digest.hex}`;
  return null;
}

export async function networkReader(url: string, mc: ModelCache | null, remote: RemoteFile, opts: NetworkReaderOptions): Promise<ChunkedReader> {
  const { size } = remote;
  const { signal } = opts;
  const digest = opts.digest ?? remote.digest ?? null;
  let chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let stored = new Set<number>();
  if (mc !== null) {
    const meta = mc.meta;
    const stale = meta === null ? null : staleReason(meta, remote, digest);
    if (stale !== null) {
      await mc.clear();
      opts.onNotice?.(`The file changed on the server (${stale}): the part downloaded before was discarded and the download restarts.`);
    } else if (meta !== null) {
      chunkSize = meta.chunkSize;
      stored = await mc.storedChunks();
    }
    const n = chunkCount(size, chunkSize);
    for (const i of stored) if (i >= n) stored.delete(i);
    const remaining = size - bytesOfChunks(stored, size, chunkSize);
    const free = await freeStorageBytes();
    if (free !== null && free < remaining) throw quotaError(remaining, free, formatBytes);
    await mc.writeMeta(metaOf(url, remote, chunkSize, stored.size === n && digest === null, null));
  }

  const n = chunkCount(size, chunkSize);
  const hasher = digest === null ? null : new ChunkHasher(size, chunkSize);
  let local = bytesOfChunks(stored, size, chunkSize);
  let marked = mc !== null && stored.size === n && digest === null;
  let verifying: Promise<void> | null = null;
  let completing: Promise<void> | null = null;
  let poisoned: MistralError | null = null;
  // Bytes received so far by the range requests in flight (the current chunk and the prefetched one).
  const inflight = new Map<number, number>();
  let downloaded = false;
  const localNow = (): number => {
    let s = local;
    for (const v of inflight.values()) s += v;
    return s;
  };

  const poison = async (e: MistralError): Promise<never> => {
    if (poisoned === null) {
      poisoned = e;
      if (mc !== null) await mc.clear().catch(() => undefined);
    }
    throw poisoned;
  };

  const download = async (i: number): Promise<Uint8Array> => {
    const [a, b] = chunkRange(i, size, chunkSize);
    try {
      return await fetchRange(url, a, b, remote, signal, (got) => {
        inflight.set(i, got);
        opts.onBytes?.('download', localNow(), reader.position, size);
      });
    } catch (e) {
      if (e instanceof MistralError && e.code === 'file-changed') await poison(e);
      throw e;
    } finally {
      inflight.delete(i);
    }
  };

  // Downloads in flight by chunk: the reader forgets a chunk it skipped past (it keeps two), and
  // asking for it again joins the running request instead of starting another.
  const running = new Map<number, Promise<Uint8Array>>();

  /** Chunk `i` from the cache, else the network (then stored). */
  const obtain = (i: number): Promise<Uint8Array> => {
    let p = running.get(i);
    if (p === undefined) {
      const mine = fetchOrRead(i);
      p = mine;
      running.set(i, mine);
      mine.finally(() => running.get(i) === mine && running.delete(i)).catch(() => undefined);
    }
    return p;
  };

  const fetchOrRead = async (i: number): Promise<Uint8Array> => {
    if (poisoned !== null) throw poisoned;
    const [a, b] = chunkRange(i, size, chunkSize);
    if (mc !== null && stored.has(i)) {
      const data = await mc.getChunk(i, b - a);
      if (data !== null) {
        // Once this load has downloaded something, progress stays "download" (of the whole file)
        // even when the engine reads back a chunk stored earlier.
        if (downloaded) opts.onBytes?.('download', localNow(), reader.position, size);
        else opts.onBytes?.('cache', local, reader.position, size);
        return data;
      }
      stored.delete(i);
      local -= b - a;
    }
    const data = await download(i);
    if (poisoned !== null) throw poisoned; // another chunk saw the file change meanwhile
    local += b - a;
    downloaded = true;
    if (mc !== null) {
      await mc.putChunk(i, data);
      stored.add(i);
    }
    return data;
  };

  // Once: the digest of the whole file, the chunks not hashed on the way read again.
  const verify = (): Promise<void> => {
    verifying ??= (async () => {
      if (hasher === null || digest === null) return;
      const actual = await hasher.finish(obtain);
      if (actual !== digest.hex) await poison(integrityError(url, digest, actual));
    })();
    return verifying;
  };

  // Once every chunk is stored (and the digest checked): the entry is complete.
  const complete = (): Promise<void> => {
    if (mc === null || marked || stored.size !== n) return Promise.resolve();
    completing ??= (async () => {
      await verify();
      await mc.writeMeta(metaOf(url, remote, chunkSize, true, digest?.hex ?? null));
      marked = true;
    })();
    return completing;
  };

  const reader: ChunkedReader = new ChunkedReader(size, chunkSize, async (i) => {
    const data = await obtain(i);
    hasher?.offer(i, data);
    await complete();
    return data;
  }, 'network', signal, async () => {
    if (poisoned !== null) throw poisoned;
    await verify();
    await complete();
  });
  return reader;
}

function metaOf(url: string, remote: RemoteFile, chunkSize: number, complete: boolean, sha256: string | null): CacheMeta {
  return { version: 1, url, size: remote.size, etag: remote.etag, lastModified: remote.lastModified, chunkSize, complete, sha256 };
}
