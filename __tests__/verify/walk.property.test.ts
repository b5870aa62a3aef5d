// Property-based tests of the graph walk and repair over generated layouts: random DAGs with
// heavy sharing (an index may list one child many times, indexes nest), forged index blobs
// that list anything (cycles, self-listing), descriptors typed as the other kind or declaring
// a wrong size, attestations, several entries per name, and random damage (truncate, flip a
// byte, delete, append). Each layout is verified, repaired, verified and repaired again.
import { createHash } from 'node:crypto';
import { appendFile, lstat, readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeTempDir, MT, removeTempDir, type Desc } from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { isProblem } from '../../src/verify/findings.js';
import { repairLayout } from '../../src/verify/repair.js';
import { verifyLayout } from '../../src/verify/verify.js';
import { countingHasher } from './hashers.js';
import { attestationOf, named, sha256, SyntheticLayout } from './synthetic.js';

interface ChildSpec {
  pick: number;
  /** Typed as the other kind (index ↔ manifest). */
  swap: boolean;
  /** Declares one byte more than the blob has. */
  wrongSize: boolean;
  platform: 0 | 1 | 2;
  /** An attestation of an earlier manifest child of the same index. */
  attestation: boolean;
}

interface Recipe {
  nonce: number;
  layers: number;
  manifests: { config: number; layers: number[]; docker: boolean }[];
  indexes: { forged: boolean; children: ChildSpec[] }[];
  entries: { pick: number; swap: boolean; wrongSize: boolean; name: number }[];
  damage: { pick: number; how: 'truncate' | 'flip' | 'delete' | 'append' }[];
  mode: 'full' | 'size';
}

/** true about one time in `n`. */
const oneIn = (n: number) => fc.integer({ min: 1, max: n }).map((x) => x === 1);

const childSpec: fc.Arbitrary<ChildSpec> = fc.record({
  pick: fc.nat(),
  swap: oneIn(8),
  wrongSize: oneIn(10),
  platform: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  attestation: oneIn(4),
});

const recipe: fc.Arbitrary<Recipe> = fc.record({
  nonce: fc.nat(),
  layers: fc.integer({ min: 1, max: 5 }),
  manifests: fc.array(
    fc.record({ config: fc.nat(), layers: fc.array(fc.nat(), { maxLength: 4 }), docker: oneIn(4) }),
    { minLength: 1, maxLength: 5 },
  ),
  indexes: fc.array(
    fc.record({
      forged: oneIn(4),
      // Duplicates of one pick are likely: the same child listed many times.
      children: fc.array(childSpec, { minLength: 1, maxLength: 8 }),
    }),
    { maxLength: 7 },
  ),
  entries: fc.array(
    fc.record({ pick: fc.nat(), swap: oneIn(8), wrongSize: oneIn(10), name: fc.nat({ max: 4 }) }),
    { minLength: 1, maxLength: 6 },
  ),
  damage: fc.array(
    fc.record({
      pick: fc.nat(),
      how: fc.constantFrom<Recipe['damage'][number]['how']>('truncate', 'flip', 'delete', 'append'),
    }),
    { maxLength: 3 },
  ),
  mode: fc.constantFrom<'full' | 'size'>('full', 'size'),
});

/** Forged index blobs have this size, set before their content (which may name anything) is known. */
const FORGED_SIZE = 4096;

interface Built {
  /** Blob files written (distinct digests). */
  files: number;
  /** Descriptors in all documents written (manifests' config and layers, indexes' children). */
  descriptors: number;
  entries: number;
}

const otherType = (d: Desc): string =>
  d.mediaType === MT.ociIndex || d.mediaType === MT.dockerList ? MT.ociManifest : MT.ociIndex;

/** Writes the layout a recipe describes, then damages it. */
async function build(dir: string, r: Recipe): Promise<Built> {
  const layout = await SyntheticLayout.create(dir);
  let descriptors = 0;
  const layers: Desc[] = [];
  for (let i = 0; i < r.layers; i++) layers.push(await layout.blob(`layer ${i} ${r.nonce}`, MT.ociLayerGzip));
  const configs = new Map<number, Desc>();
  const manifests: Desc[] = [];
  for (const m of r.manifests) {
    const c = m.config % r.manifests.length;
    if (!configs.has(c)) {
      const doc = { architecture: c % 2 ? 'arm64' : 'amd64', os: 'linux', c, nonce: r.nonce };
      configs.set(c, await layout.blob(JSON.stringify(doc), MT.ociConfig));
    }
    const mt = m.docker ? MT.dockerManifest : MT.ociManifest;
    manifests.push(
      await layout.manifest(
        configs.get(c)!,
        m.layers.map((l) => layers[l % layers.length]!),
        mt,
      ),
    );
    descriptors += 1 + m.layers.length;
  }
  // Forged indexes are named up front (a digest that is not their content's), so that any
  // index, even one written before them, can list them, and they can list anything: cycles.
  const indexes: (Desc | undefined)[] = r.indexes.map((x, i) =>
    x.forged
      ? { mediaType: MT.ociIndex, digest: `sha256:${sha256(`forged ${i} ${r.nonce}`)}`, size: FORGED_SIZE }
      : undefined,
  );
  const childrenOf = (i: number): Desc[] => {
    const pool = [
      ...manifests,
      ...indexes.filter(
        (d, j): d is Desc => d !== undefined && (j < i || r.indexes[j]!.forged || r.indexes[i]!.forged),
      ),
    ];
    const out: Desc[] = [];
    for (const c of r.indexes[i]!.children) {
      const target = pool[c.pick % pool.length]!;
      let d: Desc = {
        ...target,
        size: target.size + (c.wrongSize ? 1 : 0),
        ...(c.swap ? { mediaType: otherType(target) } : {}),
      };
      if (c.platform) d.platform = { os: 'linux', architecture: c.platform === 1 ? 'amd64' : 'arm64' };
      const subject = out.find((o) => o.mediaType === MT.ociManifest && !o.annotations);
      if (c.attestation && subject) d = attestationOf(d, subject);
      out.push(d);
    }
    return out;
  };
  for (const [i, x] of r.indexes.entries()) {
    descriptors += x.children.length;
    if (!x.forged) indexes[i] = await layout.index(childrenOf(i));
  }
  for (const [i, x] of r.indexes.entries()) {
    if (!x.forged) continue;
    const text = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: childrenOf(i) });
    if (text.length > FORGED_SIZE) throw new Error('FORGED_SIZE too small for the recipe');
    await layout.forge(indexes[i]!.digest, text.padEnd(FORGED_SIZE, ' '));
  }
  const roots = [...manifests, ...(indexes as Desc[])];
  await layout.writeIndexJson(
    r.entries.map((e) => {
      const target = roots[e.pick % roots.length]!;
      const d = {
        ...target,
        size: target.size + (e.wrongSize ? 1 : 0),
        ...(e.swap ? { mediaType: otherType(target) } : {}),
      };
      return named(d, `example.com/img:${e.name}`);
    }),
  );
  const blobDir = path.join(dir, 'blobs', 'sha256');
  const names = (await readdir(blobDir)).sort();
  for (const d of r.damage) {
    const file = path.join(blobDir, names[d.pick % names.length]!);
    const bytes = await readFile(file).catch(() => undefined);
    if (!bytes) continue;
    if (d.how === 'delete') await unlink(file);
    else if (d.how === 'truncate') await truncate(file, Math.floor(bytes.length / 2));
    else if (d.how === 'append') await appendFile(file, 'x');
    else if (bytes.length > 0) {
      bytes[0] = bytes[0]! ^ 0xff;
      await writeFile(file, bytes);
    }
  }
  return { files: names.length, descriptors, entries: r.entries.length };
}

/** Every file under `dir` (relative path → sha256 of its content, or 'dir'). */
async function snapshot(dir: string, under = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(path.join(dir, under))) {
    const rel = under ? `${under}/${name}` : name;
    const s = await lstat(path.join(dir, rel));
    if (s.isDirectory()) {
      out.set(rel, 'dir');
      for (const [k, v] of await snapshot(dir, rel)) out.set(k, v);
    } else
      out.set(
        rel,
        createHash('sha256')
          .update(await readFile(path.join(dir, rel)))
          .digest('hex'),
      );
  }
  return out;
}

const isOurLock = (rel: string) => rel.startsWith('.oci-cache-guard');

async function entries(dir: string): Promise<string[]> {
  const doc = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: unknown[] };
  return doc.manifests.map((m) => JSON.stringify(m));
}

async function verifyRepairVerify(r: Recipe): Promise<void> {
  const dir = await makeTempDir('walk-prop');
  try {
    const built = await build(dir, r);
    const before = await snapshot(dir);
    const entriesBefore = await entries(dir);
    const layout = Layout.at(dir);
    const hasher = countingHasher();
    const options = { mode: r.mode, platforms: [], hasher };

    const v = await verifyLayout(layout, options);
    // Work linear in what is on disk, whatever the sharing or the cycles.
    expect(v.work.documents).toBeLessThanOrEqual(built.files);
    expect(v.work.nodes).toBeLessThanOrEqual(2 * built.files);
    expect(v.work.checks).toBeLessThanOrEqual(v.work.edges);
    expect(v.work.edges).toBeLessThanOrEqual(built.entries + built.descriptors);
    expect([...hasher.counts.values()].every((n) => n === 1)).toBe(true);

    const repaired = await repairLayout(layout, v, options);
    const after = await snapshot(dir);
    for (const [rel, hash] of after) {
      if (rel === 'index.json' || isOurLock(rel)) continue;
      // Nothing new, nothing changed: repair only deletes (in blobs/) and rewrites index.json.
      expect(before.get(rel), rel).toBe(hash);
    }
    for (const [rel, hash] of before) {
      const hex = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(rel)?.[1];
      // A blob whose bytes match its name is never removed.
      if (hex === hash) expect(after.get(rel), rel).toBe(hash);
      if (!rel.startsWith('blobs/') && rel !== 'index.json') expect(after.get(rel), rel).toBe(hash);
    }
    // index.json only loses entries, each kept verbatim and in order.
    const entriesAfter = await entries(dir);
    expect(entriesBefore.filter((e) => entriesAfter.includes(e))).toEqual(entriesAfter);

    const again = await verifyLayout(layout, { ...options, hasher: countingHasher() });
    expect(again.report.findings.filter(isProblem)).toEqual([]);
    expect(again.report.ok).toBe(true);
    expect(repaired.ok).toBe(true);

    // A second repair has nothing to do.
    const settled = await snapshot(dir);
    await repairLayout(layout, again, { ...options, hasher: countingHasher() });
    expect(await snapshot(dir)).toEqual(settled);
  } finally {
    await removeTempDir(dir);
  }
}

interface Nesting {
  depth: number;
  fanout: number;
  /** Per level, earlier levels it also lists (sharing across levels). */
  extra: number[][];
  mode: 'full' | 'size';
}

const nesting: fc.Arbitrary<Nesting> = fc.record({
  depth: fc.integer({ min: 1, max: 10 }),
  fanout: fc.integer({ min: 1, max: 10 }),
  extra: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { maxLength: 10 }),
  mode: fc.constantFrom<'full' | 'size'>('full', 'size'),
});

/** Indexes over one image, each listing the level below `fanout` times and some earlier levels: up to 10^10 paths. */
async function walkNesting(n: Nesting): Promise<void> {
  const dir = await makeTempDir('walk-nest');
  try {
    const layout = await SyntheticLayout.create(dir);
    const levels: Desc[] = [
      { ...(await layout.image('amd64')), platform: { os: 'linux', architecture: 'amd64' } },
    ];
    let descriptors = 3;
    for (let i = 1; i <= n.depth; i++) {
      const children = Array.from({ length: n.fanout }, () => levels[i - 1]!);
      for (const x of n.extra[i - 1] ?? []) children.push(levels[x % i]!);
      descriptors += children.length;
      levels.push(await layout.index(children));
    }
    await layout.writeIndexJson([named(levels[n.depth]!, 'example.com/nested:1')]);
    const hasher = countingHasher();
    const v = await verifyLayout(Layout.at(dir), { mode: n.mode, platforms: [], hasher });
    expect(v.report.findings).toEqual([]);
    expect(v.report.images[0]!.platforms).toEqual({ 'linux/amd64': 'complete' });
    expect(v.work.documents).toBe(n.depth + 1);
    expect(v.work.nodes).toBe(n.depth + 1);
    expect(v.work.edges).toBeLessThanOrEqual(1 + descriptors);
    expect(hasher.total()).toBe(n.mode === 'full' ? n.depth + 3 : 0);
  } finally {
    await removeTempDir(dir);
  }
}

describe('verify and repair over generated layouts', () => {
  it('nested indexes, shared at every level: each document parsed once, each index walked once', async () => {
    await fc.assert(fc.asyncProperty(nesting, walkNesting), { numRuns: 40, endOnFailure: true });
  });

  it(
    'the walk ends with work linear in the blobs; repair removes no valid blob, touches nothing else, and leaves nothing to repair',
    { timeout: 120_000 },
    async () => {
      await fc.assert(fc.asyncProperty(recipe, verifyRepairVerify), { numRuns: 100, endOnFailure: true });
    },
  );
});
