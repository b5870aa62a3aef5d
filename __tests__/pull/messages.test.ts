// Pull's failures in words, not in undici's or errno's (issue 17 item 13): headers too big, a
// transfer cut that the server would not resume, a directory at a blob's name, and the CLI
// without a reference. Against the real docker-registry, through the harness's proxy.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startFaultProxy,
  startRegistry,
  startStaticServer,
  type BuiltImage,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages, type PullResult } from '../../src/pull/pull.js';
import { createRegistryClient, type RegistryClientInput } from '../../src/registry/index.js';
import { cli } from '../cli/capture.js';

const LAYER = 300_000;

let work: string;
let registry: Registry;
let image: BuiltImage;
const stoppers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  work = await makeTempDir('pull-messages');
  const source = path.join(work, 'src');
  image = await buildImage(source, { tag: 'v1', layers: [LAYER] });
  registry = await startRegistry();
  await pushFixture(source, 'v1', registry, { repo: 'test/img' });
});

afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeTempDir(work);
});

let caches = 0;
const freshCache = () => path.join(work, `cache-${++caches}`);

async function pull(host: string, cache: string, input: RegistryClientInput = {}): Promise<PullResult> {
  const client = createRegistryClient({ dockerConfigDir: false, env: {}, ...input });
  try {
    const [r] = await pullImages(Layout.at(cache), client, [parseReference(`${host}/test/img:v1`)], {
      platforms: [parsePlatform('linux/amd64')],
      concurrency: 2,
    });
    return r!;
  } finally {
    await client.close();
  }
}

describe('pull failures in words', () => {
  it('a server whose answers carry 50 KB of headers: one line naming the limit, no undici code', async () => {
    const server = await startStaticServer((_req, res) => {
      res.setHeader('x-padding', 'a'.repeat(50_000));
      res.end('{}');
    });
    stoppers.push(() => server.stop());
    const r = await pull(server.host, freshCache());
    expect(r.status).toBe('failed');
    expect(r.error).toBe(
      `${server.host}/test/img:v1: ${server.host} answered ${server.host} badly: the response headers are larger than the 16 KiB we accept`,
    );
  });

  it('a transfer cut midway that the server will not resume: says the connection was cut', async () => {
    const layer = image.layers[0]!;
    const proxy = await startFaultProxy(registry.url);
    stoppers.push(() => proxy.stop());
    let gets = 0;
    proxy.rule = (req) => {
      if (req.method !== 'GET' || !req.url.split('?')[0]!.endsWith(`/blobs/${layer.digest}`))
        return undefined;
      return ++gets === 1 ? { cutAfterBytes: 100_000 } : { ignoreRange: true };
    };
    const r = await pull(proxy.host, freshCache(), { retry: { baseDelayMs: 1, maxAttempts: 2 } });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(
      new RegExp(
        `^blob ${proxy.host}/test/img@${layer.digest}: the connection was cut, and the server would not resume it \\(it answered the Range request with HTTP 200, the whole body\\); \\d+ of ${layer.size} bytes kept for the next pull$`,
      ),
    );
    expect(r.error).not.toMatch(/partially consumed|UND_ERR/);
  });

  it("a directory at a blob's name: one line naming the path and what is in the way, no errno text", async () => {
    const cache = freshCache();
    await Layout.at(cache).init();
    const layer = image.layers[0]!;
    const at = path.join(cache, 'blobs', 'sha256', layer.digest.slice(7));
    await mkdir(path.join(at, 'inside'), { recursive: true });
    const r = await pull(registry.host, cache);
    expect(r.status).toBe('failed');
    expect(r.error).toBe(
      `blob ${registry.host}/test/img@${layer.digest}: cannot write it into the cache: a directory is in the way at ${at} (EISDIR on rename); fix that and pull again`,
    );
  });

  it('the CLI without a reference: one usage line, the command named once', async () => {
    const r = await cli(['pull']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'oci-cache-guard pull: name at least one image reference (see oci-cache-guard pull --help)\n',
    );
  });
});
