// The registry client against the real Debian docker-registry (distribution 2.8), started by the
// harness on 127.0.0.1: anonymous, htpasswd Basic, token auth; fixtures pushed with skopeo; faults
// injected by the harness proxy. No mocks here.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  buildMultiArchIndex,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startFaultProxy,
  startRegistry,
  startStaticServer,
  startTokenServer,
  type BuiltImage,
  type FaultProxy,
  type Registry,
  type TokenServer,
} from '../harness/index.js';
import { DigestMismatchError } from '../../src/errors.js';
import { parseDescriptor, parseManifest, type Descriptor } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { parseReference } from '../../src/oci/reference.js';
import {
  AuthError,
  createRegistryClient,
  RegistryError,
  type RegistryClient,
  type RegistryClientInput,
} from '../../src/registry/index.js';
import { failure } from './failure.js';

const USER = { user: 'ci-user', password: 'pw-Integration-42' };
const BIG = 300_000;

let layout: string;
let image: BuiltImage;
let anon: Registry;
let basic: Registry;
let tokens: TokenServer;
let tokenReg: Registry;
const clients: RegistryClient[] = [];

function client(input: RegistryClientInput = {}): RegistryClient {
  const c = createRegistryClient({
    dockerConfigDir: false,
    env: {},
    ...input,
    retry: { sleep: async () => {}, ...input.retry },
  });
  clients.push(c);
  return c;
}

const desc = (d: { mediaType: string; digest: string; size: number }): Descriptor => parseDescriptor(d);

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

beforeAll(async () => {
  layout = path.join(await makeTempDir('reg-it'), 'layout');
  image = await buildImage(layout, { tag: 'v1', layers: [2048, BIG] });
  await buildMultiArchIndex(layout, { tag: 'list', format: 'docker' });
  tokens = await startTokenServer({ ...USER, expiresInSeconds: 120 });
  [anon, basic, tokenReg] = await Promise.all([
    startRegistry(),
    startRegistry({ auth: { htpasswd: USER } }),
    startRegistry({ auth: { token: tokens } }),
  ]);
  await Promise.all([
    pushFixture(layout, 'v1', anon, { repo: 'test/img' }),
    pushFixture(layout, 'list', anon, { repo: 'test/img' }),
    pushFixture(layout, 'v1', basic, { repo: 'test/img' }),
    pushFixture(layout, 'v1', tokenReg, { repo: 'test/img' }),
  ]);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([anon?.stop(), basic?.stop(), tokenReg?.stop(), tokens?.stop()]);
  if (layout) await removeTempDir(path.dirname(layout));
});

describe('anonymous registry', () => {
  it('resolves a tag to the manifest skopeo pushed, and fetches it again by digest', async () => {
    const c = client();
    const ref = parseReference(`${anon.host}/test/img:v1`);
    const got = await c.resolve(ref);
    expect(got.descriptor).toEqual({
      mediaType: MediaType.OciManifest,
      digest: image.manifest.digest,
      size: image.manifest.size,
    });
    const m = parseManifest(got.bytes);
    expect(m.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    const again = await c.manifest(ref, got.descriptor);
    expect(again.equals(got.bytes)).toBe(true);
    const byDigest = await c.resolve(parseReference(`${anon.host}/test/img@${image.manifest.digest}`));
    expect(byDigest.descriptor.digest).toBe(image.manifest.digest);
  });

  it('resolves a Docker manifest list with its media type', async () => {
    const got = await client().resolve(parseReference(`${anon.host}/test/img:list`));
    expect(got.descriptor.mediaType).toBe(MediaType.DockerManifestList);
    expect(got.descriptor.digest).toBe(sha256(got.bytes));
  });

  it('streams a blob whole, and its tail with a Range request', async () => {
    const c = client();
    const repo = parseReference(`${anon.host}/test/img`);
    const layer = desc(image.layers[1]!);
    const whole = await c.blob(repo, layer);
    expect(whole).toMatchObject({ start: 0, partial: false, length: layer.size });
    const bytes = await readAll(whole.body);
    expect(sha256(bytes)).toBe(layer.digest);

    const offset = layer.size - 12_345;
    const tail = await c.blob(repo, layer, { offset });
    expect(tail).toMatchObject({ start: offset, partial: true, length: 12_345 });
    expect((await readAll(tail.body)).equals(bytes.subarray(offset))).toBe(true);
  });

  it('says which image is unknown', async () => {
    const c = client();
    expect((await failure(c.resolve(parseReference(`${anon.host}/test/img:nope`)))).message).toBe(
      `manifest unknown: ${anon.host}/test/img:nope`,
    );
    const missing = await failure(c.resolve(parseReference(`${anon.host}/test/none:v1`)));
    expect(missing).toBeInstanceOf(RegistryError);
    expect((missing as RegistryError).status).toBe(404);
    expect(missing.message).toMatch(new RegExp(`^(repository|manifest) unknown: ${anon.host}/test/none:v1`));
    const blob = desc({
      mediaType: 'application/octet-stream',
      digest: `sha256:${'0'.repeat(64)}`,
      size: 10,
    });
    expect((await failure(c.blob(parseReference(`${anon.host}/test/img`), blob))).message).toBe(
      `blob unknown: blob ${anon.host}/test/img@${blob.digest} (blob unknown to registry)`,
    );
  });
});

describe('htpasswd registry (Basic)', () => {
  it('pulls with explicit credentials', async () => {
    const c = client({ credentials: { [basic.host]: { username: USER.user, password: USER.password } } });
    const got = await c.resolve(parseReference(`${basic.host}/test/img:v1`));
    expect(got.descriptor.digest).toBe(image.manifest.digest);
    const cfg = await c.blob(parseReference(`${basic.host}/test/img`), desc(image.config));
    expect(sha256(await readAll(cfg.body))).toBe(image.config.digest);
    expect(c.secrets()).toContain(USER.password);
  });

  it('pulls with credentials from $DOCKER_CONFIG/config.json', async () => {
    const dir = await makeTempDir('dockercfg');
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: { [basic.host]: { auth: Buffer.from(`${USER.user}:${USER.password}`).toString('base64') } },
      }),
    );
    try {
      const c = client({ dockerConfigDir: undefined, env: { DOCKER_CONFIG: dir } });
      await expect(c.resolve(parseReference(`${basic.host}/test/img:v1`))).resolves.toBeDefined();
    } finally {
      await removeTempDir(dir);
    }
  });

  it('says unauthorized without credentials or with wrong ones, never showing the password', async () => {
    const ref = parseReference(`${basic.host}/test/img:v1`);
    const none = await failure(client().resolve(ref));
    expect(none.message).toBe(
      `unauthorized: ${basic.host}/test/img:v1 (authentication required; no credentials for ${basic.host})`,
    );
    const wrong = await failure(
      client({
        credentials: { [basic.host]: { username: USER.user, password: 'not-the-password' } },
      }).resolve(ref),
    );
    expect((wrong as RegistryError).status).toBe(401);
    expect(wrong.message).toContain(`using the credentials given for ${basic.host})`);
    expect(wrong.message).not.toContain('not-the-password');
  });
});

describe('token registry (Bearer, ES256 JWT)', () => {
  it('gets a token for the repository pull scope with Basic credentials, and reuses it', async () => {
    const before = tokens.requests.length;
    const c = client({ credentials: { [tokenReg.host]: { username: USER.user, password: USER.password } } });
    const ref = parseReference(`${tokenReg.host}/test/img:v1`);
    const got = await c.resolve(ref);
    expect(got.descriptor.digest).toBe(image.manifest.digest);
    const layer = await c.blob(ref, desc(image.layers[0]!));
    expect(sha256(await readAll(layer.body))).toBe(image.layers[0]!.digest);
    const asked = tokens.requests.slice(before);
    expect(asked).toEqual([{ scope: 'repository:test/img:pull', authorized: true, status: 200 }]);
  });

  it('fetches a new token once the old one expires (by its own clock)', async () => {
    let clock = Date.now();
    const c = client({
      credentials: { [tokenReg.host]: { username: USER.user, password: USER.password } },
      retry: { now: () => clock },
    });
    const ref = parseReference(`${tokenReg.host}/test/img:v1`);
    const before = tokens.requests.length;
    await c.resolve(ref);
    await c.resolve(ref);
    expect(tokens.requests.length - before).toBe(1);
    clock += 121_000;
    await c.resolve(ref);
    expect(tokens.requests.length - before).toBe(2);
  });

  it('refreshes the token when the registry answers 401 (injected by the fault proxy)', async () => {
    const proxy = await startFaultProxy(tokenReg.url, (req, count) =>
      req.url.includes('/manifests/') && count === 1
        ? {
            status: 401,
            headers: {
              'www-authenticate': `Bearer realm="${tokens.realm}",service="${tokens.service}",scope="repository:test/img:pull",error="invalid_token"`,
            },
          }
        : undefined,
    );
    try {
      const c = client({ credentials: { [proxy.host]: { username: USER.user, password: USER.password } } });
      const before = tokens.requests.length;
      const got = await c.resolve(parseReference(`${proxy.host}/test/img:v1`));
      expect(got.descriptor.digest).toBe(image.manifest.digest);
      expect(tokens.requests.length - before).toBe(2);
      const manifestRequests = proxy.requests.filter((r) => r.url.includes('/manifests/'));
      expect(manifestRequests.map((r) => r.status)).toEqual([401, 200]);
    } finally {
      await proxy.stop();
    }
  });

  it('reports a token server refusal without the password', async () => {
    const c = client({
      credentials: { [tokenReg.host]: { username: USER.user, password: 'wrong-password-1' } },
    });
    const err = await failure(c.resolve(parseReference(`${tokenReg.host}/test/img:v1`)));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(
      /^127\.0\.0\.1:\d+\/test\/img:v1: token server 127\.0\.0\.1:\d+ \(scope repository:test\/img:pull, using the credentials given for 127\.0\.0\.1:\d+\) refused with HTTP 401/,
    );
    expect(err.message).not.toContain('wrong-password-1');
  });
});

describe('through the fault proxy (real sockets)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(anon.url);
  });
  afterAll(async () => {
    await proxy?.stop();
  });
  const layerPath = () => `/v2/test/img/blobs/${image.layers[1]!.digest}`;

  it('retries 503 ×3 then succeeds', async () => {
    const retries: string[] = [];
    proxy.requests.length = 0;
    proxy.rule = (req, count) =>
      req.url.includes('/manifests/v1') && count <= 3
        ? { status: 503, headers: { 'retry-after': '0' } }
        : undefined;
    const c = client({ retry: { onRetry: (e) => retries.push(e.reason) } });
    const got = await c.resolve(parseReference(`${proxy.host}/test/img:v1`));
    expect(got.descriptor.digest).toBe(image.manifest.digest);
    expect(retries).toEqual(['HTTP 503', 'HTTP 503', 'HTTP 503']);
  });

  it('resumes a blob cut mid-way with a Range request, fetching the prefix once', async () => {
    const layer = desc(image.layers[1]!);
    proxy.requests.length = 0;
    let seen = 0;
    proxy.rule = (req) => (req.url === layerPath() && ++seen === 1 ? { cutAfterBytes: 100_000 } : undefined);
    const c = client();
    const b = await c.blob(parseReference(`${proxy.host}/test/img`), layer);
    const bytes = await readAll(b.body);
    expect(sha256(bytes)).toBe(layer.digest);
    const hits = proxy.requests.filter((r) => r.url === layerPath());
    expect(hits).toHaveLength(2);
    expect(hits[1]!.range).toMatch(/^bytes=100000-/);
    const fetched = hits.reduce((n, r) => n + r.bytesSent, 0);
    expect(fetched - layer.size).toBeLessThan(layer.size * 0.1);
  });

  it('errors when the body is longer than the descriptor says', async () => {
    const layer = desc(image.layers[1]!);
    proxy.rule = (req) => (req.url === layerPath() ? { extraBytes: 10 } : undefined);
    // the proxy's Content-Length covers the extra bytes: refused before a byte is streamed
    const err = await failure(client().blob(parseReference(`${proxy.host}/test/img`), layer));
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toBe(
      `blob ${proxy.host}/test/img@${layer.digest}: the registry announces ${layer.size + 10} bytes from offset 0, its descriptor declares ${layer.size} (of ${layer.size})`,
    );
  });

  it('times out a stalled body and retries', async () => {
    const layer = desc(image.layers[1]!);
    proxy.requests.length = 0;
    let seen = 0;
    proxy.rule = (req) => (req.url === layerPath() && ++seen === 1 ? { stallAfterBytes: 50_000 } : undefined);
    const reasons: string[] = [];
    const c = client({ timeouts: { bodyIdleMs: 300 }, retry: { onRetry: (e) => reasons.push(e.reason) } });
    const b = await c.blob(parseReference(`${proxy.host}/test/img`), layer);
    expect(sha256(await readAll(b.body))).toBe(layer.digest);
    expect(reasons).toEqual(['UND_ERR_BODY_TIMEOUT']);
  });

  it('retries a body that keeps stalling only until the stalls add up to the silence budget', async () => {
    const layer = desc(image.layers[1]!);
    proxy.requests.length = 0;
    proxy.rule = (req) => (req.url === layerPath() ? { stallAfterBytes: 20_000 } : undefined);
    const reasons: string[] = [];
    const c = client({
      timeouts: { bodyIdleMs: 300, unansweredMs: 1000 },
      retry: { maxAttempts: 10, baseDelayMs: 1, onRetry: (e) => reasons.push(e.reason) },
    });
    const b = await c.blob(parseReference(`${proxy.host}/test/img`), layer);
    const err = await failure(readAll(b.body));
    expect((err as Error & { code?: string }).code).toBe('UND_ERR_BODY_TIMEOUT');
    // stalls of 300, 600 and 900 ms were retried; the fourth reached 1200 ms: no retry
    expect(reasons).toEqual(['UND_ERR_BODY_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
    expect(proxy.requests.filter((r) => r.url === layerPath())).toHaveLength(4);
  });

  it('follows a blob redirect to a second loopback host without Authorization', async () => {
    const layer = desc(image.config);
    const content = await readAll((await client().blob(parseReference(`${anon.host}/test/img`), layer)).body);
    const cdn = await startStaticServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(content.length) });
      res.end(content);
    });
    const basicProxy = await startFaultProxy(basic.url, (req) =>
      req.url.startsWith('/v2/test/img/blobs/')
        ? { redirectTo: `${cdn.url}/blob/${layer.digest}?sig=s3cr3t` }
        : undefined,
    );
    try {
      const c = client({
        credentials: { [basicProxy.host]: { username: USER.user, password: USER.password } },
      });
      const b = await c.blob(parseReference(`${basicProxy.host}/test/img`), layer);
      expect(sha256(await readAll(b.body))).toBe(layer.digest);
      expect(b.url).toBe(`${cdn.url}/blob/${layer.digest}?sig=…`);
      expect(basicProxy.requests.find((r) => r.url.startsWith('/v2/test/img/blobs/'))?.authorization).toBe(
        true,
      );
      expect(cdn.requests).toHaveLength(1);
      expect(cdn.requests[0]!.authorization).toBe(false);
    } finally {
      await basicProxy.stop();
      await cdn.stop();
    }
  });
});
