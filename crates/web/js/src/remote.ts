// HTTP range requests for model files: the probe that learns a file's size and validators, and
// chunk requests that are checked against them, so that a file replaced on the server while it
// downloads is noticed (never assembled from two versions) and a short answer is refused.
import { abortError, MistralError } from './errors.js';
import { type ExpectedDigest, serverDigest } from './integrity.js';

/** Size and validators of a remote file, learned with a one-byte range request. */
export interface RemoteFile {
  size: number;
  etag: string | null;
  lastModified: string | null;
  /** A SHA-256 of the whole file stated by the server's headers, if any. */
  digest?: ExpectedDigest | null;
}

function networkError(url: string, e: unknown, signal?: AbortSignal): MistralError {
  if (signal?.aborted) return abortError(signal.reason);
  if (e instanceof MistralError) return e;
  const why = e instanceof Error ? e.message : String(e);
  return new MistralError('network',
    `Could not fetch ${url} (${why}). Either the network is down, or the server does not allow ` +
    'cross-origin requests from this page (CORS: it must send Access-Control-Allow-Origin and allow the Range and If-Range headers).',
    { cause: e });
}

function httpError(url: string, res: Response): MistralError {
  return new MistralError('network', `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} fetching ${url}`);
}

const NO_RANGES =
  'The server ignores HTTP range requests (it answered a range request with the whole file, ' +
  'status 200). mistral-wgpu streams models in chunks and never loads one whole: serve the file from a ' +
  'server with range support (Hugging Face, S3, nginx, Caddy...), or pass it as a File/Blob.';

/** A file that changed on the server since `remote` was learned: code `file-changed`. */
export function fileChangedError(url: string, why: string): MistralError {
  return new MistralError('file-changed',
    `${url} changed on the server during the download (${why}). The chunks cached from the old version were ` +
    'deleted so that the two versions are never mixed; the download restarts.');
}

/**
 * The validator `If-Range` carries: a strong ETag, else Last-Modified (a weak ETag never matches
 * in If-Range, which would turn every chunk into a whole-file answer).
 */
export function ifRangeValidator(remote: RemoteFile): string | null {
  if (remote.etag !== null && !remote.etag.startsWith('W/')) return remote.etag;
  return remote.lastModified;
}

/** One request for bytes [start, end); `validator` goes in If-Range. */
async function rangeRequest(url: string, start: number, end: number, validator: string | null, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { Range: `bytes=${start}-${end - 1}` };
  if (validator !== null) headers['If-Range'] = validator;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal, cache: 'no-store' });
  } catch (e) {
    throw networkError(url, e, signal);
  }
  if (!res.ok) throw httpError(url, res);
  return res;
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

/** `bytes a-b/total` (total may be `*`), or null when absent or unreadable. */
function parseContentRange(value: string | null): { start: number; end: number; total: number | null } | null {
  const m = value === null ? null : /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

/** Learns the size of `url` and checks that the server honours range requests. */
export async function probeRemote(url: string, signal?: AbortSignal): Promise<RemoteFile> {
  const res = await rangeRequest(url, 0, 1, null, signal);
  if (res.status !== 206) {
    await discard(res);
    throw new MistralError('network', `${NO_RANGES} (URL: ${url})`);
  }
  await res.arrayBuffer().catch(() => undefined);
  const etag = res.headers.get('etag');
  const lastModified = res.headers.get('last-modified');
  const range = parseContentRange(res.headers.get('content-range'));
  // The final URL after redirects: Hugging Face's CDN says what the file is.
  const digest = serverDigest(res.headers, res.url || url);
  if (range !== null && range.total !== null) return { size: range.total, etag, lastModified, digest };
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
    return {
      size: Number(len),
      etag: etag ?? head.headers.get('etag'),
      lastModified: lastModified ?? head.headers.get('last-modified'),
      digest: digest ?? serverDigest(head.headers, head.url || url),
    };
  }
  throw new MistralError('network',
    `Could not learn the size of ${url}: the server answers range requests but its Content-Range header is not ` +
    'readable from this page (add "Access-Control-Expose-Headers: Content-Range, Content-Length, ETag") and a HEAD request gave no Content-Length.');
}

/**
 * Checks a chunk's response against the file learned at the probe: a 206 for exactly the bytes
 * asked, of a file of the same size and validators. A 200 to a request that carried If-Range
 * means the validator no longer matches: the file changed.
 */
function checkResponse(url: string, res: Response, start: number, end: number, remote: RemoteFile, validator: string | null): void {
  if (res.status === 200) {
    if (validator !== null) throw fileChangedError(url, `the server no longer matches If-Range: ${validator}`);
    throw new MistralError('network', `${NO_RANGES} (URL: ${url})`);
  }
  if (res.status !== 206) throw new MistralError('network', `HTTP ${res.status} answering a range request for ${url}`);
  const range = parseContentRange(res.headers.get('content-range'));
  if (range !== null) {
    if (range.total !== null && range.total !== remote.size) {
      throw fileChangedError(url, `its size went from ${remote.size} to ${range.total} bytes`);
    }
    if (range.start !== start || range.end !== end - 1) {
      throw new MistralError('network', `Asked ${url} for bytes ${start}-${end - 1}, the server answered bytes ${range.start}-${range.end}`);
    }
  }
  const etag = res.headers.get('etag');
  if (etag !== null && remote.etag !== null && etag !== remote.etag) {
    throw fileChangedError(url, `its ETag went from ${remote.etag} to ${etag}`);
  }
  const lastModified = res.headers.get('last-modified');
  if (lastModified !== null && remote.lastModified !== null && lastModified !== remote.lastModified) {
    throw fileChangedError(url, `its Last-Modified went from ${remote.lastModified} to ${lastModified}`);
  }
}

/**
 * Fetches bytes [start, end) of the file `remote` describes with one range request (If-Range:
 * its validator), reporting bytes as they arrive. Exactly `end - start` bytes, or an error.
 */
export async function fetchRange(
  url: string, start: number, end: number, remote: RemoteFile, signal: AbortSignal | undefined,
  onProgress?: (received: number) => void,
): Promise<Uint8Array> {
  const expected = end - start;
  const validator = ifRangeValidator(remote);
  const res = await rangeRequest(url, start, end, validator, signal);
  try {
    checkResponse(url, res, start, end, remote, validator);
  } catch (e) {
    await discard(res);
    throw e;
  }
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
  return new MistralError('network', `Range request at byte ${start} of ${url} returned ${got} bytes, expected ${expected} (the connection broke, or the server cut the answer short); the chunk was refused`);
}
