/**
 * The one undici stack every registry request goes through:
 *
 *   http.ts send():  redirect policy → auth (challenge, token, 401 refresh)      (per request, ours)
 *   dispatcher:      retry (RetryHandler, our policy) → user agent → Agent       (undici interceptors)
 *
 * Redirects and auth sit above the dispatcher because each hop is checked and authorised on its own
 * (credentials never follow a redirect to another host); retry sits below them so that a 503 is
 * retried on the same URL with the same Authorization.
 */
import { Agent, type Dispatcher } from 'undici';
import { retryInterceptor, type RetryOptions } from './retry.js';
import type { Timeouts } from './options.js';

export interface DispatcherOptions {
  retry: RetryOptions;
  timeouts: Timeouts;
  userAgent: string;
  /** Keep-alive pool size per origin; undefined for no cap. */
  connectionsPerHost?: number | undefined;
  /** Base dispatcher instead of a new Agent (a MockAgent in tests). */
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

export interface RegistryDispatcher {
  dispatcher: Dispatcher;
  /** Closes the Agent we created (not one that was passed in). */
  close(): Promise<void>;
}

export function createDispatcher(opts: DispatcherOptions): RegistryDispatcher {
  const base =
    opts.dispatcher ??
    new Agent({
      connect: { timeout: opts.timeouts.connectMs },
      headersTimeout: opts.timeouts.headersMs,
      bodyTimeout: opts.timeouts.bodyIdleMs,
      ...(opts.connectionsPerHost ? { connections: opts.connectionsPerHost } : {}),
    });
  const owned = opts.dispatcher === undefined;
  return {
    // compose() wraps in order, so the last interceptor is the outermost.
    dispatcher: base.compose(userAgentInterceptor(opts.userAgent), retryInterceptor(opts.retry)),
    async close() {
      if (owned) await base.close();
    },
  };
}
