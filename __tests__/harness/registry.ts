// A real registry for tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1,
// filesystem storage in a temp dir, anonymous, htpasswd (bcrypt) or token auth; plain HTTP, or
// HTTPS with a certificate of its own (it then offers HTTP/2, as registries on the internet do).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import {
  freePort,
  LOOPBACK,
  makeTempDir,
  removeTempDir,
  runChecked,
  spawnTracked,
  tail,
  waitFor,
} from './proc.js';
import type { Credentials, TokenServer } from './token-server.js';

export type RegistryAuth = 'none' | { htpasswd: Credentials } | { token: TokenServer };

/** HTTPS offering HTTP/2 and HTTP/1.1 at the handshake (true), or HTTP/1.1 alone. */
export type TlsMode = true | 'http/1.1';

export interface Registry {
  /** `127.0.0.1:PORT`, the host part of image references. */
  host: string;
  /** `http://127.0.0.1:PORT`, or `https://` with `tls`. */
  url: string;
  /** With `tls`: the registry's self-signed certificate (PEM), to trust it. */
  certificate?: string;
  /** The temp dir: config.yml, registry.log, htpasswd, and storage/ (the registry's data). */
  root: string;
  /** The registry's own log (access log included). */
  logFile: string;
  /** Credentials that get push access (htpasswd user, or the token server's user); none if anonymous. */
  credentials?: Credentials;
  /** Stops the process (by pid) and removes the temp dir. */
  stop(): Promise<void>;
}

/** Quotes a value for YAML (a JSON string is a valid YAML scalar). */
const q = (s: string): string => JSON.stringify(s);

function configYaml(root: string, addr: string, auth: string[], tls: TlsMode | undefined): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(path.join(root, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(addr)}`,
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
    ...(tls
      ? [
          '  tls:',
          `    certificate: ${q(path.join(root, 'cert.pem'))}`,
          `    key: ${q(path.join(root, 'key.pem'))}`,
        ]
      : []),
    ...(tls === 'http/1.1' ? ['  http2:', '    disabled: true'] : []),
    ...auth,
    '',
  ].join('\n');
}

async function authSection(root: string, auth: RegistryAuth): Promise<string[]> {
  if (auth === 'none') return [];
  if ('htpasswd' in auth) {
    const { user, password } = auth.htpasswd;
    const file = path.join(root, 'htpasswd');
    // distribution 2.8 accepts bcrypt entries only: -B.
    await writeFile(file, await runChecked('htpasswd', ['-Bbn', user, password]));
    return ['auth:', '  htpasswd:', '    realm: "oci-cache-guard-test"', `    path: ${q(file)}`];
  }
  const t = auth.token;
  return [
    'auth:',
    '  token:',
    `    realm: ${q(t.realm)}`,
    `    service: ${q(t.service)}`,
    `    issuer: ${q(t.issuer)}`,
    `    rootcertbundle: ${q(t.certPath)}`,
  ];
}

/** A self-signed P-256 certificate for 127.0.0.1, written as cert.pem and key.pem under `root`. */
async function makeCertificate(root: string): Promise<string> {
  const cert = path.join(root, 'cert.pem');
  // prettier-ignore
  await runChecked('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-keyout', path.join(root, 'key.pem'), '-out', cert, '-subj', `/CN=${LOOPBACK}`,
    '-addext', `subjectAltName=IP:${LOOPBACK}`,
  ]);
  return readFile(cert, 'utf8');
}

const trusting = new Map<string, Agent>();

/** fetch, trusting a registry's own certificate (`ca`, PEM) when it has one. */
export function trustingFetch(ca: string | undefined): typeof undiciFetch {
  if (!ca) return undiciFetch;
  let dispatcher = trusting.get(ca);
  if (!dispatcher) trusting.set(ca, (dispatcher = new Agent({ connect: { ca } })));
  return (url, init) => undiciFetch(url, { ...init, dispatcher });
}

/**
 * Starts `docker-registry serve` on a free 127.0.0.1 port and waits until `GET /v2/` answers
 * 200 (anonymous) or 401 (auth). Throws with the tail of the registry log if it does not.
 */
export async function startRegistry(
  opts: { auth?: RegistryAuth; tls?: TlsMode | false } = {},
): Promise<Registry> {
  const auth = opts.auth ?? 'none';
  const root = await makeTempDir('registry');
  const certificate = opts.tls ? await makeCertificate(root) : undefined;
  const scheme = certificate ? 'https' : 'http';
  const logFile = path.join(root, 'registry.log');
  const configFile = path.join(root, 'config.yml');
  const authLines = await authSection(root, auth);
  const credentials =
    auth === 'none' ? undefined : 'htpasswd' in auth ? auth.htpasswd : auth.token.credentials;

  // freePort() can race with another process grabbing the port; retry on a bind failure.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const host = `${LOOPBACK}:${port}`;
    await writeFile(configFile, configYaml(root, host, authLines, opts.tls || undefined));
    await writeFile(logFile, '');
    const proc = spawnTracked('docker-registry', ['serve', configFile], { cwd: root, logFile });
    let exited = false;
    void proc.exited.then(() => (exited = true));
    try {
      await waitFor(`docker-registry on ${host}`, async () => {
        if (exited) throw new Error('docker-registry exited during startup');
        const res = await trustingFetch(certificate)(`${scheme}://${host}/v2/`).catch(() => undefined);
        await res?.body?.cancel();
        return res?.status === 200 || res?.status === 401;
      });
    } catch (err) {
      await proc.stop(0);
      const log = await tail(logFile);
      if (attempt < 3 && /address already in use/.test(log)) continue;
      await removeTempDir(root);
      throw new Error(`${(err as Error).message}; registry log:\n${log}`, { cause: err });
    }
    return {
      host,
      url: `${scheme}://${host}`,
      ...(certificate ? { certificate } : {}),
      root,
      logFile,
      ...(credentials ? { credentials } : {}),
      async stop() {
        await proc.stop();
        await removeTempDir(root);
      },
    };
  }
}
