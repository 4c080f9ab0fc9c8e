// Fixed-size chunks of a file: the unit of range requests, of the persistent cache and of the
// reader's memory.

/** 16 MiB: large enough that requests are few, small enough that two fit in memory easily. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** The byte range [start, end) of chunk `index`. */
export function chunkRange(index: number, size: number, chunkSize: number): [number, number] {
  const start = index * chunkSize;
  return [start, Math.min(size, start + chunkSize)];
}

/** The first and last (inclusive) chunks that bytes [offset, offset + length) touch. */
export function chunksFor(offset: number, length: number, chunkSize: number): [number, number] {
  const first = Math.floor(offset / chunkSize);
  const last = length > 0 ? Math.floor((offset + length - 1) / chunkSize) : first;
  return [first, last];
}

/** Bytes of the chunks in `indices`. */
export function bytesOfChunks(indices: Iterable<number>, size: number, chunkSize: number): number {
  let n = 0;
  for (const i of indices) {
    const [a, b] = chunkRange(i, size, chunkSize);
    n += Math.max(0, b - a);
  }
  return n;
}
