// Whatever pull accepts, validate accepts: over generated images (an index or a single
// manifest) whose documents may list one digest twice with two sizes, or once as an index and
// once as a manifest, or declare a wrong size, pull's checks of an image found in the cache are
// run with no registry to fall back on, and every image it calls cached must pass the verifier.
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, MT, removeTempDir, type Desc } from '../harness/index.js';
import { GuardError } from '../../src/errors.js';
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

/** Writes the recipe's blobs (each under its true digest) and its one index.json entry. */
async function materialize(dir: string, r: Recipe): Promise<void> {
  const lay = await SyntheticLayout.create(dir);
  const layers: Desc[] = [];
  for (const [i, size] of r.layers.entries())
    layers.push(await lay.blob(`layer ${i} `.padEnd(size, 'x'), MT.ociLayerGzip));
  const manifests: Desc[] = [];
  for (const [i, m] of r.manifests.entries()) {
    const config = await lay.blob(
      JSON.stringify({ os: 'linux', architecture: ARCHES[m.arch], n: i, rootfs: { type: 'layers' } }),
      MT.ociConfig,
    );
    const listed = m.layers.map((l) => sized(layers[l.pick % layers.length]!, l.size));
    manifests.push(await lay.manifest(sized(config, m.config), listed));
  }
  let root: Desc;
  if (r.root.kind === 'manifest') root = manifests[r.root.pick % manifests.length]!;
  else {
    const children = r.root.children.map((c) => ({
      ...sized(manifests[c.pick % manifests.length]!, c.size),
      ...(c.asIndex ? { mediaType: MT.ociIndex } : {}),
      platform: { os: 'linux', architecture: ARCHES[c.arch] },
    }));
    root = await lay.index(children);
  }
  await lay.writeIndexJson([named(root, NAME)]);
}

/** A registry that is never there: pull can only accept what the cache holds. */
const noRegistry: RegistryClient = {
  resolve: () => Promise.reject(new GuardError('no registry in this test')),
  headDigest: () => Promise.reject(new GuardError('no registry in this test')),
  manifest: () => Promise.reject(new GuardError('no registry in this test')),
  blob: () => Promise.reject(new GuardError('no registry in this test')),
  blobRange: () => Promise.reject(new GuardError('no registry in this test')),
  prepare: () => {},
  rateLimit: undefined,
  rateFloor: RATE_FLOOR_DEFAULTS,
  secrets: () => [],
  close: () => Promise.resolve(),
};

let work: string;
beforeAll(async () => {
  work = await makeTempDir('pull-accepts');
});
afterAll(async () => {
  if (work) await removeTempDir(work);
});

describe('whatever pull accepts, validate accepts', () => {
  it('over generated images with duplicate digests, two sizes, two kinds and wrong sizes', async () => {
    let runs = 0;
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(recipe, async (r) => {
        const dir = path.join(work, `case-${++runs}`);
        await materialize(dir, r);
        const layout = Layout.at(dir);
        const [result] = await pullImages(layout, noRegistry, [parseReference(NAME)], {
          platforms: 'all',
          concurrency: 2,
        });
        if (result!.status !== 'cached') {
          refused++;
          return;
        }
        accepted++;
        const report = await checkLayout(layout, { mode: 'full', platforms: [], repair: false });
        expect(report.findings.filter((f) => f.kind !== 'unreferenced')).toEqual([]);
        expect(report.ok).toBe(true);
      }),
      { numRuns: 100 },
    );
    // Both sides of the property were exercised.
    expect(accepted).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(5);
  });
});
