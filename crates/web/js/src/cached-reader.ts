// A reader over a model file the cache holds whole: no network request, unless a chunk has
// vanished (evicted, or damaged and deleted), which is fetched again under If-Range with the
// cached validator, so that a file changed on the server since is never mixed in.
import type { CacheMeta, ModelCache } from './cache.js';
import { ChunkedReader, type ReaderEvents } from './chunked-reader.js';
import { chunkRange } from './chunks.js';
import { MistralError } from './errors.js';
import { ChunkHasher, type ExpectedDigest, integrityError } from './integrity.js';
import { fetchRange, type RemoteFile } from './remote.js';

export function cachedReader(
  url: string, mc: ModelCache, meta: CacheMeta, wanted: ExpectedDigest | null,
  opts: ReaderEvents & { signal?: AbortSignal },
): ChunkedReader {
  const { size, chunkSize } = meta;
  const { signal } = opts;
  const remote: RemoteFile = { size, etag: meta.etag, lastModified: meta.lastModified };
  // A digest wanted for an entry never verified against it: hash the chunks as they are read.
  const hasher = wanted !== null && meta.sha256 !== wanted.hex ? new ChunkHasher(size, chunkSize) : null;
  let poisoned: MistralError | null = null;

  // A changed file or a wrong digest: the entry goes, so that the next load downloads afresh.
  const poison = async (e: MistralError): Promise<never> => {
    if (poisoned === null) {
      poisoned = e;
      await mc.clear().catch(() => undefined);
    }
    throw poisoned;
  };

  const obtain = async (i: number): Promise<Uint8Array> => {
    if (poisoned !== null) throw poisoned;
    const [a, b] = chunkRange(i, size, chunkSize);
    const data = await mc.getChunk(i, b - a);
    if (data !== null) return data;
    if (mc.meta?.complete) await mc.writeMeta({ ...mc.meta, complete: false });
    let fresh: Uint8Array;
    try {
      fresh = await fetchRange(url, a, b, remote, signal);
    } catch (e) {
      if (e instanceof MistralError && e.code === 'file-changed') await poison(e);
      throw e;
    }
    await mc.putChunk(i, fresh);
    return fresh;
  };

  const reader: ChunkedReader = new ChunkedReader(size, chunkSize, async (i) => {
    const data = await obtain(i);
    opts.onBytes?.('cache', size, reader.position, size);
    hasher?.offer(i, data);
    return data;
  }, 'cache', signal, async () => {
    if (poisoned !== null) throw poisoned;
    if (hasher === null || wanted === null) return;
    const actual = await hasher.finish(obtain);
    if (actual !== wanted.hex) await poison(integrityError(url, wanted, actual));
    if (mc.meta?.complete) await mc.writeMeta({ ...mc.meta, sha256: actual });
  });
  return reader;
}
