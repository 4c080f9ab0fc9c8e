// Readers over model files that never hold the whole file: HTTP range requests (with the
// persistent chunk cache) and Blobs. The wasm engine pulls bytes through `read(offset, length)`.
import { absoluteUrl, freeStorageBytes, ModelCache, quotaError } from './cache.js';
import { bytesOfChunks, chunkCount, chunkRange, chunksFor, DEFAULT_CHUNK_SIZE } from './chunks.js';
import { abortError, MistralError, toMistralError } from './errors.js';
import { formatBytes } from './progress.js';

/** What the wasm engine reads a model through. */
export interface RangeReader {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Where bytes came from, for progress: "download" (network) or "cache". */
export type ReadKind = 'download' | 'cache';

export interface ReaderEvents {
  /**
   * `local`: bytes available without the network (already cached + downloaded so far);
   * `position`: end of the furthest byte served to the engine.
   */
  onBytes?: (kind: ReadKind, local: number, position: number, size: number) => void;
}

export interface OpenedReader extends RangeReader {
  /** "network" when reads may hit the network, "cache" when the whole file is cached, "blob". */
  readonly source: 'network' | 'cache' | 'blob';
  /** The first error a read threw (the wasm may wrap it). */
  readonly error: MistralError | null;
}

/**
 * A reader over fixed-size chunks obtained from `load`, keeping at most the current chunk and
 * the next one (prefetched while the engine uploads the current one) in memory.
 */
export class ChunkedReader implements OpenedReader {
  private readonly mem = new Map<number, Promise<Uint8Array>>();
  position = 0;
  error: MistralError | null = null;

  constructor(
    readonly size: number,
    readonly chunkSize: number,
    private readonly load: (index: number) => Promise<Uint8Array>,
    readonly source: 'network' | 'cache' | 'blob',
    private readonly signal?: AbortSignal,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    try {
      this.checkAbort();
      if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
        throw new MistralError('unsupported-file', `Read of ${length} bytes at ${offset} is outside the ${this.size}-byte file (truncated file?)`);
      }
      if (length === 0) return new Uint8Array(0);
      const [first, last] = chunksFor(offset, length, this.chunkSize);
      let out: Uint8Array | null = null;
      for (let i = first; i <= last; i++) {
        const data = await this.chunk(i);
        this.checkAbort();
        const [start] = chunkRange(i, this.size, this.chunkSize);
        const from = Math.max(offset, start) - start;
        const to = Math.min(offset + length, start + data.byteLength) - start;
        if (first === last) {
          out = data.subarray(from, to);
        } else {
          out ??= new Uint8Array(length);
          out.set(data.subarray(from, to), start + from - offset);
        }
      }
      this.position = Math.max(this.position, offset + length);
      this.prefetch(last + 1);
      return out!;
    } catch (e) {
      const err = this.signal?.aborted ? abortError(this.signal.reason) : toMistralError(e);
      this.error ??= err;
      throw err;
    }
  }

  private checkAbort(): void {
    if (this.signal?.aborted) throw abortError(this.signal.reason);
  }

  private chunk(index: number): Promise<Uint8Array> {
    let p = this.mem.get(index);
    if (p === undefined) {
      p = this.load(index);
      this.mem.set(index, p);
      p.catch(() => this.mem.get(index) === p && this.mem.delete(index));
    }
    // Keep this chunk and the next one only.
    for (const k of this.mem.keys()) if (k !== index && k !== index + 1) this.mem.delete(k);
    return p;
  }

  private prefetch(index: number): void {
    if (index >= chunkCount(this.size, this.chunkSize) || this.mem.has(index) || this.signal?.aborted) return;
    const p = this.load(index);
    p.catch(() => undefined); // reported when the engine asks for it
    this.mem.set(index, p);
    p.catch(() => this.mem.get(index) === p && this.mem.delete(index));
    for (const k of this.mem.keys()) if (k !== index && k !== index - 1) this.mem.delete(k);
  }
}

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

/** Size and validators of a remote file, learned with a one-byte range request. */
export interface RemoteFile {
  size: number;
  etag: string | null;
  lastModified: string | null;
}

function networkError(url: string, e: unknown, signal?: AbortSignal): MistralError {
  if (signal?.aborted) return abortError(signal.reason);
  if (e instanceof MistralError) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new MistralError('network',
    `Could not fetch ${url} (${why}). Either the network is down, or the server does not allow ` +
    'cross-origin requests from this page (CORS: it must send Access-Control-Allow-Origin and allow the Range header).',
    { cause: e });
}

function httpError(url: string, res: Response): MistralError {
  return new MistralError('network', `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} fetching ${url}`);
}

const NO_RANGES =
  'The server ignores HTTP range requests (it answered a range request with the whole file, ' +
  'status 200). mistral-wgpu streams models in chunks and never loads one whole: serve the file from a ' +
  'server with range support (Hugging Face, S3, nginx, Caddy...), or pass it as a File/Blob.';

/** One request for bytes [start, end); fails unless the server answers with a 206 range. */
async function rangeRequest(url: string, start: number, end: number, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` }, signal, cache: 'no-store' });
  } catch (e) {
    throw networkError(url, e, signal);
  }
  if (!res.ok) throw httpError(url, res);
  if (res.status !== 206) {
    await res.body?.cancel().catch(() => undefined);
    throw new MistralError('network', `${NO_RANGES} (URL: ${url})`);
  }
  return res;
}

/** Learns the size of `url` and checks that the server honours range requests. */
export async function probeRemote(url: string, signal?: AbortSignal): Promise<RemoteFile> {
  const res = await rangeRequest(url, 0, 1, signal);
  await res.arrayBuffer().catch(() => undefined);
  const etag = res.headers.get('etag');
  const lastModified = res.headers.get('last-modified');
  const range = res.headers.get('content-range');
  const m = range === null ? null : /\/\s*(\d+)\s*$/.exec(range);
  if (m) return { size: Number(m[1]), etag, lastModified };
  // Content-Range is hidden unless the server lists it in Access-Control-Expose-Headers;
  // Content-Length of a HEAD is always visible.
  let head: Response;
  try {
    head = await fetch(url, { method: 'HEAD', signal, cache: 'no-store' });
  } catch (e) {
    throw networkError(url, e, signal);
  }
  const len = head.ok ? head.headers.get('content-length') : null;
  if (len !== null && /^\d+$/.test(len) && Number(len) > 1) {
    return { size: Number(len), etag: etag ?? head.headers.get('etag'), lastModified: lastModified ?? head.headers.get('last-modified') };
  }
  throw new MistralError('network',
    `Could not learn the size of ${url}: the server answers range requests but its Content-Range header is not ` +
    'readable from this page (add "Access-Control-Expose-Headers: Content-Range, Content-Length, ETag") and a HEAD request gave no Content-Length.');
}

/** Fetches bytes [start, end) with one range request, reporting bytes as they arrive. */
export async function fetchRange(
  url: string, start: number, end: number, signal: AbortSignal | undefined,
  onProgress?: (received: number) => void,
): Promise<Uint8Array> {
  const expected = end - start;
  const res = await rangeRequest(url, start, end, signal);
  const out = new Uint8Array(expected);
  let got = 0;
  try {
    if (res.body === null) {
      const buf = new Uint8Array(await res.arrayBuffer());
      if (buf.byteLength !== expected) throw lengthError(url, start, expected, buf.byteLength);
      out.set(buf);
      got = expected;
    } else {
      const body = res.body.getReader();
      for (;;) {
        const { done, value } = await body.read();
        if (done) break;
        if (got + value.byteLength > expected) {
          await body.cancel().catch(() => undefined);
          throw lengthError(url, start, expected, got + value.byteLength);
        }
        out.set(value, got);
        got += value.byteLength;
        onProgress?.(got);
      }
    }
  } catch (e) {
    throw networkError(url, e, signal);
  }
  if (got !== expected) throw lengthError(url, start, expected, got);
  return out;
}

function lengthError(url: string, start: number, expected: number, got: number): MistralError {
  return new MistralError('network', `Range request at byte ${start} of ${url} returned ${got} bytes, expected ${expected} (the file changed on the server, or the connection broke)`);
}

export interface UrlReaderOptions extends ReaderEvents {
  cache?: boolean;
  signal?: AbortSignal;
  chunkSize?: number;
}

/**
 * A reader over `url`: chunks come from the cache when stored there, otherwise from one range
 * request each, and are then stored. When the cache holds the whole file, no request is made.
 */
export async function urlReader(url: string | URL, opts: UrlReaderOptions = {}): Promise<ChunkedReader> {
  const abs = absoluteUrl(url);
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal.reason);
  const mc = opts.cache === false ? null : await ModelCache.open(abs);

  // A complete cache entry: the network is never touched.
  if (mc !== null && mc.meta !== null && mc.meta.complete) {
    const { size, chunkSize } = mc.meta;
    let fallback: RemoteFile | null = null;
    const reader: ChunkedReader = new ChunkedReader(size, chunkSize, async (i) => {
      const data = await mc.getChunk(i);
      if (data !== null) {
        opts.onBytes?.('cache', size, reader.position, size);
        return data;
      }
      // Evicted behind our back: fetch it again (and mark the entry incomplete).
      fallback ??= await probeRemote(abs, signal);
      if (fallback.size !== size) {
        await mc.clear();
        throw new MistralError('network', `The cached copy of ${abs} is incomplete and the file on the server changed size; load it again.`);
      }
      if (mc.meta?.complete) await mc.writeMeta({ ...mc.meta, complete: false });
      const [a, b] = chunkRange(i, size, chunkSize);
      const fresh = await fetchRange(abs, a, b, signal);
      await mc.putChunk(i, fresh);
      return fresh;
    }, 'cache', signal);
    return reader;
  }

  const remote = await probeRemote(abs, signal);
  const size = remote.size;
  let chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let stored = new Set<number>();
  if (mc !== null) {
    const meta = mc.meta;
    const stale = meta !== null && (meta.size !== size || (meta.etag !== null && remote.etag !== null && meta.etag !== remote.etag));
    if (stale) await mc.clear();
    if (meta !== null && !stale) {
      chunkSize = meta.chunkSize;
      stored = await mc.storedChunks();
    }
    const n = chunkCount(size, chunkSize);
    for (const i of stored) if (i >= n) stored.delete(i);
    const remaining = size - bytesOfChunks(stored, size, chunkSize);
    const free = await freeStorageBytes();
    if (free !== null && free < remaining) throw quotaError(remaining, free, formatBytes);
    await mc.writeMeta({ version: 1, url: abs, size, etag: remote.etag, lastModified: remote.lastModified, chunkSize, complete: stored.size === n });
  }

  const n = chunkCount(size, chunkSize);
  let local = bytesOfChunks(stored, size, chunkSize);
  let finished = mc !== null && stored.size === n;
  // Bytes received so far by the range requests in flight (the current chunk and the prefetched one).
  const inflight = new Map<number, number>();
  let downloaded = false;
  const localNow = (): number => {
    let s = local;
    for (const v of inflight.values()) s += v;
    return s;
  };
  const reader: ChunkedReader = new ChunkedReader(size, chunkSize, async (i) => {
    if (mc !== null && stored.has(i)) {
      const data = await mc.getChunk(i);
      if (data !== null) {
        // Once this load has downloaded something, progress stays "download" (of the whole file)
        // even when the engine reads back a chunk stored earlier.
        if (downloaded) opts.onBytes?.('download', localNow(), reader.position, size);
        else opts.onBytes?.('cache', local, reader.position, size);
        return data;
      }
      stored.delete(i);
      local -= bytesOfChunks([i], size, chunkSize);
    }
    const [a, b] = chunkRange(i, size, chunkSize);
    let data: Uint8Array;
    try {
      data = await fetchRange(abs, a, b, signal, (got) => {
        inflight.set(i, got);
        opts.onBytes?.('download', localNow(), reader.position, size);
      });
    } finally {
      inflight.delete(i);
    }
    local += b - a;
    downloaded = true;
    if (mc !== null) {
      await mc.putChunk(i, data);
      stored.add(i);
      if (!finished && stored.size === n) {
        finished = true;
        await mc.writeMeta({ version: 1, url: abs, size, etag: remote.etag, lastModified: remote.lastModified, chunkSize, complete: true });
      }
    }
    return data;
  }, 'network', signal);
  return reader;
}
