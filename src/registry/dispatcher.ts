/**
 * The one undici stack every registry request goes through:
 *
 *   http.ts send():  redirect policy → auth (challenge, token, 401 refresh)      (per request, ours)
 *   dispatcher:      retry (RetryHandler, our policy) → user agent → Agent       (undici interceptors)
 *
 * Redirects and auth sit above the dispatcher because each hop is checked and authorised on its own
 * (credentials never follow a redirect to another host); retry sits below them so that a 503 is
 * retried on the same URL with the same Authorization.
 *
 * Two Agents share that stack. Bulk requests (a blob's bytes) take HTTP/1.1 connections of their
 * own: a path's per-connection rate (a window over the round trip, a CDN's cap) is what several
 * connections add up. Latency-bound requests (manifests, small blobs) to an origin that chose
 * HTTP/2 at its TLS handshake share one connection, as streams served side by side: a manifest
 * then costs one round trip, not a turn on a connection that a range holds.
 */
import { createSecureContext, rootCertificates } from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { retryInterceptor, type RetryOptions } from './retry.js';
import type { Timeouts } from './options.js';

export interface DispatcherOptions {
  retry: RetryOptions;
  timeouts: Timeouts;
  userAgent: string;
  /** Keep-alive pool size per origin; undefined for no cap. */
  connectionsPerHost?: number | undefined;
  /** PEM certificates trusted besides the system's (a private registry's CA). */
  ca?: readonly string[] | undefined;
  /** False: HTTP/1.1 only, `streams` is `dispatcher`. */
  http2?: boolean | undefined;
  /** Base dispatcher instead of our Agents (a MockAgent in tests): one, and no HTTP/2. */
  dispatcher?: Dispatcher | undefined;
}

/** Sets User-Agent on every request that has none. */
export function userAgentInterceptor(userAgent: string): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const headers = (opts.headers ?? {}) as Record<string, string | string[] | undefined>;
    if (Array.isArray(opts.headers) || Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent')) {
      return dispatch(opts, handler);
    }
    return dispatch({ ...opts, headers: { ...headers, 'user-agent': userAgent } }, handler);
  };
}

/**
 * Requests open at once on an HTTP/2 connection: a run's manifests and small blobs all at once
 * (12 images' are ~70), within what servers grant (Go's default is 250, nginx's 128). An origin
 * that chose HTTP/1.1 gets nothing on it but the one probe (`learn`), so none is pipelined.
 */
const STREAMS_PER_CONNECTION = 100;

export interface RegistryDispatcher {
  /** HTTP/1.1 only: a blob's bytes, and anything for an origin not known to speak HTTP/2. */
  dispatcher: Dispatcher;
  /** One HTTP/2 connection per origin: latency-bound requests to an origin that `multiplexes`. */
  streams: Dispatcher;
  /**
   * Asks `url` (a registry's `/v2/`) once more, on a connection that offers HTTP/2, to learn
   * whether its origin speaks it; nothing is read from the answer. Sent beside the first
   * contact, which keeps its HTTP/1.1 connection warm for the first blob.
   */
  learn(url: URL): void;
  /** Whether `origin` (`https://host:port`) chose HTTP/2 when `learn` asked it. */
  multiplexes(origin: string): boolean;
  /** Closes the Agents we created (not one that was passed in). */
  close(): Promise<void>;
}

export function createDispatcher(opts: DispatcherOptions): RegistryDispatcher {
  const compose = (base: Dispatcher): Dispatcher =>
    // compose() wraps in order, so the last interceptor is the outermost.
    base.compose(userAgentInterceptor(opts.userAgent), retryInterceptor(opts.retry));
  const http1 = (dispatcher: Dispatcher, close: () => Promise<void>): RegistryDispatcher => ({
    dispatcher,
    streams: dispatcher,
    learn: () => {},
    multiplexes: () => false,
    close,
  });
  if (opts.dispatcher) return http1(compose(opts.dispatcher), async () => {});
  // One context for every connection: built per connection, it costs ~8 ms of CPU a handshake
  // (~50 ms with a CA list to parse), as much as the handshake's own crypto many times over.
  const tls = {
    secureContext: createSecureContext(opts.ca?.length ? { ca: [...rootCertificates, ...opts.ca] } : {}),
  };
  const timeouts = {
    headersTimeout: opts.timeouts.headersMs,
    bodyTimeout: opts.timeouts.bodyIdleMs,
  };
  const bulk = new Agent({
    connect: { timeout: opts.timeouts.connectMs, ...tls },
    ...timeouts,
    ...(opts.connectionsPerHost ? { connections: opts.connectionsPerHost } : {}),
  });
  if (opts.http2 === false) return http1(compose(bulk), () => bulk.close());
  const h2 = new Set<string>();
  const asked = new Set<string>();
  const learning = new AbortController();
  const connector = buildConnector({ timeout: opts.timeouts.connectMs, allowH2: true, ...tls });
  const multiplexed = new Agent({
    allowH2: true,
    connections: 1,
    // undici sends an HTTP/2 connection's requests one at a time unless told how many may be open.
    pipelining: STREAMS_PER_CONNECTION,
    ...timeouts,
    connect: (options, callback) =>
      connector(options, (err, socket) => {
        // The handshake's choice is the origin's: every later connection to it makes the same.
        if (socket && (socket as { alpnProtocol?: string | false }).alpnProtocol === 'h2')
          h2.add(`${options.protocol}//${options.host}`);
        callback(err as Error, socket as never);
      }),
  });
  return {
    dispatcher: compose(bulk),
    streams: compose(multiplexed),
    learn(url) {
      if (url.protocol !== 'https:' || asked.has(url.origin)) return;
      asked.add(url.origin);
      multiplexed
        .request({
          origin: url.origin,
          path: url.pathname,
          method: 'GET',
          headers: { 'user-agent': opts.userAgent },
          signal: learning.signal,
        })
        .then(
          (res) => res.body.dump(),
          () => {}, // Unanswered: the origin is used over HTTP/1.1, as before.
        );
    },
    multiplexes: (origin) => h2.has(origin),
    async close() {
      learning.abort(); // An Agent's close waits for its requests: a probe left unanswered would hold it.
      await Promise.all([bulk.close(), multiplexed.close()]);
    },
  };
}
