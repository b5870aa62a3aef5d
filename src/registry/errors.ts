import { maxHeaderSize } from 'node:http';
import type { Readable } from 'node:stream';
import { GuardError } from '../errors.js';
import type { Timeouts } from './options.js';
import { floored, RATE_FLOOR_DEFAULTS, type RateFloor } from './rate-floor.js';

/** Error codes of the OCI distribution spec, plus the ones distribution and Docker Hub add. */
export const OCI_ERROR_CODES = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_UNVERIFIED',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'TAG_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
  'RANGE_INVALID',
  'PAGINATION_NUMBER_INVALID',
  'UNAVAILABLE',
  'UNKNOWN',
] as const;
export type OciErrorCode = (typeof OCI_ERROR_CODES)[number];

const CODE_TEXT: Partial<Record<OciErrorCode, string>> = {
  NAME_UNKNOWN: 'repository unknown',
  TOOMANYREQUESTS: 'too many requests',
  UNAVAILABLE: 'registry unavailable',
};

/** `manifest unknown` for MANIFEST_UNKNOWN. */
export function codeText(code: OciErrorCode): string {
  return CODE_TEXT[code] ?? code.toLowerCase().replaceAll('_', ' ');
}

/** Error bodies are read up to this many bytes, then cut. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The status codes a retry may cure. */
export function isTemporaryStatus(status: number): boolean {
  return (
    status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504
  );
}

export interface RegistryErrorDetails {
  status?: number;
  code?: OciErrorCode;
  temporary?: boolean;
  /** The URL, already redacted. */
  url?: string;
  /** The error body, at most MAX_ERROR_BODY_BYTES. */
  body?: string;
  cause?: unknown;
}

/** A registry answered with an error (or could not be reached). One-line message naming the image. */
export class RegistryError extends GuardError {
  override name = 'RegistryError';
  readonly status: number | undefined;
  readonly code: OciErrorCode | undefined;
  /** True when trying again later may succeed (429, 5xx, network). */
  readonly temporary: boolean;
  readonly url: string | undefined;
  readonly body: string | undefined;

  constructor(message: string, details: RegistryErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.status = details.status;
    this.code = details.code;
    this.temporary = details.temporary ?? (details.status !== undefined && isTemporaryStatus(details.status));
    this.url = details.url;
    this.body = details.body;
  }
}

/**
 * A network failure in a few words: what timed out (and after how long, when `timeouts` are
 * given), a lost connection, else the error's first line with its code.
 */
export function networkMessage(err: unknown, timeouts?: Timeouts): string {
  const e = err as Error & { code?: string };
  switch (e.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connect timeout${timeouts ? ` after ${timeouts.connectMs / 1000}s` : ''}`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `no response${timeouts ? ` within ${timeouts.headersMs / 1000}s` : ''}`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `the registry stopped sending${timeouts ? ` for ${timeouts.bodyIdleMs / 1000}s` : ''} (body timeout)`;
    case 'TOO_SLOW':
      return e.message;
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
      return `connection lost (${e.message})`;
    case 'UND_ERR_HEADERS_OVERFLOW':
      return `the response headers are larger than the ${maxHeaderSize / 1024} KiB we accept`;
    case 'UND_ERR_REQ_RETRY':
      // Raised by the retry layer while resuming a body cut midway: say that it was cut.
      return `the connection was cut, and ${resumeFailure(e as Error & { statusCode?: number })}`;
    default: {
      const cause = e.cause as (Error & { code?: string }) | undefined;
      const code = e.code ?? cause?.code;
      const msg = (cause?.message ?? e.message ?? String(err)).split('\n')[0];
      return code && !msg?.includes(code) ? `${code} ${msg}` : msg || 'network error';
    }
  }
}

/** Why a transfer cut midway could not be resumed, from undici's RetryHandler. */
function resumeFailure(e: Error & { statusCode?: number }): string {
  if (/does not support the range header/.test(e.message))
    return `the server would not resume it (it answered the Range request with HTTP ${e.statusCode ?? '200'}, the whole body)`;
  if (/Content-Range mismatch/.test(e.message))
    return 'the server resumed it at other bytes than asked for (Content-Range mismatch)';
  if (/ETag mismatch/.test(e.message))
    return 'the blob changed on the server before it could resume (ETag mismatch)';
  return `resuming it failed${e.statusCode ? ` with HTTP ${e.statusCode}` : ''}`;
}

/** A manifest bigger than we are willing to read. */
export class ManifestTooLargeError extends GuardError {
  override name = 'ManifestTooLargeError';
}

/** A manifest we will not handle: Docker schema 1, or a media type that is not an image. */
export class UnsupportedManifestError extends GuardError {
  override name = 'UnsupportedManifestError';
}

/** A request our transport policy refuses: plain HTTP, a redirect downgrade, too many hops. */
export class TransportPolicyError extends GuardError {
  override name = 'TransportPolicyError';
}

/** Credentials, helpers and token servers. */
export class AuthError extends GuardError {
  override name = 'AuthError';
}

export interface OciErrorEntry {
  code: string;
  message?: string;
}

/** The `errors` array of an OCI error body; empty when the body is something else. */
export function parseOciErrors(body: string): OciErrorEntry[] {
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v !== 'object' || v === null || !Array.isArray((v as { errors?: unknown }).errors)) return [];
    return ((v as { errors: unknown[] }).errors ?? []).flatMap((e) => {
      if (typeof e !== 'object' || e === null) return [];
      const { code, message } = e as { code?: unknown; message?: unknown };
      if (typeof code !== 'string') return [];
      return [{ code, ...(typeof message === 'string' ? { message } : {}) }];
    });
  } catch {
    return [];
  }
}

function asCode(code: string | undefined): OciErrorCode | undefined {
  const upper = code?.toUpperCase();
  return (OCI_ERROR_CODES as readonly string[]).includes(upper ?? '') ? (upper as OciErrorCode) : undefined;
}

function codeForStatus(status: number): OciErrorCode | undefined {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOOMANYREQUESTS';
  if (status === 502 || status === 503 || status === 504) return 'UNAVAILABLE';
  return undefined;
}

/**
 * Closes a response body we will not read (further). An undici body destroyed before its end
 * emits an 'error' (aborted); nobody is listening for it, so it is swallowed here.
 */
export function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

/** Reads at most `cap` bytes of a body as text (what came before a stall, if it stalls), then discards the rest. */
export async function readCapped(
  body: Readable,
  cap = MAX_ERROR_BODY_BYTES,
  floor: RateFloor = RATE_FLOOR_DEFAULTS,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of floored(body as AsyncIterable<Buffer>, floor)) {
      if (size < cap) chunks.push(chunk.subarray(0, cap - size));
      size += chunk.length;
      if (size >= cap) break;
    }
  } catch {
    // an error body that fails halfway still tells us the status
  } finally {
    discard(body);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Drops user info and the values of query parameters (signed object-storage URLs carry secrets there). */
export function redactUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return '<invalid URL>';
  }
  u.username = '';
  u.password = '';
  for (const key of [...new Set(u.searchParams.keys())]) {
    if (key !== 'scope' && key !== 'service') u.searchParams.set(key, 'REDACTED');
  }
  return u.toString().replaceAll('REDACTED', '…');
}

/**
 * The error for an unsuccessful response: `manifest unknown: 127.0.0.1:5000/test/img:nope`.
 * `subject` names what was asked for; `hint` adds what we know (e.g. which credentials were used).
 */
export function errorFromResponse(args: {
  status: number;
  body: string;
  url: URL | string;
  subject: string;
  hint?: string;
}): RegistryError {
  const entries = parseOciErrors(args.body);
  const first = entries[0];
  const code = asCode(first?.code) ?? codeForStatus(args.status);
  const text = code && code !== 'UNKNOWN' ? codeText(code) : `HTTP ${args.status}`;
  const extras: string[] = [];
  const serverMessage = first?.message?.replace(/\s+/g, ' ').trim().slice(0, 200);
  if (serverMessage && serverMessage.toLowerCase() !== text) extras.push(serverMessage);
  if (args.hint) extras.push(args.hint);
  return new RegistryError(`${text}: ${args.subject}${extras.length ? ` (${extras.join('; ')})` : ''}`, {
    status: args.status,
    ...(code ? { code } : {}),
    url: redactUrl(args.url),
    body: args.body,
  });
}
