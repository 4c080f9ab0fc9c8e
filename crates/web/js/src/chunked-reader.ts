// The reader the wasm engine pulls bytes through (`read(offset, length)`), over fixed-size
// chunks from any source (cache, network, Blob), never holding the whole file.
import { chunkCount, chunkRange, chunksFor } from './chunks.js';
import { abortError, MistralError, toMistralError } from './errors.js';

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
  /** Something the user should know, e.g. that a partial download was discarded. */
  onNotice?: (text: string) => void;
}

export interface OpenedReader extends RangeReader {
  /** "network" when reads may hit the network, "cache" when the whole file is cached, "blob". */
  readonly source: 'network' | 'cache' | 'blob';
  /** The first error a read threw (the wasm may wrap it). */
  readonly error: MistralError | null;
  /**
   * After the engine has read what it needs: verifies the file's SHA-256 when one is expected
   * (reading the chunks the engine skipped) and marks the cache entry complete.
   */
  finish(): Promise<void>;
}

/**
 * A reader over fixed-size chunks obtained from `load`, keeping at most the current chunk and
 * the next one (prefetched while the engine uploads the current one) in memory. A chunk of
 * another length than its range is refused: bytes are never padded with zeros.
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
    private readonly finisher?: () => Promise<void>,
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
      throw this.failed(e);
    }
  }

  async finish(): Promise<void> {
    try {
      this.checkAbort();
      await this.finisher?.();
    } catch (e) {
      throw this.failed(e);
    }
  }

  private failed(e: unknown): MistralError {
    const err = this.signal?.aborted ? abortError(this.signal.reason) : toMistralError(e);
    this.error ??= err;
    return err;
  }

  private checkAbort(): void {
    if (this.signal?.aborted) throw abortError(this.signal.reason);
  }

  /** `load(index)`, refused unless it has exactly the chunk's length. */
  private checked(index: number): Promise<Uint8Array> {
    return this.load(index).then((data) => {
      const [a, b] = chunkRange(index, this.size, this.chunkSize);
      if (data.byteLength !== b - a) {
        throw new MistralError('unsupported-file', `Bytes ${a}-${b - 1} of the model came back as ${data.byteLength} bytes, not ${b - a} (the file changed or is truncated); refused`);
      }
      return data;
    });
  }

  private chunk(index: number): Promise<Uint8Array> {
    let p = this.mem.get(index);
    if (p === undefined) {
      p = this.checked(index);
      this.mem.set(index, p);
      p.catch(() => this.mem.get(index) === p && this.mem.delete(index));
    }
    // Keep this chunk and the next one only.
    for (const k of this.mem.keys()) if (k !== index && k !== index + 1) this.mem.delete(k);
    return p;
  }

  private prefetch(index: number): void {
    if (index >= chunkCount(this.size, this.chunkSize) || this.mem.has(index) || this.signal?.aborted) return;
    const p = this.checked(index);
    p.catch(() => undefined); // reported when the engine asks for it
    this.mem.set(index, p);
    p.catch(() => this.mem.get(index) === p && this.mem.delete(index));
    for (const k of this.mem.keys()) if (k !== index && k !== index - 1) this.mem.delete(k);
  }
}
