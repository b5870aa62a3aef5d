/**
 * The contract between the transport and what sits above it (auth): one request through the
 * dispatcher, checked against the transport policy; no redirects, no auth. http.ts implements
 * it, auth/authenticator.ts uses it, so neither imports the other both ways.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { RetryOptions } from './retry.js';

export interface RawRequestInit {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
  retry?: Partial<RetryOptions>;
  /** Names what we were fetching, for messages (default: the host). */
  subject?: string;
  /** Bandwidth-bound (a blob's bytes): an HTTP/1.1 connection of its own, never a shared stream. */
  bulk?: boolean;
}

export interface RawResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** The URL that answered (after redirects). */
  url: URL;
}

/** One request, through the dispatcher, checked against the transport policy; no redirects, no auth. */
export type RawRequest = (init: RawRequestInit) => Promise<RawResponse>;
