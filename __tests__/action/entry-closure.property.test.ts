/**
 * One closure for the pull and the entries (issue 18): over generated images in a layout
 * (nested indexes, attestation manifests, blobs shared between manifests, non-distributable
 * layers, platforms not offered, blobs missing), what pull takes as complete in the cache, what
 * post stages as the image's entry, and what a model of linuxkit's needs says all agree; and an
 * entry staged then imported into an empty cache is what pull then calls cached, asking nothing.
 */
import { createHash } from 'node:crypto';
import { rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheBlobs, importEntry, stageEntry } from '../../src/action/store/entry.js';
import { HashPool } from '../../src/hash/hash-pool.js';
import { Layout } from '../../src/layout/layout.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { ClosureError, walkImage } from '../../src/pull/closure.js';
import { pullImages } from '../../src/pull/pull.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { makeTempDir, removeTempDir } from '../harness/index.js';

const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/riscv64'] as const;
const NAME = 'registry.test/img:1';
const URLS = ['https://example.invalid/foreign-layer'];

/** A platform manifest: its platform, its layers (from a pool shared by all), an attestation. */
const manifestSpec = fc.record({
  platform: fc.nat({ max: PLATFORMS.length - 1 }),
  layers: fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 3 }),
  attestation: fc.option(fc.nat({ max: 4 }), { nil: undefined }),
});
const shape = fc.record({
  single: fc.boolean(),
  top: fc.array(manifestSpec, { maxLength: 2 }),
  nested: fc.array(fc.record({ manifests: fc.array(manifestSpec, { maxLength: 3 }), relist: fc.boolean() }), {
    maxLength: 2,
  }),
  /** Which layers of the pool are non-distributable (`urls`). */
  foreign: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  wanted: fc.subarray([0, 1, 2], { minLength: 1, maxLength: 2 }),
  /** Blobs deleted from the layout, by position among all blobs written. */
  missing: fc.array(fc.nat({ max: 40 }), { maxLength: 2 }),
});
type Shape = typeof shape extends fc.Arbitrary<infer T> ? T : never;
type Spec = Shape['top'][number];

interface Built {
  blobs: Map<string, Buffer>;
  root: Descriptor;
  /** The model: every blob linuxkit reads for the wanted platforms, and whether each is offered. */
  needed: Set<string>;
  offered: boolean;
}

function build(s: Shape): Built {
  const blobs = new Map<string, Buffer>();
  const put = (bytes: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Descriptor['digest'];
    blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length, ...extra };
  };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const layer = (i: number) =>
    put(
      Buffer.from(`layer ${i}`),
      'application/vnd.oci.image.layer.v1.tar',
      s.foreign[i] ? { urls: URLS } : {},
    );
  /** A manifest and what it needs (config, distributable layers). */
  const manifest = (config: unknown, layers: number[]) => {
    const cfg = put(json(config), MediaType.OciConfig);
    const ls = layers.map(layer);
    const d = put(
      json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: cfg, layers: ls }),
      MediaType.OciManifest,
    );
    return { d, needs: [d, cfg, ...ls.filter((l) => !l.urls)].map((x) => x.digest) };
  };
  const platformOf = (spec: Spec) => {
    const [os, architecture] = PLATFORMS[spec.platform]!.split('/') as [string, string];
    return { os, architecture };
  };
  const wanted = s.wanted.map((i) => PLATFORMS[i]!);
  const needed = new Set<string>();

  if (s.single) {
    const spec = s.top[0] ?? { platform: 0, layers: [0], attestation: undefined };
    const m = manifest({ ...platformOf(spec), rootfs: { type: 'layers', diff_ids: [] } }, spec.layers);
    m.needs.forEach((d) => needed.add(d));
    return { blobs, root: m.d, needed, offered: wanted.every((w) => w === PLATFORMS[spec.platform]) };
  }

  /**
   * An index's descriptors for `specs` (then `extra`), and the model's picks: per platform, the
   * first manifest listed, with every attestation of this index that describes it.
   */
  const index = (specs: Spec[], extra: { d: Descriptor; needs: string[] }[]) => {
    const listed: Descriptor[] = [];
    const manifests: { platform: string; digest: string; needs: string[] }[] = [];
    const attestations: { subject: string; needs: string[] }[] = [];
    for (const spec of specs) {
      const platform = platformOf(spec);
      const m = manifest({ ...platform, rootfs: { type: 'layers', diff_ids: [] } }, spec.layers);
      listed.push({ ...m.d, platform });
      manifests.push({ platform: PLATFORMS[spec.platform]!, digest: m.d.digest, needs: m.needs });
      if (spec.attestation === undefined) continue;
      const a = manifest({ attestation: m.d.digest }, [spec.attestation]);
      listed.push({
        ...a.d,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: {
          'vnd.docker.reference.type': 'attestation-manifest',
          'vnd.docker.reference.digest': m.d.digest,
        },
      });
      attestations.push({ subject: m.d.digest, needs: a.needs });
    }
    for (const e of extra) {
      listed.push(e.d);
      manifests.push({
        platform: `${e.d.platform!.os}/${e.d.platform!.architecture}`,
        digest: e.d.digest,
        needs: e.needs,
      });
    }
    const picks: { platform: string; needs: string[] }[] = [];
    for (const m of manifests)
      if (!picks.some((p) => p.platform === m.platform))
        picks.push({
          platform: m.platform,
          needs: [...m.needs, ...attestations.filter((a) => a.subject === m.digest).flatMap((a) => a.needs)],
        });
    return { listed, picks, manifests };
  };
  const offered = new Set<string>();
  const pick = (picks: { platform: string; needs: string[] }[]) => {
    for (const p of picks)
      if (wanted.includes(p.platform as never)) {
        offered.add(p.platform);
        p.needs.forEach((d) => needed.add(d));
      }
  };
  const top = index(s.top, []);
  const nested: Descriptor[] = [];
  for (const n of s.nested) {
    // A nested index may list again a manifest the root lists (the same digest, walked once).
    const first = top.manifests[0];
    const again =
      n.relist && first
        ? [{ d: top.listed.find((d) => d.digest === first.digest)!, needs: first.needs }]
        : [];
    const inner = index(n.manifests, again);
    pick(inner.picks);
    const d = put(
      json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: inner.listed }),
      MediaType.OciIndex,
    );
    needed.add(d.digest);
    nested.push(d);
  }
  pick(top.picks);
  const root = put(
    json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...top.listed, ...nested] }),
    MediaType.OciIndex,
  );
  needed.add(root.digest);
  return { blobs, root, needed, offered: wanted.every((w) => offered.has(w)) };
}

/** A registry that must not be asked: each call is counted and fails (what the client knows without asking, it has not). */
function noRegistry(calls: string[]): RegistryClient {
  return new Proxy({} as RegistryClient, {
    get(_, prop) {
      if (prop === 'prepare') return () => {};
      if (['rateLimit', 'then', 'multiplexes', 'roundTripMs'].includes(String(prop))) return undefined;
      return () => {
        calls.push(String(prop));
        return Promise.reject(new Error(`registry asked: ${String(prop)}`));
      };
    },
  });
}

async function writeLayout(dir: string, blobs: Map<string, Buffer>, root: Descriptor): Promise<Layout> {
  const layout = Layout.at(dir);
  await layout.init();
  for (const [digest, bytes] of blobs)
    await writeFile(layout.blobPath(digest as Descriptor['digest']), bytes);
  const entry = { ...root, annotations: { 'org.opencontainers.image.ref.name': NAME } };
  await writeFile(
    layout.indexPath,
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [entry] }),
  );
  return layout;
}

async function pullSays(layout: Layout, platforms: string[]): Promise<{ cached: boolean; calls: string[] }> {
  const calls: string[] = [];
  const [r] = await pullImages(layout, noRegistry(calls), [parseReference(NAME)], {
    platforms: platforms.map(parsePlatform),
    concurrency: 2,
  });
  return { cached: r!.status === 'cached', calls };
}

let work: string;
let hasher: HashPool;
beforeAll(async () => {
  work = await makeTempDir('entry-closure');
  hasher = HashPool.create();
});
afterAll(async () => {
  await hasher?.close();
  if (work) await removeTempDir(work);
});

describe('one closure for pull and the entries', () => {
  it('pull calls an image complete exactly when post stages it, with the blobs the model needs; the entry imported is cached', async () => {
    let run = 0;
    const seen = { complete: 0, incomplete: 0 };
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const built = build(s);
        const all = [...built.blobs.keys()];
        const gone = new Set(s.missing.filter((i) => i < all.length).map((i) => all[i]!));
        const dir = path.join(work, `run-${++run}`);
        const cache = await writeLayout(path.join(dir, 'cache'), built.blobs, built.root);
        for (const d of gone) await unlink(cache.blobPath(d as Descriptor['digest']));
        const wanted = s.wanted.map((i) => PLATFORMS[i]!);
        const complete = built.offered && [...built.needed].every((d) => !gone.has(d));
        seen[complete ? 'complete' : 'incomplete']++;
        try {
          const pulled = await pullSays(cache, wanted);
          expect(pulled.cached).toBe(complete);
          if (complete) expect(pulled.calls).toEqual([]);

          const read = await cache.readIndex();
          const entry = read.state === 'ok' ? read.doc.entries.find((e) => e.name === NAME) : undefined;
          const staging = path.join(dir, 'entry');
          const staged = await stageEntry(
            cache,
            staging,
            entry as typeof entry & { descriptor: Descriptor; name: string },
            wanted.map(parsePlatform),
          ).catch((err: unknown) => {
            if (err instanceof ClosureError) return undefined;
            throw err;
          });
          expect(staged !== undefined).toBe(complete);
          if (!staged) return;
          expect(new Set(staged.map((d) => d.digest))).toEqual(built.needed);

          const fresh = Layout.at(path.join(dir, 'fresh'));
          await fresh.init();
          await importEntry(
            new CacheBlobs(fresh),
            staging,
            NAME,
            built.root.digest,
            wanted.map(parsePlatform),
            hasher,
          );
          const again = await pullSays(fresh, wanted);
          expect(again).toEqual({ cached: true, calls: [] });
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      {
        numRuns: 60,
        examples: [
          // The nested index lists a platform not wanted, its blobs missing: complete all the same.
          [
            {
              single: false,
              top: [],
              nested: [
                {
                  manifests: [
                    { platform: 0, layers: [0], attestation: 1 },
                    { platform: 1, layers: [2], attestation: 3 },
                  ],
                  relist: false,
                },
              ],
              foreign: [false, false, false, false, false],
              wanted: [0],
              missing: [6, 7],
            },
          ],
          // A foreign layer present in the layout: not needed, not staged.
          [
            {
              single: false,
              top: [{ platform: 0, layers: [0, 1], attestation: undefined }],
              nested: [],
              foreign: [false, true, false, false, false],
              wanted: [0],
              missing: [],
            },
          ],
        ],
      },
    );
    // Both halves were exercised, not one.
    expect(seen.complete).toBeGreaterThan(5);
    expect(seen.incomplete).toBeGreaterThan(5);
  }, 300_000);

  it('walks indexes nested 20000 deep without recursion, and refuses one that lists itself', async () => {
    const docs = new Map<string, Buffer>();
    const put = (v: unknown, mediaType: string): Descriptor => {
      const bytes = Buffer.from(JSON.stringify(v));
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Descriptor['digest'];
      docs.set(digest, bytes);
      return { mediaType, digest, size: bytes.length };
    };
    const config = put({ os: 'linux', architecture: 'amd64' }, MediaType.OciConfig);
    const leaf = put({ schemaVersion: 2, config, layers: [] }, MediaType.OciManifest);
    let top: Descriptor = put(
      { schemaVersion: 2, manifests: [{ ...leaf, platform: { os: 'linux', architecture: 'amd64' } }] },
      MediaType.OciIndex,
    );
    for (let i = 0; i < 20_000; i++) top = put({ schemaVersion: 2, manifests: [top] }, MediaType.OciIndex);
    const read = (d: Descriptor) => Promise.resolve(docs.get(d.digest)!);
    const closure = await walkImage('deep', top, docs.get(top.digest)!, [parsePlatform('linux/amd64')], read);
    expect(closure.manifests).toHaveLength(20_002);
    expect(closure.blobs.map((b) => b.digest)).toEqual([config.digest]);

    // A cycle is possible only through bytes trusted without hashing: a reader that lies.
    const a = put({ schemaVersion: 2, manifests: [] }, MediaType.OciIndex);
    const b = put({ schemaVersion: 2, manifests: [a] }, MediaType.OciIndex);
    docs.set(a.digest, docs.get(b.digest)!);
    await expect(walkImage('loop', b, docs.get(b.digest)!, 'all', read)).rejects.toThrow(/index cycle/);
  });
});
