/**
 * Where credentials come from, first match wins:
 *   1. explicit, per registry (flags, Action inputs);
 *   2. `DOCKER_AUTH_CONFIG` in the environment: a config.json document (GitLab CI's convention);
 *   3. docker's config.json (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`), what
 *      `docker login` and `docker/login-action` leave behind: `credHelpers[host]`, then `credsStore`,
 *      then `auths[host]` (`auth` = base64 `user:password`, or `username`/`password`, or `identitytoken`,
 *      or `registrytoken`). Docker Hub is stored under `https://index.docker.io/v1/`.
 * Helpers are run as `docker-credential-<name> get` with the server URL on stdin and answer JSON
 * `{ "ServerURL", "Username", "Secret" }`; a Username of `<token>` means Secret is an identity token.
 * Every secret found is registered with Secrets before it is used.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { DOCKER_HUB, DOCKER_HUB_CONFIG_KEY } from '../../oci/reference.js';
import { AuthError } from '../errors.js';
import { registryKey, type StaticCredential } from '../options.js';
import type { Secrets } from '../secrets.js';

/** What we may present to a registry. `source` says where it came from, for messages (never the secret). */
export type Credential = StaticCredential & { source: string };

export interface CredentialStore {
  /** Credentials for a registry (`docker.io`, `ghcr.io`, `127.0.0.1:5000`), or undefined for anonymous. */
  get(registry: string): Promise<Credential | undefined>;
}

export interface DockerConfig {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The string a credential helper gets on stdin, and the key docker writes into `auths`. */
export function dockerServerAddress(registry: string): string {
  return registryKey(registry) === DOCKER_HUB ? DOCKER_HUB_CONFIG_KEY : registry;
}

/** Parses a config.json document; throws AuthError naming `where` on malformed input. */
export function parseDockerConfig(text: string, where: string): DockerConfig {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    // Not err.message: V8 quotes the text around the error, which may be an `auth` value.
    const at = /at position (\d+)/.exec((err as Error).message)?.[1];
    throw new AuthError(
      `cannot parse docker config ${where}: not valid JSON${at ? ` (at position ${at})` : ''}; fix or remove it`,
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new AuthError(`cannot parse docker config ${where}: not a JSON object`);
  }
  const o = v as Record<string, unknown>;
  const out: DockerConfig = {};
  if (typeof o.auths === 'object' && o.auths !== null) {
    out.auths = {};
    for (const [k, e] of Object.entries(o.auths as Record<string, unknown>)) {
      if (typeof e !== 'object' || e === null) continue;
      const entry: DockerAuthEntry = {};
      for (const f of ['auth', 'username', 'password', 'identitytoken', 'registrytoken'] as const) {
        const val = (e as Record<string, unknown>)[f];
        if (typeof val === 'string' && val !== '') entry[f] = val;
      }
      out.auths[k] = entry;
    }
  }
  if (typeof o.credHelpers === 'object' && o.credHelpers !== null) {
    out.credHelpers = Object.fromEntries(
      Object.entries(o.credHelpers as Record<string, unknown>).filter(
        (kv): kv is [string, string] => typeof kv[1] === 'string',
      ),
    );
  }
  if (typeof o.credsStore === 'string' && o.credsStore !== '') out.credsStore = o.credsStore;
  return out;
}

/** An `auths` entry as a credential; throws AuthError (without the secret) when `auth` is malformed. */
export function credentialFromAuthEntry(
  entry: DockerAuthEntry,
  source: string,
  secrets: Secrets,
): Credential | undefined {
  if (entry.identitytoken) return { identityToken: secrets.add(entry.identitytoken), source };
  if (entry.registrytoken) return { registryToken: secrets.add(entry.registrytoken), source };
  if (entry.auth) {
    secrets.add(entry.auth);
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new AuthError(`${source}: "auth" is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: secrets.add(decoded.slice(colon + 1)), source };
  }
  if (entry.username && entry.password) {
    return { username: entry.username, password: secrets.add(entry.password), source };
  }
  return undefined;
}

/** Finds the `auths` / `credHelpers` key for a registry, matching docker's loose key forms. */
function lookup<T>(map: Record<string, T> | undefined, registry: string): [string, T] | undefined {
  if (!map) return undefined;
  const want = registryKey(registry);
  const exact = Object.entries(map).find(([k]) => k === registry || k === dockerServerAddress(registry));
  return exact ?? Object.entries(map).find(([k]) => registryKey(k) === want);
}

export interface HelperOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/**
 * Runs `docker-credential-<helper> get` for `serverAddress`. Undefined when the helper has no
 * credentials for it; AuthError when the helper is missing or fails.
 */
export async function runCredentialHelper(
  helper: string,
  serverAddress: string,
  secrets: Secrets,
  opts: HelperOptions,
): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    throw new AuthError(`invalid credential helper name ${JSON.stringify(helper)} in docker config`);
  }
  const program = `docker-credential-${helper}`;
  const source = `${program} (for ${serverAddress})`;
  const { code, stdout, stderr, error } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    error?: Error;
  }>((resolve) => {
    const child = spawn(program, ['get'], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outSize = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      outSize += b.length;
      if (outSize <= 1024 * 1024) out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64) err.push(b);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: '', error: e });
    });
    child.on('close', (c, signal) => {
      clearTimeout(timer);
      resolve({
        code: signal ? null : c,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(signal ? { error: new Error(`killed by ${signal} after ${opts.timeoutMs} ms`) } : {}),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(serverAddress);
  });
  if (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AuthError(
      missing
        ? `credential helper ${program} not found on PATH (named in docker config for ${serverAddress})`
        : `credential helper ${program} failed for ${serverAddress}: ${error.message}`,
    );
  }
  const said = `${stdout} ${stderr}`.trim();
  if (code !== 0) {
    if (/credentials not found/i.test(said)) return undefined;
    const firstLine = secrets.redact(said.split('\n')[0] ?? '').slice(0, 200);
    throw new AuthError(
      `credential helper ${program} failed for ${serverAddress} (exit ${code}): ${firstLine}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new AuthError(
      `credential helper ${program} printed something that is not JSON for ${serverAddress}`,
    );
  }
  const { Username, Secret } = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof Secret !== 'string' || Secret === '') return undefined;
  secrets.add(Secret);
  if (Username === '<token>') return { identityToken: Secret, source };
  if (typeof Username !== 'string' || Username === '') {
    throw new AuthError(
      `credential helper ${program} returned a secret without a username for ${serverAddress}`,
    );
  }
  return { username: Username, password: Secret, source };
}

/** Credentials from one config.json document (file or `DOCKER_AUTH_CONFIG`). */
export async function credentialFromDockerConfig(
  config: DockerConfig,
  where: string,
  registry: string,
  secrets: Secrets,
  helper: HelperOptions,
): Promise<Credential | undefined> {
  const server = dockerServerAddress(registry);
  const named = lookup(config.credHelpers, registry);
  const helperName = named?.[1] ?? config.credsStore;
  if (helperName) {
    const found = await runCredentialHelper(helperName, server, secrets, helper);
    if (found) return found;
  }
  const entry = lookup(config.auths, registry);
  return entry ? credentialFromAuthEntry(entry[1], `${where} auths["${entry[0]}"]`, secrets) : undefined;
}

export interface CredentialStoreOptions {
  explicit: Record<string, StaticCredential>;
  dockerConfigDir: string | false | undefined;
  env: NodeJS.ProcessEnv;
  helperTimeoutMs: number;
  secrets: Secrets;
  logger: Logger;
}

/** The docker config directory: the option, else `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(opt: string | undefined, env: NodeJS.ProcessEnv): string {
  return opt ?? (env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'));
}

/**
 * The store: explicit, then DOCKER_AUTH_CONFIG, then config.json. Lookups are cached per registry,
 * so a helper runs at most once per registry per client. A broken source is reported once through
 * the logger and skipped (an anonymous pull of a public image should not fail because of it); a
 * registry that then demands credentials says so in its own error.
 */
export function createCredentialStore(opts: CredentialStoreOptions): CredentialStore {
  const cache = new Map<string, Promise<Credential | undefined>>();
  let configPromise: Promise<{ doc: DockerConfig; where: string }[]> | undefined;
  const helper: HelperOptions = { env: opts.env, timeoutMs: opts.helperTimeoutMs };
  const explicit = Object.fromEntries(Object.entries(opts.explicit).map(([k, v]) => [registryKey(k), v]));
  for (const c of Object.values(explicit)) {
    if ('password' in c) opts.secrets.add(c.password);
    if ('identityToken' in c) opts.secrets.add(c.identityToken);
    if ('registryToken' in c) opts.secrets.add(c.registryToken);
  }

  async function loadConfigs(): Promise<{ doc: DockerConfig; where: string }[]> {
    if (opts.dockerConfigDir === false) return [];
    const docs: { doc: DockerConfig; where: string }[] = [];
    const fromEnv = opts.env.DOCKER_AUTH_CONFIG;
    if (fromEnv) {
      opts.secrets.add(fromEnv);
      try {
        docs.push({ doc: parseDockerConfig(fromEnv, 'DOCKER_AUTH_CONFIG'), where: 'DOCKER_AUTH_CONFIG' });
      } catch (err) {
        opts.logger.warn(opts.secrets.redact((err as Error).message));
      }
    }
    const file = join(dockerConfigDir(opts.dockerConfigDir, opts.env), 'config.json');
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        opts.logger.warn(`cannot read docker config ${file}: ${(err as Error).message}`);
      }
    }
    if (text !== undefined) {
      try {
        docs.push({ doc: parseDockerConfig(text, file), where: file });
      } catch (err) {
        opts.logger.warn((err as Error).message);
      }
    }
    return docs;
  }

  async function find(registry: string): Promise<Credential | undefined> {
    const key = registryKey(registry);
    const given = explicit[key];
    if (given) return { ...given, source: `the credentials given for ${key}` };
    configPromise ??= loadConfigs();
    for (const { doc, where } of await configPromise) {
      try {
        const found = await credentialFromDockerConfig(doc, where, registry, opts.secrets, helper);
        if (found) {
          opts.logger.debug(`registry ${key}: using ${found.source}`);
          return found;
        }
      } catch (err) {
        opts.logger.warn(
          `registry ${key}: ${opts.secrets.redact((err as Error).message)}; continuing without`,
        );
      }
    }
    return undefined;
  }

  return {
    get(registry: string) {
      const key = registryKey(registry);
      let p = cache.get(key);
      if (!p) {
        p = find(registry);
        cache.set(key, p);
      }
      return p;
    },
  };
}
