// Pull against the real docker-registry (anonymous, htpasswd, token): which blobs land for which
// platform, the index.json entry (name exactly as linuxkit looks it up, descriptor as served),
// auth, what skopeo and umoci make of the result, and the CLI's one-line failure.
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  buildMultiArchIndex,
  makeTempDir,
  MT,
  pushFixture,
  removeTempDir,
  run,
  skopeoInspect,
  startRegistry,
  startTokenServer,
  umociUnpack,
  type BuiltImage,
  type BuiltIndex,
  type Desc,
  type PlatformImage,
  type Registry,
  type TokenServer,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { hostPlatform, parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages, type PullOptions, type PullResult } from '../../src/pull/pull.js';
import { createRegistryClient, type RegistryClientInput } from '../../src/registry/index.js';
import { checkLayout, checkLayoutDetailed } from '../../src/verify/index.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const USER = { user: 'puller', password: 'pw-Pull-7' };
const HOST_ARCH = hostPlatform().architecture;
const OTHER_ARCH = HOST_ARCH === 'arm64' ? 'amd64' : 'arm64';
const REF_NAME = 'org.opencontainers.image.ref.name';
/** Token lifetime; the client stops using a token a tenth of its life early. */
const TOKEN_SECONDS = 3;

let work: string;
let anon: Registry;
let basic: Registry;
let tokens: TokenServer;
let tokenReg: Registry;
let multi: BuiltIndex;
let dockerList: BuiltIndex;
let single: BuiltImage;
/** A single-platform linux/arm64 image (no index), whatever the host. */
let arm64Only: BuiltImage;

beforeAll(async () => {
  work = await makeTempDir('pull-it');
  const src = path.join(work, 'src');
  tokens = await startTokenServer({ ...USER, expiresInSeconds: TOKEN_SECONDS });
  const registries = Promise.all([
    startRegistry(),
    startRegistry({ auth: { htpasswd: USER } }),
    startRegistry({ auth: { token: tokens } }),
  ]);
  const platforms = [{ architecture: HOST_ARCH }, { architecture: OTHER_ARCH }];
  [multi, dockerList, single, arm64Only] = await Promise.all([
    buildMultiArchIndex(path.join(src, 'multi'), { tag: '1', platforms }),
    buildMultiArchIndex(path.join(src, 'docker'), { tag: 'docker', format: 'docker', platforms }),
    buildImage(path.join(src, 'single'), { tag: 'single', layers: [3000, 700] }),
    buildImage(path.join(src, 'arm64'), { tag: 'arm64', architecture: 'arm64', layers: [2000, 900] }),
  ]);
  [anon, basic, tokenReg] = await registries;
  await Promise.all([
    pushFixture(path.join(src, 'multi'), '1', anon, { repo: 'test/img' }),
    pushFixture(path.join(src, 'docker'), 'docker', anon, { repo: 'test/img' }),
    pushFixture(path.join(src, 'single'), 'single', anon, { repo: 'test/img' }),
    pushFixture(path.join(src, 'arm64'), 'arm64', anon, { repo: 'test/img' }),
    pushFixture(path.join(src, 'single'), 'single', basic, { repo: 'test/private' }),
    pushFixture(path.join(src, 'single'), 'single', tokenReg, { repo: 'test/private' }),
  ]);
});

afterAll(async () => {
  await Promise.all([anon?.stop(), basic?.stop(), tokenReg?.stop(), tokens?.stop()]);
  if (work) await removeTempDir(work);
});

let caches = 0;
const freshCache = () => path.join(work, `cache-${++caches}`);

async function pull(
  cache: string,
  refs: string[],
  options: Partial<PullOptions> = {},
  clientInput: RegistryClientInput = {},
): Promise<PullResult[]> {
  const client = createRegistryClient({ dockerConfigDir: false, env: {}, ...clientInput });
  try {
    return await pullImages(Layout.at(cache), client, refs.map(parseReference), {
      platforms: [hostPlatform()],
      concurrency: 4,
      ...options,
    });
  } finally {
    await client.close();
  }
}

async function indexJson(
  cache: string,
): Promise<{ manifests: (Desc & { annotations: Record<string, string> })[] }> {
  return JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8'));
}

/** Digests of the complete blobs in the cache (partial downloads and temp files left out). */
async function blobsIn(cache: string): Promise<string[]> {
  const names = await readdir(path.join(cache, 'blobs', 'sha256'));
  return names
    .filter((n) => /^[0-9a-f]{64}$/.test(n))
    .map((n) => `sha256:${n}`)
    .sort();
}

/** Every blob of one platform: manifest, config, layers, and its attestations with theirs. */
function platformBlobs(p: PlatformImage): string[] {
  return [
    p.manifest.digest,
    p.config.digest,
    ...p.layers.map((l) => l.digest),
    ...p.attestations.flatMap((a) => [a.manifest.digest, a.config.digest, ...a.layers.map((l) => l.digest)]),
  ];
}

const platformOf = (built: BuiltIndex, arch: string): PlatformImage =>
  built.platforms.find((p) => p.platform.architecture === arch)!;
const sorted = (xs: string[]) => [...new Set(xs)].sort();

/** The verifier's verdict, hashing everything: nothing wrong, the named images complete. */
async function expectValid(cache: string, platforms = [hostPlatform()]): Promise<void> {
  const report = await checkLayout(Layout.at(cache), { mode: 'full', platforms, repair: false });
  expect(report.findings).toEqual([]);
  expect(report.ok).toBe(true);
}

/** Each image complete: fetched now ('pulled'), or found complete ('cached', e.g. fetched by a sibling ref). */
function expectPulled(results: PullResult[]): void {
  for (const r of results) expect(r.status, r.error).toMatch(/^(pulled|cached)$/);
}

describe('pull from an anonymous registry', () => {
  it('an OCI index with attestations, for the host platform: its manifest, config, layers and attestation, nothing else', async () => {
    const cache = freshCache();
    const name = `${anon.host}/test/img:1`;
    const results = await pull(cache, [name]);
    expectPulled(results);
    expect(results[0]!.digest).toBe(multi.index.digest);

    const { manifests } = await indexJson(cache);
    expect(manifests).toEqual([
      {
        mediaType: MT.ociIndex,
        digest: multi.index.digest,
        size: multi.index.size,
        annotations: { [REF_NAME]: name },
      },
    ]);
    const host = platformOf(multi, HOST_ARCH);
    expect(host.attestations).toHaveLength(1);
    expect(await blobsIn(cache)).toEqual(sorted([multi.index.digest, ...platformBlobs(host)]));
    await expectValid(cache);

    // Complete in the cache: a second pull asks nothing and reports it cached.
    const again = await pull(cache, [name]);
    expect(again[0]).toMatchObject({ status: 'cached', bytes: 0 });
  });

  it('--platform all: every platform and every attestation', async () => {
    const cache = freshCache();
    expectPulled(await pull(cache, [`${anon.host}/test/img:1`], { platforms: 'all' }));
    expect(await blobsIn(cache)).toEqual(
      sorted([multi.index.digest, ...multi.platforms.flatMap(platformBlobs)]),
    );
    await expectValid(
      cache,
      multi.platforms.map((p) => p.platform),
    );
  });

  it('one platform that is not the host: that platform and its attestation only', async () => {
    const cache = freshCache();
    const other = { os: 'linux', architecture: OTHER_ARCH };
    expectPulled(await pull(cache, [`${anon.host}/test/img:1`], { platforms: [other] }));
    const p = platformOf(multi, OTHER_ARCH);
    expect(await blobsIn(cache)).toEqual(sorted([multi.index.digest, ...platformBlobs(p)]));
    await expectValid(cache, [other]);
  });

  it('a platform the index lacks: a clear error, no entry', async () => {
    const cache = freshCache();
    const [r] = await pull(cache, [`${anon.host}/test/img:1`], {
      platforms: [{ os: 'linux', architecture: 's390x' }],
    });
    expect(r).toMatchObject({ status: 'failed' });
    expect(r!.error).toMatch(/has no linux\/s390x image \(it offers: linux\/\w+, linux\/\w+\)/);
    expect((await indexJson(cache)).manifests).toEqual([]);
  });

  it('a Docker manifest list: stored with its own media type, schema 2 manifests under it', async () => {
    const cache = freshCache();
    const name = `${anon.host}/test/img:docker`;
    expectPulled(await pull(cache, [name]));
    const { manifests } = await indexJson(cache);
    expect(manifests).toEqual([
      {
        mediaType: MT.dockerList,
        digest: dockerList.index.digest,
        size: dockerList.index.size,
        annotations: { [REF_NAME]: name },
      },
    ]);
    const host = platformOf(dockerList, HOST_ARCH);
    expect(host.manifest.mediaType).toBe(MT.dockerManifest);
    expect(await blobsIn(cache)).toEqual(sorted([dockerList.index.digest, ...platformBlobs(host)]));
    await expectValid(cache);
  });

  it('a single manifest (no index)', async () => {
    const cache = freshCache();
    const name = `${anon.host}/test/img:single`;
    expectPulled(await pull(cache, [name]));
    expect((await indexJson(cache)).manifests).toEqual([
      {
        mediaType: MT.ociManifest,
        digest: single.manifest.digest,
        size: single.manifest.size,
        annotations: { [REF_NAME]: name },
      },
    ]);
    expect(await blobsIn(cache)).toEqual(
      sorted([single.manifest.digest, single.config.digest, ...single.layers.map((l) => l.digest)]),
    );
    await expectValid(cache);
  });

  it('digest references: the entry is named by the whole string, with and without a tag', async () => {
    const cache = freshCache();
    const byDigest = `${anon.host}/test/img@${multi.index.digest}`;
    const tagAndDigest = `${anon.host}/test/img:1@${multi.index.digest}`;
    expectPulled(await pull(cache, [byDigest, tagAndDigest]));
    const { manifests } = await indexJson(cache);
    expect(manifests.map((m) => m.annotations[REF_NAME]).sort()).toEqual([byDigest, tagAndDigest].sort());
    for (const m of manifests) {
      expect(m).toMatchObject({ mediaType: MT.ociIndex, digest: multi.index.digest, size: multi.index.size });
    }
    await expectValid(cache);
  });

  it('a digest the registry does not have: manifest unknown, naming the reference', async () => {
    const cache = freshCache();
    const ref = `${anon.host}/test/img@sha256:${'0'.repeat(64)}`;
    const [r] = await pull(cache, [ref]);
    expect(r).toMatchObject({ status: 'failed' });
    expect(r!.error).toBe(`manifest unknown: ${ref}`);
  });
});

describe('a single-platform image (no index) is held to the wanted platforms', () => {
  const name = () => `${anon.host}/test/img:arm64`;
  const amd64 = { os: 'linux', architecture: 'amd64' };
  const arm64 = { os: 'linux', architecture: 'arm64' };

  it('another platform: one line naming the image, what it is and what was wanted; no entry, no layer fetched', async () => {
    const cache = freshCache();
    const [r] = await pull(cache, [name()], { platforms: [amd64] });
    expect(r).toMatchObject({ status: 'failed' });
    expect(r!.error).toBe(`${name()} has no linux/amd64 image (it is a single-platform linux/arm64 image)`);
    expect((await indexJson(cache)).manifests).toEqual([]);
    // the config told us before any layer was asked for
    expect(await blobsIn(cache)).toEqual(sorted([arm64Only.manifest.digest, arm64Only.config.digest]));
  });

  it('its own platform, variant spelled out or not (arm64 is arm64/v8): pulled', async () => {
    for (const platforms of [[arm64], [parsePlatform('linux/arm64/v8')]]) {
      const cache = freshCache();
      const [r] = await pull(cache, [name()], { platforms });
      expect(r!.status, r!.error).toBe('pulled');
      expect((await indexJson(cache)).manifests.map((m) => m.digest)).toEqual([arm64Only.manifest.digest]);
    }
  });

  it('its platform and another: the other is named; --platform all takes it as it is', async () => {
    const [r] = await pull(freshCache(), [name()], { platforms: [arm64, amd64] });
    expect(r!.error).toBe(`${name()} has no linux/amd64 image (it is a single-platform linux/arm64 image)`);
    expectPulled(await pull(freshCache(), [name()], { platforms: 'all' }));
  });

  it('cached for its platform, asked for another: the same error, the entry left as it was', async () => {
    const cache = freshCache();
    expectPulled(await pull(cache, [name()], { platforms: [arm64] }));
    const before = await readFile(path.join(cache, 'index.json'), 'utf8');
    const [r] = await pull(cache, [name()], { platforms: [amd64] });
    expect(r!.error).toBe(`${name()} has no linux/amd64 image (it is a single-platform linux/arm64 image)`);
    expect(await readFile(path.join(cache, 'index.json'), 'utf8')).toBe(before);
  });

  it('the CLI: one line on stderr, exit 1, nothing said about pulling it', async () => {
    const cache = freshCache();
    const r = await cli(['pull', '--cache', cache, '--platform', 'linux/amd64', name()]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `oci-cache-guard pull: ${name()} has no linux/amd64 image (it is a single-platform linux/arm64 image)`,
    );
    expect(r.stdout.trim()).toBe(`${name()}: failed`);
  });
});

describe('after the verifier, as the Action runs them: what it accepted is not hashed again', () => {
  const images = () => [`${anon.host}/test/img:1`, `${anon.host}/test/img:single`];
  const hashed = (results: PullResult[]) => results.reduce((n, r) => n + r.hashedBlobs, 0);

  async function warmCache(): Promise<string> {
    const cache = freshCache();
    expectPulled(await pull(cache, images()));
    return cache;
  }

  async function verifyThenPull(cache: string, mode: 'full' | 'size'): Promise<PullResult[]> {
    const checked = await checkLayoutDetailed(Layout.at(cache), { mode, platforms: [], repair: true });
    expect(checked.report.ok).toBe(true);
    const results = await pull(cache, images(), { valid: checked.valid, validMode: checked.report.mode });
    for (const r of results) expect(r.status, r.error).toBe('cached');
    return results;
  }

  it('without the verifier pull hashes every config and layer; after it, in either mode, none', async () => {
    const cache = await warmCache();
    const alone = await pull(cache, images());
    const host = platformOf(multi, HOST_ARCH);
    const configsAndLayers = sorted([
      host.config.digest,
      ...host.layers.map((l) => l.digest),
      ...host.attestations.flatMap((a) => [a.config.digest, ...a.layers.map((l) => l.digest)]),
      single.config.digest,
      ...single.layers.map((l) => l.digest),
    ]);
    expect(hashed(alone)).toBe(configsAndLayers.length);
    expect(hashed(await verifyThenPull(cache, 'full'))).toBe(0);
    expect(hashed(await verifyThenPull(cache, 'size'))).toBe(0);
  });

  it('the trade of size mode, as documented: a same-size damaged layer passes both; full mode catches it', async () => {
    const cache = await warmCache();
    const layer = path.join(cache, 'blobs', 'sha256', single.layers[0]!.digest.slice(7));
    const bytes = await readFile(layer);
    bytes[10]! ^= 0xff;
    await writeFile(layer, bytes);
    await verifyThenPull(cache, 'size');
    const full = await checkLayoutDetailed(Layout.at(cache), { mode: 'full', platforms: [], repair: false });
    expect(full.report.findings.map((f) => [f.kind, f.digest])).toEqual([
      ['corrupt', single.layers[0]!.digest],
    ]);
  });
});

describe('pull with credentials', () => {
  it('htpasswd Basic: refused without credentials, pulled with them', async () => {
    const name = `${basic.host}/test/private:single`;
    const [denied] = await pull(freshCache(), [name]);
    expect(denied).toMatchObject({ status: 'failed' });
    expect(denied!.error).toMatch(new RegExp(`^unauthorized: ${name.replace(/[.]/g, '\\.')}`));
    expect(denied!.error).not.toContain(USER.password);

    const cache = freshCache();
    const credentials = { [basic.host]: { username: USER.user, password: USER.password } };
    expectPulled(await pull(cache, [name], {}, { credentials }));
    expect((await indexJson(cache)).manifests[0]).toMatchObject({
      digest: single.manifest.digest,
      annotations: { [REF_NAME]: name },
    });
    await expectValid(cache);
  });

  it('token auth: one token per scope while it lives, a fresh one once it has expired', async () => {
    const name = `${tokenReg.host}/test/private:single`;
    const credentials = { [tokenReg.host]: { username: USER.user, password: USER.password } };
    const client = createRegistryClient({ dockerConfigDir: false, env: {}, credentials });
    const layout = Layout.at(freshCache());
    const options: PullOptions = { platforms: [hostPlatform()], concurrency: 4, refresh: 'always' };
    const scoped = () => tokens.requests.filter((r) => r.scope === 'repository:test/private:pull');
    try {
      const before = scoped().length;
      const started = Date.now();
      expectPulled(await pullImages(layout, client, [parseReference(name)], options));
      // Manifest, config and two layers under one token.
      expect(scoped().length - before).toBe(1);
      expectPulled(await pullImages(layout, client, [parseReference(name)], options));
      expect(scoped().length - before).toBe(1);

      // Past the token's expiry (not a fixed sleep: slow pulls above already used up some of it).
      await new Promise((r) => setTimeout(r, started + TOKEN_SECONDS * 1000 + 100 - Date.now()));
      expectPulled(await pullImages(layout, client, [parseReference(name)], options));
      const after = scoped().slice(before);
      expect(after).toHaveLength(2);
      expect(after.every((r) => r.authorized && r.status === 200)).toBe(true);
    } finally {
      await client.close();
    }
    await expectValid(layout.root);
  });
});

describe('what other tools make of a pulled cache', () => {
  it('skopeo inspects and copies the entry by its expanded name; umoci unpacks it', async () => {
    const cache = freshCache();
    const multiName = `${anon.host}/test/img:1`;
    const singleName = `${anon.host}/test/img:single`;
    expectPulled(await pull(cache, [multiName, singleName]));

    const inspected = await skopeoInspect(cache, multiName);
    expect(inspected.ok, inspected.output).toBe(true);
    const host = platformOf(multi, HOST_ARCH);
    // skopeo reports the digest of what the name points at (the index) and the host's image in it.
    expect(JSON.parse(inspected.output)).toMatchObject({
      Digest: multi.index.digest,
      Architecture: HOST_ARCH,
      Layers: host.layers.map((l) => l.digest),
    });
    const raw = await skopeoInspect(cache, multiName, { raw: true });
    expect(raw.ok && JSON.parse(raw.output).mediaType).toBe(MT.ociIndex);

    const out = path.join(work, 'skopeo-dir');
    const copied = await run('skopeo', ['copy', '--quiet', `oci:${cache}:${multiName}`, `dir:${out}`]);
    expect(copied.code, copied.stderr).toBe(0);
    for (const l of host.layers) {
      expect((await readdir(out)).includes(l.digest.slice('sha256:'.length))).toBe(true);
    }

    // umoci 0.4.7 takes the expanded name (it splits DIR:NAME at the first ':'), so no detour
    // through a layout with a plain tag is needed. It cannot pick a platform out of an index,
    // hence the single-manifest image.
    const bundle = path.join(work, 'bundle');
    const unpacked = await umociUnpack(cache, singleName, bundle);
    expect(unpacked.ok, unpacked.output).toBe(true);
    const files = await readdir(path.join(bundle, 'rootfs', 'data'));
    expect(files.sort()).toEqual(['layer-0.bin', 'layer-1.bin']);
    expect((await readFile(path.join(bundle, 'rootfs', 'data', 'layer-0.bin'))).length).toBe(3000);
  });
});

describe('the CLI', () => {
  it('a missing tag: one line on stderr naming it, exit 1, no stack trace', async () => {
    const cache = freshCache();
    const ref = `${anon.host}/test/img:nope`;
    const r = await cli(['pull', '--cache', cache, ref]);
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toEqual([`oci-cache-guard pull: manifest unknown: ${ref}`]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout.trim()).toBe(`${ref}: failed`);
  });
});

/** `node --import tsx src/cli/index.ts ARGS` from the repository root (`npx tsx`, minus two launchers). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DOCKER_CONFIG: path.join(work, 'no-docker-config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
