/**
 * Warm runs, as a runner runs them (the entry points from src/ through tsx: dist/ is rebuilt
 * when merging), against the real registry and the cache service emulator: the main step leaves
 * a stat snapshot of what it verified in RUNNER_TEMP (the blobs of the entries it restored
 * included), and the post step hashes only the blobs that are new or whose stat changed since.
 */
import { appendFile, lstat, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMultiArchIndex, pullToLayout, pushFixture } from '../harness/index.js';
import { startActionLab, type ActionLab, type StepResult } from '../harness/runner.js';

const exec = promisify(execFile);
const INPUTS = { 'linuxkit-files': 'linuxkit.yml' };

let lab: ActionLab;

beforeAll(async () => {
  lab = await startActionLab();
  lab.runner.fromSource = true;
  await lab.writeLinuxkitYml();
});
afterAll(async () => {
  await lab?.stop();
});

const blobsDir = () => path.join(lab.runner.linuxkitCache, 'blobs', 'sha256');
const blobFile = (digest: string) => path.join(blobsDir(), digest.slice('sha256:'.length));
const listBlobs = async () => (await readdir(blobsDir())).map((hex) => `blobs/sha256/${hex}`).sort();
const log = (step: StepResult): string =>
  `${step.entry} exited ${step.code}:\n${step.stdout}\n${step.stderr}`;

/** The blobs post hashed, by reason, from its debug lines. */
function hashed(post: StepResult): { changed: string[]; fresh: string[] } {
  const of = (why: string) =>
    [...post.stdout.matchAll(new RegExp(`^::debug::hashing (blobs/sha256/[0-9a-f]{64}): ${why}`, 'gm'))]
      .map((m) => m[1]!)
      .sort();
  return { changed: of('changed since'), fresh: of('not verified by') };
}

/** "N blobs hashed, M unchanged since the main step verified them" */
function counts(post: StepResult): { hashed: number; trusted: number } | undefined {
  const m = /^(\d+) blobs hashed, (\d+) unchanged since the main step verified them$/m.exec(post.stdout);
  return m ? { hashed: Number(m[1]), trusted: Number(m[2]) } : undefined;
}

describe.sequential('warm runs: post hashes only what changed since main verified it', () => {
  it('run 1 (cold) saves; run 2: a build damages three blobs and adds an image between main and post', async () => {
    const first = await lab.runner.job({ inputs: INPUTS });
    expect(first.post.outputs['saved-key'], log(first.post)).toBeDefined();

    await lab.runner.freshMachine();
    const main = await lab.runner.step('main', { inputs: INPUTS });
    expect(main.code, log(main)).toBe(0);
    expect(main.outputs['cache-hit'], `${log(first.post)}\n${log(main)}`).toBe('true');
    const snapshotFile = main.state['stat-snapshot'];
    expect(snapshotFile?.startsWith(`${lab.runner.temp}${path.sep}`), log(main)).toBe(true);
    const verified = await listBlobs();

    // The build: three blobs damaged in place, one image added (as linuxkit would pull it).
    const [kernel, init, , sysctl] = lab.images;
    const truncated = kernel!.built.platforms[0]!.layers[0]!.digest;
    const appended = init!.built.platforms[0]!.layers[0]!.digest;
    const rewritten = sysctl!.built.platforms[0]!.layers[0]!.digest;
    await truncate(blobFile(truncated), 1104);
    await appendFile(blobFile(appended), 'x');
    const before = await lstat(blobFile(rewritten), { bigint: true });
    const bytes = await readFile(blobFile(rewritten));
    bytes[bytes.length >> 1]! ^= 0x01;
    await writeFile(blobFile(rewritten), bytes);
    const ns = String(before.mtimeNs % 1_000_000_000n).padStart(9, '0');
    await exec('touch', ['-d', `@${before.mtimeNs / 1_000_000_000n}.${ns}`, blobFile(rewritten)]);
    expect((await lstat(blobFile(rewritten), { bigint: true })).mtimeNs).toBe(before.mtimeNs);
    await pullToLayout(lab.registry, `${lab.extra.repo}:1`, lab.runner.linuxkitCache, 'docker.io/lk/extra:1');
    const added = (await listBlobs()).filter((b) => !verified.includes(b));
    expect(added.length).toBeGreaterThan(0);

    const post = await lab.runner.step('post', { inputs: INPUTS, state: main.state, env: main.exportedEnv });
    expect(post.code, log(post)).toBe(0);
    const damaged = [truncated, appended, rewritten]
      .map((d) => `blobs/sha256/${d.slice('sha256:'.length)}`)
      .sort();
    expect(hashed(post)).toEqual({ changed: damaged, fresh: added });
    expect(counts(post), log(post)).toEqual({
      hashed: damaged.length + added.length,
      trusted: verified.length - damaged.length,
    });
    const warnings = post.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
    const short = (d: string) => `${d.slice('sha256:'.length, 'sha256:'.length + 12)}…`;
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^after the build: blobs/sha256/${short(truncated)} truncated: 1104 of`),
        ),
        expect.stringMatching(new RegExp(`^after the build: blobs/sha256/${short(appended)} too long:`)),
        expect.stringMatching(
          new RegExp(`^after the build: blobs/sha256/${short(rewritten)} same size, content differs`),
        ),
      ]),
    );
    // The image the build added has no entry yet: post saves one, and says where it came from.
    expect(post.outputs['saved-key']?.split('\n'), log(post)).toHaveLength(1);
    expect(post.summary).toContain('<td>docker.io/lk/extra:1</td><td>built by the job</td>');
  });

  it('an unchanged cache: post reads no blob; the restore and save sub-actions pair the same way', async () => {
    // Post of run 2 dropped the damaged images: one job pulls them again and saves.
    await lab.runner.freshMachine();
    await lab.runner.job({ inputs: INPUTS });
    await lab.runner.freshMachine();
    const { main, post } = await lab.runner.job({ inputs: INPUTS });
    expect(main.code, log(main)).toBe(0);
    expect(main.outputs['pulled-images']).toBe('0');
    const total = (await listBlobs()).length;
    expect(counts(post), log(post)).toEqual({ hashed: 0, trusted: total });
    // Every image came from its entry and is unchanged: no lookup, no save.
    expect(post.stdout).toMatch(/^0 new cache entries saved, 5 already saved$/m);
    expect(post.outputs['saved-key']).toBe('');

    await lab.runner.freshMachine();
    const restore = await lab.runner.step('restore', { inputs: INPUTS });
    expect(restore.code, log(restore)).toBe(0);
    // The save sub-action finds what the restore step left in RUNNER_TEMP.
    const save = await lab.runner.step('save', { inputs: INPUTS });
    expect(save.code, log(save)).toBe(0);
    expect(counts(save), log(save)).toEqual({ hashed: 0, trusted: total });
    expect(save.stdout).toMatch(/^0 new cache entries saved, 5 already saved$/m);
  });

  it('a snapshot gone before post: every blob is hashed, and a debug line says why', async () => {
    await lab.runner.freshMachine();
    const main = await lab.runner.step('main', { inputs: INPUTS });
    const file = main.state['stat-snapshot']!;
    await rm(file);
    const post = await lab.runner.step('post', { inputs: INPUTS, state: main.state });
    expect(post.stdout).toContain(`::debug::stat snapshot ${file} does not exist: hashing every blob`);
    expect(counts(post), log(post)).toEqual({ hashed: (await listBlobs()).length, trusted: 0 });
  });

  it('refresh: head: one HEAD per image and no manifest GET; a tag pushed anew is pulled and shown updated', async () => {
    const inputs = { ...INPUTS, refresh: 'head' };
    await lab.runner.freshMachine();
    let mark = lab.proxy.requests.length;
    const unchanged = await lab.runner.job({ inputs });
    expect(unchanged.main.code, log(unchanged.main)).toBe(0);
    const manifests = (from: number) =>
      lab.proxy.requests
        .slice(from)
        .filter((r) => r.url.includes('/manifests/'))
        .map((r) => `${r.method} ${r.url}`)
        .sort();
    expect(manifests(mark)).toEqual(lab.images.map((i) => `HEAD /v2/${i.repo}/manifests/1`).sort());
    expect(unchanged.main.outputs['pulled-images']).toBe('0');

    const sysctl = lab.images[3]!;
    const rebuilt = path.join(lab.runner.root, 'rebuilt');
    const built = await buildMultiArchIndex(rebuilt, {
      tag: '1',
      platforms: [
        { architecture: 'amd64', layers: [1100] },
        { architecture: 'arm64', layers: [1200] },
      ],
    });
    await pushFixture(rebuilt, '1', lab.registry, { repo: sysctl.repo });
    await lab.runner.freshMachine();
    mark = lab.proxy.requests.length;
    const moved = await lab.runner.job({ inputs });
    expect(moved.main.code, log(moved.main)).toBe(0);
    expect(moved.main.outputs['pulled-images']).toBe('1');
    const short = (d: string) => `${d.slice(0, 'sha256:'.length + 12)}…`;
    expect(moved.main.summary).toContain(
      `🔄 registry names another digest: cache entry ${short(sysctl.built.index.digest)}, pulled ${short(built.index.digest)}`,
    );
    expect(manifests(mark)).toContain(`GET /v2/${sysctl.repo}/manifests/1`);
    expect(manifests(mark).filter((m) => m.startsWith('GET') && m.endsWith('/manifests/1'))).toHaveLength(1);
  });
});
