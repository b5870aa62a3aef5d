/**
 * The Action end to end, as a runner runs it: the committed bundles (dist/main, dist/post) as
 * child processes with a runner's environment, the real `@actions/cache` talking to the v2
 * service emulator, Debian's docker-registry behind a recording proxy, and a linuxkit.yml
 * naming a linuxkit-like multi-arch image set (OCI indexes with attestations).
 *
 * The tests share one registry, one cache service and one runner, and run in order: each job
 * starts on a "fresh machine" (home and temp emptied, same paths) and restores what the jobs
 * before it saved, as consecutive CI runs do. The registry is stopped for the last two.
 */
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachePaths } from '../../src/action/cache-service.js';
import { startActionLab, type ActionLab, type JobResult, type StepResult } from '../harness/runner.js';

const KEY = /^oci-cache-guard-linux-([0-9a-f]{16})-([0-9a-f]{16})$/;
const INPUTS = { 'linuxkit-files': 'linuxkit.yml' };

let lab: ActionLab;
/** `oci-cache-guard-linux-<image list hash>-`: the restore prefix of the default image list. */
let base: string;

beforeAll(async () => {
  lab = await startActionLab();
});
afterAll(async () => {
  await lab?.stop();
});

const committedKeys = (): string[] =>
  lab.emulator
    .entries()
    .filter((e) => e.committed)
    .map((e) => e.key);
const byLevel = (step: StepResult, level: 'error' | 'warning') =>
  step.annotations.filter((a) => a.level === level);
const blobPath = (digest: string): string =>
  path.join(lab.runner.linuxkitCache, 'blobs', ...digest.split(':'));
/** The step's log, for failure messages. */
const log = (step: StepResult): string =>
  `${step.entry} exited ${step.code}:\n${step.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::debug::'))
    .join('\n')}\n${step.stderr}`;

/** A job on a fresh machine, asserting that neither step crashed. */
async function job(opts: Parameters<ActionLab['runner']['job']>[0] = { inputs: INPUTS }): Promise<JobResult> {
  await lab.runner.freshMachine();
  const result = await lab.runner.job(opts);
  for (const step of [result.main, result.post]) {
    expect(step.stderr, log(step)).not.toMatch(/TypeError|ReferenceError|\n\s+at /);
  }
  expect(result.post.code, log(result.post)).toBe(0); // post never fails the job
  return result;
}

/**
 * Saves what is on the runner's disk now with a plain `actions/cache` step (no verification),
 * under a key the action's next restore picks (the newest one with its prefix).
 */
async function plainSave(suffix: string): Promise<string> {
  const key = `${base}${suffix}`;
  expect(await lab.plainSave(cachePaths(lab.runner.linuxkitCache), key)).toBeGreaterThan(0);
  return key;
}

describe.sequential('the action, as a runner runs it', () => {
  it('run 1: nothing cached; pulls every image, post saves the verified cache', async () => {
    const { lines } = await lab.writeLinuxkitYml();
    expect(lines.size).toBe(lab.images.length);
    const { main, post } = await job();

    const saved = post.outputs['saved-key'];
    expect(saved, log(post)).toMatch(KEY);
    expect(post.annotations).toEqual([]);
    expect(committedKeys()).toEqual([saved]);
    base = saved!.slice(0, -16);

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs).toMatchObject({
      'cache-hit': 'false',
      'cache-matched-key': '',
      verified: 'true',
      'corrupt-blobs': '0',
      'pulled-images': String(lab.images.length),
    });
    expect(Number(main.outputs['bytes-downloaded'])).toBeGreaterThan(48 * 1024);
    expect(main.annotations).toEqual([]);
    for (const image of lab.images) {
      expect(main.summary).toContain(`<td>${image.ref}</td>`);
      // No empty (unclosed) cell: core.summary writes '' as an opening tag only.
      expect(main.summary).not.toMatch(/<td><td>/);
    }
    expect(main.summary).toMatch(/<th>Image<\/th><th>Platforms<\/th><th>Status<\/th>/);
    expect(main.summary).toContain('linux/amd64');
    const report = JSON.parse(await readFile(main.outputs.report!, 'utf8')) as { pulls: unknown[] };
    expect(report.pulls).toHaveLength(lab.images.length);
  });

  it('run 2: a restored cache with a truncated blob is repaired, re-pulled and saved under a new key', async () => {
    // Run 1's machine still holds the cache. An interrupted pull during the build cuts the
    // kernel's big layer (as in the linuxkit report), and a plain cache step saves it.
    const kernel = lab.images[0]!;
    const layer = kernel.built.platforms[0]!.layers[0]!;
    await truncate(blobPath(layer.digest), 1104);
    const damaged = await plainSave('interrupted');
    const before = committedKeys();
    const mark = lab.proxy.requests.length;

    const { main, post } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs).toMatchObject({
      'cache-hit': 'true',
      'cache-matched-key': damaged,
      verified: 'true',
      'corrupt-blobs': '1',
      'removed-blobs': '1',
      'pulled-images': '1',
    });
    const warnings = byLevel(main, 'warning').map((a) => a.message);
    const hex = layer.digest.slice('sha256:'.length, 'sha256:'.length + 12);
    expect(warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(`^blob sha256:${hex}… of ${kernel.ref} truncated: 1104 of ${layer.size} bytes — removed`),
      ),
    );
    expect(byLevel(main, 'error')).toEqual([]);
    // Only the cut layer came from the registry again.
    expect(lab.blobGets(mark).map((r) => r.url)).toEqual([`/v2/${kernel.repo}/blobs/${layer.digest}`]);
    expect(main.summary).toContain('truncated: 1104 of');
    expect(main.summary).toMatch(/repaired/);

    const saved = post.outputs['saved-key'];
    expect(saved, log(post)).toMatch(KEY);
    expect(saved!.startsWith(base)).toBe(true);
    expect(before).not.toContain(saved);
    expect(post.annotations).toEqual([]);
    expect(committedKeys()).toEqual([...before, saved]);
  });

  it('run 3: a hit pulls nothing, fetches no blob from the registry and saves nothing', async () => {
    const before = committedKeys();
    const mark = lab.proxy.requests.length;

    const { main, post } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs).toMatchObject({
      'cache-hit': 'true',
      'cache-matched-key': before.at(-1),
      verified: 'true',
      'corrupt-blobs': '0',
      'removed-blobs': '0',
      'pulled-images': '0',
      'bytes-downloaded': '0',
    });
    expect(main.annotations).toEqual([]);
    expect(lab.blobGets(mark)).toEqual([]);
    expect(post.outputs['saved-key']).toBeUndefined();
    expect(post.stdout).toMatch(/not saving/);
    expect(lab.emulator.entries().map((e) => e.key)).toEqual(before);
  });

  it('a restored archive with a flipped byte: repaired, re-pulled, saved under a new key', async () => {
    // Same size, same name, wrong content: only hashing sees it.
    const init = lab.images[1]!;
    const layer = init.built.platforms[0]!.layers[0]!;
    const bytes = await readFile(blobPath(layer.digest));
    bytes[bytes.length >> 1]! ^= 0x01;
    await writeFile(blobPath(layer.digest), bytes);
    const damaged = await plainSave('flipped');
    const before = committedKeys();
    const mark = lab.proxy.requests.length;

    const { main, post } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs).toMatchObject({
      'cache-hit': 'true',
      'cache-matched-key': damaged,
      verified: 'true',
      'corrupt-blobs': '1',
      'pulled-images': '1',
    });
    const hex = layer.digest.slice('sha256:'.length, 'sha256:'.length + 12);
    expect(byLevel(main, 'warning').map((a) => a.message)).toContainEqual(
      expect.stringMatching(new RegExp(`^blob sha256:${hex}… of ${init.ref} same size, content differs`)),
    );
    expect(lab.blobGets(mark).map((r) => r.url)).toEqual([`/v2/${init.repo}/blobs/${layer.digest}`]);

    const saved = post.outputs['saved-key'];
    expect(saved, log(post)).toMatch(KEY);
    expect(before).not.toContain(saved);
    expect(committedKeys()).toEqual([...before, saved]);
  });

  it('the restore and save sub-actions: a damaged restore travels through the fingerprint output', async () => {
    // A blob gone (a cache saved while linuxkit was still writing, say).
    const sysctl = lab.images[3]!;
    const config = sysctl.built.platforms[0]!.config;
    await rm(blobPath(config.digest));
    const damaged = await plainSave('missing-blob');
    const before = committedKeys();
    await lab.runner.freshMachine();

    const restore = await lab.runner.step('restore', { inputs: INPUTS });
    expect(restore.code, log(restore)).toBe(0);
    expect(restore.outputs).toMatchObject({
      'cache-matched-key': damaged,
      verified: 'true',
      'pulled-images': '1',
    });
    expect(restore.outputs.fingerprint).toMatch(/^damaged-[0-9a-f]{16}$/);
    expect(restore.state).toEqual({});

    const save = await lab.runner.step('save', {
      inputs: { ...INPUTS, 'restored-fingerprint': restore.outputs.fingerprint! },
    });
    expect(save.code, log(save)).toBe(0);
    const saved = save.outputs['saved-key'];
    expect(saved, log(save)).toMatch(KEY);
    expect(before).not.toContain(saved);
    expect(committedKeys()).toEqual([...before, saved]);
  });

  it('ACTIONS_CACHE_MODE=read: restores and pulls, never saves', async () => {
    // One image more: a new image list, restored through the prefix of every list.
    await lab.writeLinuxkitYml([...lab.images, lab.extra]);
    const before = lab.emulator.entries();
    const reservations = lab.emulator.counters.twirp.CreateCacheEntry;

    const { main, post } = await job({ inputs: INPUTS, env: { ACTIONS_CACHE_MODE: 'read' } });

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs).toMatchObject({
      'cache-hit': 'false',
      'cache-matched-key': before.at(-1)!.key,
      verified: 'true',
      'pulled-images': '1',
    });
    expect(post.outputs['saved-key']).toBeUndefined();
    expect(post.annotations).toEqual([]);
    expect(lab.emulator.counters.twirp.CreateCacheEntry).toBe(reservations);
    expect(lab.emulator.entries()).toEqual(before);
  });

  it('cache service down: a warning, every image from the registry, the job passes', async () => {
    await lab.writeLinuxkitYml();
    const before = lab.emulator.entries();
    lab.emulator.down = 'reset';
    let result: JobResult;
    try {
      result = await job();
    } finally {
      lab.emulator.down = false;
    }
    const { main, post } = result;

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs).toMatchObject({
      'cache-hit': 'false',
      'cache-matched-key': '',
      verified: 'true',
      'pulled-images': String(lab.images.length),
    });
    expect(byLevel(main, 'error')).toEqual([]);
    expect(byLevel(main, 'warning').map((a) => a.message)).toEqual([
      expect.stringMatching(/restore.*(ECONNRESET|socket hang up)/i),
    ]);
    expect(byLevel(post, 'warning').map((a) => a.message)).toEqual([expect.stringMatching(/not saved/)]);
    expect(lab.emulator.entries()).toEqual(before);
  });

  it('registry down, a complete cache restored: the job passes without it', async () => {
    await lab.stopRegistry();
    const before = committedKeys();

    const { main, post } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs).toMatchObject({
      'cache-hit': 'true',
      'cache-matched-key': before.at(-1),
      verified: 'true',
      'pulled-images': '0',
    });
    expect(main.annotations).toEqual([]);
    expect(post.outputs['saved-key']).toBeUndefined();
  });

  it('registry down, an image not cached: fails with an error on its line of linuxkit.yml', async () => {
    const { lines } = await lab.writeLinuxkitYml([...lab.images, lab.extra]);

    const { main } = await job();

    expect(main.code, log(main)).toBe(1);
    expect(main.outputs).toMatchObject({ 'pulled-images': '0', verified: 'true' });
    const errors = byLevel(main, 'error');
    const onLine = errors.filter((a) => a.properties.file === 'linuxkit.yml');
    expect(onLine, log(main)).toHaveLength(1);
    expect(onLine[0]!.properties.line).toBe(String(lines.get(lab.extra)));
    expect(onLine[0]!.message).toContain(lab.extra.ref);
    expect(onLine[0]!.message).toMatch(/ECONNREFUSED|cannot reach/);
    // The other images were complete in the restored cache: no error names them.
    for (const image of lab.images) expect(errors.map((e) => e.message).join('\n')).not.toContain(image.ref);
    expect(main.summary).toMatch(/failed/);
  });
});
