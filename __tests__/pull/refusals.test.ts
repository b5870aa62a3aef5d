// What pull refuses at an image's manifests, against the real docker-registry: configs bigger
// than a config may be (declared or real), configs that cannot say their platform, platforms a
// nested index does not offer, and descriptor sets the verifier would call broken (one digest
// listed with two sizes or as two kinds of document, within an image or across two).
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  MT,
  pushBlob,
  pushManifest,
  removeTempDir,
  startFaultProxy,
  startRegistry,
  type Desc,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages, type PullOptions, type PullResult } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { checkLayout } from '../../src/verify/index.js';

const AMD64 = parsePlatform('linux/amd64');
const MiB = 1024 * 1024;

let work: string;
let registry: Registry;

beforeAll(async () => {
  work = await makeTempDir('pull-refusals');
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeTempDir(work);
});

let caches = 0;
const freshCache = () => path.join(work, `cache-${++caches}`);
const short = (digest: string): string => `${digest.slice(0, 'sha256:'.length + 12)}…`;

async function pull(
  cache: string,
  refs: string[],
  options: Partial<PullOptions> = {},
  host = registry.host,
): Promise<PullResult[]> {
  const client = createRegistryClient({ dockerConfigDir: false, env: {} });
  try {
    return await pullImages(
      Layout.at(cache),
      client,
      refs.map((r) => parseReference(`${host}/${r}`)),
      { platforms: [AMD64], concurrency: 4, ...options },
    );
  } finally {
    await client.close();
  }
}

async function entries(cache: string): Promise<string[]> {
  const index = JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8')) as {
    manifests: { annotations: Record<string, string> }[];
  };
  return index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']!);
}

/** Every file under blobs/sha256 (partial downloads included). */
const files = (cache: string) => readdir(path.join(cache, 'blobs', 'sha256'));

/** A single-platform image with this config and one small layer, tagged `tag` in `repo`. */
async function pushSingle(
  repo: string,
  tag: string,
  config: Buffer,
): Promise<{ manifest: Desc; config: Desc }> {
  const layer = await pushBlob(registry, repo, randomBytes(300), MT.ociLayerGzip);
  const cfg = await pushBlob(registry, repo, config, MT.ociConfig);
  const manifest = await pushManifest(registry, repo, { config: cfg, layers: [layer] }, MT.ociManifest, tag);
  return { manifest, config: cfg };
}

const configFor = (architecture: string, extra: object = {}) =>
  Buffer.from(
    JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...extra }),
  );

describe('a config is capped as a manifest is (4 MiB), and always says its platform', () => {
  let padded: { manifest: Desc; config: Desc };

  beforeAll(async () => {
    // An arm64-only image whose config is padded to 20 MB.
    padded = await pushSingle('test/padded', '1', configFor('arm64', { pad: 'x'.repeat(20 * MiB) }));
  });

  it('a 20 MB arm64 config asked for as linux/amd64: refused at the manifest, nothing of the config fetched, no entry', async () => {
    const cache = freshCache();
    const [r] = await pull(cache, ['test/padded:1']);
    expect(r!.status).toBe('failed');
    expect(r!.error).toBe(
      `${registry.host}/test/padded:1: config ${padded.config.digest} of manifest ${short(padded.manifest.digest)} is ${padded.config.size} bytes, more than the 4 MiB a config may be: refusing it before fetching it`,
    );
    expect(await entries(cache)).toEqual([]);
    expect(await files(cache)).toEqual([padded.manifest.digest.slice(7)]);
  });

  it('--platform all refuses it too: the cap does not depend on the platform', async () => {
    const [r] = await pull(freshCache(), ['test/padded:1'], { platforms: 'all' });
    expect(r!.status).toBe('failed');
    expect(r!.error).toMatch(/more than the 4 MiB a config may be/);
  });

  it('already in the cache (written by another tool): not taken as cached for linux/amd64', async () => {
    const cache = freshCache();
    await Layout.at(cache).init();
    const blobs = path.join(cache, 'blobs', 'sha256');
    for (const d of [padded.manifest, padded.config]) {
      const res = await fetch(
        `${registry.url}/v2/test/padded/${d === padded.manifest ? 'manifests' : 'blobs'}/${d.digest}`,
        { headers: { accept: MT.ociManifest } },
      );
      await writeFile(path.join(blobs, d.digest.slice(7)), Buffer.from(await res.arrayBuffer()));
    }
    const manifest = JSON.parse(await readFile(path.join(blobs, padded.manifest.digest.slice(7)), 'utf8'));
    const layer = manifest.layers[0] as Desc;
    const res = await fetch(`${registry.url}/v2/test/padded/blobs/${layer.digest}`);
    await writeFile(path.join(blobs, layer.digest.slice(7)), Buffer.from(await res.arrayBuffer()));
    const name = `${registry.host}/test/padded:1`;
    await writeFile(
      path.join(cache, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ ...padded.manifest, annotations: { 'org.opencontainers.image.ref.name': name } }],
      }),
    );
    const [r] = await pull(cache, ['test/padded:1']);
    expect(r!.status).toBe('failed');
    expect(r!.error).toMatch(/more than the 4 MiB a config may be/);
  });

  it('a config declared at 10 GB: refused before any request for it, no partial kept', async () => {
    const repo = 'test/liar';
    const layer = await pushBlob(registry, repo, randomBytes(300), MT.ociLayerGzip);
    const config = await pushBlob(registry, repo, configFor('amd64'), MT.ociConfig);
    const lying = { ...config, size: 10_000_000_000 };
    // The registry checks that the config exists, not its size.
    const manifest = await pushManifest(
      registry,
      repo,
      { config: lying, layers: [layer] },
      MT.ociManifest,
      '1',
    );
    const proxy = await startFaultProxy(registry.url);
    try {
      const cache = freshCache();
      const [r] = await pull(cache, [`${repo}:1`], {}, proxy.host);
      expect(r!.error).toBe(
        `${proxy.host}/${repo}:1: config ${config.digest} of manifest ${short(manifest.digest)} is 10000000000 bytes, more than the 4 MiB a config may be: refusing it before fetching it`,
      );
      expect(proxy.requests.filter((q) => q.url.includes('/blobs/'))).toEqual([]);
      expect(await files(cache)).toEqual([manifest.digest.slice(7)]);
    } finally {
      await proxy.stop();
    }
  });

  it('a config that names no platform, or is not JSON: not an image for linux/amd64; --platform all takes the first', async () => {
    const none = await pushSingle(
      'test/noplatform',
      '1',
      Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}'),
    );
    const [r] = await pull(freshCache(), ['test/noplatform:1']);
    expect(r!.error).toBe(
      `${registry.host}/test/noplatform:1 has no linux/amd64 image (its config names no platform; --platform all takes it as it is)`,
    );
    const [all] = await pull(freshCache(), ['test/noplatform:1'], { platforms: 'all' });
    expect(all!.status, all!.error).toBe('pulled');
    expect(all!.digest).toBe(none.manifest.digest);

    const bad = await pushSingle('test/notjson', '1', Buffer.from('{"os": "linux", "architecture": "amd64"'));
    const [b] = await pull(freshCache(), ['test/notjson:1']);
    expect(b!.status).toBe('failed');
    expect(b!.error).toMatch(
      new RegExp(
        `^${registry.host}/test/notjson:1 has no linux/amd64 image \\(its config ${short(bad.config.digest).replace('…', '')}… cannot be read as JSON: .+\\)$`,
      ),
    );
  });

  it('an index whose nested index offers only linux/arm64: no linux/amd64 image, nothing pulled', async () => {
    const repo = 'test/nested';
    const arm = await pushSingle(repo, 'arm', configFor('arm64'));
    const nested = await pushManifest(
      registry,
      repo,
      { manifests: [{ ...arm.manifest, platform: { os: 'linux', architecture: 'arm64' } }] },
      MT.ociIndex,
    );
    await pushManifest(registry, repo, { manifests: [nested] }, MT.ociIndex, '1');
    const cache = freshCache();
    const [r] = await pull(cache, [`${repo}:1`]);
    expect(r!.status).toBe('failed');
    expect(r!.error).toBe(`${registry.host}/${repo}:1 has no linux/amd64 image (it offers: linux/arm64)`);
    expect(await entries(cache)).toEqual([]);
    const [all] = await pull(freshCache(), [`${repo}:1`], { platforms: 'all' });
    expect(all!.status, all!.error).toBe('pulled');
  });
});

describe('pull refuses, at the manifest, any descriptor set the verifier would call broken', () => {
  it('one layer listed with two sizes: one line naming both listings; no entry, no layer fetched', async () => {
    const repo = 'test/twosizes';
    const layer = await pushBlob(registry, repo, randomBytes(200_000), MT.ociLayerGzip);
    const config = await pushBlob(registry, repo, configFor('amd64'), MT.ociConfig);
    const manifest = await pushManifest(
      registry,
      repo,
      { config, layers: [layer, { ...layer, size: 5 }] },
      MT.ociManifest,
      '1',
    );
    const cache = freshCache();
    const [r] = await pull(cache, [`${repo}:1`], { platforms: 'all' });
    expect(r!.status).toBe('failed');
    const here = `manifest ${short(manifest.digest)}`;
    expect(r!.error).toBe(
      `${registry.host}/${repo}:1: ${short(layer.digest)} is listed with two sizes: layers[0] of ${here} (${MT.ociLayerGzip}, 200000 bytes) and layers[1] of ${here} (${MT.ociLayerGzip}, 5 bytes); its blob can match only one, so validate would call the image broken`,
    );
    expect(await entries(cache)).toEqual([]);
    expect(await files(cache)).toEqual([manifest.digest.slice(7)]);
  });

  it('one manifest listed by an index as a manifest and as an index: refused, naming both', async () => {
    const repo = 'test/twokinds';
    const img = await pushSingle(repo, 'img', configFor('amd64'));
    const platform = { os: 'linux', architecture: 'amd64' };
    const index = await pushManifest(
      registry,
      repo,
      {
        manifests: [
          { ...img.manifest, platform },
          { ...img.manifest, mediaType: MT.ociIndex, platform },
        ],
      },
      MT.ociIndex,
      '1',
    );
    const [r] = await pull(freshCache(), [`${repo}:1`]);
    expect(r!.status).toBe('failed');
    expect(r!.error).toBe(
      `${registry.host}/${repo}:1: ${short(img.manifest.digest)} is listed as an index and as a manifest: manifests[0] of index ${short(index.digest)} (${MT.ociManifest}, ${img.manifest.size} bytes) and manifests[1] of index ${short(index.digest)} (${MT.ociIndex}, ${img.manifest.size} bytes); its blob can match only one, so validate would call the image broken`,
    );
  });

  it('two images of one run listing one layer with two sizes: the right one is pulled, the wrong one refused, in either order', async () => {
    const repo = 'test/across';
    const layer = await pushBlob(registry, repo, randomBytes(50_000), MT.ociLayerGzip);
    const config = await pushBlob(registry, repo, configFor('amd64'), MT.ociConfig);
    await pushManifest(registry, repo, { config, layers: [layer] }, MT.ociManifest, 'right');
    await pushManifest(registry, repo, { config, layers: [{ ...layer, size: 5 }] }, MT.ociManifest, 'wrong');
    for (const order of [
      ['right', 'wrong'],
      ['wrong', 'right'],
    ]) {
      const cache = freshCache();
      const results = await pull(
        cache,
        order.map((t) => `${repo}:${t}`),
      );
      const byTag = Object.fromEntries(results.map((r) => [r.reference.split(':').pop(), r]));
      expect(byTag.right!.status, byTag.right!.error).toBe('pulled');
      expect(byTag.wrong!.status).toBe('failed');
      expect(await entries(cache)).toEqual([`${registry.host}/${repo}:right`]);
      const report = await checkLayout(Layout.at(cache), { mode: 'full', platforms: [AMD64], repair: false });
      expect(report.ok).toBe(true);
    }
  });
});
