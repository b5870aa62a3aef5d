import type { Dispatcher } from 'undici';
import { UsageError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { MAX_MANIFEST_BYTES } from '../oci/mediatypes.js';
import { DOCKER_HUB } from '../oci/reference.js';
import { RATE_FLOOR_DEFAULTS, type RateFloor } from './rate-floor.js';
import { RETRY_DEFAULTS, type RetryOptions } from './retry.js';

/** Credentials given explicitly (flags, Action inputs) for one registry. */
export type StaticCredential =
  | { username: string; password: string }
  /** An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token realm. */
  | { identityToken: string }
  /** A bearer token sent as is (docker's `registrytoken`). */
  | { registryToken: string };

export interface Timeouts {
  /** TCP connect plus the TLS handshake. */
  connectMs: number;
  /** From the request to the end of the response headers. */
  headersMs: number;
  /** Longest silence between two chunks of a body. */
  bodyIdleMs: number;
  /**
   * The most time spent on a registry that says nothing: its first contact (the `/v2/` ping,
   * HTTPS then plain HTTP where allowed, retries included) ends by then, and no request
   * retries a timeout once the timeouts it sat through add up to this.
   */
  unansweredMs: number;
  /** After this long without an answer from a registry, say what we are waiting for. */
  noticeMs: number;
}

/**
 * Ten seconds of silence is already far beyond a working registry (a handshake or a first
 * byte takes a few round trips), and leaves room for one retry within the 20 s after which
 * a registry that never answers is reported as such.
 */
export const TIMEOUT_DEFAULTS: Readonly<Timeouts> = Object.freeze({
  connectMs: 10_000,
  headersMs: 10_000,
  bodyIdleMs: 10_000,
  unansweredMs: 20_000,
  noticeMs: 3_000,
});

export interface RegistryClientOptions {
  /** Per registry (`ghcr.io`, `127.0.0.1:5000`, `docker.io`): explicit credentials, consulted first. */
  credentials: Record<string, StaticCredential>;
  /**
   * Where docker's config.json lives: a directory like `$DOCKER_CONFIG`. Undefined: `$DOCKER_CONFIG`,
   * then `~/.docker`. `false`: read no docker configuration (nor `DOCKER_AUTH_CONFIG`).
   */
  dockerConfigDir: string | false | undefined;
  /** Environment for `DOCKER_CONFIG`, `DOCKER_AUTH_CONFIG`, `HOME` and credential helpers' PATH. */
  env: NodeJS.ProcessEnv;
  /** `host[:port]` that may be reached over plain HTTP (loopback always may). */
  insecureRegistries: string[];
  /** Per registry, mirror base URLs tried in order before the registry itself: `{ 'docker.io': ['https://mirror.gcr.io'] }`. */
  mirrors: Record<string, string[]>;
  userAgent: string;
  logger: Logger;
  /** Called once for every secret we handle (mask it in logs). */
  onSecret: ((secret: string) => void) | undefined;
  retry: RetryOptions;
  timeouts: Timeouts;
  /** The slowest a body may arrive before it counts as a stall (see rate-floor.ts). */
  rateFloor: RateFloor;
  /** Redirect hops followed per request. */
  maxRedirects: number;
  maxManifestBytes: number;
  /** How long a `docker-credential-*` helper may take. */
  credentialHelperTimeoutMs: number;
  /**
   * PEM certificates trusted besides Node's bundled roots, for a registry with a private CA (the
   * tests'). Given, they replace what NODE_EXTRA_CA_CERTS added; the CLI and the Action use that.
   */
  ca: string[] | undefined;
  /**
   * Where a registry offers HTTP/2 (at its TLS handshake), its manifests and small blobs share one
   * connection as streams; its blobs' bytes always take HTTP/1.1 connections of their own. False:
   * HTTP/1.1 for everything. Default: true unless `env` has OCI_CACHE_GUARD_HTTP1=1.
   */
  http2: boolean;
  /** A dispatcher to use instead of our own Agents (tests pass a MockAgent); not closed by close(). */
  dispatcher: Dispatcher | undefined;
  /** Keep-alive connections per origin at most (the pull's budget); undefined: undici's default, no cap. */
  connectionsPerHost: number | undefined;
}

export type RegistryClientInput = Partial<Omit<RegistryClientOptions, 'retry' | 'timeouts' | 'rateFloor'>> & {
  retry?: Partial<RetryOptions>;
  timeouts?: Partial<Timeouts>;
  rateFloor?: Partial<RateFloor>;
};

export const DEFAULTS: Readonly<RegistryClientOptions> = Object.freeze({
  credentials: {},
  dockerConfigDir: undefined,
  env: process.env,
  insecureRegistries: [],
  mirrors: {},
  userAgent: 'oci-cache-guard',
  logger: silentLogger,
  onSecret: undefined,
  retry: RETRY_DEFAULTS,
  timeouts: TIMEOUT_DEFAULTS,
  rateFloor: RATE_FLOOR_DEFAULTS,
  maxRedirects: 10,
  maxManifestBytes: MAX_MANIFEST_BYTES,
  credentialHelperTimeoutMs: 30_000,
  ca: undefined,
  http2: true,
  dispatcher: undefined,
  connectionsPerHost: undefined,
});

/** Normalises the registry keys people write: `https://index.docker.io/v1/` and `index.docker.io` → `docker.io`. */
export function registryKey(nameOrUrl: string): string {
  const host = nameOrUrl
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}

function positive(name: string, v: number, min = 0): number {
  if (!Number.isFinite(v) || v < min)
    throw new UsageError(`registry option ${name} must be a number ≥ ${min}, got ${v}`);
  return v;
}

/** DEFAULTS merged with `input`; rejects values that cannot work. */
export function resolveOptions(input: RegistryClientInput = {}): RegistryClientOptions {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const opts: RegistryClientOptions = {
    ...DEFAULTS,
    ...defined,
    retry: { ...DEFAULTS.retry, ...input.retry },
    timeouts: { ...DEFAULTS.timeouts, ...input.timeouts },
    rateFloor: { ...DEFAULTS.rateFloor, ...input.rateFloor },
    // The escape hatch for a proxy or registry whose HTTP/2 misbehaves, in the CLI and the Action alike.
    http2: input.http2 ?? (input.env ?? DEFAULTS.env).OCI_CACHE_GUARD_HTTP1 !== '1',
  };
  positive('retry.maxAttempts', opts.retry.maxAttempts, 1);
  positive('retry.baseDelayMs', opts.retry.baseDelayMs);
  positive('retry.maxDelayMs', opts.retry.maxDelayMs);
  positive('retry.maxElapsedMs', opts.retry.maxElapsedMs);
  positive('timeouts.connectMs', opts.timeouts.connectMs, 1);
  positive('timeouts.headersMs', opts.timeouts.headersMs, 1);
  positive('timeouts.bodyIdleMs', opts.timeouts.bodyIdleMs, 1);
  positive('timeouts.unansweredMs', opts.timeouts.unansweredMs, 1);
  positive('timeouts.noticeMs', opts.timeouts.noticeMs);
  positive('rateFloor.bytesPerSecond', opts.rateFloor.bytesPerSecond);
  positive('rateFloor.windowMs', opts.rateFloor.windowMs, 1);
  positive('maxRedirects', opts.maxRedirects);
  positive('maxManifestBytes', opts.maxManifestBytes, 1);
  if (opts.connectionsPerHost !== undefined) positive('connectionsPerHost', opts.connectionsPerHost, 1);

  const mirrors: Record<string, string[]> = {};
  for (const [registry, urls] of Object.entries(opts.mirrors)) {
    mirrors[registryKey(registry)] = urls.map((u) => {
      let url: URL;
      try {
        url = new URL(u.includes('://') ? u : `https://${u}`);
      } catch {
        throw new UsageError(`invalid registry mirror ${JSON.stringify(u)} for ${registry}: not a URL`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new UsageError(`invalid registry mirror ${JSON.stringify(u)} for ${registry}: must be http(s)`);
      }
      if (url.username || url.password || url.search || url.hash) {
        throw new UsageError(
          `invalid registry mirror ${JSON.stringify(url.host)} for ${registry}: give credentials separately, no query`,
        );
      }
      return url.toString().replace(/\/+$/, '');
    });
  }
  opts.mirrors = mirrors;
  opts.credentials = Object.fromEntries(
    Object.entries(opts.credentials).map(([k, v]) => [registryKey(k), v] as const),
  );
  return opts;
}
