/**
 * Turns a registry's challenge into an Authorization header for one scope:
 *   - Bearer (token auth): GET `realm?service=&scope=` (with Basic credentials when we have them), or,
 *     with an identity token, the OAuth2 refresh-token grant (POST to the realm); the answer's `token`
 *     or `access_token` is cached per endpoint, realm, service and scope until `expires_in` runs out;
 *   - Basic: the credentials themselves;
 *   - a docker `registrytoken`: sent as is.
 * After a 401 the caller passes the new challenge to `refresh()`, which drops the cached token and
 * fetches a fresh one, once per request.
 *
 * When the caller names the other scopes the run will need (every repository of a registry), the
 * first token is asked for all of them at once (several `scope` parameters, as Docker Hub and
 * distribution's token servers accept) and serves each. A token server that grants only one
 * shows itself by the registry's 401; from then on that endpoint gets one token per scope.
 */
import type { Logger } from '../../log.js';
import { AuthError, readCapped, TransportPolicyError } from '../errors.js';
import { checkUrl, credentialsAllowed, type TransportPolicy } from '../policy.js';
import type { Secrets } from '../secrets.js';
import type { Challenge } from './challenge.js';
import type { Credential, CredentialStore } from './credentials.js';
import type { RawRequest } from '../raw.js';
import type { RateFloor } from '../rate-floor.js';

/** Who we are when asking a token server for an OAuth2 grant. */
export const OAUTH_CLIENT_ID = 'oci-cache-guard';
/** Tokens without `expires_in` live this long (distribution's token spec). */
export const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** Scopes asked for in one token request at most (the URL stays short). */
export const MAX_SCOPES_PER_TOKEN = 32;

export interface AuthEndpoint {
  /** Base URL of the registry API (no `/v2`). */
  base: URL;
  /** Key for credentials: `docker.io`, `ghcr.io`, `mirror.example:5000`. */
  credentialKey: string;
  /** From the ping or the latest 401. */
  challenges: Challenge[];
}

export interface AuthenticatorDeps {
  request: RawRequest;
  credentials: CredentialStore;
  secrets: Secrets;
  logger: Logger;
  policy: TransportPolicy;
  now: () => number;
  /** The slowest a token server's answer may arrive. */
  rateFloor?: RateFloor;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface TokenResponse {
  token: string;
  expiresInSeconds: number;
}

/** Parses a token server's JSON: `token` or `access_token`, `expires_in` (seconds). */
export function parseTokenResponse(text: string, where: string): TokenResponse {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AuthError(`token server ${where} answered with something that is not JSON`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const token = typeof o.token === 'string' && o.token ? o.token : o.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new AuthError(`token server ${where} answered without a token`);
  }
  const expires = o.expires_in;
  const expiresInSeconds =
    typeof expires === 'number' && Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_TOKEN_SECONDS;
  return { token, expiresInSeconds };
}

/** When to stop using a token: a tenth of its life early (at most 30 s early), so it does not expire in flight. */
function expiry(now: number, seconds: number): number {
  const ms = seconds * 1000;
  return now + ms - Math.min(ms / 10, 30_000);
}

/** `using the credentials given for ghcr.io`, `no credentials for docker.io`. */
function describe(cred: Credential | undefined, key: string): string {
  return cred ? `using ${cred.source}` : `no credentials for ${key}`;
}

export class Authenticator {
  readonly #deps: AuthenticatorDeps;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  /** Tokens asked for several scopes, and the endpoints (realm) where such a token was refused. */
  readonly #shared = new WeakSet<CachedToken>();
  readonly #oneScopeOnly = new Set<string>();

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
  }

  /** What we would say about our credentials for an endpoint, for error messages. */
  async describeCredentials(ep: AuthEndpoint): Promise<string> {
    return describe(await this.#deps.credentials.get(ep.credentialKey), ep.credentialKey);
  }

  /**
   * The Authorization header for a request to `ep` needing `scope` (`repository:x/y:pull`), or
   * undefined to go anonymous; `related` are the scopes the same run needs from this endpoint
   * (one token may cover them all). Throws when the only way in would send credentials over plain HTTP.
   */
  async authorization(
    ep: AuthEndpoint,
    scope: string,
    related: readonly string[] = [],
  ): Promise<string | undefined> {
    const header = await this.#header(ep, scope, false, related);
    if (header !== undefined && !credentialsAllowed(ep.base)) {
      throw new TransportPolicyError(
        `refusing to send credentials to ${ep.base.host} over plain HTTP (only loopback registries may use HTTP with credentials)`,
      );
    }
    return header;
  }

  /**
   * After a 401 with `challenges`: remember them, drop the cached token, and return a fresh header,
   * or undefined when there is nothing new to try.
   */
  async refresh(ep: AuthEndpoint, scope: string, challenges: Challenge[], rejected: string | undefined) {
    if (challenges.length > 0) ep.challenges = challenges;
    this.#forgetShared(rejected);
    const header = await this.#header(ep, scope, true, []);
    if (header === undefined || (header === rejected && !header.startsWith('Bearer '))) return undefined;
    if (!credentialsAllowed(ep.base)) {
      throw new TransportPolicyError(
        `refusing to send credentials to ${ep.base.host} over plain HTTP (only loopback registries may use HTTP with credentials)`,
      );
    }
    return header;
  }

  async #header(
    ep: AuthEndpoint,
    scope: string,
    fresh: boolean,
    related: readonly string[],
  ): Promise<string | undefined> {
    const cred = await this.#deps.credentials.get(ep.credentialKey);
    if (cred && 'registryToken' in cred) return `Bearer ${cred.registryToken}`;
    const bearer = ep.challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      const wanted = bearer.params.scope && fresh ? bearer.params.scope : scope;
      const also = this.#oneScopeOnly.has(this.#realmKey(ep, bearer)) ? [] : related;
      return `Bearer ${(await this.#token(ep, bearer, wanted, also, cred, fresh)).token}`;
    }
    const basic = ep.challenges.some((c) => c.scheme === 'basic');
    if (basic && cred && 'username' in cred) {
      return `Basic ${this.#deps.secrets.add(Buffer.from(`${cred.username}:${cred.password}`).toString('base64'))}`;
    }
    return undefined;
  }

  #realmKey(ep: AuthEndpoint, challenge: Challenge): string {
    return [ep.credentialKey, challenge.params.realm, challenge.params.service ?? ''].join('|');
  }

  /** A token for `scope`: cached, else fetched, for `also` (the run's other scopes) too when given. */
  async #token(
    ep: AuthEndpoint,
    challenge: Challenge,
    scope: string,
    also: readonly string[],
    cred: Credential | undefined,
    fresh: boolean,
  ): Promise<CachedToken> {
    const realm = this.#realmKey(ep, challenge);
    const keyOf = (s: string) => `${realm}|${s}`;
    const valid = (t: CachedToken | undefined): t is CachedToken =>
      t !== undefined && t.expiresAt > this.#deps.now();
    const cached = this.#tokens.get(keyOf(scope));
    if (fresh) this.#tokens.delete(keyOf(scope));
    else if (valid(cached)) return cached;
    const wanted = [
      scope,
      ...[...new Set(also)].filter((s) => s !== scope && !valid(this.#tokens.get(keyOf(s)))).sort(),
    ]
      .slice(0, MAX_SCOPES_PER_TOKEN)
      .sort();
    // Sorted, so that requests of the same run for different scopes share one fetch.
    const key = keyOf(wanted.join(' '));
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#fetchToken(ep, challenge, wanted, cred).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    const got = await p;
    if (wanted.length > 1) this.#shared.add(got);
    for (const s of wanted) this.#tokens.set(keyOf(s), got);
    return got;
  }

  /**
   * A token asked for several scopes was refused: the server granted fewer. Forget it for every
   * scope it was kept for, and ask that token server for one scope at a time from now on.
   */
  #forgetShared(rejected: string | undefined): void {
    for (const [key, t] of this.#tokens) {
      if (!this.#shared.has(t) || `Bearer ${t.token}` !== rejected) continue;
      this.#tokens.delete(key);
      this.#oneScopeOnly.add(key.slice(0, key.lastIndexOf('|')));
    }
  }

  async #fetchToken(
    ep: AuthEndpoint,
    challenge: Challenge,
    scopes: readonly string[],
    cred: Credential | undefined,
  ): Promise<CachedToken> {
    const scope = scopes.join(' ');
    const { secrets, logger, policy, now } = this.#deps;
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm as string);
    } catch {
      throw new AuthError(`registry ${ep.base.host} names an invalid token realm`);
    }
    checkUrl(realm, policy);
    const service = challenge.params.service;
    const withCreds = cred !== undefined && ('username' in cred || 'identityToken' in cred);
    if (withCreds && !credentialsAllowed(realm)) {
      throw new TransportPolicyError(
        `refusing to send credentials to token server ${realm.host} over plain HTTP`,
      );
    }
    const where = `${realm.host} (scope ${scope}, ${describe(cred, ep.credentialKey)})`;

    let res;
    if (cred && 'identityToken' in cred) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: cred.identityToken,
        client_id: OAUTH_CLIENT_ID,
        scope,
        ...(service ? { service } : {}),
      });
      res = await this.#deps.request({
        method: 'POST',
        url: realm,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (cred && 'username' in cred) {
        headers.authorization = `Basic ${secrets.add(Buffer.from(`${cred.username}:${cred.password}`).toString('base64'))}`;
      }
      res = await this.#deps.request({ method: 'GET', url, headers });
    }
    // One byte past the cap tells an answer that is too big from one that is not JSON.
    const text = await readCapped(res.body, MAX_TOKEN_RESPONSE_BYTES + 1, this.#deps.rateFloor);
    if (res.statusCode === 200 && Buffer.byteLength(text) > MAX_TOKEN_RESPONSE_BYTES)
      throw new AuthError(
        `token server ${where} answered with more than ${MAX_TOKEN_RESPONSE_BYTES / 1024 / 1024} MiB, more than a token answer may be: refusing it`,
      );
    if (res.statusCode !== 200) {
      const detail = secrets.redact(text.replace(/\s+/g, ' ').trim()).slice(0, 200);
      throw new AuthError(
        `token server ${where} refused with HTTP ${res.statusCode}${detail ? `: ${detail}` : ''}`,
      );
    }
    const parsed = parseTokenResponse(text, where);
    secrets.add(parsed.token);
    logger.debug(`registry ${ep.base.host}: token for ${scope} valid ${parsed.expiresInSeconds}s`);
    return { token: parsed.token, expiresAt: expiry(now(), parsed.expiresInSeconds) };
  }
}
