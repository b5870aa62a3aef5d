/**
 * Requests to a registry: endpoint discovery (ping `/v2/`, HTTPS first), then for each request the
 * redirect policy and auth (see dispatcher.ts for the layers below: retry, user agent, Agent).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { errors as undiciErrors, request } from 'undici';
import { formatDuration } from '../format.js';
import type { Logger } from '../log.js';
import { registryApiHost } from '../oci/reference.js';
import { parseWwwAuthenticate } from './auth/challenge.js';
import { Authenticator, type AuthEndpoint } from './auth/authenticator.js';
import { createCredentialStore } from './auth/credentials.js';
import { createDispatcher, type RegistryDispatcher } from './dispatcher.js';
import {
  codeText,
  discard,
  errorFromResponse,
  MAX_ERROR_BODY_BYTES,
  networkMessage,
  readCapped,
  redactUrl,
  RegistryError,
  TransportPolicyError,
} from './errors.js';
import { registryKey, type RegistryClientOptions } from './options.js';
import { checkRedirect, checkUrl, plainHttpAllowed, sameOrigin, type TransportPolicy } from './policy.js';
import type { RetryOptions } from './retry.js';
import type { RawRequestInit, RawResponse } from './raw.js';
import type { Secrets } from './secrets.js';

export type { RawRequest, RawRequestInit, RawResponse } from './raw.js';

/** Docker Hub's rate-limit headers, as last seen. */
export interface RateLimit {
  /** Host that sent them. */
  host: string;
  limit: number;
  remaining: number;
  /** The `w=` window in seconds, when given. */
  windowSeconds?: number;
  /** `docker-ratelimit-source`: the IP or account counted. */
  source?: string;
  at: Date;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A first contact refused (nothing listens there: a wrong port, a mirror that is down) is tried
 * once more, for a server that is just restarting, not with every retry a busy registry gets.
 */
const FIRST_CONTACT_REFUSED_ATTEMPTS = 2;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `100;w=21600` → { value: 100, window: 21600 }. */
function parseRateLimitHeader(v: string | undefined): { value: number; window?: number } | undefined {
  const m = v ? /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(v) : null;
  if (!m) return undefined;
  return { value: Number(m[1]), ...(m[2] ? { window: Number(m[2]) } : {}) };
}

export function rateLimitFrom(
  headers: IncomingHttpHeaders,
  host: string,
  at = new Date(),
): RateLimit | undefined {
  const limit = parseRateLimitHeader(header(headers, 'ratelimit-limit'));
  const remaining = parseRateLimitHeader(header(headers, 'ratelimit-remaining'));
  if (!limit || !remaining) return undefined;
  const source = header(headers, 'docker-ratelimit-source');
  const windowSeconds = remaining.window ?? limit.window;
  return {
    host,
    limit: limit.value,
    remaining: remaining.value,
    ...(windowSeconds !== undefined ? { windowSeconds } : {}),
    ...(source ? { source } : {}),
    at,
  };
}

/** A response whose body we already read (so that we could decide), handed on with that body. */
function replayed(res: RawResponse, text: string): RawResponse {
  return { ...res, body: Readable.from([Buffer.from(text)]) };
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** True for a failure that is a timeout (a RegistryError wrapping one included). */
function isTimeout(err: unknown): boolean {
  let e = err as (Error & { code?: string }) | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (e.code && TIMEOUT_CODES.has(e.code)) return true;
  }
  return false;
}

export interface SendInit {
  method: 'GET' | 'HEAD';
  /** Path below the endpoint base, starting with `/v2/`. */
  path: string;
  headers?: Record<string, string>;
  /** Auth scope: `repository:library/redis:pull`. */
  scope: string;
  /** What we are fetching, for messages: `127.0.0.1:5000/test/img:nope`. */
  subject: string;
  signal?: AbortSignal | undefined;
  /** See RawRequestInit.bulk. */
  bulk?: boolean;
}

/** Endpoint of a registry or mirror: where its API lives and how it wants us to authenticate. */
export type Endpoint = AuthEndpoint & { label: string };

export class Transport {
  readonly #opts: RegistryClientOptions;
  readonly #secrets: Secrets;
  readonly #log: Logger;
  readonly #http: RegistryDispatcher;
  readonly #policy: TransportPolicy;
  readonly #auth: Authenticator;
  readonly #endpoints = new Map<string, Promise<Endpoint>>();
  /** Per credential key (`docker.io`), the scopes the run announced: one token may serve them all. */
  readonly #expected = new Map<string, Set<string>>();
  #rateLimit: RateLimit | undefined;

  constructor(opts: RegistryClientOptions, secrets: Secrets) {
    this.#opts = opts;
    this.#secrets = secrets;
    this.#log = opts.logger;
    this.#policy = { insecureRegistries: opts.insecureRegistries };
    this.#http = createDispatcher({
      retry: {
        ...opts.retry,
        silence: {
          budgetMs: opts.timeouts.unansweredMs,
          timeoutMs: {
            UND_ERR_CONNECT_TIMEOUT: opts.timeouts.connectMs,
            UND_ERR_HEADERS_TIMEOUT: opts.timeouts.headersMs,
            UND_ERR_BODY_TIMEOUT: opts.timeouts.bodyIdleMs,
          },
        },
        onRetry: (e) => {
          opts.retry.onRetry?.(e);
          this.#log.info(
            `retrying ${e.method} ${redactUrl(e.url)} in ${(e.delayMs / 1000).toFixed(1)}s (${e.reason}, attempt ${e.attempt} of ${e.attempts})`,
          );
        },
      },
      timeouts: opts.timeouts,
      userAgent: opts.userAgent,
      dispatcher: opts.dispatcher,
      ca: opts.ca,
      http2: opts.http2,
      connectionsPerHost: opts.connectionsPerHost,
    });
    this.#auth = new Authenticator({
      request: (init) => this.raw(init),
      credentials: createCredentialStore({
        explicit: opts.credentials,
        dockerConfigDir: opts.dockerConfigDir,
        env: opts.env,
        helperTimeoutMs: opts.credentialHelperTimeoutMs,
        secrets,
        logger: opts.logger,
      }),
      secrets,
      logger: opts.logger,
      policy: this.#policy,
      now: opts.retry.now,
      rateFloor: opts.rateFloor,
    });
  }

  get rateLimit(): RateLimit | undefined {
    return this.#rateLimit;
  }

  get policy(): TransportPolicy {
    return this.#policy;
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  /** Whether `origin` (`https://host:port`) chose HTTP/2 at first contact. */
  multiplexes(origin: string): boolean {
    return this.#http.multiplexes(origin);
  }

  /** One request; network failures and exhausted retries become RegistryError. */
  async raw(init: RawRequestInit): Promise<RawResponse> {
    checkUrl(init.url, this.#policy);
    const subject = init.subject ?? init.url.host;
    this.#log.debug(`${init.method} ${redactUrl(init.url)}`);
    const shared = init.url.protocol === 'https:' && !init.bulk && this.#http.multiplexes(init.url.origin);
    let res;
    try {
      res = await request(init.url, {
        dispatcher: shared ? this.#http.streams : this.#http.dispatcher,
        method: init.method,
        headers: init.headers ?? {},
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
        headersTimeout: this.#opts.timeouts.headersMs,
        bodyTimeout: this.#opts.timeouts.bodyIdleMs,
        ...(init.retry ? { retry: init.retry } : {}),
      } as Parameters<typeof request>[1]);
    } catch (err) {
      if (init.signal?.aborted) throw err;
      if (err instanceof undiciErrors.RequestRetryError) {
        const status = err.statusCode;
        const code =
          status === 429 ? 'TOOMANYREQUESTS' : status >= 500 && status !== 501 ? 'UNAVAILABLE' : undefined;
        const headers = (err.headers ?? {}) as IncomingHttpHeaders;
        const limit = rateLimitFrom(headers, init.url.host);
        if (limit) this.#rateLimit = limit;
        throw new RegistryError(
          `${code ? codeText(code) : `HTTP ${status}`}: ${subject} (HTTP ${status} from ${init.url.host}, gave up after ${(err.data as { count?: number } | undefined)?.count ?? 1} attempts)`,
          { status, ...(code ? { code } : {}), temporary: true, url: redactUrl(init.url), cause: err },
        );
      }
      if (err instanceof TransportPolicyError) throw err;
      if ((err as { code?: string }).code === 'UND_ERR_HEADERS_OVERFLOW')
        throw new RegistryError(`${init.url.host} answered ${subject} badly: ${networkMessage(err)}`, {
          temporary: false,
          url: redactUrl(init.url),
          cause: err,
        });
      throw new RegistryError(
        `cannot reach ${init.url.host}${subject === init.url.host ? '' : ` for ${subject}`}: ${this.#secrets.redact(networkMessage(err, this.#opts.timeouts))}`,
        { temporary: true, url: redactUrl(init.url), cause: err },
      );
    }
    const limit = rateLimitFrom(res.headers, init.url.host);
    if (limit) this.#rateLimit = limit;
    this.#log.debug(`${init.method} ${redactUrl(init.url)} → ${res.statusCode}`);
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, url: init.url };
  }

  /** Announces auth scopes a run will need from a registry, so its first token can cover them all. */
  expectScopes(registry: string, scopes: readonly string[]): void {
    const key = registryKey(registry);
    const set = this.#expected.get(key) ?? new Set<string>();
    for (const s of scopes) set.add(s);
    this.#expected.set(key, set);
  }

  /**
   * The endpoint of a registry (`docker.io` → https://registry-1.docker.io), pinged once. The
   * verdict is kept, a failure too: every image of a registry that does not answer shares one
   * wait instead of each paying its own.
   */
  registryEndpoint(registry: string): Promise<Endpoint> {
    const host = registryApiHost(registry);
    const key = `registry ${host}`;
    let p = this.#endpoints.get(key);
    if (!p) {
      p = this.#firstContact(host, (signal) => this.#discover(host, registryKey(registry), signal));
      this.#endpoints.set(key, p);
    }
    return p;
  }

  /** The endpoint of a mirror base URL, pinged once; a mirror that failed stays failed for this client. */
  mirrorEndpoint(mirror: string): Promise<Endpoint> {
    const key = `mirror ${mirror}`;
    let p = this.#endpoints.get(key);
    if (!p) {
      const base = new URL(mirror.endsWith('/') ? mirror : `${mirror}/`);
      p = this.#firstContact(base.host, async (signal) => {
        checkUrl(base, this.#policy);
        return this.#ping(base, registryKey(base.host), `mirror ${base.host}`, {}, signal);
      });
      this.#endpoints.set(key, p);
    }
    return p;
  }

  /**
   * A first contact with `host`, bounded by timeouts.unansweredMs whatever the schemes and retries
   * it takes; after timeouts.noticeMs without an answer, says what it is waiting for.
   */
  async #firstContact(host: string, ping: (signal: AbortSignal) => Promise<Endpoint>): Promise<Endpoint> {
    const { unansweredMs, noticeMs } = this.#opts.timeouts;
    const started = Date.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), unansweredMs);
    const notice = setTimeout(
      () => this.#log.info(`waiting for ${host} to answer (up to ${formatDuration(unansweredMs)})…`),
      noticeMs,
    );
    try {
      return await ping(deadline.signal);
    } catch (err) {
      if (!deadline.signal.aborted && !isTimeout(err)) throw err;
      throw new RegistryError(
        `${host} did not answer within ${formatDuration(Date.now() - started)}: check that a registry is serving at ${host} and that nothing in between holds the connection`,
        { temporary: true, cause: err },
      );
    } finally {
      clearTimeout(timer);
      clearTimeout(notice);
    }
  }

  /**
   * HTTPS, and for loopback or a registry named insecure, plain HTTP asked at the same time and
   * used when HTTPS gets no answer. A plain HTTP server answers a TLS handshake at once (with an
   * error); both share one deadline.
   */
  async #discover(host: string, credentialKey: string, signal: AbortSignal): Promise<Endpoint> {
    const https = new URL(`https://${host}/`);
    if (!plainHttpAllowed(host, this.#policy)) return this.#ping(https, credentialKey, host, {}, signal);
    // Both at once: one after the other, a plain HTTP registry cost two round trips more.
    const unneeded = new AbortController();
    const plain = this.#ping(
      new URL(`http://${host}/`),
      credentialKey,
      host,
      {},
      AbortSignal.any([signal, unneeded.signal]),
    );
    plain.catch(() => {}); // Read below when HTTPS fails; dropped when it answers.
    try {
      const ep = await this.#ping(https, credentialKey, host, { maxAttempts: 1 }, signal);
      unneeded.abort();
      return ep;
    } catch (err) {
      if (!(err instanceof RegistryError) || err.status !== undefined) {
        unneeded.abort();
        throw err;
      }
      this.#log.debug(`${host}: no HTTPS (${err.message}); using plain HTTP`);
      return plain;
    }
  }

  async #ping(
    base: URL,
    credentialKey: string,
    label: string,
    retry: Partial<RetryOptions>,
    signal: AbortSignal,
  ): Promise<Endpoint> {
    const url = new URL('v2/', base);
    this.#http.learn(url);
    const res = await this.raw({
      method: 'GET',
      url,
      retry: { maxRefusedAttempts: FIRST_CONTACT_REFUSED_ATTEMPTS, ...retry },
      subject: base.host,
      signal,
    });
    const text = await readCapped(res.body, MAX_ERROR_BODY_BYTES, this.#opts.rateFloor);
    const challenges = res.statusCode === 401 ? parseWwwAuthenticate(res.headers['www-authenticate']) : [];
    if (res.statusCode !== 200 && res.statusCode !== 401) {
      if (res.statusCode >= 500)
        throw errorFromResponse({ status: res.statusCode, body: text, url, subject: label });
      this.#log.debug(`${label}: /v2/ answered ${res.statusCode}; continuing without a challenge`);
    }
    this.#log.debug(
      `${label}: API at ${base.origin}${challenges.length ? `, auth ${challenges.map((c) => c.scheme).join(', ')}` : ', anonymous'}`,
    );
    return { base, credentialKey, challenges, label };
  }

  /**
   * A request to an endpoint: Authorization for the endpoint's origin only, one refresh after a 401,
   * redirects followed under the policy. Returns the final response, whatever its status.
   */
  async send(ep: Endpoint, init: SendInit): Promise<RawResponse> {
    let url = new URL(init.path.replace(/^\//, ''), ep.base);
    let auth = await this.#auth.authorization(ep, init.scope, [
      ...(this.#expected.get(ep.credentialKey) ?? []),
    ]);
    let refreshed = false;
    let hops = 0;
    for (;;) {
      const onOrigin = sameOrigin(url, ep.base);
      const headers = { ...init.headers, ...(onOrigin && auth ? { authorization: auth } : {}) };
      const res = await this.raw({
        method: init.method,
        url,
        headers,
        signal: init.signal,
        subject: init.subject,
        ...(init.bulk ? { bulk: true } : {}),
      });
      if (res.statusCode === 401 && onOrigin && !refreshed) {
        refreshed = true;
        const text = await readCapped(res.body, MAX_ERROR_BODY_BYTES, this.#opts.rateFloor);
        const next = await this.#auth.refresh(
          ep,
          init.scope,
          parseWwwAuthenticate(res.headers['www-authenticate']),
          auth,
        );
        if (next !== undefined) {
          auth = next;
          continue;
        }
        return replayed(res, text);
      }
      if (REDIRECTS.has(res.statusCode) && header(res.headers, 'location')) {
        discard(res.body);
        hops += 1;
        if (hops > this.#opts.maxRedirects) {
          throw new TransportPolicyError(
            `too many redirects for ${init.subject} (more than ${this.#opts.maxRedirects}, last at ${url.host})`,
          );
        }
        let next: URL;
        try {
          next = new URL(header(res.headers, 'location') as string, url);
        } catch {
          throw new TransportPolicyError(`${url.host} redirected ${init.subject} to an invalid location`);
        }
        checkRedirect(url, next, this.#policy);
        this.#log.debug(`${init.subject}: redirected to ${redactUrl(next)}`);
        url = next;
        continue;
      }
      return res;
    }
  }

  /** The RegistryError for an unsuccessful response, naming `subject` (reads and closes the body). */
  async errorFor(ep: Endpoint, res: RawResponse, subject: string): Promise<RegistryError> {
    const body = this.#secrets.redact(await readCapped(res.body, MAX_ERROR_BODY_BYTES, this.#opts.rateFloor));
    let hint: string | undefined;
    if (res.statusCode === 401 || res.statusCode === 403) hint = await this.#auth.describeCredentials(ep);
    return errorFromResponse({
      status: res.statusCode,
      body,
      url: res.url,
      subject,
      ...(hint ? { hint } : {}),
    });
  }
}
