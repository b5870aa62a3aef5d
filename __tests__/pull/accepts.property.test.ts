// Whatever pull accepts, validate accepts: over generated images (an index or a single
// manifest) whose documents may list one digest twice with two sizes, or once as an index and
// once as a manifest, or declare a wrong size, every image pull takes (pulled from a registry
// into an empty cache, or found complete in a cache another tool wrote) passes the verifier.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, MT, removeTempDir, type Desc } from '../harness/index.js';
import { DigestMismatchError, GuardError } from '../../src/errors.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { Layout } from '../../src/layout/layout.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { RATE_FLOOR_DEFAULTS } from '../../src/registry/rate-floor.js';
import { checkLayout } from '../../src/verify/index.js';
import { named, SyntheticLayout } from '../verify/synthetic.js';

const NAME = 'registry.invalid/prop/img:1';
const ARCHES = ['amd64', 'arm64'] as const;

/** 0: the true size; 1: one byte more; 2: one byte less. */
type SizeSpec = 0 | 1 | 2;
interface Listing {
  pick: number;
  size: SizeSpec;
}
interface Recipe {
  layers: number[];
  manifests: { arch: 0 | 1; config: SizeSpec; layers: Listing[] }[];
  root:
    | { kind: 'index'; children: (Listing & { asIndex: boolean; arch: 0 | 1 })[] }
    | { kind: 'manifest'; pick: number };
}

/** Mostly the true size: a wrong one (a byte more or less) one time in three. */
const sizeSpec = fc.constantFrom<SizeSpec>(0, 0, 0, 0, 1, 2);
// Few blobs and few picks, so that one digest is often listed twice.
const listing = fc.record({ pick: fc.nat({ max: 1 }), size: sizeSpec });
const recipe: fc.Arbitrary<Recipe> = fc.record({
  layers: fc.array(fc.integer({ min: 8, max: 40 }), { minLength: 1, maxLength: 2 }),
  manifests: fc.array(
    fc.record({
      arch: fc.constantFrom<0 | 1>(0, 1),
      config: sizeSpec,
      layers: fc.array(listing, { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  root: fc.oneof(
    fc.record({
      kind: fc.constant('index' as const),
      children: fc.array(
        fc.record({
          pick: fc.nat({ max: 1 }),
          size: sizeSpec,
          asIndex: fc.constantFrom(false, false, false, false, false, true),
          arch: fc.constantFrom<0 | 1>(0, 1),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    fc.record({ kind: fc.constant('manifest' as const), pick: fc.nat({ max: 1 }) }),
  ),
});

const sized = (d: Desc, s: SizeSpec): Desc => ({ ...d, size: d.size + (s === 1 ? 1 : s === 2 ? -1 : 0) });
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The recipe's blobs by digest (each under its true digest) and the root its tag names. */
interface Image {
  blobs: Map<string, Buffer>;
  root: Desc;
}

function build(r: Recipe): Image {
  const blobs = new Map<string, Buffer>();
  const blob = (content: string, mediaType: string): Desc => {
    const bytes = Buffer.from(content);
    const digest = sha256(bytes);
    blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const layers = r.layers.map((size, i) => blob(`layer ${i} `.padEnd(size, 'x'), MT.ociLayerGzip));
  const manifests = r.manifests.map((m, i) => {
    const config = blob(
      JSON.stringify({ os: 'linux', architecture: ARCHES[m.arch], n: i, rootfs: { type: 'layers' } }),
      MT.ociConfig,
    );
    const listed = m.layers.map((l) => sized(layers[l.pick % layers.length]!, l.size));
    const doc = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: sized(config, m.config),
      layers: listed,
    };
    return blob(JSON.stringify(doc), MT.ociManifest);
  });
  if (r.root.kind === 'manifest') return { blobs, root: manifests[r.root.pick % manifests.length]! };
  const children = r.root.children.map((c) => ({
    ...sized(manifests[c.pick % manifests.length]!, c.size),
    ...(c.asIndex ? { mediaType: MT.ociIndex } : {}),
    platform: { os: 'linux', architecture: ARCHES[c.arch] },
  }));
  const root = blob(
    JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: children }),
    MT.ociIndex,
  );
  return { blobs, root };
}

/** The image as another tool left it in a cache: every blob, and its index.json entry. */
async function writeCache(dir: string, image: Image): Promise<void> {
  const lay = await SyntheticLayout.create(dir);
  for (const bytes of image.blobs.values()) await lay.blob(bytes, '');
  await lay.writeIndexJson([named(image.root, NAME)]);
}

const nowhere = () => Promise.reject(new GuardError('no registry in this test'));

/** A registry that is never there: pull can only accept what the cache holds. */
const noRegistry: RegistryClient = {
  resolve: nowhere,
  headDigest: nowhere,
  manifest: nowhere,
  blob: nowhere,
  blobRange: nowhere,
  prepare: () => {},
  rateLimit: undefined,
  rateFloor: RATE_FLOOR_DEFAULTS,
  secrets: () => [],
  close: () => Promise.resolve(),
};

/**
 * A registry serving the image from memory, with the real client's checks on what it hands
 * over: a manifest's bytes are the size its descriptor declares, a blob body is cut off at it.
 */
function memoryRegistry(image: Image): RegistryClient {
  const bytesOf = (d: Desc): Buffer => {
    const bytes = image.blobs.get(d.digest);
    if (!bytes) throw new GuardError(`blob unknown: ${d.digest}`);
    return bytes;
  };
  const checked = (d: Desc): Buffer => {
    const bytes = bytesOf(d);
    if (bytes.length !== d.size)
      throw new DigestMismatchError(`${d.digest}: ${bytes.length} bytes, its descriptor declares ${d.size}`);
    return bytes;
  };
  return {
    ...noRegistry,
    resolve: () => Promise.resolve({ descriptor: image.root as Descriptor, bytes: bytesOf(image.root) }),
    manifest: (_repo, d) => Promise.resolve().then(() => checked(d)),
    blob: (_repo, d) =>
      Promise.resolve().then(() => {
        const bytes = checked(d);
        return { body: Readable.from([bytes]), start: 0, partial: false, length: d.size, url: 'memory' };
      }),
  };
}

let work: string;
beforeAll(async () => {
  work = await makeTempDir('pull-accepts');
});
afterAll(async () => {
  if (work) await removeTempDir(work);
});

describe('whatever pull accepts, validate accepts', () => {
  it('over generated images with duplicate digests, two sizes, two kinds and wrong sizes: from a registry and from the cache', async () => {
    let runs = 0;
    // Counted per source: each half of the property must accept and refuse for itself.
    const seen = {
      pulled: { accepted: 0, refused: 0 },
      cached: { accepted: 0, refused: 0 },
    };
    const pullAndValidate = async (dir: string, client: RegistryClient, accepted: 'pulled' | 'cached') => {
      const layout = Layout.at(dir);
      const [result] = await pullImages(layout, client, [parseReference(NAME)], {
        platforms: 'all',
        concurrency: 2,
      });
      if (result!.status !== accepted) {
        seen[accepted].refused++;
        return;
      }
      seen[accepted].accepted++;
      const report = await checkLayout(layout, { mode: 'full', platforms: [], repair: false });
      expect(report.findings.filter((f) => f.kind !== 'unreferenced')).toEqual([]);
      expect(report.ok).toBe(true);
    };
    await fc.assert(
      fc.asyncProperty(recipe, async (r) => {
        const image = build(r);
        const run = ++runs;
        // Pulled into an empty cache: validated as pull left it.
        await pullAndValidate(path.join(work, `pulled-${run}`), memoryRegistry(image), 'pulled');
        // Found in a cache another tool wrote, with no registry to fall back on.
        const cached = path.join(work, `cached-${run}`);
        await writeCache(cached, image);
        await pullAndValidate(cached, noRegistry, 'cached');
      }),
      // About one recipe in five is accepted: 80 runs gave 8 to 23 and now and then failed the
      // bound below; 150 give about 30, and fewer than 10 about once in 30 000 runs.
      { numRuns: 150 },
    );
    // Both sides of the property were exercised, from each source.
    for (const side of [seen.pulled, seen.cached]) {
      expect(side.accepted).toBeGreaterThanOrEqual(10);
      expect(side.refused).toBeGreaterThanOrEqual(10);
    }
  });
});
