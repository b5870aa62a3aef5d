// A token server for distribution's `auth.token`: ES256 JWTs whose header carries the signing
// certificate in `x5c`, the same certificate the registry trusts through `rootcertbundle`.
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LOOPBACK, makeTempDir, removeTempDir, runChecked } from './proc.js';

/** A user name and password, for Basic auth and for skopeo's --creds. */
export interface Credentials {
  user: string;
  password: string;
}

/** One request the token server answered. */
export interface TokenRequest {
  /** The `scope` query parameters joined by a space ('' when none). */
  scope: string;
  /** True when the request carried the configured user's valid Basic credentials. */
  authorized: boolean;
  /** The HTTP status answered: 200, or 401 for missing or wrong credentials. */
  status: number;
}

export interface TokenServer {
  /** The token endpoint: `http://127.0.0.1:PORT/token` (the registry's `realm`). */
  realm: string;
  /** The `service` the registry announces and the tokens' `aud`. */
  service: string;
  /** The tokens' `iss`, which the registry checks. */
  issuer: string;
  /** PEM certificate of the signing key: the registry's `rootcertbundle`. */
  certPath: string;
  /** The configured user, when Basic auth is required. */
  credentials?: Credentials;
  /** Every token request, in order: tests count them to prove a client refreshed its token. */
  requests: TokenRequest[];
  /**
   * Signs a token for the given scopes without an HTTP round trip (for raw fetch tests);
   * `expiresInSeconds` overrides the server's lifetime (negative: already expired).
   */
  issue(
    scopes: string[],
    opts?: { anonymous?: boolean; expiresInSeconds?: number },
  ): { token: string; expiresIn: number };
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  /** With user and password set, every request needs them (Basic) or gets 401. */
  user?: string;
  password?: string;
  /**
   * Token lifetime (`exp` and `expires_in`); default 300. Beware: distribution 2.8 still
   * accepts a token up to 60 s after its `exp` (clock-skew leeway), so a short lifetime tests
   * a client's own refresh, not a registry rejection (inject a 401 with the fault proxy).
   */
  expiresInSeconds?: number;
  /** Grant only the first `scope` of a request (a token server that takes one scope at a time). */
  firstScopeOnly?: boolean;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** `repository:test/img:pull,push` → access entry; the name may itself contain ':' (a port). */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

function signJwt(key: KeyObject, certDer: Buffer, claims: Record<string, unknown>): string {
  const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  // JWS wants r||s (IEEE P1363), not node's default DER-encoded ECDSA signature.
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

function basicUser(header: string | undefined): Credentials | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

/** Starts a token server on 127.0.0.1 with a fresh P-256 key and self-signed certificate. */
export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServer> {
  if ((opts.user === undefined) !== (opts.password === undefined)) {
    throw new Error('startTokenServer: give both user and password, or neither');
  }
  const dir = await makeTempDir('token');
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  await runChecked('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-subj', '/CN=oci-cache-guard test token issuer', '-days', '2',
  ]); // prettier-ignore
  const key = createPrivateKey(await readFile(keyPath));
  const certDer = new X509Certificate(await readFile(certPath)).raw;
  const service = 'oci-cache-guard-test-registry';
  const issuer = 'oci-cache-guard-test-issuer';
  const expiresIn = opts.expiresInSeconds ?? 300;
  const credentials = opts.user !== undefined ? { user: opts.user, password: opts.password! } : undefined;
  const requests: TokenRequest[] = [];

  const issue = (scopes: string[], o: { anonymous?: boolean; expiresInSeconds?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = o.expiresInSeconds ?? expiresIn;
    const access = scopes.flatMap((s) => {
      const a = parseScope(s);
      if (!a) return [];
      // Anonymous callers may only pull; a known user gets what it asked for.
      const actions = o.anonymous ? a.actions.filter((x) => x === 'pull') : a.actions;
      return actions.length ? [{ ...a, actions }] : [];
    });
    const claims = {
      iss: issuer,
      sub: o.anonymous ? '' : (credentials?.user ?? ''),
      aud: service,
      exp: now + lifetime,
      nbf: Math.min(now, now + lifetime) - 1,
      iat: now,
      jti: randomUUID(),
      access,
    };
    return { token: signJwt(key, certDer, claims), expiresIn: lifetime };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const asked = url.searchParams.getAll('scope').flatMap((s) => s.split(' ').filter(Boolean));
    const scopes = opts.firstScopeOnly ? asked.slice(0, 1) : asked;
    const given = basicUser(req.headers.authorization);
    const authorized =
      credentials !== undefined &&
      given?.user === credentials.user &&
      given.password === credentials.password;
    const record: TokenRequest = { scope: asked.join(' '), authorized, status: 200 };
    requests.push(record);
    if (url.pathname !== '/token') {
      record.status = 404;
      res.writeHead(404).end();
      return;
    }
    if (credentials && !authorized) {
      record.status = 401;
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad or missing credentials' }] }));
      return;
    }
    const { token } = issue(scopes, { anonymous: !authorized });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://${LOOPBACK}:${port}/token`,
    service,
    issuer,
    certPath,
    ...(credentials ? { credentials } : {}),
    requests,
    issue,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await removeTempDir(dir);
    },
  };
}
