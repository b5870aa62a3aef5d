// Per-entry results of the graph walk come from per-node summaries, computed once per node.
// Two properties over generated in-memory caches (see memory-cache.ts):
// - where no subtree is shared, every result equals the per-entry walk it replaced
//   (per-root-walker.ts, the old code kept as an oracle): platforms, problems, sizes, findings
//   with the entries they name, what counts as referenced;
// - over DAGs shared at every level, with many entries over them, the work of summarising is
//   linear in the blobs and edges (the per-entry walk was quadratic: issue 17, item 1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MT, type Desc } from '../harness/index.js';
import { GraphWalker, SIZE_PROBE_STEPS } from '../../src/verify/walk.js';
import { entry, MemoryCache } from './memory-cache.js';
import { PerRootWalker } from './per-root-walker.js';

type Damage = 'none' | 'missing' | 'truncate' | 'flip' | 'grow' | 'wrongSize' | 'swap';

interface ManifestSpec {
  kind: 'manifest';
  damage: Damage;
  config: Damage;
  layers: Damage[];
  platform: number;
  /** Listed with an attestation manifest (which may be damaged too). */
  attestation?: Damage;
}
interface IndexSpec {
  kind: 'index';
  damage: Damage;
  platform: number;
  children: TreeSpec[];
}
type TreeSpec = ManifestSpec | IndexSpec;

/** Mostly sound, sometimes each kind of damage. */
const damage: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Damage>('none') },
  { weight: 1, arbitrary: fc.constantFrom<Damage>('missing', 'truncate', 'flip', 'wrongSize', 'swap') },
);
/** Damage with blobs longer than declared too (a size no per-entry walk reads past: see below). */
const anyDamage: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Damage>('none') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Damage>('missing', 'truncate', 'flip', 'grow', 'wrongSize', 'swap'),
  },
);
const PLATFORMS = [undefined, 'amd64', 'arm64', 'riscv64'] as const;
const platform = fc.nat({ max: PLATFORMS.length - 1 });

const { tree } = fc.letrec<{ tree: TreeSpec; manifest: ManifestSpec; index: IndexSpec }>((t) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, t('manifest'), t('index')),
  manifest: fc.record(
    {
      kind: fc.constant('manifest' as const),
      damage,
      config: damage,
      layers: fc.array(damage, { maxLength: 3 }),
      platform,
      attestation: damage,
    },
    { requiredKeys: ['kind', 'damage', 'config', 'layers', 'platform'] },
  ),
  index: fc.record({
    kind: fc.constant('index' as const),
    damage,
    platform,
    children: fc.array(t('tree'), { minLength: 1, maxLength: 4 }),
  }),
}));

const mode = fc.constantFrom<'full' | 'size'>('full', 'size');

/** The descriptor of `d` as a damaged listing would write it; the blob is damaged in the cache. */
function listed(cache: MemoryCache, d: Desc, how: Damage, p: number): Desc {
  if (how === 'missing' || how === 'truncate' || how === 'flip' || how === 'grow') cache.damage(d, how);
  const arch = PLATFORMS[p];
  const out: Desc = { ...d, ...(arch ? { platform: { os: 'linux', architecture: arch } } : {}) };
  if (how === 'wrongSize') out.size += 1;
  if (how === 'swap') out.mediaType = d.mediaType === MT.ociIndex ? MT.ociManifest : MT.ociIndex;
  return cache.declare(out);
}

/** Writes a tree: every blob its own, so nothing below one listing is shared with another. */
function writeTree(cache: MemoryCache, spec: TreeSpec): Desc[] {
  if (spec.kind === 'manifest') {
    const config = listed(cache, cache.config(PLATFORMS[spec.platform] ?? 'amd64'), spec.config, 0);
    const layers = spec.layers.map((how) => listed(cache, cache.layer(), how, 0));
    const m = listed(cache, cache.manifest(config, layers), spec.damage, spec.platform);
    if (spec.attestation === undefined) return [m];
    const att = listed(cache, cache.manifest(cache.config('unknown'), [cache.layer()]), spec.attestation, 0);
    return [
      m,
      {
        ...att,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: {
          'vnd.docker.reference.type': 'attestation-manifest',
          'vnd.docker.reference.digest': m.digest,
        },
      },
    ];
  }
  const children = spec.children.flatMap((c) => writeTree(cache, c));
  return [listed(cache, cache.index(children), spec.damage, spec.platform)];
}

async function walkBoth(cache: MemoryCache, entries: ReturnType<typeof entry>[], m: 'full' | 'size') {
  const fresh = new GraphWalker(cache.layout, cache.scan(m), cache.hasher);
  const old = new PerRootWalker(cache.layout, cache.scan(m), cache.hasher);
  const results = { fresh: await fresh.walk(entries), old: await old.walk(entries) };
  const findings = (w: GraphWalker | PerRootWalker) =>
    [...w.findings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    fresh: { results: results.fresh, findings: findings(fresh), referenced: [...fresh.referenced].sort() },
    old: { results: results.old, findings: findings(old), referenced: [...old.referenced].sort() },
  };
}

interface DagSpec {
  layerDamage: Damage[];
  configDamage: Damage;
  manifests: { damage: Damage; platform: number; layers: number[] }[];
  indexes: { damage: Damage; children: { pick: number; platform: number; nested: boolean }[] }[];
  entries: number[];
  layers: number;
}

/** DAGs shared at every level: layers shared by manifests, children by indexes, indexes by entries. */
const dag: fc.Arbitrary<DagSpec> = fc.record({
  layers: fc.integer({ min: 1, max: 8 }),
  layerDamage: fc.array(anyDamage, { maxLength: 8 }),
  configDamage: anyDamage,
  manifests: fc.array(fc.record({ damage, platform, layers: fc.array(fc.nat(), { maxLength: 4 }) }), {
    minLength: 1,
    maxLength: 30,
  }),
  indexes: fc.array(
    fc.record({
      damage: anyDamage,
      children: fc.array(fc.record({ pick: fc.nat(), platform, nested: fc.boolean() }), {
        minLength: 1,
        maxLength: 12,
      }),
    }),
    { minLength: 1, maxLength: 30 },
  ),
  entries: fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
});

function writeDag(cache: MemoryCache, spec: DagSpec) {
  let descriptors = 0;
  const layers = Array.from({ length: spec.layers }, (_, i) =>
    listed(cache, cache.layer(), spec.layerDamage[i] ?? 'none', 0),
  );
  const manifests = spec.manifests.map((m, i) => {
    const ls = m.layers.map((l) => layers[l % layers.length]!);
    descriptors += 1 + ls.length;
    const config = listed(cache, cache.config('amd64'), i === 0 ? spec.configDamage : 'none', 0);
    return listed(cache, cache.manifest(config, ls), m.damage, 0);
  });
  const indexes: Desc[] = [];
  for (const x of spec.indexes) {
    const children = x.children.map((c) => {
      // Nested: one of the indexes before it (the one just before, most often); else a manifest.
      const pool = c.nested && indexes.length ? indexes : manifests;
      const d = pool[c.pick % pool.length]!;
      const arch = PLATFORMS[c.platform];
      return arch ? { ...d, platform: { os: 'linux', architecture: arch } } : d;
    });
    descriptors += children.length;
    indexes.push(listed(cache, cache.index(children), x.damage, 0));
  }
  // Entries over the last indexes most often: the ones with the most below them.
  const roots = [...manifests, ...indexes];
  const entries = spec.entries.map((pick, i) =>
    entry(roots[roots.length - 1 - (pick % Math.min(roots.length, 4 + (pick % 8)))]!, `example.com/e:${i}`),
  );
  return { entries, blobs: cache.files.size, descriptors: descriptors + entries.length };
}

describe('per-entry results from per-node summaries', () => {
  it('where no subtree is shared, equal the per-entry walk: statuses, problems, sizes, findings, referenced', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tree, { minLength: 1, maxLength: 4 }), mode, async (trees, m) => {
        const cache = new MemoryCache();
        const entries = trees.flatMap((t, i) =>
          // An attestation listed at the top has nothing to describe: keep its subject only.
          writeTree(cache, t)
            .slice(0, 1)
            .map((d) => entry(d, `example.com/t:${i}`)),
        );
        const { fresh, old } = await walkBoth(cache, entries, m);
        expect(fresh).toEqual(old);
        // Object key order is what ls prints: the same too.
        expect(fresh.results.map((r) => Object.keys(r.status.platforms))).toEqual(
          old.results.map((r) => Object.keys(r.status.platforms)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('over DAGs shared at every level, summarising is linear in blobs and edges', async () => {
    await fc.assert(
      fc.asyncProperty(dag, mode, async (spec, m) => {
        const cache = new MemoryCache();
        const built = writeDag(cache, spec);
        const walker = new GraphWalker(cache.layout, cache.scan(m), cache.hasher);
        const results = await walker.walk(built.entries);
        const { work } = walker;
        // Each node's edges and platform listings read once, each distinct root once.
        expect(work.summaryEdges).toBeLessThanOrEqual(2 * built.descriptors);
        // A bounded probe per node and per root.
        expect(work.sizeSteps).toBeLessThanOrEqual(SIZE_PROBE_STEPS * (work.nodes + built.entries.length));
        // A merge reads each part once: at most the distinct items per edge (shared sets, none).
        const platforms = new Set(results.flatMap((r) => Object.keys(r.status.platforms)));
        const problems = new Set(results.flatMap((r) => r.status.problem?.split('; ') ?? []));
        const distinct = platforms.size + problems.size + walker.findings.size;
        expect(work.merged).toBeLessThanOrEqual((work.summaryEdges + work.nodes) * distinct);
      }),
      { numRuns: 200 },
    );
  });

  it('size: distinct bytes when a probe finds them; past SIZE_PROBE_STEPS an index sums its children', async () => {
    const sizeOf = async (manifests: number) => {
      const cache = new MemoryCache();
      const shared = cache.layer();
      const listed = Array.from({ length: manifests }, () => cache.manifest(cache.config('amd64'), [shared]));
      const index = cache.index(listed);
      const walker = new GraphWalker(cache.layout, cache.scan('full'), cache.hasher);
      const [result] = await walker.walk([entry(index, 'example.com/size:1')]);
      const blobs = [...cache.files.values()].reduce((sum, b) => sum + b.length, 0);
      return { size: result!.status.size, blobs, layer: shared.size };
    };
    // Two platforms sharing a layer: it counts once.
    const small = await sizeOf(2);
    expect(small.size).toBe(small.blobs);
    // Too many to probe: the index adds up its manifests' sizes, the shared layer in each.
    const big = await sizeOf(SIZE_PROBE_STEPS);
    expect(big.size).toBe(big.blobs + (SIZE_PROBE_STEPS - 1) * big.layer);
  });

  it('size mode reads no blob past the size its descriptors declare, plus one byte (issue 17, item 2)', async () => {
    await fc.assert(
      fc.asyncProperty(dag, async (spec) => {
        const cache = new MemoryCache();
        const built = writeDag(cache, spec);
        const walker = new GraphWalker(cache.layout, cache.scan('size'), cache.hasher);
        await walker.walk(built.entries);
        for (const [hex, bytes] of cache.reads)
          expect(bytes, hex).toBeLessThanOrEqual(cache.declared.get(hex)! + 1);
      }),
      { numRuns: 300 },
    );
  });
});
