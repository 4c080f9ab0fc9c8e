import type { EngineErrorCode } from './generated/engine-types.js';

/**
 * Why an operation failed: the wasm engine's codes ({@link EngineErrorCode}, generated from the
 * Rust side) plus those of the JavaScript layer.
 */
export type MistralErrorCode =
  | EngineErrorCode
  /** Fetching the model failed (HTTP error, CORS, offline). */
  | 'network'
  /** Not enough browser storage to cache the model. */
  | 'quota'
  /** Loading was aborted through its AbortSignal. */
  | 'aborted'
  /** The worker failed to start or was terminated. */
  | 'worker'
  /** The file changed on the server during the download (its cached chunks were discarded). */
  | 'file-changed'
  /** The file's SHA-256 is not the expected one (its cached copy was deleted). */
  | 'integrity'
  /** The worker stopped answering and was terminated (a chat template or model that never finishes?). */
  | 'unresponsive';

export type { EngineErrorCode };

// Every code once: the compiler rejects a missing or unknown key, so this list follows the type.
const CODE_LIST: Record<MistralErrorCode, true> = {
  'no-webgpu': true, 'no-adapter': true, 'limits': true, 'out-of-memory': true, 'device-lost': true, 'unsupported-file': true,
  'bad-request': true, 'context': true, 'no-model': true, 'network': true, 'quota': true, 'aborted': true, 'worker': true,
  'file-changed': true, 'integrity': true, 'unresponsive': true, 'internal': true,
};
const CODES: ReadonlySet<string> = new Set(Object.keys(CODE_LIST));

/** Every error of mistral-wgpu: switch on `code`. */
export class MistralError extends Error {
  override readonly name = 'MistralError';
  readonly code: MistralErrorCode;

  constructor(code: MistralErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** How an error crosses postMessage. */
export interface SerializedError {
  name: string;
  code: string;
  message: string;
}

function isObject(e: unknown): e is Record<string, unknown> {
  return typeof e === 'object' && e !== null;
}

/** Any thrown value as a MistralError (the wasm's errors keep their code). */
export function toMistralError(e: unknown): MistralError {
  if (e instanceof MistralError) return e;
  if (isObject(e)) {
    const name = typeof e.name === 'string' ? e.name : '';
    const message = typeof e.message === 'string' ? e.message : String(e);
    if (name === 'MistralError' && typeof e.code === 'string') {
      return new MistralError(CODES.has(e.code) ? (e.code as MistralErrorCode) : 'internal', message, { cause: e });
    }
    if (name === 'AbortError') return new MistralError('aborted', message || 'Aborted', { cause: e });
    if (name === 'QuotaExceededError') {
      return new MistralError('quota', `The browser refused to store more data (QuotaExceededError): ${message}. ` +
        'Free some disk space or storage of this site, or load with { cache: false }.', { cause: e });
    }
    return new MistralError('internal', name && name !== 'Error' ? `${name}: ${message}` : message, { cause: e });
  }
  return new MistralError('internal', String(e));
}

export function serializeError(e: unknown): SerializedError {
  const m = toMistralError(e);
  return { name: m.name, code: m.code, message: m.message };
}

export function deserializeError(e: SerializedError): MistralError {
  return new MistralError(CODES.has(e.code) ? (e.code as MistralErrorCode) : 'internal', e.message);
}

export function abortError(reason?: unknown): MistralError {
  const why = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : '';
  return new MistralError('aborted', `Loading was aborted${why}`);
}
