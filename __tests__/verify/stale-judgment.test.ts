// Issue 17 item 5, one step at a time: what a repair or prune judged before it took the cache
// lock may be stale by then, because a pull puts blobs in place without that lock and then
// commits its entry under it. Each test plays the pull's part between the judgment and the act.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCachePerTest } from '../harness/cache-per-test.js';
import { FIXTURE_NAMES, type FixtureCache } from '../harness/index.js';
import { HashPool } from '../../src/hash/hash-pool.js';
import { BlobsMissingError, Layout } from '../../src/layout/layout.js';
import { parseDescriptor } from '../../src/oci/descriptor.js';
import { pruneLayout } from '../../src/verify/prune.js';
import { repairLayout } from '../../src/verify/repair.js';
import { verifyLayout, type VerifyOptions } from '../../src/verify/verify.js';

const freshCache = useCachePerTest();
const REF_NAME = 'org.opencontainers.image.ref.name';
const blobFile = (cache: FixtureCache, digest: string) =>
  path.join(cache.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));

async function entryNames(dir: string): Promise<string[]> {
  const doc = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  return doc.manifests.map((m) => m.annotations?.[REF_NAME] ?? '');
}

async function withOptions<T>(fn: (options: VerifyOptions) => Promise<T>): Promise<T> {
  const hasher = HashPool.create();
  try {
    return await fn({ mode: 'full', platforms: [], hasher });
  } finally {
    await hasher.close();
  }
}

describe('a judgment made before the lock', () => {
  it('repair keeps an entry whose missing manifest a pull put back (and committed) after the verification', async () => {
    const cache = await freshCache();
    const layout = Layout.at(cache.dir);
    const manifest = blobFile(cache, cache.images.single.entry.digest);
    await rename(manifest, `${manifest}.aside`);
    await withOptions(async (options) => {
      const verification = await verifyLayout(layout, options);
      expect([...verification.badEntries.values()].join()).toMatch(/missing/);
      // The pull: the manifest renamed into place, the entry (unchanged) written again.
      await rename(`${manifest}.aside`, manifest);
      const report = await repairLayout(layout, verification, options);
      expect(report.ok).toBe(true);
    });
    expect(await entryNames(cache.dir)).toContain(FIXTURE_NAMES.single);
  });

  it('prune given an earlier scan keeps the blobs of an image committed since that scan', async () => {
    const cache = await freshCache();
    const layout = Layout.at(cache.dir);
    const image = cache.images.single;
    const manifest = blobFile(cache, image.entry.digest);
    // Before the scan: the image is gone from index.json, its manifest too (a repair dropped it).
    const index = JSON.parse(await readFile(path.join(cache.dir, 'index.json'), 'utf8')) as {
      manifests: { annotations?: Record<string, string> }[];
    };
    const kept = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== image.name);
    await writeFile(path.join(cache.dir, 'index.json'), JSON.stringify({ ...index, manifests: kept }));
    await rename(manifest, `${manifest}.aside`);
    await withOptions(async (options) => {
      const { scan } = await verifyLayout(layout, options);
      // The pull: manifest back in place, its entry committed.
      await rename(`${manifest}.aside`, manifest);
      await layout.setEntry(parseDescriptor(image.entry, 'entry'), image.name);
      await pruneLayout(layout, { ...options, mode: 'size', dryRun: false }, scan);
    });
    const platform = image.platforms[0]!;
    for (const d of [image.entry, platform.config, ...platform.layers])
      await expect(readFile(blobFile(cache, d.digest)), d.digest).resolves.toBeInstanceOf(Buffer);
    const report = await withOptions((options) => verifyLayout(layout, options));
    expect(report.report.ok).toBe(true);
  });

  it('an entry whose needed blob is gone at its commit is not written, and the error names the blob', async () => {
    const cache = await freshCache();
    const layout = Layout.at(cache.dir);
    const image = cache.images.single;
    const platform = image.platforms[0]!;
    const layer = platform.layers[0]!;
    await rename(blobFile(cache, layer.digest), `${blobFile(cache, layer.digest)}.aside`);
    const needs = [image.entry, platform.config, ...platform.layers].map((d) => parseDescriptor(d, 'blob'));
    const name = 'registry.invalid/ocg/again:1';
    const commit = layout.setEntry(parseDescriptor(image.entry, 'entry'), name, { needs });
    await expect(commit).rejects.toThrow(BlobsMissingError);
    await expect(commit).rejects.toThrow(layer.digest.slice(0, 'sha256:'.length + 12));
    expect(await entryNames(cache.dir)).not.toContain(name);
  });
});
