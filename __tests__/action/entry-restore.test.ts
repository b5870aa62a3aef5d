/**
 * Restoring entries (issue 18, item 2), with the real `@actions/cache` against the emulator:
 * a blob the cache holds valid, or that another entry brings, is hashed once, not once per
 * entry; and an entry is verified and joins the cache while another entry is still downloading.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CacheBlobs, importEntry, stageEntry } from '../../src/action/store/entry.js';
import { EntryStore } from '../../src/action/store/store.js';
import { HashPool } from '../../src/hash/hash-pool.js';
import { Layout } from '../../src/layout/layout.js';
import type { Digest } from '../../src/oci/digest.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { parsePlatform } from '../../src/oci/platform.js';
import type { Hasher } from '../../src/verify/scan.js';
import { applyEnv, emulatorEnv, startCacheEmulator, type CacheEmulator } from '../harness/cache-emulator.js';

const amd64 = parsePlatform('linux/amd64');

let emulator: CacheEmulator;
let root: string;
let restoreEnv: () => void;
let pool: HashPool;
let n = 0;

beforeAll(async () => {
  emulator = await startCacheEmulator();
  root = await mkdtemp(path.join(tmpdir(), 'ocg-entry-restore-'));
  await mkdir(path.join(root, 'work'), { recursive: true });
  restoreEnv = applyEnv({
    ...emulatorEnv(emulator, { workspace: path.join(root, 'work'), runnerTemp: path.join(root, 'temp') }),
    ACTIONS_CACHE_MODE: undefined,
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  pool = HashPool.create();
});
afterAll(async () => {
  vi.restoreAllMocks();
  restoreEnv?.();
  await pool?.close();
  await emulator?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

function blob(bytes: Buffer, mediaType: string): Descriptor & { bytes: Buffer } {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
  return { mediaType, digest, size: bytes.length, bytes };
}

/** A cache holding each named image (an index, one amd64 manifest, a config, its layers plus `shared`). */
async function cacheWith(names: string[], shared: Descriptor & { bytes: Buffer }): Promise<Layout> {
  const layout = Layout.at(path.join(root, `source-${++n}`));
  await layout.init();
  const write = (b: { digest: Digest; bytes: Buffer }) => writeFile(layout.blobPath(b.digest), b.bytes);
  const strip = ({ bytes: _, ...d }: Descriptor & { bytes: Buffer }): Descriptor => d;
  await write(shared);
  const entries: unknown[] = [];
  for (const name of names) {
    const config = blob(
      Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', name })),
      MediaType.OciConfig,
    );
    const own = blob(randomBytes(1024), 'application/vnd.oci.image.layer.v1.tar');
    const manifest = blob(
      Buffer.from(
        JSON.stringify({ schemaVersion: 2, config: strip(config), layers: [strip(shared), strip(own)] }),
      ),
      MediaType.OciManifest,
    );
    const index = blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          manifests: [{ ...strip(manifest), platform: { os: 'linux', architecture: 'amd64' } }],
        }),
      ),
      MediaType.OciIndex,
    );
    for (const b of [config, own, manifest, index]) await write(b);
    entries.push({ ...strip(index), annotations: { 'org.opencontainers.image.ref.name': name } });
  }
  await writeFile(layout.indexPath, JSON.stringify({ schemaVersion: 2, manifests: entries }));
  return layout;
}

function storeOf(cache: Layout, namespace: string): EntryStore {
  return new EntryStore(cache, {
    namespace,
    platforms: [amd64],
    stagingDir: path.join(root, 'temp', 'entries'),
  });
}

/** Saves an entry per image of `source` under `namespace`. */
async function saveAll(source: Layout, namespace: string): Promise<void> {
  const read = await source.readIndex();
  if (read.state !== 'ok') throw new Error('index.json');
  const saved = await storeOf(source, namespace).save(read.doc.entries, new Map(), 50);
  expect(saved.images.map((i) => i.outcome)).toEqual(read.doc.entries.map(() => 'saved'));
}

/** A Hasher that hashes on the pool and notes each file hashed, by blob hex. */
function spyHasher(hashed: string[]): Hasher {
  return {
    hashFiles: (items, options) => {
      hashed.push(...items.map((i) => path.basename(i.path)));
      return pool.hashFiles(items, options);
    },
  };
}

async function fresh(): Promise<Layout> {
  const layout = Layout.at(path.join(root, `fresh-${++n}`));
  await layout.init();
  return layout;
}

describe('restoring entries', () => {
  it('a layer two entries share is hashed once; one the cache holds valid is not hashed', async () => {
    const shared = blob(randomBytes(2 * 1024 * 1024), 'application/vnd.oci.image.layer.v1.tar');
    const names = ['registry.test/a:1', 'registry.test/b:1', 'registry.test/c:1'];
    await saveAll(await cacheWith(names, shared), 'shared');
    const hex = shared.digest.slice('sha256:'.length);

    // An empty cache: the three entries restore side by side, the shared layer is hashed once.
    const cache = await fresh();
    const hashed: string[] = [];
    const valid = new Set<Digest>();
    const run = await storeOf(cache, 'shared').restore(
      names.map((name) => ({ name })),
      spyHasher(hashed),
      valid,
    );
    expect(run.off ?? run.note).toBeUndefined();
    expect(run.images.map((i) => [i.name, !!i.key, i.problem])).toEqual(
      names.map((name) => [name, true, undefined]),
    );
    expect(hashed.filter((h) => h === hex)).toHaveLength(1);
    expect(valid.has(shared.digest)).toBe(true);
    const read = await cache.readIndex();
    expect(read.state === 'ok' && read.doc.entries.map((e) => e.name).sort()).toEqual(names);

    // The cache holds it, verified by main: restoring an entry again does not hash it at all.
    const again: string[] = [];
    const second = await storeOf(cache, 'shared').restore([{ name: names[0]! }], spyHasher(again), valid);
    expect(second.images[0]!.key).toBeDefined();
    expect(again).not.toContain(hex);
  }, 120_000);

  it('an entry is verified and joins the cache while another entry is still downloading', async () => {
    const shared = blob(randomBytes(64 * 1024), 'application/vnd.oci.image.layer.v1.tar');
    const [held, quick] = ['registry.test/held:1', 'registry.test/quick:1'];
    await saveAll(await cacheWith([held, quick], shared), 'overlap');
    const cache = await fresh();
    const store = storeOf(cache, 'overlap');
    const heldKey = emulator.entries().find((e) => e.key.startsWith(store.prefix(held)))!.key;

    const order: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    emulator.holdDownloads.set(heldKey, () => {
      order.push('held download open');
      return released;
    });
    const setEntry = cache.setEntry.bind(cache);
    vi.spyOn(cache, 'setEntry').mockImplementation(async (...args) => {
      await setEntry(...args);
      order.push(`${args[1]} in index.json`);
      if (args[1] === quick) release();
    });
    // Only a failsafe: a restore that verified nothing before every download ended would wait here.
    const failsafe = setTimeout(() => {
      order.push('failsafe');
      release();
    }, 30_000);
    try {
      const run = await store.restore([{ name: held }, { name: quick }], pool, new Set());
      expect(run.images.map((i) => !!i.key)).toEqual([true, true]);
    } finally {
      clearTimeout(failsafe);
      emulator.holdDownloads.clear();
    }
    // The held download was open while the other entry was hashed and written; then it landed.
    expect(order).toEqual(['held download open', `${quick} in index.json`, `${held} in index.json`]);
  }, 120_000);

  it('two entries imported side by side: the layer they share is hashed by one, the other waits for it', async () => {
    const shared = blob(randomBytes(256 * 1024), 'application/vnd.oci.image.layer.v1.tar');
    const names = ['registry.test/left:1', 'registry.test/right:1'];
    const source = await cacheWith(names, shared);
    const read = await source.readIndex();
    if (read.state !== 'ok') throw new Error('index.json');
    const dirs = await Promise.all(
      read.doc.entries.map(async (entry, i) => {
        const dir = path.join(root, `staged-${++n}-${i}`);
        await stageEntry(source, dir, entry as typeof entry & { descriptor: Descriptor; name: string }, [
          amd64,
        ]);
        return { dir, name: entry.name!, digest: entry.descriptor!.digest };
      }),
    );
    const hex = shared.digest.slice('sha256:'.length);
    // The first batch holding the shared layer waits until the other entry has hashed its own
    // blobs: by then that entry has decided, for the shared layer, to hash it or to wait.
    const batches: string[][] = [];
    let otherHashed!: () => void;
    const other = new Promise<void>((resolve) => (otherHashed = resolve));
    const gated: Hasher = {
      hashFiles: async (items, options) => {
        const files = items.map((i) => path.basename(i.path));
        batches.push(files);
        if (batches.length === 2) otherHashed();
        if (files.includes(hex)) await other;
        return pool.hashFiles(items, options);
      },
    };
    const cache = await fresh();
    const known = new CacheBlobs(cache);
    const imported = await Promise.all(
      dirs.map((e) => importEntry(known, e.dir, e.name, e.digest, [amd64], gated)),
    );
    expect(batches.flat().filter((f) => f === hex)).toHaveLength(1);
    expect(imported.flatMap((i) => i.moved).filter((d) => d === shared.digest)).toHaveLength(1);
    const index = await cache.readIndex();
    expect(index.state === 'ok' && index.doc.entries.map((e) => e.name).sort()).toEqual(names);
  });

  it('each entry directory exists before its archive is unpacked (side by side, tar must not make a parent they share)', async () => {
    const shared = blob(randomBytes(1024), 'application/vnd.oci.image.layer.v1.tar');
    const names = ['registry.test/p:1', 'registry.test/q:1', 'registry.test/r:1', 'registry.test/s:1'];
    await saveAll(await cacheWith(names, shared), 'parents');
    const store = storeOf(await fresh(), 'parents');
    // A fresh runner: no staging directory at all.
    await rm(path.join(root, 'temp', 'entries'), { recursive: true, force: true });
    const seenAtDownload: [string, boolean][] = [];
    for (const name of names) {
      const key = emulator.entries().find((e) => e.key.startsWith(store.prefix(name)))!.key;
      emulator.holdDownloads.set(key, async () => {
        seenAtDownload.push([
          name,
          !!(await stat(store.entryDir(name)).catch(() => undefined))?.isDirectory(),
        ]);
      });
    }
    try {
      const run = await store.restore(
        names.map((name) => ({ name })),
        pool,
        new Set(),
      );
      expect(run.images.map((i) => [i.name, !!i.key, i.problem])).toEqual(
        names.map((name) => [name, true, undefined]),
      );
    } finally {
      emulator.holdDownloads.clear();
    }
    expect(seenAtDownload.sort()).toEqual(names.map((name) => [name, true]));
  }, 120_000);
});
