/**
 * The Action end to end, as a runner runs it: the entry points from src/ (through tsx, so a
 * change in src/action is tested before dist/ is rebuilt) as child processes with a runner's
 * environment, the real `@actions/cache` talking to the v2 service emulator, Debian's
 * docker-registry behind a recording proxy, and a linuxkit.yml naming a linuxkit-like
 * multi-arch image set (OCI indexes with attestations).
 *
 * One Actions-cache entry per image. The tests share one registry, one cache service and one
 * runner, and run in order: each job starts on a "fresh machine" (home and temp emptied, same
 * paths) and restores what the jobs before it saved, as consecutive CI runs do. They assert
 * what the service saw per job (lookups, downloads, creates: counts and keys), never times.
 */
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingDir } from '../../src/action/state.js';
import { contentKey, entryPrefix, imageHash, supersedingKey } from '../../src/action/store/keys.js';
import { stageEntry } from '../../src/action/store/entry.js';
import { Layout } from '../../src/layout/layout.js';
import type { Digest } from '../../src/oci/digest.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { checkLayout } from '../../src/verify/index.js';
import type { CacheEvent } from '../harness/cache-emulator.js';
import {
  startActionLab,
  type ActionLab,
  type JobResult,
  type LabImage,
  type StepResult,
} from '../harness/runner.js';

const KEY = /^oci-cache-guard-linux-[0-9a-f]{16}-sha256-[0-9a-f]{64}(-r[0-9a-f]{16})?$/;
const INPUTS = { 'linuxkit-files': 'linuxkit.yml' };
const PLATFORMS = [parsePlatform('linux/amd64')];

let lab: ActionLab;

beforeAll(async () => {
  lab = await startActionLab();
  lab.runner.fromSource = true;
});
afterAll(async () => {
  await lab?.stop();
});

const nameOf = (ref: string) => parseReference(ref).name;
const prefixOf = (ref: string, namespace = 'oci-cache-guard-linux') =>
  entryPrefix(namespace, nameOf(ref), PLATFORMS);
/** The key of an image's entry, its content as pushed. */
const keyOf = (image: LabImage, namespace?: string) =>
  contentKey(prefixOf(image.ref, namespace), image.built.index.digest as Digest);
/** Where the runner stages an image's entry (the path the cache version hashes). */
const entryDir = (ref: string) =>
  path.join(stagingDir({ RUNNER_TEMP: lab.runner.temp }), imageHash(nameOf(ref), PLATFORMS));

const byLevel = (step: StepResult, level: 'error' | 'warning') =>
  step.annotations.filter((a) => a.level === level);
/** The step's log, for failure messages. */
const log = (step: StepResult): string =>
  `${step.entry} exited ${step.code}:\n${step.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::debug::'))
    .join('\n')}\n${step.stderr}`;

/** What the cache service saw from `mark` on (an index into emulator.events), by kind. */
function seen(from: number, to = lab.emulator.events.length): Record<CacheEvent['kind'], string[]> {
  const out = { lookup: [], create: [], download: [], commit: [], refused: [] } as Record<
    CacheEvent['kind'],
    string[]
  >;
  for (const e of lab.emulator.events.slice(from, to))
    out[e.kind].push(e.kind === 'lookup' ? (e.matched ?? `miss ${e.key}`) : e.key);
  for (const list of Object.values(out)) list.sort();
  return out;
}

interface Job extends JobResult {
  /** What the service saw during main, and during post. */
  main$: ReturnType<typeof seen>;
  post$: ReturnType<typeof seen>;
}

/** A job on a fresh machine, asserting that neither step crashed; main and post run apart to see their calls. */
async function job(opts: Parameters<ActionLab['runner']['job']>[0] = { inputs: INPUTS }): Promise<Job> {
  await lab.runner.freshMachine();
  const start = lab.emulator.events.length;
  const main = await lab.runner.step('main', opts);
  const mid = lab.emulator.events.length;
  const env = { ...main.exportedEnv, ...opts.env };
  const post = await lab.runner.step('post', { ...opts, env, state: main.state });
  for (const step of [main, post]) {
    expect(step.stderr, log(step)).not.toMatch(/TypeError|ReferenceError|\n\s+at /);
  }
  expect(post.code, log(post)).toBe(0); // post never fails the job
  return { main, post, main$: seen(start, mid), post$: seen(mid) };
}

const sorted = (list: string[]) => [...list].sort();
const savedKeys = (step: StepResult) => sorted((step.outputs['saved-key'] ?? '').split('\n').filter(Boolean));

/**
 * Saves a hand-made entry for `ref` with a plain `actions/cache` step (no checks), under `key`:
 * `fill` writes it into the entry directory the action restores to.
 */
async function plantEntry(ref: string, key: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const dir = entryDir(ref);
  await fill(dir);
  expect(await lab.plainSave([dir], key)).toBeGreaterThan(0);
}

/** Stages `image`'s entry from the runner's cache as post would, then lets `damage` change it. */
async function stageFromCache(image: LabImage, dir: string, as: string = nameOf(image.ref)): Promise<Layout> {
  const cache = Layout.at(lab.runner.linuxkitCache);
  const read = await cache.readIndex();
  if (read.state !== 'ok') throw new Error('no index.json on the runner');
  const entry = read.doc.entries.find((e) => e.name === nameOf(image.ref))!;
  const raw = entry.raw as { annotations?: Record<string, string> };
  await stageEntry(
    cache,
    dir,
    {
      ...entry,
      raw: { ...raw, annotations: { ...raw.annotations, 'org.opencontainers.image.ref.name': as } },
      descriptor: entry.descriptor!,
      name: as,
    },
    PLATFORMS,
  );
  return Layout.at(dir);
}

describe.sequential('the action, one cache entry per image, as a runner runs it', () => {
  it('cold: every image pulled; post saves one entry per image, keyed by its content', async () => {
    const { lines } = await lab.writeLinuxkitYml();
    expect(lines.size).toBe(lab.images.length);
    const { main, post, main$, post$ } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({
      'cache-hit': 'false',
      'cache-matched-key': '',
      verified: 'true',
      'corrupt-blobs': '0',
      'pulled-images': String(lab.images.length),
    });
    expect(main$.lookup).toHaveLength(lab.images.length);
    expect(main$.lookup.every((l) => l.startsWith('miss '))).toBe(true);
    expect(main$.download).toEqual([]);
    expect(main.annotations).toEqual([]);
    for (const image of lab.images) expect(main.summary).toContain(`<td>${image.ref}</td>`);
    expect(main.summary).not.toMatch(/<td><td>/);
    expect(main.summary).toMatch(/<th>Image<\/th><th>Platforms<\/th><th>Source<\/th>/);
    expect(main.summary).toContain('From registries: ');
    expect(main.summary).not.toContain('Downloaded nothing downloaded');

    const keys = sorted(lab.images.map((i) => keyOf(i)));
    for (const key of keys) expect(key).toMatch(KEY);
    expect(post$.create).toEqual(keys);
    expect(post$.commit).toEqual(keys);
    expect(savedKeys(post)).toEqual(keys);
    expect(post.annotations).toEqual([]);
    expect(post.summary).toContain('💾 saved as');
    expect(post.summary).toContain('<td>pulled</td>');
  });

  it('hit: one lookup and one download per image; nothing pulled, no call from post', async () => {
    const mark = lab.proxy.requests.length;
    const { main, post, main$, post$ } = await job();

    expect(main.code, log(main)).toBe(0);
    const keys = lab.images.map((i) => keyOf(i));
    expect(main.outputs, log(main)).toMatchObject({
      'cache-hit': 'true',
      'cache-matched-key': keys.join('\n'),
      verified: 'true',
      'pulled-images': '0',
      'bytes-downloaded': '0',
    });
    expect(main$.lookup).toEqual(sorted(keys));
    expect(main$.download).toEqual(sorted(keys));
    expect(lab.blobGets(mark)).toEqual([]);
    expect(main.annotations).toEqual([]);
    expect(main.summary).toContain('📦 cache entry');
    expect(post$).toEqual(seen(lab.emulator.events.length));
    expect(savedKeys(post)).toEqual([]);
    expect(post.summary).toContain('restored from its entry, unchanged');
  });

  it('one image moves to a new tag: four entries restored, only the moved one uploaded', async () => {
    const list = [...lab.images.slice(0, 4), lab.moved];
    await lab.writeLinuxkitYml(list);
    const { main, post, main$, post$ } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({ 'cache-hit': 'false', 'pulled-images': '1' });
    expect(main$.download).toEqual(sorted(lab.images.slice(0, 4).map((i) => keyOf(i))));
    expect(post$.lookup).toEqual([`miss ${keyOf(lab.moved)}`]);
    expect(post$.create).toEqual([keyOf(lab.moved)]);
    expect(savedKeys(post)).toEqual([keyOf(lab.moved)]);

    // Restored from entries and completed by a pull: the cache validates clean, every image
    // complete under its expanded name, nothing else in it.
    const report = await checkLayout(Layout.at(lab.runner.linuxkitCache), {
      mode: 'full',
      platforms: PLATFORMS,
      repair: false,
    });
    expect(report.findings).toEqual([]);
    expect(report.images.map((i) => i.name).sort()).toEqual(list.map((i) => nameOf(i.ref)).sort());
    for (const image of report.images) expect(image.platforms['linux/amd64']).toBe('complete');
  });

  it('job B, a subset plus a new image: downloads only its two entries, saves only the new one', async () => {
    await lab.writeLinuxkitYml([lab.images[0]!, lab.images[1]!, lab.extra]);
    const { main, post$, main$ } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({ 'cache-hit': 'false', 'pulled-images': '1' });
    expect(main$.lookup).toHaveLength(3);
    expect(main$.download).toEqual(sorted([keyOf(lab.images[0]!), keyOf(lab.images[1]!)]));
    expect(post$.create).toEqual([keyOf(lab.extra)]);
  });

  it('damaged entries (a truncated blob, a flipped byte): refused, pulled, superseded; the rest restored', async () => {
    // Job B's machine still holds its cache: make two bad entries from it, newer than the good ones.
    const [kernel, init] = [lab.images[0]!, lab.images[1]!];
    const kernelLayer = kernel.built.platforms[0]!.layers[0]!;
    const initLayer = init.built.platforms[0]!.layers[0]!;
    const badKernel = supersedingKey(keyOf(kernel), 'planted');
    const badInit = supersedingKey(keyOf(init), 'planted');
    await plantEntry(kernel.ref, badKernel, async (dir) => {
      const staged = await stageFromCache(kernel, dir);
      await truncate(staged.blobPath(kernelLayer.digest as Digest), 1104);
    });
    await plantEntry(init.ref, badInit, async (dir) => {
      const staged = await stageFromCache(init, dir);
      const file = staged.blobPath(initLayer.digest as Digest);
      const bytes = await readFile(file);
      bytes[bytes.length >> 1]! ^= 0x01;
      await writeFile(file, bytes);
    });
    await lab.writeLinuxkitYml();
    const mark = lab.proxy.requests.length;

    const { main, post, main$, post$ } = await job();

    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({
      'cache-hit': 'false',
      verified: 'true',
      'pulled-images': '2',
    });
    expect(main$.download).toEqual(sorted([badKernel, badInit, ...lab.images.slice(2).map((i) => keyOf(i))]));
    const warnings = byLevel(main, 'warning').map((a) => a.message);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^cache entry ${badKernel} of .*lk/kernel:1 refused: blob sha256:${kernelLayer.digest.slice(7, 19)}… has 1104 of`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^cache entry ${badInit} of .*lk/init:1 refused: blob sha256:${initLayer.digest.slice(7, 19)}…: content differs`,
          ),
        ),
      ]),
    );
    expect(warnings).toHaveLength(2);
    const pulledRepos = new Set(lab.blobGets(mark).map((r) => r.url.split('/blobs/')[0]));
    expect(pulledRepos).toEqual(new Set([`/v2/${kernel.repo}`, `/v2/${init.repo}`]));
    expect(main.summary).toContain('cache entry refused');

    const superseding = sorted([
      supersedingKey(keyOf(kernel), badKernel),
      supersedingKey(keyOf(init), badInit),
    ]);
    expect(post$.create).toEqual(superseding);
    expect(post.annotations).toEqual([]);

    const next = await job();
    expect(next.main.outputs['cache-hit'], log(next.main)).toBe('true');
    expect(next.main$.download).toEqual(
      sorted([...superseding, ...lab.images.slice(2).map((i) => keyOf(i))]),
    );
    expect(next.post$.create).toEqual([]);
  });

  it('a download cut mid-way: that image is pulled, the rest restored, nothing saved twice', async () => {
    const runc = lab.images[2]!;
    lab.emulator.cutDownloads.add(keyOf(runc));
    let result: Job;
    try {
      result = await job();
    } finally {
      lab.emulator.cutDownloads.clear();
    }
    const { main, post$ } = result;
    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({ 'cache-hit': 'false', 'pulled-images': '1' });
    const warnings = byLevel(main, 'warning').map((a) => a.message);
    expect(warnings, log(main)).toEqual([
      expect.stringMatching(new RegExp(`^cache entry of .*lk/runc:1: restore failed`)),
    ]);
    expect(post$.create).toEqual([]);
    expect(post$.lookup).toEqual([keyOf(runc)]);
  });

  it('a digest-pinned reference is restored by its exact key', async () => {
    const runc = lab.images[2]!;
    const pinned = `${runc.ref}@${runc.built.index.digest}`;
    const first = await job({ inputs: { images: pinned } });
    expect(first.main.outputs['pulled-images'], log(first.main)).toBe('1');
    const key = contentKey(prefixOf(pinned), runc.built.index.digest as Digest);
    expect(first.post$.create).toEqual([key]);

    const second = await job({ inputs: { images: pinned } });
    expect(second.main.outputs).toMatchObject({ 'cache-hit': 'true', 'cache-matched-key': key });
    const asked = lab.emulator.events.filter((e) => e.kind === 'lookup').at(-1)!;
    expect(asked).toMatchObject({ key: `${key}-`, matched: key });

    // A damaged entry under a superseding key of that digest, where the plain key was never
    // saved (another namespace): refused, and post must save a key newer than it, not the plain
    // one, which a pinned restore asks for only after `<key>-`.
    const inputs = { images: pinned, 'key-prefix': 'pinned' };
    const plain = contentKey(prefixOf(pinned, 'pinned-linux'), runc.built.index.digest as Digest);
    const bad = supersedingKey(plain, 'planted');
    const layer = runc.built.platforms[0]!.layers[0]!;
    await plantEntry(pinned, bad, async (dir) => {
      const staged = await stageFromCache({ ...runc, ref: pinned }, dir);
      await truncate(staged.blobPath(layer.digest as Digest), 10);
    });
    const refused = await job({ inputs });
    expect(refused.main.outputs['pulled-images'], log(refused.main)).toBe('1');
    expect(refused.post$.create).toEqual([supersedingKey(plain, bad)]);
    const healed = await job({ inputs });
    expect(healed.main.outputs).toMatchObject({
      'cache-hit': 'true',
      'cache-matched-key': supersedingKey(plain, bad),
    });
  });

  it('refresh: head catches an entry that shadows a tag with other content, pulls, supersedes it', async () => {
    // A consistent entry for sysctl's tag holding extra's image (as a poisoned cache would).
    const [sysctl] = [lab.images[3]!];
    await job({ inputs: { images: lab.extra.ref } });
    const shadow = contentKey(prefixOf(sysctl.ref), lab.extra.built.index.digest as Digest);
    await plantEntry(sysctl.ref, shadow, async (dir) => {
      await stageFromCache(lab.extra, dir, nameOf(sysctl.ref));
    });

    const { main, post$ } = await job({ inputs: { ...INPUTS, refresh: 'head' } });
    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({ 'cache-hit': 'false', 'pulled-images': '1' });
    expect(main.summary).toContain('registry names another digest');
    expect(post$.create).toEqual([supersedingKey(keyOf(sysctl), shadow)]);

    const next = await job();
    expect(next.main.outputs['cache-hit'], log(next.main)).toBe('true');
    expect(next.main$.download).toContain(supersedingKey(keyOf(sysctl), shadow));
  });

  it('the service refuses creates after two: one warning, the job passes, the next run saves the rest', async () => {
    const inputs = { ...INPUTS, 'key-prefix': 'limited' };
    const ns = 'limited-linux';
    lab.emulator.createLimit = 2;
    let first: Job;
    try {
      first = await job({ inputs });
    } finally {
      lab.emulator.createLimit = undefined;
    }
    expect(first.main.code, log(first.main)).toBe(0);
    expect(first.post$.create).toHaveLength(2);
    expect(first.post$.refused.length).toBeGreaterThanOrEqual(1);
    const warnings = byLevel(first.post, 'warning').map((a) => a.message);
    expect(warnings, log(first.post)).toEqual([
      expect.stringMatching(
        /^the cache service did not take new entries \(.*\): saved 2, 3 left for the next run$/,
      ),
    ]);
    expect(byLevel(first.post, 'error')).toEqual([]);

    const second = await job({ inputs });
    expect(second.main$.download).toEqual(first.post$.create);
    expect(second.post$.create).toEqual(
      sorted(lab.images.map((i) => keyOf(i, ns)).filter((k) => !first.post$.create.includes(k))),
    );
  });

  it('max-new-entries bounds what one job creates', async () => {
    const { post, post$ } = await job({
      inputs: { ...INPUTS, 'key-prefix': 'capped', 'max-new-entries': '3' },
    });
    expect(post$.create).toHaveLength(3);
    expect(post.stdout).toMatch(/max-new-entries: 3 entries created, 2 left for the next run/);
    expect(byLevel(post, 'warning')).toEqual([]);
  });

  it('ACTIONS_CACHE_MODE=read: restores and pulls, never saves', async () => {
    await lab.writeLinuxkitYml([...lab.images, lab.extra]);
    const { main, post, post$ } = await job({ inputs: INPUTS, env: { ACTIONS_CACHE_MODE: 'read' } });
    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({
      'cache-hit': 'true',
      verified: 'true',
      'pulled-images': '0',
    });
    expect(post$).toEqual(seen(lab.emulator.events.length));
    expect(post.annotations).toEqual([]);
  });

  it('cache service down: one warning, every image from the registry, the job passes', async () => {
    await lab.writeLinuxkitYml();
    const before = lab.emulator.entries();
    lab.emulator.down = 'reset';
    let result: Job;
    try {
      result = await job();
    } finally {
      lab.emulator.down = false;
    }
    const { main, post } = result;
    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({
      'cache-hit': 'false',
      'cache-matched-key': '',
      verified: 'true',
      'pulled-images': String(lab.images.length),
    });
    expect(byLevel(main, 'error')).toEqual([]);
    expect(byLevel(main, 'warning').map((a) => a.message)).toEqual([
      expect.stringMatching(
        /^cache entries: the cache service failed .*(ECONNRESET|socket hang up).*pulling from the registries instead$/i,
      ),
    ]);
    expect(byLevel(post, 'error')).toEqual([]);
    expect(byLevel(post, 'warning').map((a) => a.message)).toEqual([
      expect.stringMatching(/^the cache service did not take new entries/),
    ]);
    expect(lab.emulator.entries()).toEqual(before);
  });

  it('registry down, every entry restored: the job passes without it', async () => {
    await lab.stopRegistry();
    const { main, post$ } = await job();
    expect(main.code, log(main)).toBe(0);
    expect(main.outputs, log(main)).toMatchObject({
      'cache-hit': 'true',
      verified: 'true',
      'pulled-images': '0',
    });
    expect(main.annotations).toEqual([]);
    expect(post$.create).toEqual([]);
  });

  it('registry down, an image with no entry: fails with an error on its line of linuxkit.yml', async () => {
    // Pinned by digest: a name no job has saved an entry for.
    const unsaved = { ...lab.moved, ref: `${lab.moved.ref}@${lab.moved.built.index.digest}` };
    const { lines } = await lab.writeLinuxkitYml([...lab.images, unsaved]);
    const { main } = await job();
    expect(main.code, log(main)).toBe(1);
    expect(main.outputs, log(main)).toMatchObject({ 'pulled-images': '0', verified: 'true' });
    const errors = byLevel(main, 'error');
    const onLine = errors.filter((a) => a.properties.file === 'linuxkit.yml');
    expect(onLine, log(main)).toHaveLength(1);
    expect(onLine[0]!.properties.line).toBe(String(lines.get(unsaved)));
    expect(onLine[0]!.message).toContain(unsaved.ref);
    for (const image of lab.images) expect(errors.map((e) => e.message).join('\n')).not.toContain(image.ref);
    expect(main.summary).toMatch(/failed/);
  });
});
