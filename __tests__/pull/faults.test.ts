// Pull through the harness's fault-injecting proxy in front of the real docker-registry: broken,
// corrupted, throttled, stalled, oversized and hostile answers. The library API is used so that
// retries and timeouts can be set short; every assertion about the wire reads the proxy's log.
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  makeTempDir,
  MT,
  pushFixture,
  removeTempDir,
  startFaultProxy,
  startRegistry,
  startStaticServer,
  type BuiltImage,
  type Fault,
  type FaultProxy,
  type ProxyRecord,
  type ProxyRequestInfo,
  type Registry,
  type StaticServer,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { hostPlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages, type PullResult } from '../../src/pull/pull.js';
import { createRegistryClient, type RegistryClientInput, type RetryEvent } from '../../src/registry/index.js';
import { checkLayout } from '../../src/verify/index.js';

const USER = { user: 'faulty', password: 'pw-Fault-3' };
const BIG = 4_000_000;

let work: string;
let source: string;
let registry: Registry;
let basic: Registry;
let image: BuiltImage;
let big: { digest: string; size: number };
const stoppers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  work = await makeTempDir('pull-faults');
  source = path.join(work, 'src');
  const registries = Promise.all([startRegistry(), startRegistry({ auth: { htpasswd: USER } })]);
  image = await buildImage(source, { tag: 'v1', layers: [BIG, 600] });
  big = image.layers[0]!;
  [registry, basic] = await registries;
  await Promise.all([
    pushFixture(source, 'v1', registry, { repo: 'test/img' }),
    pushFixture(source, 'v1', basic, { repo: 'test/img' }),
  ]);
});

afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
});

afterAll(async () => {
  await Promise.all([registry?.stop(), basic?.stop()]);
  if (work) await removeTempDir(work);
});

const isBlobGet = (req: ProxyRequestInfo, digest = big.digest) =>
  req.method === 'GET' && req.url.split('?')[0]!.endsWith(`/blobs/${digest}`);
const isManifestGet = (req: ProxyRequestInfo, target: string) =>
  req.method === 'GET' && req.url.endsWith(`/manifests/${target}`);

/** A proxy in front of `upstream` whose rule applies `fault` (if any) to the first `times` matching requests. */
async function proxyWith(
  fault: Fault | undefined,
  match: (req: ProxyRequestInfo) => boolean = (req) => isBlobGet(req),
  times = Infinity,
  upstream: Registry = registry,
): Promise<FaultProxy> {
  const proxy = await startFaultProxy(upstream.url);
  stoppers.push(() => proxy.stop());
  let seen = 0;
  proxy.rule = (req) => (match(req) && ++seen <= times ? fault : undefined);
  return proxy;
}

let caches = 0;
const freshCache = () => path.join(work, `cache-${++caches}`, 'cache');

async function pullVia(
  proxy: FaultProxy,
  cache: string,
  clientInput: RegistryClientInput = {},
  target = 'v1',
): Promise<PullResult> {
  const client = createRegistryClient({ dockerConfigDir: false, env: {}, ...clientInput });
  try {
    const [result] = await pullImages(
      Layout.at(cache),
      client,
      [parseReference(`${proxy.host}/test/img:${target}`)],
      { platforms: [hostPlatform()], concurrency: 4 },
    );
    return result!;
  } finally {
    await client.close();
  }
}

const blobPath = (cache: string, digest: string) => path.join(cache, 'blobs', 'sha256', digest.slice(7));
const exists = (p: string) => stat(p).then(
  () => true,
  () => false,
); // prettier-ignore
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobGets = (proxy: FaultProxy, digest = big.digest): ProxyRecord[] =>
  proxy.requests.filter((r) => isBlobGet(r, digest));
const sent = (records: ProxyRecord[]) => records.reduce((n, r) => n + r.bytesSent, 0);

async function expectBlobIntact(cache: string, digest = big.digest): Promise<void> {
  expect(sha256(await readFile(blobPath(cache, digest)))).toBe(digest);
}

/** Nothing under a final name is wrong, and index.json parses (the verifier, hashing everything). */
async function expectNothingCorrupt(cache: string): Promise<void> {
  const layout = Layout.at(cache);
  expect((await layout.readIndex()).state).toBe('ok');
  const report = await checkLayout(layout, { mode: 'full', platforms: [], repair: false });
  expect(report.findings.filter((f) => f.kind === 'corrupt' || f.kind === 'index')).toEqual([]);
}

const noRetry: RegistryClientInput = { retry: { maxAttempts: 1 } };

describe('a connection cut mid-blob', () => {
  it('is resumed with a Range request in the same pull by the retry layer', async () => {
    const proxy = await proxyWith({ cutAfterBytes: BIG / 2 }, undefined, 1);
    const cache = freshCache();
    const r = await pullVia(proxy, cache, { retry: { baseDelayMs: 1 } });
    expect(r.status, r.error).toBe('pulled');
    const gets = blobGets(proxy);
    expect(gets.map((g) => g.status)).toEqual([200, 206]);
    expect(gets[1]!.range).toMatch(/^bytes=\d+-/);
    expect(sent(gets) - big.size).toBeLessThan(big.size * 0.1);
    await expectBlobIntact(cache);
  });

  it('with retries off, fails with one line, keeps the partial, and the next pull resumes it with Range', async () => {
    const cut = await proxyWith({ cutAfterBytes: BIG / 2 }, undefined, 1);
    const cache = freshCache();
    const first = await pullVia(cut, cache, noRetry);
    expect(first.status).toBe('failed');
    expect(first.error).toMatch(
      new RegExp(
        `^blob ${cut.host}/test/img@${big.digest}: connection lost \\(.+\\); ${BIG / 2} of ${big.size} bytes kept for the next pull$`,
      ),
    );
    const partial = `${blobPath(cache, big.digest)}.download`;
    const kept = (await stat(partial)).size;
    expect(await exists(blobPath(cache, big.digest))).toBe(false);
    // Everything that arrived before the cut was written, not only whole batches.
    expect(kept).toBe(BIG / 2);
    expect((await readFile(path.join(cache, 'index.json'), 'utf8')).includes('test/img')).toBe(false);
    await expectNothingCorrupt(cache);

    const second = await pullVia(cut, cache, noRetry);
    expect(second.status, second.error).toBe('pulled');
    expect(second.resumedBytes).toBe(kept);
    const gets = blobGets(cut);
    expect(gets.map((g) => [g.status, g.range])).toEqual([
      [200, undefined],
      [206, `bytes=${kept}-`],
    ]);
    const twice = sent(gets) - big.size;
    expect(twice).toBeLessThan(big.size * 0.1);
    await expectBlobIntact(cache);
    expect(await exists(partial)).toBe(false);
  });

  it('a partial whose bytes are wrong is discarded after the resume and fetched again from zero', async () => {
    const proxy = await proxyWith(undefined);
    const cache = freshCache();
    await Layout.at(cache).init();
    const wrong = (await readFile(path.join(source, 'blobs', 'sha256', big.digest.slice(7)))).subarray(
      0,
      1000,
    );
    await writeFile(`${blobPath(cache, big.digest)}.download`, Buffer.from(wrong.map((b) => b ^ 1)));
    const r = await pullVia(proxy, cache, noRetry);
    expect(r.status, r.error).toBe('pulled');
    expect(blobGets(proxy).map((g) => g.range)).toEqual(['bytes=1000-', undefined]);
    await expectBlobIntact(cache);
  });
});

describe('a partial that already has every byte (killed before the rename) or more', () => {
  const bigBytes = () => readFile(path.join(source, 'blobs', 'sha256', big.digest.slice(7)));
  const partialOf = (cache: string) => `${blobPath(cache, big.digest)}.download`;

  it('a resume the server answers with the whole blob (Range ignored) starts over from that one answer, not a second GET', async () => {
    const proxy = await proxyWith({ ignoreRange: true });
    const cache = freshCache();
    await Layout.at(cache).init();
    await writeFile(partialOf(cache), (await bigBytes()).subarray(0, 100_000));
    const r = await pullVia(proxy, cache, noRetry);
    expect(r.status, r.error).toBe('pulled');
    expect(r.resumedBytes).toBe(0);
    expect(blobGets(proxy).map((g) => [g.status, g.range])).toEqual([[200, 'bytes=100000-']]);
    await expectBlobIntact(cache);
  });

  it('the reported steps: pull, move the layer to <hex>.download, validate --repair, pull: renamed, not fetched', async () => {
    const proxy = await proxyWith(undefined);
    const cache = freshCache();
    expect((await pullVia(proxy, cache)).status).toBe('pulled');
    await rename(blobPath(cache, big.digest), partialOf(cache));
    await checkLayout(Layout.at(cache), { mode: 'full', platforms: [], repair: true });
    proxy.requests.length = 0;
    const again = await pullVia(proxy, cache, noRetry);
    expect(again.status, again.error).toBe('pulled');
    expect(again.resumedBytes).toBe(big.size);
    expect(blobGets(proxy)).toEqual([]);
    await expectBlobIntact(cache);
    expect(await exists(partialOf(cache))).toBe(false);
    await expectNothingCorrupt(cache);
  });

  it('full size with a wrong byte: discarded and fetched again from zero', async () => {
    const proxy = await proxyWith(undefined);
    const cache = freshCache();
    await Layout.at(cache).init();
    const wrong = await bigBytes();
    wrong[12_345]! ^= 0xff;
    await writeFile(partialOf(cache), wrong);
    const r = await pullVia(proxy, cache, noRetry);
    expect(r.status, r.error).toBe('pulled');
    expect(r.resumedBytes).toBe(0);
    expect(blobGets(proxy).map((g) => g.range)).toEqual([undefined]);
    await expectBlobIntact(cache);
    expect(await exists(partialOf(cache))).toBe(false);
  });

  it('longer than the blob: discarded and fetched again from zero', async () => {
    const proxy = await proxyWith(undefined);
    const cache = freshCache();
    await Layout.at(cache).init();
    await writeFile(partialOf(cache), Buffer.concat([await bigBytes(), Buffer.from('trailing junk')]));
    const r = await pullVia(proxy, cache, noRetry);
    expect(r.status, r.error).toBe('pulled');
    expect(r.resumedBytes).toBe(0);
    expect(blobGets(proxy).map((g) => g.range)).toEqual([undefined]);
    await expectBlobIntact(cache);
    expect(await exists(partialOf(cache))).toBe(false);
  });
});

describe('wrong bytes', () => {
  it('one flipped byte never lands under the final name; the blob is fetched again once', async () => {
    const always = await proxyWith({ flipByteAt: 12345 });
    const cache = freshCache();
    const r = await pullVia(always, cache, noRetry);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/^blob sha256:[0-9a-f]{12}… digest mismatch: got sha256:/);
    expect(blobGets(always)).toHaveLength(2);
    expect(await exists(blobPath(cache, big.digest))).toBe(false);
    expect(await exists(`${blobPath(cache, big.digest)}.download`)).toBe(false);
    await expectNothingCorrupt(cache);

    const once = await proxyWith({ flipByteAt: 12345 }, undefined, 1);
    const again = await pullVia(once, cache, noRetry);
    expect(again.status, again.error).toBe('pulled');
    expect(blobGets(once).map((g) => [g.status, g.range])).toEqual([
      [200, undefined],
      [200, undefined],
    ]);
    await expectBlobIntact(cache);
  });

  it('a cached blob of the right size with a flipped byte is fetched again, and the cache then verifies', async () => {
    const proxy = await proxyWith(undefined);
    const cache = freshCache();
    expect((await pullVia(proxy, cache)).status).toBe('pulled');
    const wrong = await readFile(blobPath(cache, big.digest));
    wrong[big.size - 1]! ^= 0x01;
    await writeFile(blobPath(cache, big.digest), wrong);
    proxy.requests.length = 0;
    // The entry is there and every blob has its size: only hashing tells the layer is wrong.
    const again = await pullVia(proxy, cache, noRetry);
    expect(again.status, again.error).toBe('pulled');
    expect([again.fetchedBlobs, again.bytes]).toEqual([1, big.size]);
    expect(blobGets(proxy).map((g) => [g.status, g.range])).toEqual([[200, undefined]]);
    await expectBlobIntact(cache);
    await expectNothingCorrupt(cache);
  });

  it('a body longer than declared is an error and nothing is kept under the final name', async () => {
    const proxy = await proxyWith({ extraBytes: 10 });
    const cache = freshCache();
    const r = await pullVia(proxy, cache, noRetry);
    expect(r.status).toBe('failed');
    expect(r.error).toBe(
      `blob ${proxy.host}/test/img@${big.digest}: the registry announces ${big.size + 10} bytes from offset 0, its descriptor declares ${big.size} (of ${big.size})`,
    );
    expect(await exists(blobPath(cache, big.digest))).toBe(false);
    expect(await exists(`${blobPath(cache, big.digest)}.download`)).toBe(false);
    await expectNothingCorrupt(cache);
  });
});

describe('busy registries', () => {
  it('503 three times, then success: retried with backoff', async () => {
    const proxy = await proxyWith({ status: 503 }, undefined, 3);
    const events: RetryEvent[] = [];
    const r = await pullVia(proxy, freshCache(), {
      retry: { baseDelayMs: 5, onRetry: (e) => events.push(e) },
    });
    expect(r.status, r.error).toBe('pulled');
    expect(blobGets(proxy).map((g) => g.status)).toEqual([503, 503, 503, 200]);
    expect(events.map((e) => e.reason)).toEqual(['HTTP 503', 'HTTP 503', 'HTTP 503']);
  });

  it('429 with Retry-After: waits as long as asked, then succeeds', async () => {
    const proxy = await proxyWith({ status: 429, headers: { 'retry-after': '1' } }, undefined, 1);
    const events: RetryEvent[] = [];
    const slept: number[] = [];
    const r = await pullVia(proxy, freshCache(), {
      retry: { onRetry: (e) => events.push(e), sleep: async (ms) => void slept.push(ms) },
    });
    expect(r.status, r.error).toBe('pulled');
    expect(blobGets(proxy).map((g) => g.status)).toEqual([429, 200]);
    expect(events).toMatchObject([{ reason: 'HTTP 429', retryAfterMs: 1000, delayMs: 1000 }]);
    // The wait asked for is the one taken (a decision, not a clock reading).
    expect(slept).toEqual([1000]);
  });

  // The test's timeout is the hang guard: the 300 ms idle timeout ends each stalled body.
  it(
    'a body that stalls: a timeout error naming the blob; the partial is kept for the next run',
    { timeout: 20_000 },
    async () => {
      const proxy = await proxyWith({ stallAfterBytes: 100_000 });
      const cache = freshCache();
      const r = await pullVia(proxy, cache, {
        timeouts: { bodyIdleMs: 300 },
        retry: { maxAttempts: 2, baseDelayMs: 1 },
      });
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(
        new RegExp(
          `^blob ${proxy.host}/test/img@${big.digest}: the registry stopped sending \\(body timeout\\); \\d+ of ${big.size} bytes kept for the next pull$`,
        ),
      );
      // The retry layer resumed once with Range, and that stalled too; all that arrived was kept.
      const gets = blobGets(proxy);
      expect(gets.map((g) => g.range)).toEqual([undefined, expect.stringMatching(/^bytes=100000-/)]);
      expect((await stat(`${blobPath(cache, big.digest)}.download`)).size).toBe(sent(gets));
      expect(await exists(blobPath(cache, big.digest))).toBe(false);
      await expectNothingCorrupt(cache);
    },
  );
});

describe('a body that trickles: bytes keep coming, never silent long enough for the idle timeout', () => {
  const floor = { bytesPerSecond: 200_000, windowMs: 500 };

  async function proxyAt(bytesPerSecond: number): Promise<FaultProxy> {
    const proxy = await startFaultProxy(registry.url, undefined, { distance: { bytesPerSecond } });
    stoppers.push(() => proxy.stop());
    return proxy;
  }

  it('ends in one line naming the blob and the rate once a window of waiting brought less than the floor; what came is kept', async () => {
    const proxy = await proxyAt(60_000); // the 4 MB layer would take 67 s
    const cache = freshCache();
    const r = await pullVia(proxy, cache, { ...noRetry, rateFloor: floor });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(
      new RegExp(
        `^blob ${proxy.host}/test/img@${big.digest}: the registry sent \\d+ bytes in [\\d.]+ m?s, under 200 kB/s: a stalled or hostile server; \\d+ of ${big.size} bytes kept for the next pull$`,
      ),
    );
    // Every byte that came, the last chunk included, is in the partial for the next pull.
    const kept = Number(/; (\d+) of/.exec(r.error!)![1]);
    expect(kept).toBeGreaterThan(0);
    expect((await stat(`${blobPath(cache, big.digest)}.download`)).size).toBe(kept);
    expect(await exists(blobPath(cache, big.digest))).toBe(false);
    await expectNothingCorrupt(cache);
  });

  it('a manifest sent a byte at a time: the image fails in one line naming the manifest', async () => {
    const proxy = await proxyWith({ dripEveryMs: 20 }, (req) => isManifestGet(req, 'v1'));
    const cache = freshCache();
    const r = await pullVia(proxy, cache, { ...noRetry, rateFloor: { bytesPerSecond: 1000, windowMs: 500 } });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(
      new RegExp(
        `^manifest ${proxy.host}/test/img:v1: the registry sent \\d+ bytes in [\\d.]+ m?s, under 1.0 kB/s: a stalled or hostile server$`,
      ),
    );
    expect((await readdir(path.join(cache, 'blobs', 'sha256')).catch(() => [])).length).toBe(0);
  });

  it('a body above the floor is not cut', async () => {
    const proxy = await proxyAt(2_000_000);
    const cache = freshCache();
    const r = await pullVia(proxy, cache, { ...noRetry, rateFloor: floor });
    expect(r.status, r.error).toBe('pulled');
    await expectBlobIntact(cache);
  });
});

describe('hostile manifests', () => {
  it('an unparseable manifest: a clear error naming the image, nothing recorded', async () => {
    const proxy = await proxyWith({ replaceBody: Buffer.from('{"schemaVersion": 2, "layers": [') }, (req) =>
      isManifestGet(req, 'v1'),
    );
    const cache = freshCache();
    const r = await pullVia(proxy, cache);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(new RegExp(`^manifest ${proxy.host}/test/img:v1: not valid JSON \\(.+\\)$`));
    expect(JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8')).manifests).toEqual([]);
    expect(await readdir(path.join(cache, 'blobs', 'sha256'))).toEqual([]);
  });

  it('a manifest naming a layer sha256:../../x: a clear error, nothing written outside the cache', async () => {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        config: image.config,
        layers: [{ mediaType: MT.ociLayerGzip, digest: 'sha256:../../x', size: 10 }],
      }),
    );
    // With a matching Docker-Content-Digest, so that only the layer's digest is wrong.
    const proxy = await proxyWith(
      { replaceBody: manifest, headers: { 'docker-content-digest': sha256(manifest) } },
      (req) => isManifestGet(req, 'v1'),
    );
    const cache = freshCache();
    const r = await pullVia(proxy, cache);
    expect(r.status).toBe('failed');
    expect(r.error).toContain('"sha256:../../x"');
    expect(r.error).toMatch(/digest/);
    // The cache's parent holds the cache only, and no file named x exists anywhere near it.
    const parent = path.dirname(cache);
    expect(await readdir(parent)).toEqual(['cache']);
    const all = await readdir(parent, { recursive: true });
    expect(all.filter((f) => path.basename(f) === 'x')).toEqual([]);
    expect(await readdir(work)).not.toContain('x');
    expect(blobGets(proxy, 'sha256:../../x')).toEqual([]);
    expect(proxy.requests.some((q) => q.url.includes('..'))).toBe(false);
    expect(JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8')).manifests).toEqual([]);
  });
});

describe('a blob redirected to another host', () => {
  let cdn: StaticServer;

  beforeAll(async () => {
    const bytes = await readFile(path.join(source, 'blobs', 'sha256', big.digest.slice(7)));
    cdn = await startStaticServer((req, res) => {
      if (req.url === '/cdn/blob?sig=s3cr3t') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
        return void res.end(bytes);
      }
      if (req.url === '/cdn/longer') {
        // Chunked, so no Content-Length gives it away: the body itself runs past the size.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(bytes);
        return void res.end(Buffer.from('and then some'));
      }
      res.writeHead(404).end();
    });
  });

  afterAll(async () => {
    await cdn?.stop();
  });

  it('is fetched there without our Authorization header', async () => {
    const proxy = await proxyWith(
      { redirectTo: `${cdn.url}/cdn/blob?sig=s3cr3t` },
      (req) => isBlobGet(req),
      Infinity,
      basic,
    );
    const cache = freshCache();
    const credentials = { [proxy.host]: { username: USER.user, password: USER.password } };
    const r = await pullVia(proxy, cache, { credentials });
    expect(r.status, r.error).toBe('pulled');
    const [get] = blobGets(proxy);
    expect(get).toMatchObject({ status: 307, authorization: true });
    expect(cdn.host).not.toBe(proxy.host);
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]).toMatchObject({ method: 'GET', authorization: false });
    expect(JSON.stringify(cdn.requests[0]!.headers)).not.toContain(USER.password);
    await expectBlobIntact(cache);
  });

  it('a body that runs past the declared size without a Content-Length is cut off: error, nothing kept', async () => {
    const proxy = await proxyWith({ redirectTo: `${cdn.url}/cdn/longer` });
    const cache = freshCache();
    const r = await pullVia(proxy, cache, noRetry);
    expect(r.status).toBe('failed');
    expect(r.error).toBe(
      `blob ${proxy.host}/test/img@${big.digest}: the registry sent more than the ${big.size} bytes its descriptor declares`,
    );
    expect(cdn.requests.filter((q) => q.url === '/cdn/longer')).toHaveLength(2); // fetched again once
    expect(await exists(blobPath(cache, big.digest))).toBe(false);
    expect(await exists(`${blobPath(cache, big.digest)}.download`)).toBe(false);
    await expectNothingCorrupt(cache);
  });
});
