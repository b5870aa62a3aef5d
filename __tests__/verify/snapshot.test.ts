// The stat snapshot between a verification and the next one (the Action's main and post steps),
// through the library on a real cache (umoci → docker-registry → skopeo): after a "build" that
// damages blobs in the ways a stat can and cannot see, exactly the changed and new blobs are
// hashed, every damage is found, and one scan serves verify, repair and prune.
import { execFile } from 'node:child_process';
import { appendFile, cp, lstat, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { HashPool } from '../../src/hash/hash-pool.js';
import { Layout } from '../../src/layout/layout.js';
import { RACY_MS } from '../../src/verify/snapshot.js';
import type { Hasher } from '../../src/verify/scan.js';
import type { Logger } from '../../src/log.js';
import { parseDigest } from '../../src/oci/digest.js';
import {
  checkLayoutDetailed,
  recheckLayout,
  StatSnapshot,
  type RecheckResult,
} from '../../src/verify/index.js';
import { useCachePerTest } from '../harness/cache-per-test.js';
import { FIXTURE_NAMES, makeCache, makeTempDir, type FixtureCache } from '../harness/index.js';

const exec = promisify(execFile);

/** Every directory listed through node:fs/promises (src/ lists blobs/ with it). */
const listed = vi.hoisted(() => [] as string[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readdir = (dir: string, ...rest: unknown[]) => {
    listed.push(String(dir));
    return (fs.readdir as (...a: unknown[]) => unknown)(dir, ...rest);
  };
  return { ...fs, readdir, default: { ...fs, readdir } };
});
const rel = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;

/** A logger that keeps the debug lines. */
function recorder(): Logger & { debugs: string[] } {
  const debugs: string[] = [];
  return { debugs, debug: (m) => debugs.push(m), info: () => {}, warn: () => {} };
}

/** Blobs of an index.json entry of the fixture cache. */
function blobsOf(cache: FixtureCache, image: keyof FixtureCache['images']): string[] {
  const img = cache.images[image];
  const all = [img.entry.digest];
  for (const p of img.platforms) {
    all.push(p.manifest.digest, p.config.digest, ...p.layers.map((l) => l.digest));
    for (const a of p.attestations)
      all.push(a.manifest.digest, a.config.digest, ...a.layers.map((l) => l.digest));
  }
  return [...new Set(all)];
}

/** Rewrites index.json keeping the entries whose ref name passes `keep`. */
async function keepEntries(dir: string, keep: (name: string) => boolean, add: unknown[] = []): Promise<void> {
  const file = path.join(dir, 'index.json');
  const doc = JSON.parse(await readFile(file, 'utf8')) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  doc.manifests = doc.manifests.filter((m) =>
    keep(m.annotations?.['org.opencontainers.image.ref.name'] ?? ''),
  );
  doc.manifests.push(...(add as never[]));
  await writeFile(file, JSON.stringify(doc));
}

/** As main does: one hash pool for the check and the snapshot after it. */
async function withPool<T>(use: (hasher: HashPool) => Promise<T>): Promise<T> {
  const pool = HashPool.create();
  try {
    return await use(pool);
  } finally {
    await pool.close();
  }
}

/** The main step's part: verify (and repair) in full, then record what was proven. */
async function mainStep(cache: FixtureCache): Promise<{ snapshot: StatSnapshot; file: string }> {
  const layout = Layout.at(cache.dir);
  const snapshot = await withPool(async (hasher) => {
    const checked = await checkLayoutDetailed(layout, { mode: 'full', platforms: [], repair: true, hasher });
    expect(checked.report.ok).toBe(true);
    return StatSnapshot.record(layout, checked.scan, checked.valid, { hasher });
  });
  const file = path.join(await makeTempDir('snapshot'), 'stat.json');
  await snapshot.write(file);
  const read = await StatSnapshot.read(file, layout);
  expect(read?.blobCount).toBe(snapshot.blobCount);
  return { snapshot: read!, file };
}

/** Which blobs post hashed and why, from its debug lines. */
function hashedBy(debugs: string[]): { changed: string[]; fresh: string[] } {
  const of = (why: string) =>
    debugs
      .map((d) => new RegExp(`^hashing (blobs/sha256/[0-9a-f]{64}): ${why}`).exec(d)?.[1])
      .filter((p): p is string => p !== undefined)
      .sort();
  return { changed: of('changed since'), fresh: of('not verified by') };
}

const newCache = useCachePerTest();

describe('post hashes only what changed since main verified it', () => {
  it('after a build that truncates, appends, rewrites in place with the old mtime and adds an image', async () => {
    const cache = await newCache();
    // Main sees the cache without the single-platform image; the build adds it.
    const donor = await makeCache();
    const single = blobsOf(cache, 'single');
    const singleEntry = cache.images.single.entry;
    await keepEntries(cache.dir, (n) => n !== FIXTURE_NAMES.single);
    for (const d of single) await rm(path.join(cache.dir, rel(d)));
    const { snapshot } = await mainStep(cache);
    const verified = cache.blobs.filter((d) => !single.includes(d));
    expect(snapshot.blobCount).toBe(verified.length);

    // The build.
    const amd64 = cache.images.multi.platforms[0]!;
    const truncated = cache.bigLayer.digest;
    const appended = cache.images.docker.platforms[0]!.layers[0]!.digest;
    const rewritten = amd64.layers[1]!.digest;
    await truncate(path.join(cache.dir, rel(truncated)), 1104);
    await appendFile(path.join(cache.dir, rel(appended)), 'x');
    const file = path.join(cache.dir, rel(rewritten));
    const before = await lstat(file, { bigint: true });
    const bytes = await readFile(file);
    bytes[0]! ^= 0xff;
    await writeFile(file, bytes);
    const ns = before.mtimeNs % 1_000_000_000n;
    await exec('touch', ['-d', `@${before.mtimeNs / 1_000_000_000n}.${String(ns).padStart(9, '0')}`, file]);
    const after = await lstat(file, { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    expect(after.ctimeNs).not.toBe(before.ctimeNs);
    for (const d of single) await cp(path.join(donor.dir, rel(d)), path.join(cache.dir, rel(d)));
    await keepEntries(cache.dir, () => true, [singleEntry]);
    await donor.remove();

    const logger = recorder();
    const result = await recheckLayout(Layout.at(cache.dir), { snapshot, prune: true, logger });

    const damaged = [truncated, appended, rewritten];
    expect(hashedBy(logger.debugs)).toEqual({
      changed: damaged.map(rel).sort(),
      fresh: single.map(rel).sort(),
    });
    expect({ hashed: result.hashed, trusted: result.trusted }).toEqual({
      hashed: damaged.length + single.length,
      trusted: verified.length - damaged.length,
    });
    const corrupt = result.report.findings.filter((f) => f.kind === 'corrupt');
    expect(corrupt.map((f) => f.path).sort()).toEqual(damaged.map(rel).sort());
    const detail = (d: string) => corrupt.find((f) => f.path === rel(d))?.detail;
    expect(detail(truncated)).toMatch(/^truncated: 1104 of /);
    expect(detail(appended)).toMatch(/^too long: /);
    expect(detail(rewritten)).toMatch(/^same size, content differs/);
    for (const f of corrupt) expect(f.action).toBe('removed');
    expect(result.report.ok).toBe(true);
    // The image the build added is kept whole.
    expect(result.report.images.find((i) => i.name === FIXTURE_NAMES.single)?.problem).toBeUndefined();
  });

  it('an unchanged cache: nothing is read, prune comes from the same scan', async () => {
    const cache = await newCache();
    const { snapshot } = await mainStep(cache);
    // Something for prune: a valid blob nothing references.
    const orphan = cache.images.single.entry.digest;
    await keepEntries(cache.dir, (n) => n !== FIXTURE_NAMES.single);
    const logger = recorder();
    listed.length = 0;
    const result = await recheckLayout(Layout.at(cache.dir), { snapshot, prune: true, logger });
    expect({ hashed: result.hashed, trusted: result.trusted }).toEqual({
      hashed: 0,
      trusted: cache.blobs.length,
    });
    expect(logger.debugs.filter((d) => d.startsWith('hashing'))).toEqual([]);
    // One scan of blobs/ served verify, repair and prune.
    expect(listed.filter((p) => p === path.join(cache.dir, 'blobs', 'sha256'))).toHaveLength(1);
    expect(result.pruned?.removed.map((f) => f.path)).toContain(rel(orphan));
  });

  it('a blob rewritten after main hashed it but before the snapshot was taken is hashed by post', async () => {
    const cache = await newCache();
    const layout = Layout.at(cache.dir);
    const victim = cache.bigLayer.digest;
    const file = path.join(cache.dir, rel(victim));
    const snapshot = await withPool(async (hasher) => {
      const checked = await checkLayoutDetailed(layout, {
        mode: 'full',
        platforms: [],
        repair: false,
        hasher,
      });
      const bytes = await readFile(file);
      bytes[100]! ^= 0x01;
      await writeFile(file, bytes);
      return StatSnapshot.record(layout, checked.scan, checked.valid, { hasher });
    });
    const result = await recheckLayout(layout, { snapshot, prune: false });
    expect(result.report.findings.filter((f) => f.kind === 'corrupt').map((f) => f.path)).toEqual([
      rel(victim),
    ]);
    expect({ hashed: result.hashed, trusted: result.trusted }).toEqual({
      hashed: 1,
      trusted: cache.blobs.length - 1,
    });
  });

  it('a blob changed within RACY_MS of its stat is hashed again, by the pool that verified it, and recorded', async () => {
    const cache = await newCache();
    const layout = Layout.at(cache.dir);
    await new Promise((resolve) => setTimeout(resolve, RACY_MS + 5)); // every other blob settled
    const logger = recorder();
    const rehashed: string[] = [];
    const snapshot = await withPool(async (pool) => {
      const checked = await checkLayoutDetailed(layout, {
        mode: 'full',
        platforms: [],
        repair: false,
        hasher: pool,
      });
      // As if the scan had stat'ed it in the tick of its last write.
      const stat = checked.scan.blobs.get(parseDigest(cache.bigLayer.digest))!.stat!;
      stat.takenAtMs = Number(stat.ctimeNs / 1_000_000n);
      const hasher: Hasher = {
        hashFiles: (items, options) => {
          rehashed.push(...items.map((i) => layout.relative(i.path)));
          return pool.hashFiles(items, options);
        },
      };
      return StatSnapshot.record(layout, checked.scan, checked.valid, { hasher, logger });
    });
    expect(logger.debugs).toEqual([
      'stat snapshot: 1 blobs changed just before they were hashed: hashing them again',
    ]);
    expect(rehashed).toEqual([rel(cache.bigLayer.digest)]);
    expect(snapshot.blobCount).toBe(cache.blobs.length);
  });

  describe('a snapshot post cannot use: every blob is hashed, with a debug line saying why', () => {
    const cases: [string, (file: string, cache: FixtureCache) => Promise<void>, RegExp][] = [
      ['missing', (file) => rm(file), /does not exist: hashing every blob$/],
      [
        'unreadable',
        async (file) => {
          await rm(file);
          await mkdir(file);
        },
        /is unreadable \(EISDIR\): hashing every blob$/,
      ],
      ['not JSON', (file) => writeFile(file, '{"version":1,'), /is not valid JSON: hashing every blob$/],
      [
        'of another cache path',
        async (file) => {
          const doc = JSON.parse(await readFile(file, 'utf8')) as { cache: string };
          await writeFile(file, JSON.stringify({ ...doc, cache: `${doc.cache}-other` }));
        },
        /describes ".*-other", not .*: hashing every blob$/,
      ],
    ];
    it.each(cases)('%s', async (_, spoil, why) => {
      const cache = await newCache();
      const { file } = await mainStep(cache);
      await spoil(file, cache);
      const logger = recorder();
      const layout = Layout.at(cache.dir);
      const snapshot = await StatSnapshot.read(file, layout, logger);
      expect(snapshot).toBeUndefined();
      expect(logger.debugs).toEqual([expect.stringMatching(why)]);
      const result: RecheckResult = await recheckLayout(layout, { prune: false });
      expect({ hashed: result.hashed, trusted: result.trusted }).toEqual({
        hashed: cache.blobs.length,
        trusted: 0,
      });
    });
  });
});
