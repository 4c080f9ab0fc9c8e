// The persistent model cache: Cache Storage (available in pages and workers), one entry per
// chunk of a file plus one metadata entry, so that downloads resume and later visits need no
// network at all.
import { chunkCount, bytesOfChunks } from './chunks.js';
import { MistralError, toMistralError } from './errors.js';
import type { CachedModel } from './types.js';

export const CACHE_NAME = 'mistral-wgpu-models-v1';
const CHUNK_PARAM = 'mistral-wgpu-chunk';
const META_PARAM = 'mistral-wgpu-meta';

/** The metadata entry of a cached file. */
export interface CacheMeta {
  version: 1;
  url: string;
  size: number;
  etag: string | null;
  lastModified: string | null;
  chunkSize: number;
  complete: boolean;
  /** The SHA-256 the complete file was verified against, if one was known (absent: none). */
  sha256?: string | null;
  /**
   * When the file was stored (ISO 8601): the time it became complete, or, while it is partial,
   * when its download started. Absent in entries written before it existed.
   */
  storedAt?: string;
}

/** `url` made absolute (against the page's base URI or the worker's location) and without its fragment. */
export function absoluteUrl(url: string | URL): string {
  const g = globalThis as { document?: { baseURI?: string }; location?: { href: string } };
  const base = g.document?.baseURI ?? g.location?.href;
  const u = base !== undefined ? new URL(String(url), base) : new URL(String(url));
  u.hash = '';
  return u.href;
}

/** `url` made absolute like {@link absoluteUrl}, its fragment kept (it may carry `#sha256=`). */
export function absoluteUrlKeepingHash(url: string | URL): string {
  const hash = new URL(String(url), 'http://x/').hash;
  return absoluteUrl(url) + hash;
}

function withParam(url: string, param: string, value: string): string {
  return new URL(`${url}${url.includes('?') ? '&' : '?'}${param}=${value}`).href;
}

export function chunkKey(url: string, index: number): string {
  return withParam(url, CHUNK_PARAM, String(index));
}

export function metaKey(url: string): string {
  return withParam(url, META_PARAM, '1');
}

/** The chunk index of a cache key of `url`, or null when the key is not one of its chunks. */
export function chunkIndexOfKey(url: string, key: string): number | null {
  const prefix = withParam(url, CHUNK_PARAM, '');
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : null;
}

/** Cache Storage, or null where the browser has none (insecure context, some private modes). */
export async function openCache(): Promise<Cache | null> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (storage === undefined) return null;
  try {
    return await storage.open(CACHE_NAME);
  } catch {
    return null;
  }
}

/** A Cache.put that reports a full disk as a MistralError of code "quota". */
export async function putOrQuota(cache: Cache, key: string, response: Response): Promise<void> {
  try {
    await cache.put(key, response);
  } catch (e) {
    throw toMistralError(e);
  }
}

/** The cache entries of one model file. */
export class ModelCache {
  private constructor(
    readonly cache: Cache,
    readonly url: string,
    public meta: CacheMeta | null,
  ) {}

  static async open(url: string): Promise<ModelCache | null> {
    const cache = await openCache();
    if (cache === null) return null;
    const meta = await readMeta(cache, url);
    return new ModelCache(cache, url, meta);
  }

  /** The indices of the chunks stored so far. */
  async storedChunks(): Promise<Set<number>> {
    const set = new Set<number>();
    for (const req of await this.cache.keys()) {
      const i = chunkIndexOfKey(this.url, req.url);
      if (i !== null) set.add(i);
    }
    return set;
  }

  /**
   * Chunk `index`, or null when it is not stored. One of another length than `expected` (a
   * damaged entry) is deleted and reported missing: it is fetched again, never padded.
   */
  async getChunk(index: number, expected: number): Promise<Uint8Array | null> {
    const key = chunkKey(this.url, index);
    const res = await this.cache.match(key);
    if (res === undefined) return null;
    const data = new Uint8Array(await res.arrayBuffer());
    if (data.byteLength === expected) return data;
    await this.cache.delete(key);
    return null;
  }

  async putChunk(index: number, data: Uint8Array): Promise<void> {
    // The Response copies the bytes when it is constructed (no second copy needed here).
    await putOrQuota(this.cache, chunkKey(this.url, index), new Response(data as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.byteLength) },
    }));
  }

  /** Writes the metadata entry, dating it (see {@link CacheMeta.storedAt}). */
  async writeMeta(meta: CacheMeta): Promise<void> {
    meta = { ...meta, storedAt: storedAtFor(meta, this.meta) };
    this.meta = meta;
    await putOrQuota(this.cache, metaKey(this.url), new Response(JSON.stringify(meta), {
      headers: { 'content-type': 'application/json' },
    }));
  }

  /** Deletes the metadata and every chunk of this file. */
  async clear(): Promise<void> {
    await deleteEntries(this.cache, this.url);
    this.meta = null;
  }
}

/**
 * The date of an entry being written over `before`: now when it becomes complete (or is new),
 * else the date it had (a resumed download keeps the date it started; a completed file keeps the
 * date it was completed when its digest is added). An entry from before `storedAt` gets now.
 */
function storedAtFor(meta: CacheMeta, before: CacheMeta | null): string {
  const completing = meta.complete && before?.complete !== true;
  if (completing) return new Date().toISOString();
  return meta.storedAt ?? before?.storedAt ?? new Date().toISOString();
}

async function readMeta(cache: Cache, url: string): Promise<CacheMeta | null> {
  const res = await cache.match(metaKey(url));
  if (res === undefined) return null;
  try {
    const meta = (await res.json()) as CacheMeta;
    if (meta.version !== 1 || typeof meta.size !== 'number' || typeof meta.chunkSize !== 'number') return null;
    return meta;
  } catch {
    return null;
  }
}

async function deleteEntries(cache: Cache, url: string): Promise<void> {
  const keys = await cache.keys();
  const doomed = keys.filter((r) => chunkIndexOfKey(url, r.url) !== null);
  await Promise.all(doomed.map((r) => cache.delete(r)));
  await cache.delete(metaKey(url));
}

/** Whether the whole file at `url` is in the cache (loading it will need no network). */
export async function isModelCached(url: string | URL): Promise<boolean> {
  const cache = await openCache();
  if (cache === null) return false;
  const meta = await readMeta(cache, absoluteUrl(url));
  return meta !== null && meta.complete;
}

/** Deletes the cached chunks of `url`; true if anything was cached. */
export async function deleteCachedModel(url: string | URL): Promise<boolean> {
  const cache = await openCache();
  if (cache === null) return false;
  const abs = absoluteUrl(url);
  const had = (await cache.match(metaKey(abs))) !== undefined;
  await deleteEntries(cache, abs);
  return had;
}

/** The model files in the cache, complete or partly downloaded. */
export async function cachedModels(): Promise<CachedModel[]> {
  const cache = await openCache();
  if (cache === null) return [];
  const keys = (await cache.keys()).map((r) => r.url);
  const out: CachedModel[] = [];
  for (const key of keys) {
    if (!new URL(key).searchParams.has(META_PARAM)) continue;
    const res = await cache.match(key);
    if (res === undefined) continue;
    let meta: CacheMeta;
    try {
      meta = (await res.json()) as CacheMeta;
    } catch {
      continue;
    }
    if (meta.version !== 1 || metaKey(meta.url) !== key) continue;
    const stored = new Set<number>();
    for (const k of keys) {
      const i = chunkIndexOfKey(meta.url, k);
      if (i !== null && i < chunkCount(meta.size, meta.chunkSize)) stored.add(i);
    }
    out.push({
      url: meta.url, size: meta.size, cachedBytes: bytesOfChunks(stored, meta.size, meta.chunkSize), complete: meta.complete,
      storedAt: typeof meta.storedAt === 'string' ? meta.storedAt : null,
    });
  }
  return out;
}

/** Free bytes of this origin's storage quota, or null when the browser does not say. */
export async function freeStorageBytes(): Promise<number | null> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  if (storage?.estimate === undefined) return null;
  try {
    const { quota, usage } = await storage.estimate();
    if (quota === undefined) return null;
    return Math.max(0, quota - (usage ?? 0));
  } catch {
    return null;
  }
}

/** Asks for persistent storage (so the browser does not evict the model), best effort. */
export function requestPersistence(): void {
  const storage = (globalThis as { navigator?: { storage?: Partial<StorageManager> } }).navigator?.storage;
  if (typeof storage?.persist !== 'function') return; // not exposed in workers
  storage.persist().catch(() => undefined);
}

export function quotaError(needed: number, free: number, fmt: (n: number) => string): MistralError {
  return new MistralError('quota',
    `Not enough storage to cache the model: it needs ${fmt(needed)} more but only ${fmt(free)} is available ` +
    'to this site. Free disk space, delete cached models (deleteCachedModel), or load with { cache: false } ' +
    'to stream the file without caching it.');
}
