// The damage matrix, through the library API, on a real cache (umoci → docker-registry → skopeo):
// one test per way a cache goes bad, each asserting the exact finding, then that repair leaves
// a consistent cache, removes no valid blob, and that skopeo still reads every remaining entry.
import { createHash, randomBytes } from 'node:crypto';
import {
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCachePerTest } from '../harness/cache-per-test.js';
import { settled } from '../harness/settled.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { isProblem } from '../../src/verify/findings.js';
import { checkLayout, pruneUnreferenced, type Finding, type Report } from '../../src/verify/index.js';
import {
  FIXTURE_NAMES,
  makeTempDir,
  MT,
  removeTempDir,
  skopeoInspect,
  type Desc,
  type FixtureCache,
  type FixtureImage,
} from '../harness/index.js';

const { multi: MULTI, single: SINGLE, docker: DOCKER } = FIXTURE_NAMES;
const ALL_ENTRIES = [MULTI, SINGLE, DOCKER];

// ---------------------------------------------------------------------------------------------
// Helpers

const hexOf = (digest: string): string => digest.slice('sha256:'.length);
const rel = (digest: string): string => `blobs/sha256/${hexOf(digest)}`;
const short = (digest: string): string => `${digest.slice(0, 'sha256:'.length + 12)}…`;
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
const execFileAsync = promisify(execFile);
const fileOf = (cache: FixtureCache, digest: string): string => path.join(cache.dir, rel(digest));

function check(
  cache: FixtureCache,
  opts: { repair?: boolean; mode?: 'full' | 'size'; platforms?: string[] } = {},
): Promise<Report> {
  return checkLayout(Layout.at(cache.dir), {
    mode: opts.mode ?? 'full',
    platforms: (opts.platforms ?? []).map((p) => parsePlatform(p)),
    repair: opts.repair ?? false,
  });
}

/** Every finding but the unreferenced ones (those are listed in bulk where they matter). */
const notUnreferenced = (r: Report): Finding[] => r.findings.filter((f) => f.kind !== 'unreferenced');
const unreferenced = (r: Report): string[] =>
  r.findings
    .filter((f) => f.kind === 'unreferenced')
    .map((f) => f.digest!)
    .sort();

/** Every digest an image's closure holds: entry, platform manifests, configs, layers, attestations. */
function closure(image: FixtureImage): string[] {
  const all = new Set([image.entry.digest]);
  for (const p of image.platforms) {
    for (const d of [p.manifest, p.config, ...p.layers]) all.add(d.digest);
    for (const a of p.attestations) for (const d of [a.manifest, a.config, ...a.layers]) all.add(d.digest);
  }
  return [...all].sort();
}

/** Digest-named regular files in blobs/sha256, each hashed here (node:crypto) as an oracle. */
async function blobsOnDisk(dir: string): Promise<{ digests: string[]; wrong: string[] }> {
  const blobDir = path.join(dir, 'blobs', 'sha256');
  const digests: string[] = [];
  const wrong: string[] = [];
  for (const name of await readdir(blobDir)) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const p = path.join(blobDir, name);
    if (!(await lstat(p)).isFile()) continue;
    digests.push(`sha256:${name}`);
    if (sha256(await readFile(p)) !== name) wrong.push(name);
  }
  return { digests: digests.sort(), wrong };
}

async function indexEntries(dir: string): Promise<Desc[]> {
  const doc = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Desc[] };
  return doc.manifests ?? [];
}

const nameOf = (d: Desc): string | undefined => d.annotations?.['org.opencontainers.image.ref.name'];
const imageByName = (cache: FixtureCache, name: string): FixtureImage =>
  Object.values(cache.images).find((i) => i.name === name)!;

/** The amd64 and arm64 images of the fixture's multi-arch index. */
const multiPlatform = (cache: FixtureCache, arch: 'amd64' | 'arm64') =>
  cache.images.multi.platforms.find((p) => p.platform.architecture === arch)!;

/** Writes one byte at `offset` that differs from the one there (same size, other content). */
async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] = bytes[offset]! ^ 0xff;
  await writeFile(file, bytes);
}

async function truncateTo(cache: FixtureCache, digest: string, size: number): Promise<void> {
  await truncate(fileOf(cache, digest), size);
}

/** The index.json entry removal repair reports for a broken image. */
const entryRemoved = (name: string, why: string): Finding => ({
  kind: 'index',
  path: 'index.json',
  detail: `entry ${name}: ${why}; the next pull fetches it again`,
  action: 'removed',
  images: [name],
});

/**
 * Everything that must hold once `validate --repair` has run: validate is ok, the only blobs
 * gone are `gone`, every blob left hashes to its name, index.json holds exactly `entries`
 * (verbatim, in order), and skopeo reads every remaining OCI entry on each complete platform.
 */
async function expectRepaired(
  cache: FixtureCache,
  after: { gone?: string[]; entries: string[] },
): Promise<Report> {
  const again = await check(cache);
  expect(again.findings.filter(isProblem)).toEqual([]);
  expect(again.ok).toBe(true);

  const gone = new Set(after.gone ?? []);
  const { digests, wrong } = await blobsOnDisk(cache.dir);
  expect(wrong).toEqual([]);
  expect(digests).toEqual(cache.blobs.filter((d) => !gone.has(d)));

  const entries = await indexEntries(cache.dir);
  expect(entries.map(nameOf)).toEqual(after.entries);
  for (const e of entries) {
    const image = imageByName(cache, nameOf(e)!);
    expect(e).toEqual(image.entry);
    const status = again.images.find((i) => i.name === image.name)!;
    expect(Object.values(status.platforms).every((s) => s === 'complete')).toBe(true);
    if (e.mediaType === MT.dockerList || e.mediaType === MT.dockerManifest) {
      // skopeo's oci: transport cannot address Docker-typed entries; the hash oracle above
      // vouches for each blob, this for the closure being whole.
      expect(closure(image).filter((d) => !digests.includes(d))).toEqual([]);
      continue;
    }
    for (const p of image.platforms) {
      const r = await skopeoInspect(cache.dir, image.name, { arch: p.platform.architecture });
      expect(r.ok, `skopeo inspect ${image.name} ${p.platform.architecture}: ${r.output}`).toBe(true);
      expect(JSON.parse(r.output)).toMatchObject({
        Os: p.platform.os,
        Architecture: p.platform.architecture,
      });
    }
  }
  return again;
}

// ---------------------------------------------------------------------------------------------

const fresh = useCachePerTest();

describe('a pristine cache', () => {
  it('is consistent: every blob checked, every platform complete, nothing to report', async () => {
    const c = await fresh();
    const report = await check(c);
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.blobs.checked).toBe(c.blobs.length);
    expect(report.images.map((i) => [i.name, i.platforms])).toEqual([
      [MULTI, { 'linux/amd64': 'complete', 'linux/arm64': 'complete' }],
      [SINGLE, { 'linux/amd64': 'complete' }],
      [DOCKER, { 'linux/amd64': 'complete', 'linux/arm64': 'complete' }],
    ]);
    await expectRepaired(c, { entries: ALL_ENTRIES });
  });
});

describe('damaged blobs', () => {
  it('truncated layer: corrupt "truncated: N of M bytes", removed with its entry', async () => {
    const c = await fresh();
    await truncateTo(c, c.bigLayer.digest, 1104);
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: c.bigLayer.digest as Finding['digest'],
      path: rel(c.bigLayer.digest),
      detail: `truncated: 1104 of ${c.bigLayer.size} bytes`,
      action: 'kept',
      images: [MULTI],
    };
    const report = await check(c);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([corrupt]);
    expect(report.images[0]!.platforms).toEqual({ 'linux/amd64': 'broken', 'linux/arm64': 'complete' });

    const repaired = await check(c, { repair: true });
    expect(repaired.ok).toBe(true);
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'platform linux/amd64 broken'),
      { ...corrupt, action: 'removed' },
    ]);
    const again = await expectRepaired(c, { gone: [c.bigLayer.digest], entries: [SINGLE, DOCKER] });
    // The rest of the removed image stays, unreferenced, until prune.
    const rest = closure(c.images.multi).filter((d) => d !== c.bigLayer.digest);
    expect(unreferenced(again)).toEqual(rest);
  });

  it('same-size layer with one byte flipped: corrupt "same size, content differs"', async () => {
    const c = await fresh();
    const file = fileOf(c, c.bigLayer.digest);
    await flipByte(file, 5000);
    const actual = sha256(await readFile(file));
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: c.bigLayer.digest as Finding['digest'],
      path: rel(c.bigLayer.digest),
      detail: `same size, content differs (hashes to sha256:${actual.slice(0, 12)}…)`,
      action: 'kept',
      images: [MULTI],
    };
    expect(notUnreferenced(await check(c))).toEqual([corrupt]);

    const repaired = await check(c, { repair: true });
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'platform linux/amd64 broken'),
      { ...corrupt, action: 'removed' },
    ]);
    await expectRepaired(c, { gone: [c.bigLayer.digest], entries: [SINGLE, DOCKER] });
  });

  it('missing layer: "missing: N bytes referenced by manifest …", the entry goes', async () => {
    const c = await fresh();
    const img = c.images.single.platforms[0]!;
    const layer = img.layers[0]!;
    await unlink(fileOf(c, layer.digest));
    const missing: Finding = {
      kind: 'missing',
      digest: layer.digest as Finding['digest'],
      path: rel(layer.digest),
      detail: `missing: ${layer.size} bytes referenced by manifest ${short(img.manifest.digest)}`,
      action: 'kept',
      images: [SINGLE],
    };
    const report = await check(c);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([missing]);
    expect(report.images[1]).toMatchObject({ name: SINGLE, platforms: { 'linux/amd64': 'broken' } });

    const repaired = await check(c, { repair: true });
    expect(repaired.ok).toBe(true);
    // Nothing to delete for a missing blob; the entry that needed it is what goes.
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(SINGLE, 'platform linux/amd64 broken'),
      { ...missing, action: 'removed' },
    ]);
    // The README's rule: ok is true when no problem finding is left unrepaired.
    expect(repaired.findings.filter(isProblem)).toEqual([]);
    await expectRepaired(c, { gone: [layer.digest], entries: [MULTI, DOCKER] });
  });

  it('truncated manifest: corrupt, removed; its config and layers are left unreferenced', async () => {
    const c = await fresh();
    const amd64 = multiPlatform(c, 'amd64');
    await truncateTo(c, amd64.manifest.digest, 100);
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: amd64.manifest.digest as Finding['digest'],
      path: rel(amd64.manifest.digest),
      detail: `truncated: 100 of ${amd64.manifest.size} bytes`,
      action: 'kept',
      images: [MULTI],
    };
    const report = await check(c);
    expect(notUnreferenced(report)).toEqual([corrupt]);
    expect(unreferenced(report)).toEqual([amd64.config, ...amd64.layers].map((d) => d.digest).sort());
    expect(report.images[0]!.platforms).toEqual({ 'linux/amd64': 'broken', 'linux/arm64': 'complete' });

    const repaired = await check(c, { repair: true });
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'platform linux/amd64 broken'),
      { ...corrupt, action: 'removed' },
    ]);
    await expectRepaired(c, { gone: [amd64.manifest.digest], entries: [SINGLE, DOCKER] });
  });

  it('missing config: the platform is broken, the entry goes', async () => {
    const c = await fresh();
    const arm64 = multiPlatform(c, 'arm64');
    await unlink(fileOf(c, arm64.config.digest));
    const missing: Finding = {
      kind: 'missing',
      digest: arm64.config.digest as Finding['digest'],
      path: rel(arm64.config.digest),
      detail: `missing: ${arm64.config.size} bytes referenced by manifest ${short(arm64.manifest.digest)}`,
      action: 'kept',
      images: [MULTI],
    };
    const report = await check(c);
    expect(report.findings).toEqual([missing]);
    expect(report.images[0]!.platforms).toEqual({ 'linux/amd64': 'complete', 'linux/arm64': 'broken' });

    const repaired = await check(c, { repair: true });
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'platform linux/arm64 broken'),
      { ...missing, action: 'removed' },
    ]);
    await expectRepaired(c, { gone: [arm64.config.digest], entries: [SINGLE, DOCKER] });
  });

  it('truncated index blob: the image itself is unusable; everything under it is unreferenced', async () => {
    const c = await fresh();
    const index = c.images.multi.entry;
    await truncateTo(c, index.digest, 300);
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: index.digest as Finding['digest'],
      path: rel(index.digest),
      detail: `truncated: 300 of ${index.size} bytes`,
      action: 'kept',
      images: [MULTI],
    };
    const report = await check(c);
    expect(notUnreferenced(report)).toEqual([corrupt]);
    expect(unreferenced(report)).toEqual(closure(c.images.multi).filter((d) => d !== index.digest));
    expect(report.images[0]).toMatchObject({ name: MULTI, platforms: {}, problem: 'index blob corrupt' });

    const repaired = await check(c, { repair: true });
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'index blob corrupt'),
      { ...corrupt, action: 'removed' },
    ]);
    await expectRepaired(c, { gone: [index.digest], entries: [SINGLE, DOCKER] });
  });

  it('empty file named by a referenced digest: corrupt "empty: 0 of N bytes"', async () => {
    const c = await fresh();
    const layer = multiPlatform(c, 'arm64').layers[0]!;
    await truncateTo(c, layer.digest, 0);
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: layer.digest as Finding['digest'],
      path: rel(layer.digest),
      detail: `empty: 0 of ${layer.size} bytes`,
      action: 'kept',
      images: [MULTI],
    };
    expect((await check(c)).findings).toEqual([corrupt]);

    const repaired = await check(c, { repair: true });
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'platform linux/arm64 broken'),
      { ...corrupt, action: 'removed' },
    ]);
    await expectRepaired(c, { gone: [layer.digest], entries: [SINGLE, DOCKER] });
  });

  it('an attestation layer missing makes its platform broken (linuxkit build would fail)', async () => {
    const c = await fresh();
    const att = multiPlatform(c, 'amd64').attestations[0]!;
    const sbom = att.layers[0]!;
    await unlink(fileOf(c, sbom.digest));
    const missing: Finding = {
      kind: 'missing',
      digest: sbom.digest as Finding['digest'],
      path: rel(sbom.digest),
      detail: `missing: ${sbom.size} bytes referenced by manifest ${short(att.manifest.digest)}`,
      action: 'kept',
      images: [MULTI],
    };
    const report = await check(c);
    expect(report.findings).toEqual([missing]);
    expect(report.images[0]!.platforms).toEqual({ 'linux/amd64': 'broken', 'linux/arm64': 'complete' });

    await check(c, { repair: true });
    await expectRepaired(c, { gone: [sbom.digest], entries: [SINGLE, DOCKER] });
  });

  it('broken entries leave index.json; the others stay, verbatim and in order', async () => {
    const c = await fresh();
    const dockerArm = c.images.docker.platforms.find((p) => p.platform.architecture === 'arm64')!;
    await truncateTo(c, c.bigLayer.digest, 10);
    await unlink(fileOf(c, dockerArm.layers[0]!.digest));

    const repaired = await check(c, { repair: true });
    expect(repaired.findings.filter((f) => f.kind === 'index')).toEqual([
      entryRemoved(MULTI, 'platform linux/amd64 broken'),
      entryRemoved(DOCKER, 'platform linux/arm64 broken'),
    ]);
    expect(repaired.images.map((i) => i.name)).toEqual([SINGLE]);
    await expectRepaired(c, { gone: [c.bigLayer.digest, dockerArm.layers[0]!.digest], entries: [SINGLE] });
  });
});

describe('index.json and oci-layout', () => {
  const STAMP = /^index\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;

  async function expectMovedAside(damage: (indexJson: string) => string): Promise<void> {
    const c = await fresh();
    const text = damage(await readFile(path.join(c.dir, 'index.json'), 'utf8'));
    await writeFile(path.join(c.dir, 'index.json'), text);
    let parseError = '';
    try {
      JSON.parse(text);
    } catch (err) {
      parseError = (err as Error).message;
    }
    // One line, whatever the bytes were (JSON.parse quotes them, newlines included).
    const detail = `unparseable: ${parseError.replace(/\n/g, '\\n')}`;
    expect(detail).not.toContain('\n');
    const report = await check(c);
    expect(report.ok).toBe(false);
    expect(notUnreferenced(report)).toEqual([{ kind: 'index', path: 'index.json', detail, action: 'kept' }]);
    expect(report.images).toEqual([]);
    expect(unreferenced(report)).toEqual(c.blobs);

    const repaired = await check(c, { repair: true });
    expect(repaired.ok).toBe(true);
    const aside = (await readdir(c.dir)).filter((f) => f.startsWith('index.json.'));
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(STAMP);
    expect(notUnreferenced(repaired)).toEqual([
      {
        kind: 'index',
        path: 'index.json',
        detail: `${detail} (moved to ${aside[0]}, started an empty one)`,
        action: 'moved',
      },
    ]);
    expect(await readFile(path.join(c.dir, aside[0]!), 'utf8')).toBe(text);
    expect(JSON.parse(await readFile(path.join(c.dir, 'index.json'), 'utf8'))).toEqual({
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [],
    });
    // Every blob is kept: unreferenced now, but valid; prune is the user's call.
    await expectRepaired(c, { entries: [] });
  }

  it('truncated index.json is moved aside as index.json.corrupt-<time>; an empty one starts', async () => {
    await expectMovedAside((text) => text.slice(0, 200));
  });

  it('garbage index.json: moved aside, and the finding is one line', async () => {
    // Short enough that JSON.parse quotes all of it, newline included.
    await expectMovedAside(() => 'hello garbage\n');
  });

  it('missing oci-layout is recreated', async () => {
    const c = await fresh();
    await unlink(path.join(c.dir, 'oci-layout'));
    const finding: Finding = { kind: 'index', path: 'oci-layout', detail: 'missing', action: 'kept' };
    const report = await check(c);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([finding]);

    const repaired = await check(c, { repair: true });
    expect(repaired.findings).toEqual([{ ...finding, action: 'recreated' }]);
    expect(JSON.parse(await readFile(path.join(c.dir, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    await expectRepaired(c, { entries: ALL_ENTRIES });
  });
});

describe('files that are not blobs', () => {
  it('a partial <hex>.download is kept by repair (the next pull resumes it) and removed by prune', async () => {
    const c = await fresh();
    const content = randomBytes(4096);
    const hex = sha256(content);
    const file = path.join(c.dir, 'blobs', 'sha256', `${hex}.download`);
    await writeFile(file, content.subarray(0, 1000));
    await settled(file);
    const partial: Finding = {
      kind: 'partial',
      digest: `sha256:${hex}` as Finding['digest'],
      path: `blobs/sha256/${hex}.download`,
      detail: '1000 bytes downloaded',
      action: 'kept',
      size: 1000,
    };
    const report = await check(c);
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual([partial]);

    const repaired = await check(c, { repair: true });
    expect(repaired.findings).toEqual([partial]);
    expect((await lstat(file)).size).toBe(1000);
    await expectRepaired(c, { entries: ALL_ENTRIES });

    const pruned = await pruneUnreferenced(Layout.at(c.dir), { dryRun: false });
    expect(pruned).toEqual({ removed: [{ ...partial, action: 'removed' }], bytes: 1000, dryRun: false });
    await expect(lstat(file)).rejects.toThrow(/ENOENT/);
    await expectRepaired(c, { entries: ALL_ENTRIES });
  });

  it("a stray <hex>123456 (go-containerregistry's temp file) is removed", async () => {
    const c = await fresh();
    const name = `${hexOf(c.bigLayer.digest)}123456`;
    await writeFile(path.join(c.dir, 'blobs', 'sha256', name), randomBytes(777));
    await settled(path.join(c.dir, 'blobs', 'sha256', name));
    const stray: Finding = {
      kind: 'stray',
      path: `blobs/sha256/${name}`,
      detail: 'temporary file of an interrupted write (not a blob)',
      action: 'kept',
    };
    const report = await check(c);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([stray]);

    expect((await check(c, { repair: true })).findings).toEqual([{ ...stray, action: 'removed' }]);
    await expectRepaired(c, { entries: ALL_ENTRIES });
  });

  it('an upper-case hex name is stray, even with valid content, and removed; the real blob stays', async () => {
    const c = await fresh();
    const upper = hexOf(c.bigLayer.digest).toUpperCase();
    await cp(fileOf(c, c.bigLayer.digest), path.join(c.dir, 'blobs', 'sha256', upper));
    await settled(path.join(c.dir, 'blobs', 'sha256', upper));
    const stray: Finding = {
      kind: 'stray',
      path: `blobs/sha256/${upper}`,
      detail: 'name is not a sha256 digest: upper-case hex',
      action: 'kept',
    };
    expect((await check(c)).findings).toEqual([stray]);
    expect((await check(c, { repair: true })).findings).toEqual([{ ...stray, action: 'removed' }]);
    await expectRepaired(c, { entries: ALL_ENTRIES });
  });

  it('a directory in blobs/sha256 is stray and removed with what it holds', async () => {
    const c = await fresh();
    const dir = path.join(c.dir, 'blobs', 'sha256', 'somedir');
    await mkdir(path.join(dir, 'nested'), { recursive: true });
    await writeFile(path.join(dir, 'nested', 'file'), 'x');
    const stray: Finding = {
      kind: 'stray',
      path: 'blobs/sha256/somedir',
      detail: 'directory',
      action: 'kept',
    };
    expect((await check(c)).findings).toEqual([stray]);
    expect((await check(c, { repair: true })).findings).toEqual([{ ...stray, action: 'removed' }]);
    await expect(lstat(dir)).rejects.toThrow(/ENOENT/);
    await expectRepaired(c, { entries: ALL_ENTRIES });
  });

  it('a symlink named by a valid digest, to a file outside the cache, is never followed: stray, removed, target intact', async () => {
    const c = await fresh();
    const outside = await makeTempDir('outside');
    try {
      // The link's target has exactly the right content: a verifier that followed it would
      // call the blob valid. We must not: the link is stray and the blob missing.
      const layer = c.images.single.platforms[0]!.layers[1]!;
      const target = path.join(outside, 'blob');
      await rename(fileOf(c, layer.digest), target);
      await symlink(target, fileOf(c, layer.digest));
      const content = await readFile(target);

      const stray: Finding = {
        kind: 'stray',
        digest: layer.digest as Finding['digest'],
        path: rel(layer.digest),
        detail: 'symbolic link (never followed)',
        action: 'kept',
      };
      const missing: Finding = {
        kind: 'missing',
        digest: layer.digest as Finding['digest'],
        path: rel(layer.digest),
        detail: `missing: ${layer.size} bytes referenced by manifest ${short(c.images.single.entry.digest)}`,
        action: 'kept',
        images: [SINGLE],
      };
      const report = await check(c);
      expect(report.findings).toEqual([missing, stray]);

      const repaired = await check(c, { repair: true });
      expect(notUnreferenced(repaired)).toEqual([
        entryRemoved(SINGLE, 'platform linux/amd64 broken'),
        { ...missing, action: 'removed' },
        { ...stray, action: 'removed' },
      ]);
      await expect(lstat(fileOf(c, layer.digest))).rejects.toThrow(/ENOENT/);
      expect(await readFile(target)).toEqual(content);
      expect(sha256(content)).toBe(hexOf(layer.digest));
      await expectRepaired(c, { gone: [layer.digest], entries: [MULTI, DOCKER] });
    } finally {
      await removeTempDir(outside);
    }
  });
});

describe('platforms', () => {
  async function withoutArm64(): Promise<FixtureCache> {
    const c = await fresh();
    await unlink(fileOf(c, multiPlatform(c, 'arm64').manifest.digest));
    return c;
  }

  it('a platform whose manifest is not cached is absent, which is fine by default', async () => {
    const c = await withoutArm64();
    const arm64 = multiPlatform(c, 'arm64');
    const report = await check(c);
    expect(report.ok).toBe(true);
    expect(notUnreferenced(report)).toEqual([]);
    expect(report.images[0]!.platforms).toEqual({ 'linux/amd64': 'complete', 'linux/arm64': 'absent' });
    // Its attestation stays reachable (kept whole); its config and layers are unreferenced.
    expect(unreferenced(report)).toEqual([arm64.config, ...arm64.layers].map((d) => d.digest).sort());
  });

  it('--platform linux/arm64 with arm64 listed but not cached: missing; repair removes the entry so the next pull fetches it', async () => {
    const c = await withoutArm64();
    const missing: Finding = {
      kind: 'missing',
      path: 'index.json',
      detail: `platform linux/arm64 of ${MULTI} is not in the cache`,
      action: 'kept',
      images: [MULTI],
    };
    const report = await check(c, { platforms: ['linux/arm64'] });
    expect(report.ok).toBe(false);
    expect(notUnreferenced(report)).toEqual([missing]);

    // linuxkit would take the entry as cached (its index lists linux/arm64) and then fail.
    const repaired = await check(c, { platforms: ['linux/arm64'], repair: true });
    expect(repaired.ok).toBe(true);
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'platform linux/arm64 is not in the cache'),
      { ...missing, action: 'removed' },
    ]);
    // Only the entry went: every blob stays, for the next pull to reuse.
    expect((await blobsOnDisk(c.dir)).digests).toHaveLength(c.blobs.length - 1);
    expect((await indexEntries(c.dir)).map(nameOf)).toEqual([SINGLE, DOCKER]);
    expect((await check(c, { platforms: ['linux/arm64'] })).ok).toBe(true);
  });

  it('--platform an image does not offer at all: missing and kept, repair cannot fix it (no pull could)', async () => {
    const c = await fresh();
    const missing: Finding = {
      kind: 'missing',
      path: 'index.json',
      detail: `${MULTI} has no linux/s390x image`,
      action: 'kept',
      images: [MULTI],
    };
    const repaired = await check(c, { platforms: ['linux/s390x'], repair: true });
    expect(repaired.ok).toBe(false);
    expect(notUnreferenced(repaired)).toEqual([
      missing,
      { ...missing, detail: `${DOCKER} has no linux/s390x image`, images: [DOCKER] },
    ]);
    expect((await blobsOnDisk(c.dir)).digests).toEqual(c.blobs);
    expect((await indexEntries(c.dir)).map(nameOf)).toEqual(ALL_ENTRIES);
    // linux/amd64 is complete in every multi-platform image: no finding.
    expect((await check(c, { platforms: ['linux/amd64'] })).ok).toBe(true);
  });
});

describe('--mode size', () => {
  it('finds a truncation without hashing', async () => {
    const c = await fresh();
    await truncateTo(c, c.bigLayer.digest, 1104);
    const report = await check(c, { mode: 'size' });
    expect(report.mode).toBe('size');
    expect(report.findings).toEqual([
      {
        kind: 'corrupt',
        digest: c.bigLayer.digest,
        path: rel(c.bigLayer.digest),
        detail: `truncated: 1104 of ${c.bigLayer.size} bytes`,
        action: 'kept',
        images: [MULTI],
      },
    ]);
    await check(c, { mode: 'size', repair: true });
    await expectRepaired(c, { gone: [c.bigLayer.digest], entries: [SINGLE, DOCKER] });
  });

  it('does not see a same-size flipped layer (that is what full mode is for)', async () => {
    const c = await fresh();
    await flipByte(fileOf(c, c.bigLayer.digest), 5000);
    const report = await check(c, { mode: 'size' });
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual([]);
    // Repair in size mode deletes nothing it has not proven wrong.
    await check(c, { mode: 'size', repair: true });
    expect((await blobsOnDisk(c.dir)).digests).toEqual(c.blobs);
    expect((await check(c)).findings.map((f) => [f.kind, f.digest])).toEqual([
      ['corrupt', c.bigLayer.digest],
    ]);
  });

  it('still catches a same-size flipped manifest: it fails to parse, then is hashed', async () => {
    const c = await fresh();
    const amd64 = multiPlatform(c, 'amd64');
    const file = fileOf(c, amd64.manifest.digest);
    await flipByte(file, 0);
    let parseError = '';
    try {
      JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      parseError = (err as Error).message;
    }
    const corrupt: Finding = {
      kind: 'corrupt',
      digest: amd64.manifest.digest as Finding['digest'],
      path: rel(amd64.manifest.digest),
      detail: `unparseable: manifest: not valid JSON (${parseError}) (content does not match its digest)`,
      action: 'kept',
      images: [MULTI],
    };
    const report = await check(c, { mode: 'size' });
    expect(report.ok).toBe(false);
    expect(notUnreferenced(report)).toEqual([corrupt]);

    const repaired = await check(c, { mode: 'size', repair: true });
    expect(notUnreferenced(repaired)).toEqual([
      entryRemoved(MULTI, 'platform linux/amd64 broken'),
      { ...corrupt, action: 'removed' },
    ]);
    await expectRepaired(c, { gone: [amd64.manifest.digest], entries: [SINGLE, DOCKER] });
  });
});

describe('prune', () => {
  /** A partial, a stray and a valid unreferenced blob on top of the fixture. */
  async function withLeftovers(c: FixtureCache) {
    const blobDir = path.join(c.dir, 'blobs', 'sha256');
    const extra = randomBytes(3000);
    const extraHex = sha256(extra);
    await writeFile(path.join(blobDir, extraHex), extra);
    await writeFile(path.join(blobDir, `${sha256('partial')}.download`), randomBytes(500));
    await writeFile(path.join(blobDir, `${hexOf(c.bigLayer.digest)}4242`), randomBytes(200));
    await settled(
      path.join(blobDir, `${sha256('partial')}.download`),
      path.join(blobDir, `${hexOf(c.bigLayer.digest)}4242`),
    );
    return { extraDigest: `sha256:${extraHex}`, files: (await readdir(blobDir)).sort() };
  }

  it('--dry-run lists what it would delete and deletes nothing', async () => {
    const c = await fresh();
    const { extraDigest, files } = await withLeftovers(c);
    const dry = await pruneUnreferenced(Layout.at(c.dir), { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.bytes).toBe(3000 + 500 + 200);
    expect(dry.removed.map((f) => [f.kind, f.action])).toEqual([
      ['stray', 'kept'],
      ['partial', 'kept'],
      ['unreferenced', 'kept'],
    ]);
    expect(dry.removed[2]!.digest).toBe(extraDigest);
    expect((await readdir(path.join(c.dir, 'blobs', 'sha256'))).sort()).toEqual(files);

    const real = await pruneUnreferenced(Layout.at(c.dir), { dryRun: false });
    expect(real.removed.map((f) => [f.kind, f.path, f.action])).toEqual(
      dry.removed.map((f) => [f.kind, f.path, 'removed']),
    );
    expect(real.bytes).toBe(dry.bytes);
    await expectRepaired(c, { entries: ALL_ENTRIES });
  });

  it('never removes a blob of an index.json entry, even of a broken one', async () => {
    const c = await fresh();
    const missingLayer = multiPlatform(c, 'amd64').layers[1]!;
    await unlink(fileOf(c, missingLayer.digest));
    const { extraDigest } = await withLeftovers(c);
    const pruned = await pruneUnreferenced(Layout.at(c.dir), { dryRun: false });
    expect(pruned.removed.map((f) => f.kind)).toEqual(['stray', 'partial', 'unreferenced']);
    expect(pruned.removed[2]!.digest).toBe(extraDigest);
    // Everything the three entries reference and is present is still there, multi's included.
    expect((await blobsOnDisk(c.dir)).digests).toEqual(c.blobs.filter((d) => d !== missingLayer.digest));
    expect((await indexEntries(c.dir)).map(nameOf)).toEqual(ALL_ENTRIES);
  });

  it('refuses to run on an unparseable or missing index.json (it would delete every blob)', async () => {
    const c = await fresh();
    await writeFile(path.join(c.dir, 'index.json'), '{"schemaVersion": 2, "manif');
    await expect(pruneUnreferenced(Layout.at(c.dir), { dryRun: false })).rejects.toThrow(
      /index\.json is unparseable.*validate --repair/,
    );
    await rm(path.join(c.dir, 'index.json'));
    await expect(pruneUnreferenced(Layout.at(c.dir), { dryRun: true })).rejects.toThrow(
      /index\.json is missing/,
    );
    expect((await blobsOnDisk(c.dir)).digests).toEqual(c.blobs);
  });
});

describe('prune while a pull is running', () => {
  it('keeps unreferenced blobs and partials while a live pull is registered, and prunes them after', async () => {
    const c = await fresh();
    const layout = Layout.at(c.dir);
    const orphan = Buffer.from('a blob a running pull has just put in place');
    await writeFile(path.join(c.dir, 'blobs', 'sha256', sha256(orphan)), orphan);
    const running = await layout.registerPull();
    const during = await pruneUnreferenced(layout, { dryRun: false });
    expect(during.removed).toEqual([]);
    expect(during.note).toBe('1 pull is running: unreferenced blobs and partial downloads kept');
    await running.release();
    const after = await pruneUnreferenced(layout, { dryRun: false });
    expect(after.removed.map((f) => f.digest)).toEqual([`sha256:${sha256(orphan)}`]);
  });

  it('ignores, and removes, the marker of a pull that was killed', async () => {
    const c = await fresh();
    const deadPid = (await execFileAsync(process.execPath, ['-e', 'console.log(process.pid)'])).stdout.trim();
    const marker = path.join(c.dir, '.oci-cache-guard.locks', 'pull-dead');
    await mkdir(path.dirname(marker), { recursive: true });
    await writeFile(marker, `${deadPid}\n${hostname()}\nx\n`);
    expect(await Layout.at(c.dir).runningPulls()).toBe(0);
    await expect(lstat(marker)).rejects.toThrow(/ENOENT/);
  });
});

describe('sha512 blobs', () => {
  it('names the algorithm the blob uses when its content does not match its name', async () => {
    const c = await fresh();
    const name = 'f'.repeat(128);
    await mkdir(path.join(c.dir, 'blobs', 'sha512'), { recursive: true });
    await writeFile(path.join(c.dir, 'blobs', 'sha512', name), 'not what the name says');
    const report = await check(c);
    const f = report.findings.find((x) => x.digest === `sha512:${name}`);
    expect(f).toMatchObject({ kind: 'corrupt', path: `blobs/sha512/${name}` });
    expect(f!.detail).toMatch(/^content does not match its name \(hashes to sha512:[0-9a-f]{12}…\)$/);
  });
});
