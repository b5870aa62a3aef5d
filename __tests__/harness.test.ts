// Proves the harness itself: real registries answer, fixtures survive a push/pull round trip
// that skopeo can read back, and every proxy fault is observable on the wire.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  FIXTURE_NAMES,
  makeCache,
  makeTempDir,
  pullToLayout,
  pushFixture,
  skopeoInspect,
  startFaultProxy,
  startRegistry,
  startStaticServer,
  startTokenServer,
  umociUnpack,
  type Registry,
} from './harness/index.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  return res.status;
}

function claimsOf(jwt: string): { access: { type: string; name: string; actions: string[] }[] } {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('registry', () => {
  it('serves anonymously, and is gone after stop()', async () => {
    const reg = await startRegistry();
    expect(reg.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await status(`${reg.url}/v2/`)).toBe(200);
    await reg.stop();
    await expect(fetch(`${reg.url}/v2/`)).rejects.toThrow();
    await expect(stat(reg.root)).rejects.toThrow();
  });

  it('enforces htpasswd (bcrypt) basic auth', async () => {
    const reg = await startRegistry({ auth: { htpasswd: { user: 'alice', password: 's3cret' } } });
    try {
      expect(await status(`${reg.url}/v2/`)).toBe(401);
      expect(await status(`${reg.url}/v2/`, { authorization: basic('alice', 'wrong') })).toBe(401);
      expect(await status(`${reg.url}/v2/`, { authorization: basic('alice', 's3cret') })).toBe(200);
      expect(reg.credentials).toEqual({ user: 'alice', password: 's3cret' });
    } finally {
      await reg.stop();
    }
  });

  it('accepts ES256 tokens from the token server, and the token server enforces its user', async () => {
    const ts = await startTokenServer({ user: 'bob', password: 'pw' });
    const reg = await startRegistry({ auth: { token: ts } });
    try {
      const challenge = await fetch(`${reg.url}/v2/`);
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('www-authenticate')).toContain(`realm="${ts.realm}"`);

      const tokenUrl = `${ts.realm}?service=${ts.service}&scope=repository:test/img:pull,push`;
      expect(await status(tokenUrl)).toBe(401);
      expect(await status(tokenUrl, { authorization: basic('bob', 'nope') })).toBe(401);
      const res = await fetch(tokenUrl, { headers: { authorization: basic('bob', 'pw') } });
      const body = (await res.json()) as { token: string; access_token: string; expires_in: number };
      expect(body.access_token).toBe(body.token);
      expect(body.expires_in).toBe(300);
      expect(claimsOf(body.token).access).toEqual([
        { type: 'repository', name: 'test/img', actions: ['pull', 'push'] },
      ]);

      expect(await status(`${reg.url}/v2/`, { authorization: `Bearer ${body.token}` })).toBe(200);
      expect(await status(`${reg.url}/v2/`, { authorization: `Bearer ${body.token.slice(0, -4)}AAAA` })).toBe(
        401,
      );
      expect(ts.requests.map((r) => [r.authorized, r.status])).toEqual([
        [false, 401],
        [false, 401],
        [true, 200],
      ]);
      expect(ts.requests[2]!.scope).toBe('repository:test/img:pull,push');
    } finally {
      await reg.stop();
      await ts.stop();
    }
  });

  it('gives anonymous callers pull-only tokens when no user is configured', async () => {
    const ts = await startTokenServer({ expiresInSeconds: 5 });
    try {
      const res = await fetch(`${ts.realm}?service=${ts.service}&scope=repository:a/b:pull,push`);
      const body = (await res.json()) as { token: string; expires_in: number };
      expect(body.expires_in).toBe(5);
      expect(claimsOf(body.token).access).toEqual([{ type: 'repository', name: 'a/b', actions: ['pull'] }]);
      expect(ts.requests).toEqual([{ scope: 'repository:a/b:pull,push', authorized: false, status: 200 }]);
    } finally {
      await ts.stop();
    }
  });
});

describe('fixtures', () => {
  it('makeCache gives a populated, verifiable layout, a fresh copy each call', async () => {
    const cache = await makeCache();
    const index = JSON.parse(await readFile(path.join(cache.dir, 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort()).toEqual(
      Object.values(FIXTURE_NAMES).sort(),
    );
    const files = await readdir(path.join(cache.dir, 'blobs', 'sha256'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(files.map((h) => `sha256:${h}`).sort()).toEqual(cache.blobs);
    for (const hex of files) {
      const bytes = await readFile(path.join(cache.dir, 'blobs', 'sha256', hex));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(hex);
    }
    expect(cache.bigLayer.size).toBeGreaterThanOrEqual(150 * 1024);
    // A single-manifest image's entry is its platform manifest: count it once.
    const reachable = Object.values(cache.images).flatMap((img) => [
      ...(img.platforms[0]!.manifest.digest === img.entry.digest ? [] : [img.entry.digest]),
      ...img.platforms.flatMap((p) =>
        [p, ...p.attestations].flatMap((m) => [
          m.manifest.digest,
          m.config.digest,
          ...m.layers.map((l) => l.digest),
        ]),
      ),
    ]);
    expect(new Set(reachable).size).toBe(reachable.length); // no blob shared between images
    expect([...reachable].sort()).toEqual(cache.blobs);

    const multi = cache.images.multi;
    expect(multi.platforms.map((p) => p.platform.architecture)).toEqual(['amd64', 'arm64']);
    for (const p of multi.platforms) {
      expect(p.attestations).toHaveLength(1);
      expect(p.attestations[0]!.layers[0]!.mediaType).toBe('application/vnd.in-toto+json');
    }
    expect(cache.images.docker.entry.mediaType).toBe(
      'application/vnd.docker.distribution.manifest.list.v2+json',
    );

    for (const arch of ['amd64', 'arm64']) {
      const r = await skopeoInspect(cache.dir, FIXTURE_NAMES.multi, { arch });
      expect(r.ok, r.output).toBe(true);
      expect(JSON.parse(r.output)).toMatchObject({ Architecture: arch });
    }
    expect((await skopeoInspect(cache.dir, FIXTURE_NAMES.single)).ok).toBe(true);
    const bundle = `${cache.dir}-bundle`;
    const unpacked = await umociUnpack(cache.dir, FIXTURE_NAMES.single, bundle);
    expect(unpacked.ok, unpacked.output).toBe(true);
    expect((await stat(path.join(bundle, 'rootfs', 'data', 'layer-0.bin'))).size).toBe(2048);
    await rm(bundle, { recursive: true, force: true });

    const again = await makeCache();
    expect(again.dir).not.toBe(cache.dir);
    expect((await readdir(path.join(again.dir, 'blobs', 'sha256'))).sort()).toEqual(files.sort());
    await cache.remove();
    await again.remove();
    await expect(stat(cache.dir)).rejects.toThrow();
  });

  it('round-trips an image through a token-auth registry with credentials', async () => {
    const ts = await startTokenServer({ user: 'pusher', password: 'pw' });
    const reg = await startRegistry({ auth: { token: ts } });
    try {
      const work = await makeTempDir('roundtrip');
      const built = await buildImage(path.join(work, 'src'), {
        tag: 'v1',
        architecture: 'arm64',
        layers: [300],
      });
      const pushed = await pushFixture(path.join(work, 'src'), 'v1', reg, { repo: 'test/img' });
      expect(pushed).toEqual({ ref: `${reg.host}/test/img:v1`, digest: built.manifest.digest });

      const cacheDir = path.join(work, 'cache');
      const entry = await pullToLayout(reg, 'test/img:v1', cacheDir);
      expect(entry.digest).toBe(built.manifest.digest);
      expect(entry.annotations?.['org.opencontainers.image.ref.name']).toBe(`${reg.host}/test/img:v1`);
      const inspected = await skopeoInspect(cacheDir, `${reg.host}/test/img:v1`);
      expect(inspected.ok, inspected.output).toBe(true);
      expect(JSON.parse(inspected.output)).toMatchObject({ Architecture: 'arm64', Os: 'linux' });
      expect(ts.requests.some((r) => r.authorized && r.scope.includes('push'))).toBe(true);
    } finally {
      await reg.stop();
      await ts.stop();
    }
  });
});

describe('fault proxy', () => {
  let reg: Registry;
  let layer: { digest: string; size: number };
  let blobPath: string;

  beforeAll(async () => {
    reg = await startRegistry();
    const work = await makeTempDir('proxy');
    const built = await buildImage(work, { tag: 'p', layers: [4096] });
    await pushFixture(work, 'p', reg);
    layer = built.layers[0]!;
    blobPath = `/v2/test/fixture/blobs/${layer.digest}`;
  });
  afterAll(() => reg?.stop());

  it('passes through, and records method, auth presence, range and bytes sent', async () => {
    const proxy = await startFaultProxy(reg.url);
    try {
      const res = await fetch(`${proxy.url}${blobPath}`, {
        headers: { authorization: 'Bearer x', range: 'bytes=10-' },
      });
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.status).toBe(206);
      expect(body.length).toBe(layer.size - 10);
      expect(proxy.requests).toMatchObject([
        {
          method: 'GET',
          url: blobPath,
          count: 1,
          authorization: true,
          range: 'bytes=10-',
          status: 206,
          bytesSent: layer.size - 10,
        },
      ]);
    } finally {
      await proxy.stop();
    }
  });

  it('answers 503 with Retry-After the first `times` requests per path, then forwards', async () => {
    const proxy = await startFaultProxy(reg.url, () => ({
      status: 503,
      headers: { 'retry-after': '1' },
      times: 2,
    }));
    try {
      const first = await fetch(`${proxy.url}${blobPath}`);
      expect(first.status).toBe(503);
      expect(first.headers.get('retry-after')).toBe('1');
      await first.arrayBuffer();
      expect(await status(`${proxy.url}${blobPath}`)).toBe(503);
      expect(await status(`${proxy.url}${blobPath}`)).toBe(200);
      expect(proxy.requests.map((r) => r.count)).toEqual([1, 2, 3]);
    } finally {
      await proxy.stop();
    }
  });

  it('cuts, flips, extends and replaces bodies', async () => {
    const proxy = await startFaultProxy(reg.url);
    try {
      const original = Buffer.from(await (await fetch(`${reg.url}${blobPath}`)).arrayBuffer());

      proxy.rule = () => ({ cutAfterBytes: 1000 });
      const cut = await fetch(`${proxy.url}${blobPath}`);
      expect(cut.headers.get('content-length')).toBe(String(layer.size));
      await expect(cut.arrayBuffer()).rejects.toThrow();
      expect(proxy.requests.at(-1)?.bytesSent).toBe(1000);

      proxy.rule = () => ({ flipByteAt: 7 });
      const flipped = Buffer.from(await (await fetch(`${proxy.url}${blobPath}`)).arrayBuffer());
      expect(flipped.length).toBe(original.length);
      expect(flipped[7]).toBe(original[7]! ^ 0xff);
      expect(Buffer.compare(flipped.subarray(8), original.subarray(8))).toBe(0);

      proxy.rule = () => ({ extraBytes: 5 });
      const longer = await fetch(`${proxy.url}${blobPath}`);
      expect(longer.headers.get('content-length')).toBe(String(layer.size + 5));
      expect((await longer.arrayBuffer()).byteLength).toBe(layer.size + 5);

      proxy.rule = () => ({ replaceBody: Buffer.from('nope'), headers: { 'x-replaced': '1' } });
      const replaced = await fetch(`${proxy.url}${blobPath}`);
      expect(replaced.headers.get('x-replaced')).toBe('1');
      expect(await replaced.text()).toBe('nope');
    } finally {
      await proxy.stop();
    }
  });

  it('stalls after n bytes and keeps the socket open until stop()', async () => {
    const proxy = await startFaultProxy(reg.url, () => ({ stallAfterBytes: 100 }));
    const res = await fetch(`${proxy.url}${blobPath}`);
    const reader = res.body!.getReader();
    let got = 0;
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('stalled'), 300);
      const pump = (): void => {
        reader.read().then(
          ({ done, value }) => {
            if (done) return resolve('ended');
            got += value.length;
            pump();
          },
          () => resolve('errored'),
        );
      };
      pump();
      void timer;
    });
    expect(outcome).toBe('stalled');
    expect(got).toBe(100);
    await proxy.stop();
    await expect(reader.read()).rejects.toThrow();
  });

  it('redirects to a second loopback host, which records whether credentials followed', async () => {
    const cdn = await startStaticServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('blob-bytes');
    });
    const proxy = await startFaultProxy(reg.url, (req) =>
      req.url.includes('/blobs/') ? { redirectTo: `${cdn.url}/data` } : undefined,
    );
    try {
      expect(cdn.host).not.toBe(proxy.host);
      const manual = await fetch(`${proxy.url}${blobPath}`, { redirect: 'manual' });
      expect(manual.status).toBe(307);
      expect(manual.headers.get('location')).toBe(`${cdn.url}/data`);

      const followed = await fetch(`${proxy.url}${blobPath}`, {
        headers: { authorization: 'Bearer secret' },
      });
      expect(await followed.text()).toBe('blob-bytes');
      expect(proxy.requests.at(-1)?.authorization).toBe(true);
      // fetch (undici) drops Authorization on a cross-origin redirect: the static server sees none.
      expect(cdn.requests).toMatchObject([{ method: 'GET', url: '/data', authorization: false }]);
    } finally {
      await proxy.stop();
      await cdn.stop();
    }
  });
});
