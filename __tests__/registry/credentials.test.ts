import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCredentialStore,
  credentialFromAuthEntry,
  dockerServerAddress,
  parseDockerConfig,
  runCredentialHelper,
} from '../../src/registry/auth/credentials.js';
import { AuthError } from '../../src/registry/errors.js';
import { Secrets } from '../../src/registry/secrets.js';
import { silentLogger, type Logger } from '../../src/log.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
let dir: string;
let bin: string;
let env: NodeJS.ProcessEnv;

// A credential helper speaking docker's protocol: server URL on stdin, JSON on stdout.
const HELPER = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported $1" >&2; exit 2; }
read -r server
echo "$server" >> "$HELPER_LOG"
case "$server" in
  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hubuser","Secret":"hub-secret-1"}' ;;
  ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"<token>","Secret":"ghcr-identity-token"}' ;;
  broken.example) echo "keychain locked: hunter2-password" >&2; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ocg-creds-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'docker-credential-test'), HELPER);
  await chmod(join(bin, 'docker-credential-test'), 0o755);
  env = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir, HELPER_LOG: join(dir, 'helper.log') };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    logger: { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(`warn ${m}`) },
  };
}

describe('docker config.json', () => {
  it('parses auths, credHelpers and credsStore, ignoring junk', () => {
    const cfg = parseDockerConfig(
      JSON.stringify({
        auths: {
          'ghcr.io': { auth: b64('u:p') },
          bad: 3,
          'x.io': { username: 'a', password: 'b', email: 1 },
        },
        credHelpers: { 'gcr.io': 'gcloud', n: 5 },
        credsStore: 'desktop',
        currentContext: 'default',
      }),
      'cfg',
    );
    expect(cfg).toEqual({
      auths: { 'ghcr.io': { auth: b64('u:p') }, 'x.io': { username: 'a', password: 'b' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      credsStore: 'desktop',
    });
    expect(() => parseDockerConfig('{', '/h/.docker/config.json')).toThrow(
      /cannot parse docker config \/h\/.docker\/config.json/,
    );
    expect(() => parseDockerConfig('[]', 'x')).toThrow(AuthError);
  });

  it('never quotes the file in a parse error (V8 would show the text around the fault)', () => {
    const secret = b64('user:hunter2-password');
    for (const text of [`{"auths":{"x":{"auth":${secret}}}}`, `{"auths":{"x":{"auth":"${secret}"}},}`]) {
      let message = '';
      try {
        parseDockerConfig(text, 'cfg');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^cannot parse docker config cfg: not valid JSON/);
      expect(message).not.toContain(secret.slice(0, 8));
    }
  });

  it.each([
    [{ auth: b64('user:pa:ss') }, { username: 'user', password: 'pa:ss' }],
    [
      { username: 'u', password: 'p' },
      { username: 'u', password: 'p' },
    ],
    [{ identitytoken: 'refresh-tok' }, { identityToken: 'refresh-tok' }],
    [{ registrytoken: 'bearer-tok' }, { registryToken: 'bearer-tok' }],
    [{ auth: b64('u:p'), identitytoken: 'refresh-tok' }, { identityToken: 'refresh-tok' }],
    [{ username: 'only-user' }, undefined],
  ])('auths entry %j', (entry, want) => {
    const secrets = new Secrets();
    const got = credentialFromAuthEntry(entry, 'src', secrets);
    expect(got).toEqual(want ? { ...want, source: 'src' } : undefined);
  });

  it('refuses a malformed auth string without echoing it', () => {
    const secret = b64('no-colon-here');
    const err = (() => {
      try {
        credentialFromAuthEntry({ auth: secret }, 'cfg auths["x"]', new Secrets());
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBe('cfg auths["x"]: "auth" is not base64 of user:password');
    expect(err?.message).not.toContain(secret);
  });

  it('keys Docker Hub as https://index.docker.io/v1/', () => {
    expect(dockerServerAddress('docker.io')).toBe('https://index.docker.io/v1/');
    expect(dockerServerAddress('index.docker.io')).toBe('https://index.docker.io/v1/');
    expect(dockerServerAddress('ghcr.io')).toBe('ghcr.io');
  });
});

describe('credential store', () => {
  it('reads $DOCKER_CONFIG/config.json, matching docker key forms, and registers secrets', async () => {
    const cfgDir = join(dir, 'cfg1');
    await mkdir(cfgDir, { recursive: true });
    await writeFile(
      join(cfgDir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:hubpass') },
          'https://registry.example:5000/v2/': { username: 'r', password: 'rpass' },
          '127.0.0.1:5000': { identitytoken: 'id-token-xyz' },
        },
      }),
    );
    const seen: string[] = [];
    const secrets = new Secrets((s) => seen.push(s));
    const store = createCredentialStore({
      explicit: {},
      dockerConfigDir: undefined,
      env: { ...env, DOCKER_CONFIG: cfgDir },
      helperTimeoutMs: 5000,
      secrets,
      logger: silentLogger,
    });
    expect(await store.get('docker.io')).toMatchObject({ username: 'hub', password: 'hubpass' });
    expect(await store.get('registry.example:5000')).toMatchObject({ username: 'r', password: 'rpass' });
    expect(await store.get('127.0.0.1:5000')).toMatchObject({ identityToken: 'id-token-xyz' });
    expect(await store.get('other.example')).toBeUndefined();
    expect((await store.get('docker.io'))?.source).toContain(
      `${cfgDir}/config.json auths["https://index.docker.io/v1/"]`,
    );
    expect(seen).toEqual(expect.arrayContaining(['hubpass', b64('hub:hubpass'), 'rpass', 'id-token-xyz']));
  });

  it('falls back to ~/.docker/config.json', async () => {
    await mkdir(join(dir, '.docker'), { recursive: true });
    await writeFile(
      join(dir, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'home.example': { auth: b64('h:p') } } }),
    );
    const store = createCredentialStore({
      explicit: {},
      dockerConfigDir: undefined,
      env,
      helperTimeoutMs: 5000,
      secrets: new Secrets(),
      logger: silentLogger,
    });
    expect(await store.get('home.example')).toMatchObject({ username: 'h', password: 'p' });
  });

  it('prefers explicit credentials, then DOCKER_AUTH_CONFIG, then the file', async () => {
    const cfgDir = join(dir, 'cfg2');
    await mkdir(cfgDir, { recursive: true });
    await writeFile(
      join(cfgDir, 'config.json'),
      JSON.stringify({
        auths: { 'a.example': { auth: b64('file:f') }, 'b.example': { auth: b64('file:f') } },
      }),
    );
    const store = createCredentialStore({
      explicit: { 'https://a.example': { username: 'flag', password: 'x' } },
      dockerConfigDir: cfgDir,
      env: {
        ...env,
        DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'b.example': { auth: b64('envuser:e') } } }),
      },
      helperTimeoutMs: 5000,
      secrets: new Secrets(),
      logger: silentLogger,
    });
    expect(await store.get('a.example')).toMatchObject({
      username: 'flag',
      source: 'the credentials given for a.example',
    });
    expect(await store.get('b.example')).toMatchObject({
      username: 'envuser',
      source: 'DOCKER_AUTH_CONFIG auths["b.example"]',
    });
  });

  it('dockerConfigDir false reads nothing', async () => {
    const store = createCredentialStore({
      explicit: {},
      dockerConfigDir: false,
      env: { ...env, DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'b.example': { auth: b64('u:p') } } }) },
      helperTimeoutMs: 5000,
      secrets: new Secrets(),
      logger: silentLogger,
    });
    expect(await store.get('b.example')).toBeUndefined();
  });

  it('runs credHelpers / credsStore helpers found on PATH (docker-credential-test)', async () => {
    const cfgDir = join(dir, 'cfg3');
    await mkdir(cfgDir, { recursive: true });
    await writeFile(
      join(cfgDir, 'config.json'),
      JSON.stringify({
        credHelpers: { 'ghcr.io': 'test', 'missing.example': 'nosuchhelper' },
        credsStore: 'test',
        auths: { 'fallback.example': { auth: b64('fb:fbpass') }, 'missing.example': { auth: b64('m:p') } },
      }),
    );
    const { logger, lines } = capture();
    const secrets = new Secrets();
    const store = createCredentialStore({
      explicit: {},
      dockerConfigDir: cfgDir,
      env,
      helperTimeoutMs: 5000,
      secrets,
      logger,
    });
    expect(await store.get('docker.io')).toMatchObject({ username: 'hubuser', password: 'hub-secret-1' });
    expect(await store.get('ghcr.io')).toMatchObject({ identityToken: 'ghcr-identity-token' });
    // helper says "credentials not found": the auths entry is used
    expect(await store.get('fallback.example')).toMatchObject({ username: 'fb', password: 'fbpass' });
    // missing helper: warned once, anonymous
    expect(await store.get('missing.example')).toBeUndefined();
    expect(lines.join('\n')).toContain('credential helper docker-credential-nosuchhelper not found on PATH');
    // failing helper: warned with known secrets masked, then anonymous
    secrets.add('hunter2-password');
    expect(await store.get('broken.example')).toBeUndefined();
    const warn = lines.find((l) => l.includes('broken.example'));
    expect(warn).toMatch(
      /docker-credential-test failed for broken.example \(exit 3\): keychain locked: \*\*\*/,
    );
    // each registry asked once
    expect(await store.get('docker.io')).toBeDefined();
    const log = await readFile(env.HELPER_LOG as string, 'utf8');
    expect(log.split('\n').filter((l) => l === 'https://index.docker.io/v1/')).toHaveLength(1);
    expect(secrets.list()).toEqual(expect.arrayContaining(['hub-secret-1', 'ghcr-identity-token']));
  });

  it('rejects helper names that are paths', async () => {
    await expect(
      runCredentialHelper('../evil', 'x', new Secrets(), { env, timeoutMs: 1000 }),
    ).rejects.toThrow(/invalid credential helper name "..\/evil"/);
  });
});
