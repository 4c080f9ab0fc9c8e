// The SHA-256 a model file must have: where it comes from (the caller, the URL's #sha256=
// fragment, or the server's headers), and checking a file's chunks against it in order.
import { chunkCount } from './chunks.js';
import { MistralError } from './errors.js';
import { Sha256 } from './sha256.js';

/** An expected digest and where it came from (named in errors). */
export interface ExpectedDigest {
  hex: string;
  from: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** `value` as 64 lowercase hex digits, or null when it is not a SHA-256 in hex. */
export function normalizeHex(value: string): string | null {
  const v = value.trim().toLowerCase();
  return HEX64.test(v) ? v : null;
}

/** The caller's `sha256` option, checked (a malformed one is the caller's bug: bad-request). */
export function digestOption(value: unknown): ExpectedDigest | null {
  if (value === undefined || value === null) return null;
  const hex = typeof value === 'string' ? normalizeHex(value) : null;
  if (hex === null) throw new MistralError('bad-request', `sha256 must be 64 hex digits (got ${JSON.stringify(value)})`);
  return { hex, from: 'the sha256 option' };
}

/**
 * The model URL without its fragment, and the digest a `#sha256=<hex>` fragment names. A
 * fragment is never sent to the server, so it is how a link can pin the file it points to.
 */
export function splitModelUrl(url: string): { url: string; digest: ExpectedDigest | null } {
  const hash = url.indexOf('#');
  if (hash < 0) return { url, digest: null };
  const params = new URLSearchParams(url.slice(hash + 1));
  const raw = params.get('sha256');
  let digest: ExpectedDigest | null = null;
  if (raw !== null) {
    const hex = normalizeHex(raw);
    if (hex === null) throw new MistralError('bad-request', `The URL's #sha256= must be 64 hex digits (got ${JSON.stringify(raw)})`);
    digest = { hex, from: "the URL's #sha256=" };
  }
  return { url: url.slice(0, hash), digest };
}

function unquote(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function base64ToHex(b64: string): string | null {
  try {
    const bin = atob(b64.trim());
    if (bin.length !== 32) return null;
    return Array.from(bin, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  } catch {
    return null;
  }
}

/** Hugging Face stores LFS files under their SHA-256, which it sends as the (linked) ETag. */
function isHuggingFace(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'huggingface.co' || host.endsWith('.huggingface.co') || host === 'hf.co' || host.endsWith('.hf.co');
  } catch {
    return false;
  }
}

/**
 * A SHA-256 of the whole file that the server states: `Repr-Digest: sha-256=:<base64>:`,
 * `Digest: sha-256=<base64>`, `X-Linked-Etag: "<hex>"`, or (from Hugging Face only, where it is
 * the LFS object's SHA-256) a 64-hex `ETag`. Elsewhere a 64-hex ETag need not be a content hash.
 */
export function serverDigest(headers: Headers, url: string): ExpectedDigest | null {
  const repr = headers.get('repr-digest');
  const m1 = repr === null ? null : /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):/i.exec(repr);
  const h1 = m1 ? base64ToHex(m1[1]!) : null;
  if (h1 !== null) return { hex: h1, from: "the server's Repr-Digest header" };
  const digest = headers.get('digest');
  const m2 = digest === null ? null : /(?:^|,)\s*sha-256=([A-Za-z0-9+/=]+)/i.exec(digest);
  const h2 = m2 ? base64ToHex(m2[1]!) : null;
  if (h2 !== null) return { hex: h2, from: "the server's Digest header" };
  const linked = headers.get('x-linked-etag');
  const h3 = linked === null ? null : normalizeHex(unquote(linked));
  if (h3 !== null) return { hex: h3, from: "the server's X-Linked-Etag header" };
  const etag = headers.get('etag');
  const h4 = etag === null || !isHuggingFace(url) ? null : normalizeHex(unquote(etag));
  if (h4 !== null) return { hex: h4, from: "Hugging Face's ETag (the file's SHA-256)" };
  return null;
}

export function integrityError(url: string, expected: ExpectedDigest, actual: string): MistralError {
  return new MistralError('integrity',
    `SHA-256 mismatch for ${url}: expected ${expected.hex} (from ${expected.from}), got ${actual}. ` +
    'The downloaded copy was deleted from the cache; the file on the server is not the one expected.');
}

/**
 * Hashes a file's chunks in order as they go by (any source, any order of arrival): a chunk is
 * hashed when it is the next one, others are skipped and read again by `finish`.
 */
export class ChunkHasher {
  private readonly sha = new Sha256();
  private next = 0;
  private readonly n: number;

  constructor(size: number, chunkSize: number) {
    this.n = chunkCount(size, chunkSize);
  }

  offer(index: number, data: Uint8Array): void {
    if (index !== this.next || this.next >= this.n) return;
    this.sha.update(data);
    this.next++;
  }

  /** The digest, reading the chunks not hashed yet with `read`. */
  async finish(read: (index: number) => Promise<Uint8Array>): Promise<string> {
    while (this.next < this.n) this.offer(this.next, await read(this.next));
    return this.sha.hex();
  }
}
