// Pull of images already complete in the cache (the CLI's case: no verifier ran before it):
// their configs and layers are hashed together on the worker pool, not one after another on the
// main thread, and no request is made. The fixture's names are under registry.invalid, so any
// request would fail the pull.
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { HashPool, type HashItem } from '../../src/hash/hash-pool.js';
import { useCachePerTest } from '../harness/cache-per-test.js';
import { FIXTURE_NAMES } from '../harness/index.js';

const newCache = useCachePerTest();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('pull of cached images', () => {
  it('hashes every config and layer of the wanted platforms on the worker pool, in one batch per image', async () => {
    const cache = await newCache();
    const batches: string[][] = [];
    const hashFiles = HashPool.prototype.hashFiles;
    vi.spyOn(HashPool.prototype, 'hashFiles').mockImplementation(function (this: HashPool, items, options) {
      batches.push((items as HashItem[]).map((i) => path.basename(i.path)));
      return hashFiles.call(this, items, options);
    });
    const client = createRegistryClient({});
    const refs = [FIXTURE_NAMES.multi, FIXTURE_NAMES.single].map((n) => parseReference(n));
    const results = await pullImages(Layout.at(cache.dir), client, refs, {
      platforms: [parsePlatform('linux/amd64')],
      concurrency: 4,
    }).finally(() => client.close());

    for (const r of results) expect(r.status, r.error).toBe('cached');
    const amd64 = cache.images.multi.platforms.find((p) => p.platform.architecture === 'amd64')!;
    const single = cache.images.single.platforms[0]!;
    const blobs = (p: typeof amd64) => [
      p.config.digest,
      ...p.layers.map((l) => l.digest),
      ...p.attestations.flatMap((a) => [a.config.digest, ...a.layers.map((l) => l.digest)]),
    ];
    const hex = (digests: string[]) => [...new Set(digests)].map((d) => d.slice('sha256:'.length)).sort();
    expect(batches.map((b) => [...b].sort()).sort((a, b) => a.length - b.length)).toEqual(
      [hex(blobs(single)), hex(blobs(amd64))].sort((a, b) => a.length - b.length),
    );
    expect(results.map((r) => r.hashedBlobs).sort()).toEqual(
      [hex(blobs(single)).length, hex(blobs(amd64)).length].sort(),
    );
  });
});
