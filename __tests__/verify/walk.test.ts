// The graph walk against hostile caches (issue 8, items 1-4), on hand-written layouts: nesting
// that is exponential in paths but linear in blobs, index cycles, one digest named with two
// media types, and an index.json of 200 000 entries. Each through the library (with the walk's
// work counted) and through the CLI commands that walk (validate, ls, prune).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, MT, removeTempDir, type Desc } from '../harness/index.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import type { Finding } from '../../src/verify/findings.js';
import { pruneUnreferenced } from '../../src/verify/index.js';
import { repairLayout } from '../../src/verify/repair.js';
import type { Hasher } from '../../src/verify/scan.js';
import { verifyLayout, type Verification } from '../../src/verify/verify.js';
import { countingHasher, credulousHasher } from './hashers.js';
import { named, nestedIndexes, sha256, SyntheticLayout } from './synthetic.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeTempDir));
});

async function newLayout(): Promise<SyntheticLayout> {
  const dir = await makeTempDir('walk');
  dirs.push(dir);
  return SyntheticLayout.create(dir);
}

interface Options {
  mode?: 'full' | 'size';
  platforms?: string[];
  hasher?: Hasher;
}

const optionsOf = (o: Options) => ({
  mode: o.mode ?? 'full',
  platforms: (o.platforms ?? []).map((p) => parsePlatform(p)),
  hasher: o.hasher ?? countingHasher(),
});

function verify(dir: string, o: Options = {}): Promise<Verification> {
  return verifyLayout(Layout.at(dir), optionsOf(o));
}

async function repair(dir: string, o: Options = {}) {
  const layout = Layout.at(dir);
  return repairLayout(layout, await verifyLayout(layout, optionsOf(o)), optionsOf(o));
}

/** runCli in-process: stdout lines, stderr text, exit code. */
async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  let err = '';
  const stderr = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      err += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const ctx: CliContext = {
    out: (line) => out.push(line),
    stderr,
    logger: { debug: () => {}, info: (m) => (err += `${m}\n`), warn: (m) => (err += `warning: ${m}\n`) },
    env: {},
  };
  return { code: await runCli(argv, ctx), out, err };
}

async function blobsOnDisk(dir: string): Promise<string[]> {
  return (await readdir(path.join(dir, 'blobs', 'sha256'))).map((h) => `sha256:${h}`).sort();
}

async function bytesOnDisk(dir: string): Promise<number> {
  let total = 0;
  for (const d of await blobsOnDisk(dir))
    total += (await stat(path.join(dir, 'blobs', 'sha256', d.slice(7)))).size;
  return total;
}

async function entryNames(dir: string): Promise<string[]> {
  const doc = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Desc[] };
  return doc.manifests.map((m) => m.annotations!['org.opencontainers.image.ref.name']!);
}

const short = (digest: string): string => `${digest.slice(0, 'sha256:'.length + 12)}…`;
const rel = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
const AMD64 = { os: 'linux', architecture: 'amd64' };

/**
 * A blob named `digest` holding an index that lists `children(ownSize)`: its size is solved so
 * that a child may name the blob itself with the right size (only its content gives it away).
 */
async function forgeIndex(
  layout: SyntheticLayout,
  digest: string,
  children: (size: number) => Desc[],
): Promise<Desc> {
  const text = (size: number) =>
    JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: children(size) });
  let size = 0;
  while (text(size).length !== size) size = text(size).length;
  await layout.forge(digest, text(size));
  return { mediaType: MT.ociIndex, digest, size };
}

const fakeDigest = (seed: string): string => `sha256:${sha256(seed)}`;

// ---------------------------------------------------------------------------------------------

describe('1. indexes nested 12 deep, each listing its child 10 times (10^12 paths, 15 blobs)', () => {
  const NAME = 'example.com/deep:1';

  async function deep(): Promise<{ layout: SyntheticLayout; top: Desc }> {
    const layout = await newLayout();
    const leaf = { ...(await layout.image('amd64')), platform: AMD64 };
    const top = await nestedIndexes(layout, leaf, 12, 10);
    await layout.writeIndexJson([named(top, NAME)]);
    return { layout, top };
  }

  it.each(['full', 'size'] as const)(
    '%s mode: each document parsed once, each blob hashed at most once, the platform complete',
    async (mode) => {
      const { layout, top } = await deep();
      const hasher = countingHasher();
      const v = await verify(layout.dir, { mode, platforms: ['linux/amd64'], hasher });
      expect(v.report.findings).toEqual([]);
      expect(v.report.ok).toBe(true);
      expect(v.report.images).toEqual([
        {
          name: NAME,
          digest: top.digest,
          mediaType: MT.ociIndex,
          platforms: { 'linux/amd64': 'complete' },
          size: await bytesOnDisk(layout.dir),
        },
      ]);
      // 12 indexes and 1 manifest, each parsed and walked once; the descriptors followed are
      // bounded by those the distinct documents hold (plus the entry), not by the paths.
      expect(v.work.documents).toBe(13);
      expect(v.work.nodes).toBe(13);
      expect(v.work.edges).toBeLessThanOrEqual(1 + 12 * 10 + 2);
      expect([...hasher.counts.values()].every((n) => n === 1)).toBe(true);
      expect(hasher.total()).toBe(mode === 'full' ? 15 : 0);
    },
  );

  it('validate (both modes), ls and prune --dry-run finish', { timeout: 30_000 }, async () => {
    const { layout } = await deep();
    for (const argv of [['validate'], ['validate', '--mode', 'size'], ['ls'], ['prune', '--dry-run']]) {
      const run = await cli([...argv, '--cache', layout.dir]);
      expect(run.code, `${argv.join(' ')}: ${run.err}`).toBe(0);
      if (argv[0] === 'ls') expect(run.out.join('\n')).toContain('linux/amd64 complete');
    }
  });
});

describe('1. depth', () => {
  it(
    'a chain of 5000 nested indexes is walked and judged without running out of stack',
    { timeout: 60_000 },
    async () => {
      const layout = await newLayout();
      const leaf = { ...(await layout.image('amd64')), platform: AMD64 };
      const top = await nestedIndexes(layout, leaf, 5000, 1);
      await layout.writeIndexJson([named(top, 'example.com/chain:1')]);
      const v = await verify(layout.dir, { mode: 'size', platforms: ['linux/amd64'] });
      expect(v.report.findings).toEqual([]);
      expect(v.report.images[0]!.platforms).toEqual({ 'linux/amd64': 'complete' });
      expect(v.work.nodes).toBe(5001);
    },
  );
});

describe('2. index cycles', () => {
  const NAME = 'example.com/cycle:1';

  /** An index named D whose only child is D itself, size right (only hashing shows it). */
  async function selfListing(): Promise<{ layout: SyntheticLayout; self: Desc }> {
    const layout = await newLayout();
    const digest = fakeDigest('self-listing');
    const self = await forgeIndex(layout, digest, (size) => [{ mediaType: MT.ociIndex, digest, size }]);
    await layout.writeIndexJson([named(self, NAME)]);
    return { layout, self };
  }

  it('an index listing itself, size mode: the walk ends; hashing it shows its bytes are not its name; repair deletes it and drops the entry', async () => {
    const { layout, self } = await selfListing();
    const hasher = countingHasher();
    const v = await verify(layout.dir, { mode: 'size', hasher });
    const actual = sha256(await readFile(layout.file(self.digest)));
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: self.digest as Finding['digest'],
      path: rel(self.digest),
      detail: `index cycle: ${short(self.digest)} lists itself; same size, content differs (hashes to sha256:${actual.slice(0, 12)}…)`,
      action: 'kept',
      images: [NAME],
    };
    expect(v.report.findings).toEqual([corrupt]);
    expect(v.report.images).toEqual([
      {
        name: NAME,
        digest: self.digest,
        mediaType: MT.ociIndex,
        platforms: {},
        size: 0,
        problem: 'index blob corrupt',
      },
    ]);
    expect(v.work.documents).toBe(1);
    expect(hasher.total()).toBe(1);

    const repaired = await repair(layout.dir, { mode: 'size' });
    expect(repaired.findings.map((f) => [f.kind, f.action])).toEqual([
      ['index', 'removed'],
      ['corrupt', 'removed'],
    ]);
    expect(await blobsOnDisk(layout.dir)).toEqual([]);
    expect(await entryNames(layout.dir)).toEqual([]);
    expect((await verify(layout.dir, { mode: 'size' })).report.ok).toBe(true);
  });

  it('full mode never walks into it: its hash is checked first', async () => {
    const { layout, self } = await selfListing();
    const v = await verify(layout.dir);
    expect(v.report.findings).toMatchObject([
      { kind: 'corrupt', digest: self.digest, detail: expect.stringMatching(/^same size, content differs/) },
    ]);
    expect(v.work.nodes).toBe(0);
  });

  it('ls, validate --mode size and prune --dry-run report it and end', { timeout: 30_000 }, async () => {
    const { layout, self } = await selfListing();
    const ls = await cli(['ls', '--cache', layout.dir]);
    expect(ls.code).toBe(0);
    expect(ls.out.join('\n')).toContain('index blob corrupt');
    const validate = await cli(['validate', '--mode', 'size', '--cache', layout.dir]);
    expect(validate.code).toBe(1);
    expect(validate.out.join('\n')).toContain(`index cycle: ${short(self.digest)} lists itself`);
    expect((await cli(['prune', '--dry-run', '--cache', layout.dir])).code).toBe(0);
    expect(await blobsOnDisk(layout.dir)).toEqual([self.digest]);
  });

  it(
    '2000 indexes in a chain, each also listing the top (forged): 2000 cycles, each blob hashed at most once',
    { timeout: 60_000 },
    async () => {
      const layout = await newLayout();
      const top = { mediaType: MT.ociIndex, digest: fakeDigest('top'), size: 4096 };
      let child: Desc = { ...(await layout.image('amd64')), platform: AMD64 };
      const chain: Desc[] = [];
      for (let i = 0; i < 2000; i++) chain.unshift((child = await layout.index([child, top])));
      await layout.forge(
        top.digest,
        JSON.stringify({ schemaVersion: 2, manifests: [chain[0]] }).padEnd(top.size, ' '),
      );
      await layout.writeIndexJson([named(top, NAME)]);
      const hasher = countingHasher();
      const v = await verify(layout.dir, { mode: 'size', hasher });
      expect([...hasher.counts.values()].every((n) => n === 1)).toBe(true);
      expect(hasher.total()).toBeLessThanOrEqual(2001);
      expect(v.report.findings.filter((f) => f.kind !== 'unreferenced')).toMatchObject([
        {
          kind: 'corrupt',
          digest: top.digest,
          detail: expect.stringMatching(
            new RegExp(
              `^index cycle: ${short(top.digest)} lists itself via ${short(chain[0]!.digest)} → ${short(chain[1]!.digest)} → … 1997 more … → ${short(chain[1999]!.digest)}; same size, content differs`,
            ),
          ),
        },
      ]);
    },
  );

  it('A lists B, B lists A (B forged): B is found out and deleted, A (valid) kept; the entry goes', async () => {
    const layout = await newLayout();
    const b = fakeDigest('b');
    let sizeB = 0;
    let a: Desc;
    for (;;) {
      a = await layout.index([{ mediaType: MT.ociIndex, digest: b, size: sizeB }]);
      const forged = await forgeIndex(layout, b, () => [a]);
      if (forged.size === sizeB) break;
      sizeB = forged.size;
    }
    await layout.writeIndexJson([named(a, NAME)]);
    const v = await verify(layout.dir, { mode: 'size' });
    expect(v.report.findings.filter((f) => f.kind !== 'unreferenced')).toMatchObject([
      {
        kind: 'corrupt',
        digest: b,
        detail: expect.stringMatching(
          new RegExp(
            `^index cycle: ${short(a.digest)} lists itself via ${short(b)}; same size, content differs`,
          ),
        ),
        action: 'kept',
        images: [NAME],
      },
    ]);
    expect(v.report.images[0]!.problem).toBe(`nested index ${short(b)} corrupt`);
    await repair(layout.dir, { mode: 'size' });
    expect(await blobsOnDisk(layout.dir)).not.toContain(b);
    expect(await blobsOnDisk(layout.dir)).toContain(a.digest);
    expect(await entryNames(layout.dir)).toEqual([]);
  });

  it('a cycle of blobs that all hash to their names (a hasher that agrees with every name): a corrupt finding naming the cycle; repair drops the entry and deletes nothing', async () => {
    const { layout, self } = await selfListing();
    const v = await verify(layout.dir, { hasher: credulousHasher });
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: self.digest as Finding['digest'],
      path: rel(self.digest),
      detail: `index cycle: ${short(self.digest)} lists itself`,
      action: 'kept',
      images: [NAME],
    };
    expect(v.report.findings).toEqual([corrupt]);
    expect(v.report.images[0]!.problem).toBe(`index cycle: ${short(self.digest)} lists itself`);

    const repaired = await repair(layout.dir, { hasher: credulousHasher });
    expect(repaired.findings.filter((f) => f.kind !== 'unreferenced')).toEqual([
      {
        kind: 'index',
        path: 'index.json',
        detail: `entry ${NAME}: index cycle: ${short(self.digest)} lists itself; the next pull fetches it again`,
        action: 'removed',
        images: [NAME],
      },
      corrupt,
    ]);
    expect(repaired.ok).toBe(true);
    expect(await blobsOnDisk(layout.dir)).toEqual([self.digest]);
    expect(await entryNames(layout.dir)).toEqual([]);
  });
});

describe('3. one digest in two index.json entries, typed as a manifest and as an index', () => {
  async function twoTypes(indexFirst: boolean) {
    const layout = await newLayout();
    const image = { ...(await layout.image('amd64')), platform: AMD64 };
    const index = await layout.index([image]);
    const asIndex = named(index, 'example.com/right:1');
    const asManifest = named({ ...index, mediaType: MT.ociManifest }, 'example.com/wrong:1');
    await layout.writeIndexJson(indexFirst ? [asIndex, asManifest] : [asManifest, asIndex]);
    return { layout, index, blobs: await blobsOnDisk(layout.dir) };
  }

  for (const indexFirst of [true, false])
    for (const mode of ['full', 'size'] as const)
      it(`${indexFirst ? 'index' : 'manifest'} entry first, ${mode} mode: the blob is valid, only the manifest-typed entry is wrong, and only it is removed`, async () => {
        const { layout, index, blobs } = await twoTypes(indexFirst);
        const v = await verify(layout.dir, { mode });
        const corrupt: Finding = {
          kind: 'corrupt',
          digest: index.digest as Finding['digest'],
          path: rel(index.digest),
          detail:
            'valid blob, but not a usable manifest: manifest: mediaType application/vnd.oci.image.index.v1+json is not an image manifest',
          action: 'kept',
          images: ['example.com/wrong:1'],
        };
        expect(v.report.findings).toEqual([corrupt]);
        const right = v.report.images.find((i) => i.name === 'example.com/right:1')!;
        expect(right.platforms).toEqual({ 'linux/amd64': 'complete' });
        expect(right.problem).toBeUndefined();

        const repaired = await repair(layout.dir, { mode });
        expect(repaired.findings).toEqual([
          {
            kind: 'index',
            path: 'index.json',
            detail: 'entry example.com/wrong:1: manifest blob corrupt; the next pull fetches it again',
            action: 'removed',
            images: ['example.com/wrong:1'],
          },
          corrupt,
        ]);
        expect(repaired.ok).toBe(true);
        expect(await blobsOnDisk(layout.dir)).toEqual(blobs);
        expect(await entryNames(layout.dir)).toEqual(['example.com/right:1']);
      });
});

describe('4. an index.json of 200 000 entries', () => {
  it('verify, ls --json, prune --dry-run and repair complete', { timeout: 120_000 }, async () => {
    const layout = await newLayout();
    const multi = await layout.index([
      { ...(await layout.image('amd64')), platform: AMD64 },
      { ...(await layout.image('arm64')), platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const single = await layout.image('amd64');
    const gone = { ...single, digest: fakeDigest('not in the cache') };
    const N = 200_000;
    // Every 1000th entry names a blob that is not there: 200 entries for repair to remove.
    const roots = [multi, single];
    const entries = Array.from({ length: N }, (_, i) =>
      named(i % 1000 === 999 ? gone : roots[i % 2]!, `example.com/many:${i}`),
    );
    await layout.writeIndexJson(entries);

    const options = optionsOf({ mode: 'size' });
    const v = await verifyLayout(Layout.at(layout.dir), options);
    expect(v.report.images).toHaveLength(N);
    expect(v.badEntries.size).toBe(N / 1000);
    expect(v.work.nodes).toBe(4);
    expect(v.report.findings).toHaveLength(1);
    expect(v.report.findings[0]!.images).toHaveLength(N / 1000);

    const ls = await cli(['ls', '--json', '--cache', layout.dir]);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.out.join('\n'))).toHaveLength(N);
    expect((await pruneUnreferenced(Layout.at(layout.dir), { dryRun: true })).removed).toEqual([]);

    const repaired = await repairLayout(Layout.at(layout.dir), v, options);
    expect(repaired.ok).toBe(true);
    expect(repaired.findings.filter((f) => f.kind === 'index' && f.action === 'removed')).toHaveLength(
      N / 1000,
    );
    expect(await entryNames(layout.dir)).toHaveLength(N - N / 1000);
  });
});
