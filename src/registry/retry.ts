/**
 * Retry policy, applied once, as an undici interceptor around undici's own RetryHandler (which also
 * resumes a body cut mid-way with a Range request when the server allows it). We decide whether and
 * when to retry: network errors, 408/429/5xx; exponential backoff with full jitter; Retry-After
 * honoured; bounded in attempts, in total time, and for timeouts in the silence sat through
 * (SilenceBudget). Only GET and HEAD are retried.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { RetryHandler, type Dispatcher } from 'undici';
import { isTemporaryStatus } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first included. 1 disables retries. */
  maxAttempts: number;
  /**
   * Attempts in all when the connection is refused (nobody listens on that port): fewer than
   * maxAttempts where a refusal most likely means a wrong address, as on first contact.
   */
  maxRefusedAttempts?: number;
  /** First backoff ceiling; doubles each attempt up to maxDelayMs. The wait is uniform in [0, ceiling]. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts after this long since the request's first failure (waits included). */
  maxElapsedMs: number;
  /** The longest Retry-After we honour; a server asking for more gets no retry. */
  maxRetryAfterMs: number;
  /** Injectable for tests: waits `ms`. */
  sleep: (ms: number) => Promise<void>;
  /** Injectable for tests: uniform in [0, 1). */
  random: () => number;
  now: () => number;
  /** Told before each wait. */
  onRetry?: (event: RetryEvent) => void;
  /** Bounds the retries of timeouts; without it a timeout is retried like any network error. */
  silence?: SilenceBudget;
}

/** How much silence one request may sit through before a timeout is no longer retried. */
export interface SilenceBudget {
  /** A timeout is retried only while the timeouts so far plus the next wait stay under this. */
  budgetMs: number;
  /** The length of each timeout, by undici error code (`UND_ERR_HEADERS_TIMEOUT`…). */
  timeoutMs: Readonly<Partial<Record<string, number>>>;
}

export interface RetryEvent {
  method: string;
  url: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  /** Attempts in all for this reason (a refused connection gets fewer). */
  attempts: number;
  delayMs: number;
  /** `HTTP 503`, `ECONNRESET`… */
  reason: string;
  retryAfterMs?: number;
}

export const RETRY_DEFAULTS: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  maxElapsedMs: 120_000,
  maxRetryAfterMs: 60_000,
  sleep: (ms: number) => delay(ms).then(() => undefined),
  random: Math.random,
  now: Date.now,
});

/** Error codes of a connection that failed or stalled; worth another try. */
export const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (relative to `now`).
 * Undefined when absent or unparseable; never negative.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Full-jitter exponential backoff for the retry after failed attempt `attempt` (1-based). */
export function backoffDelay(
  attempt: number,
  opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(opts.random() * ceiling);
}

type ErrorLike = Error & { code?: string; statusCode?: number; headers?: Record<string, string | string[]> };

/** Why `err` is worth a retry (`HTTP 503`, `ECONNRESET`), or undefined when it is not. */
export function retryReason(err: ErrorLike): string | undefined {
  if (typeof err.statusCode === 'number' && err.code === 'UND_ERR_REQ_RETRY') {
    return isTemporaryStatus(err.statusCode) ? `HTTP ${err.statusCode}` : undefined;
  }
  const code = err.code ?? (err.cause as { code?: string } | undefined)?.code;
  if (code && RETRYABLE_ERROR_CODES.has(code)) return code;
  return undefined;
}

/**
 * The decision after failed attempt `attempt`, failures having begun at `startedAt`: how long to wait, or
 * undefined for "give up". `silentMs` is the length of the timeouts this request has hit, this
 * failure's included. Exported so tests can check the arithmetic without waiting.
 */
export function retryDelay(
  err: ErrorLike,
  attempt: number,
  startedAt: number,
  opts: RetryOptions,
  silentMs = 0,
): { delayMs: number; reason: string; attempts: number; retryAfterMs?: number } | undefined {
  const reason = retryReason(err);
  const attempts =
    reason === 'ECONNREFUSED' && opts.maxRefusedAttempts !== undefined
      ? Math.min(opts.maxAttempts, opts.maxRefusedAttempts)
      : opts.maxAttempts;
  if (!reason || attempt >= attempts) return undefined;
  const now = opts.now();
  const retryAfterMs =
    err.statusCode !== undefined ? parseRetryAfter(err.headers?.['retry-after'], now) : undefined;
  let delayMs: number;
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > opts.maxRetryAfterMs) return undefined;
    delayMs = retryAfterMs;
  } else {
    delayMs = backoffDelay(attempt, opts);
  }
  if (now + delayMs - startedAt > opts.maxElapsedMs) return undefined;
  if (opts.silence?.timeoutMs[reason] !== undefined && silentMs + delayMs >= opts.silence.budgetMs)
    return undefined;
  return { delayMs, reason, attempts, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** Per-request override, passed as the `retry` dispatch option: `request(url, { retry: { maxAttempts: 1 } })`. */
export interface RetryDispatchOptions {
  retry?: Partial<RetryOptions>;
}

const RETRIED_METHODS = new Set(['GET', 'HEAD']);

/** The interceptor: one RetryHandler per request, with our decision function and our clock. */
export function retryInterceptor(base: RetryOptions): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const own = (opts as Dispatcher.DispatchOptions & RetryDispatchOptions).retry;
    const policy: RetryOptions = own ? { ...base, ...own } : base;
    if (!RETRIED_METHODS.has(opts.method) || policy.maxAttempts <= 1) return dispatch(opts, handler);
    // The time budget runs from the first failure: a long download that breaks late still gets its retries.
    let firstFailureAt: number | undefined;
    let attempt = 0;
    let silentMs = 0;
    const url = `${String(opts.origin ?? '')}${opts.path}`;
    return dispatch(
      opts,
      new RetryHandler(
        {
          ...opts,
          retryOptions: {
            throwOnError: true,
            statusCodes: [408, 429, 500, 502, 503, 504],
            retry(err, _context, callback) {
              attempt += 1;
              firstFailureAt ??= policy.now();
              silentMs += policy.silence?.timeoutMs[retryReason(err as ErrorLike) ?? ''] ?? 0;
              const decision = retryDelay(err as ErrorLike, attempt, firstFailureAt, policy, silentMs);
              if (!decision) {
                callback(err);
                return;
              }
              policy.onRetry?.({ method: opts.method, url, attempt, ...decision });
              policy.sleep(decision.delayMs).then(
                () => callback(null),
                (e: unknown) => callback(e instanceof Error ? e : err),
              );
            },
          },
        },
        { dispatch, handler },
      ),
    );
  };
}
