import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigestMismatchError, GuardError } from '../../src/errors.js';
import { BlobWriter } from '../../src/layout/blob-writer.js';
import { Layout, LOCK_FILE } from '../../src/layout/layout.js';
import { acquireLock, breakStale } from '../../src/layout/lock.js';
import { parseDigest } from '../../src/oci/digest.js';
import { Annotation, MediaType } from '../../src/oci/mediatypes.js';
import { watchSyncs } from './syncs.js';

const run = promisify(execFile);
let dir: string;
let layout: Layout;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ocg-layout-'));
  layout = Layout.at(dir);
  await layout.init();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function blobOf(bytes: Buffer) {
  return {
    mediaType: 'application/octet-stream',
    digest: parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`),
    size: bytes.length,
  };
}

describe('Layout', () => {
  it('init writes oci-layout and an empty index.json', async () => {
    expect(JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const read = await layout.readIndex();
    expect(read.state === 'ok' && read.doc.entries).toEqual([]);
  });

  it('builds blob paths only from checked digests and stays inside the root', () => {
    const d = parseDigest(`sha256:${'c'.repeat(64)}`);
    expect(layout.blobPath(d)).toBe(path.join(dir, 'blobs', 'sha256', 'c'.repeat(64)));
    expect(() => parseDigest('sha256:../../x')).toThrow();
  });

  it('setEntry replaces an entry of the same name and keeps unknown fields of others', async () => {
    const raw = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MediaType.OciManifest,
          digest: `sha256:${'1'.repeat(64)}`,
          size: 3,
          annotations: { 'org.opencontainers.image.ref.name': 'other' },
          'x-extra': 1,
        },
      ],
    };
    await writeFile(layout.indexPath, JSON.stringify(raw));
    const d1 = blobOf(Buffer.from('one'));
    const d2 = blobOf(Buffer.from('two'));
    await layout.setEntry({ ...d1, mediaType: MediaType.OciIndex }, 'docker.io/library/redis');
    await layout.setEntry({ ...d2, mediaType: MediaType.OciIndex }, 'docker.io/library/redis');
    const doc = JSON.parse(await readFile(layout.indexPath, 'utf8'));
    expect(doc.manifests).toHaveLength(2);
    expect(doc.manifests[0]['x-extra']).toBe(1);
    expect(doc.manifests[1]).toEqual({
      mediaType: MediaType.OciIndex,
      digest: d2.digest,
      size: 3,
      annotations: { 'org.opencontainers.image.ref.name': 'docker.io/library/redis' },
    });
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('setEntry calls made together in one process are written together, the latest of each name kept, no lock waited for', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Waves of calls made at once (a wave waits for the one before), names from a small set.
        fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.nat(99)), { maxLength: 8 }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (waves) => {
          await layout.writeEmptyIndex();
          const logged: string[] = [];
          const logger = {
            debug() {},
            info: (m: string) => logged.push(m),
            warn: (m: string) => logged.push(m),
          };
          const expected = new Map<string, number>();
          for (const wave of waves) {
            await Promise.all(
              wave.map(([name, n]) => {
                expected.set(name, n);
                return layout.setEntry(blobOf(Buffer.from(String(n))), name, { logger });
              }),
            );
          }
          const doc = JSON.parse(await readFile(layout.indexPath, 'utf8'));
          const names = doc.manifests.map(
            (m: { annotations: Record<string, string> }) => m.annotations[Annotation.RefName],
          );
          expect(new Set(names).size).toBe(names.length);
          expect(
            Object.fromEntries(
              doc.manifests.map((m: { digest: string; annotations: Record<string, string> }) => [
                m.annotations[Annotation.RefName],
                m.digest,
              ]),
            ),
          ).toEqual(
            Object.fromEntries(
              [...expected].map(([name, n]) => [name, blobOf(Buffer.from(String(n))).digest]),
            ),
          );
          expect(logged).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reports a garbage index.json as corrupt and moves it aside', async () => {
    await writeFile(layout.indexPath, '{"schemaVersion": 2, "manifests": [');
    const read = await layout.readIndex();
    expect(read.state).toBe('corrupt');
    const aside = await layout.moveIndexAside(new Date('2026-11-28T01:02:03.004Z'));
    expect(path.basename(aside)).toBe('index.json.corrupt-2026-11-28T01-02-03-004Z');
    expect(await readFile(aside, 'utf8')).toBe('{"schemaVersion": 2, "manifests": [');
  });

  it('refuses to read a blob through a symlink', async () => {
    const target = path.join(dir, '..', `outside-${path.basename(dir)}`);
    await writeFile(target, 'secret');
    const d = blobOf(Buffer.from('secret'));
    await symlink(target, layout.blobPath(d.digest));
    await expect(layout.readBlob(d.digest, 100)).rejects.toMatchObject({ code: 'ELOOP' });
    await rm(target);
  });
});

describe('lock', () => {
  it('waits for a live holder and times out with a message naming the holder', async () => {
    const lock = await acquireLock(path.join(dir, LOCK_FILE));
    await expect(acquireLock(path.join(dir, LOCK_FILE), { timeoutMs: 50 })).rejects.toThrow(
      new RegExp(`locked by process ${process.pid}`),
    );
    await lock.release();
    await (await acquireLock(path.join(dir, LOCK_FILE), { timeoutMs: 50 })).release();
  });

  it('says once that it waits (onBusy) when the lock is held, and not when it is free', async () => {
    let busy = 0;
    const free = await acquireLock(path.join(dir, LOCK_FILE), { onBusy: () => busy++ });
    expect(busy).toBe(0);
    const waiting = acquireLock(path.join(dir, LOCK_FILE), { pollMs: 5, onBusy: () => busy++ });
    await vi.waitFor(() => expect(busy).toBe(1));
    await new Promise((r) => setTimeout(r, 50)); // several polls later, still once
    expect(busy).toBe(1);
    await free.release();
    await (await waiting).release();
  });

  it('takes over a lock naming this process that no task here holds (an earlier process with our pid left it)', async () => {
    const os = await import('node:os');
    await writeFile(
      path.join(dir, LOCK_FILE),
      `${process.pid}\n${os.hostname()}\n2020-01-01T00:00:00.000Z\n`,
    );
    const lock = await acquireLock(path.join(dir, LOCK_FILE), { timeoutMs: 1000 });
    expect(await readFile(path.join(dir, LOCK_FILE), 'utf8')).not.toContain('2020-01-01');
    await lock.release();
  });

  it('tasks of one process take the lock in turn, one at a time, without polling the file or saying they wait', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(3), { minLength: 1, maxLength: 12 }), async (holdMs) => {
        const logged: string[] = [];
        const logger = {
          debug() {},
          info: (m: string) => logged.push(m),
          warn: (m: string) => logged.push(m),
        };
        const events: string[] = [];
        await Promise.all(
          holdMs.map(async (ms, i) => {
            // A poll of the file would wait at least a second: the property would time out.
            const lock = await acquireLock(path.join(dir, LOCK_FILE), { pollMs: 1000, logger });
            events.push(`in ${i}`);
            await new Promise((r) => setTimeout(r, ms));
            events.push(`out ${i}`);
            await lock.release();
          }),
        );
        expect(events).toEqual(holdMs.flatMap((_, i) => [`in ${i}`, `out ${i}`]));
        expect(logged).toEqual([]);
        expect(await stat(path.join(dir, LOCK_FILE)).catch(() => undefined)).toBeUndefined();
      }),
      { numRuns: 30 },
    );
  });

  it('takes over a lock left by a dead process', async () => {
    const child = await run(process.execPath, ['-e', 'console.log(process.pid)']);
    const deadPid = Number(child.stdout.trim());
    await writeFile(path.join(dir, LOCK_FILE), `${deadPid}\n${(await import('node:os')).hostname()}\nx\n`);
    const lock = await acquireLock(path.join(dir, LOCK_FILE), { timeoutMs: 1000 });
    expect((await readFile(path.join(dir, LOCK_FILE), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('never takes over a lock naming another host, whatever its pid means here', async () => {
    // A cache on a shared disk: pids of another machine say nothing about processes here.
    const child = await run(process.execPath, ['-e', 'console.log(process.pid)']);
    const os = await import('node:os');
    for (const pid of [Number(child.stdout.trim()), process.pid]) {
      const content = `${pid}\nnot-${os.hostname()}\nx\n`;
      await writeFile(path.join(dir, LOCK_FILE), content);
      await expect(acquireLock(path.join(dir, LOCK_FILE), { timeoutMs: 100, pollMs: 5 })).rejects.toThrow(
        new RegExp(`locked by process ${pid} `),
      );
      expect(await readFile(path.join(dir, LOCK_FILE), 'utf8')).toBe(content);
    }
  });

  it('lets exactly one of several waiters take over a stale lock, one holder at a time', async () => {
    const child = await run(process.execPath, ['-e', 'console.log(process.pid)']);
    const os = await import('node:os');
    await writeFile(path.join(dir, LOCK_FILE), `${child.stdout.trim()}\n${os.hostname()}\nx\n`);
    const log = path.join(dir, 'holders.log');
    const script = `
      import { appendFile } from 'node:fs/promises';
      import { acquireLock } from ${JSON.stringify(path.resolve('src/layout/lock.ts'))};
      for (let i = 0; i < 3; i++) {
        const lock = await acquireLock(process.argv[2], { pollMs: 1 });
        await appendFile(process.argv[3], 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 20));
        await appendFile(process.argv[3], 'out ' + process.pid + '\\n');
        await lock.release();
      }`;
    const file = path.join(dir, '..', `holder-${path.basename(dir)}.mts`);
    await writeFile(file, script);
    const tsx = path.resolve('node_modules/.bin/tsx');
    await Promise.all([1, 2, 3, 4].map(() => run(tsx, [file, path.join(dir, LOCK_FILE), log])));
    await rm(file);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(24);
    // Never two holders: every "in" is followed by the same process's "out".
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i]).toMatch(/^in \d+$/);
      expect(lines[i + 1]).toBe(lines[i]!.replace('in', 'out'));
    }
  });

  it('a waiter that judged a lock stale never removes the live lock another waiter took since', async () => {
    const lockPath = path.join(dir, LOCK_FILE);
    const stale = `999999999\n${(await import('node:os')).hostname()}\nx\n`;
    const live = await acquireLock(lockPath); // another waiter broke the stale lock and took it
    expect(await breakStale(lockPath, stale, 'me')).toBe(false);
    expect(await readFile(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid}\n`));
    await live.release();
    await writeFile(lockPath, stale);
    expect(await breakStale(lockPath, stale, 'me')).toBe(true);
    expect(await stat(lockPath).catch(() => undefined)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not a pid\n'],
  ])('treats a lock file that is not ours (%s) as stale and takes it', async (_what, content) => {
    await writeFile(path.join(dir, LOCK_FILE), content);
    const lock = await acquireLock(path.join(dir, LOCK_FILE), { timeoutMs: 1000 });
    expect((await readFile(path.join(dir, LOCK_FILE), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('keeps every entry when processes add entries concurrently', async () => {
    const script = `
      import { Layout } from ${JSON.stringify(path.resolve('src/layout/layout.ts'))};
      const layout = Layout.at(process.argv[2]);
      for (let i = 0; i < 10; i++) {
        const hex = (process.argv[3] + String(i)).padStart(64, '0');
        await layout.setEntry({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: 'sha256:' + hex, size: 1 }, 'img-' + process.argv[3] + '-' + i);
      }`;
    const file = path.join(dir, '..', `writer-${path.basename(dir)}.mts`);
    await writeFile(file, script);
    const tsx = path.resolve('node_modules/.bin/tsx');
    await Promise.all(['1', '2', '3'].map((n) => run(tsx, [file, dir, n])));
    await rm(file);
    const read = await layout.readIndex();
    expect(read.state === 'ok' && read.doc.entries.map((e) => e.name).sort()).toHaveLength(30);
  });
});

describe('BlobWriter', () => {
  const bytes = randomBytes(300_000);
  const desc = blobOf(bytes);

  it('renames into place only when size and digest match', async () => {
    const w = await BlobWriter.open(layout, desc, { resume: true });
    expect(w.offset).toBe(0);
    await w.write(bytes.subarray(0, 1000));
    expect(await stat(layout.blobPath(desc.digest)).catch(() => undefined)).toBeUndefined();
    await w.write(bytes.subarray(1000));
    await w.commit();
    expect((await readFile(layout.blobPath(desc.digest))).equals(bytes)).toBe(true);
    expect(await stat(layout.partialPath(desc.digest)).catch(() => undefined)).toBeUndefined();
  });

  it('flushes the partial to disk before it takes the final name', async () => {
    const syncs = await watchSyncs(() => layout.blobPath(desc.digest));
    try {
      const w = await BlobWriter.open(layout, desc, { resume: false });
      await w.write(bytes);
      await w.commit();
    } finally {
      syncs.stop();
    }
    expect(syncs.seen).toContainEqual({ file: layout.partialPath(desc.digest), finalExisted: false });
  });

  it('refuses bytes beyond the declared size', async () => {
    const w = await BlobWriter.open(layout, desc, { resume: false });
    await expect(w.write(Buffer.concat([bytes, Buffer.from('x')]))).rejects.toThrow(DigestMismatchError);
    await w.discard();
  });

  it('never puts a wrong byte under the final name', async () => {
    const bad = Buffer.from(bytes);
    bad[5000] = bad[5000]! ^ 0xff;
    const w = await BlobWriter.open(layout, desc, { resume: false });
    await w.write(bad);
    await expect(w.commit()).rejects.toThrow(/digest mismatch/);
    expect(await stat(layout.blobPath(desc.digest)).catch(() => undefined)).toBeUndefined();
    expect(await stat(layout.partialPath(desc.digest)).catch(() => undefined)).toBeUndefined();
  });

  it('resumes a partial download: offset is what was on disk, the final check covers the prefix', async () => {
    const first = await BlobWriter.open(layout, desc, { resume: true });
    await first.write(bytes.subarray(0, 123_456));
    await first.close();
    const second = await BlobWriter.open(layout, desc, { resume: true });
    expect(second.offset).toBe(123_456);
    await second.write(bytes.subarray(123_456));
    await second.commit();
    expect((await readFile(layout.blobPath(desc.digest))).equals(bytes)).toBe(true);
  });

  it('starts over when the partial is longer than the blob', async () => {
    await writeFile(layout.partialPath(desc.digest), Buffer.alloc(desc.size + 10));
    const w = await BlobWriter.open(layout, desc, { resume: true });
    expect(w.offset).toBe(0);
    await w.discard();
  });

  it('does not write through a symlink planted at the partial name', async () => {
    const target = path.join(dir, '..', `victim-${path.basename(dir)}`);
    await writeFile(target, 'keep me');
    await symlink(target, layout.partialPath(desc.digest));
    const w = await BlobWriter.open(layout, desc, { resume: true });
    expect(w.offset).toBe(0);
    await w.write(bytes.subarray(0, 10));
    await w.close();
    expect(await readFile(target, 'utf8')).toBe('keep me');
    expect((await lstat(layout.partialPath(desc.digest))).isFile()).toBe(true);
    await rm(target);
  });

  it('whatever partial an earlier run (or anyone) left, a resumed download commits the blob right or not at all', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20_000 }),
        fc.option(fc.nat(21_000), { nil: undefined }),
        fc.boolean(),
        async (size, partialLength, partialIsTrue) => {
          const blob = randomBytes(size);
          const d = blobOf(blob);
          if (partialLength !== undefined) {
            const content = partialIsTrue ? Buffer.concat([blob, randomBytes(1000)]) : randomBytes(21_000);
            await writeFile(layout.partialPath(d.digest), content.subarray(0, partialLength));
          }
          const w = await BlobWriter.open(layout, d, { resume: true });
          // Resumed: the partial, when it is not longer than the blob; else nothing.
          expect(w.offset).toBe(partialLength !== undefined && partialLength <= size ? partialLength : 0);
          // Every byte already there: nothing to fetch, commit decides.
          expect(w.complete).toBe(w.offset === size);
          if (!w.complete) await w.write(blob.subarray(w.offset));
          try {
            await w.commit();
          } catch (err) {
            // Only a partial of other bytes can fail it; nothing is left, and a fresh start works.
            expect(err).toBeInstanceOf(DigestMismatchError);
            expect(partialIsTrue).toBe(false);
            expect(await stat(layout.partialPath(d.digest)).catch(() => undefined)).toBeUndefined();
            expect(await stat(layout.blobPath(d.digest)).catch(() => undefined)).toBeUndefined();
            const again = await BlobWriter.open(layout, d, { resume: true });
            await again.write(blob);
            await again.commit();
          }
          expect((await readFile(layout.blobPath(d.digest))).equals(blob)).toBe(true);
          expect(await stat(layout.partialPath(d.digest)).catch(() => undefined)).toBeUndefined();
          await rm(layout.blobPath(d.digest));
        },
      ),
      {
        numRuns: 60,
        // Random lengths rarely line up with the blob's: a partial that holds every byte (a run
        // killed before the rename), right or wrong, and one byte short or over, always run.
        examples: [
          [5000, 5000, true],
          [5000, 5000, false],
          [5000, 4999, true],
          [5000, 5001, true],
          [1, 1, true],
          [1, 1, false],
        ],
      },
    );
  });

  it('path() refuses to leave the root', () => {
    expect(() => (layout as unknown as { path(...p: string[]): string }).path('..', 'x')).toThrow(GuardError);
  });
});
