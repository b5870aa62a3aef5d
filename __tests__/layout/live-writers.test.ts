// Issue 8 item 13: repair and prune never pull the rug from under a live writer. They wait
// while another process holds linuxkit's lock (`<cache>/.lock`, an fcntl lock seen in
// /proc/locks), and keep any temp file, partial download or stray written within the grace
// period. The lock is held by a real second process: Node has no fcntl, perl (in every Debian
// base image) does.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockTimeoutError } from '../../src/errors.js';
import { LINUXKIT_LOCK_FILE, Layout, WRITER_GRACE_MS } from '../../src/layout/layout.js';
import { lockHolders } from '../../src/layout/lock.js';
import type { Logger } from '../../src/log.js';
import { checkLayout, pruneUnreferenced } from '../../src/verify/index.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { buildImage, pushFixture, startRegistry } from '../harness/index.js';
import { settled } from '../harness/settled.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const hasPerl = spawnSync('perl', ['-MFcntl', '-e', '1']).status === 0;
const hasProcLocks = spawnSync('test', ['-r', '/proc/locks']).status === 0;
const skip = !hasProcLocks
  ? 'no /proc/locks: locks of other processes cannot be seen here'
  : !hasPerl
    ? 'no perl with Fcntl to hold an fcntl lock from a second process'
    : '';

/**
 * A second process holding a POSIX write lock on `file`, as linuxkit holds `.lock`, until
 * release(). The struct flock is packed for 64-bit Linux (x86_64, arm64): type, whence,
 * padding, start, len, pid, padding.
 */
async function holdFcntlLock(file: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const child: ChildProcessWithoutNullStreams = spawn('perl', [
    '-e',
    'use Fcntl qw(F_SETLKW F_WRLCK SEEK_SET); open(my $fh, "+<", $ARGV[0]) or die "open: $!";' +
      ' my $lock = pack("s s x4 q q l x4", F_WRLCK, SEEK_SET, 0, 0, 0);' +
      ' fcntl($fh, F_SETLKW, $lock) or die "fcntl: $!";' +
      ' $| = 1; print "locked\\n"; <STDIN>;',
    file,
  ]);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`perl exited ${code} before locking`)));
  });
  return {
    pid: child.pid!,
    release: async () => {
      child.stdin.end(); // perl reads EOF, exits, and the kernel drops its lock
      await exited;
    },
  };
}

/** A logger that records info lines and resolves `said(pattern)` once one matches. */
function recordingLogger(): Logger & { lines: string[]; said: (p: RegExp) => Promise<void> } {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  return {
    lines,
    debug: () => {},
    warn: (m) => lines.push(m),
    info: (m) => {
      lines.push(m);
      for (const w of waiters) if (w.pattern.test(m)) w.resolve();
    },
    said: (pattern) =>
      lines.some((l) => pattern.test(l))
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
  };
}

let dir: string;
let layout: Layout;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ocg-live-'));
  layout = Layout.at(dir);
  await layout.init();
  await writeFile(path.join(dir, LINUXKIT_LOCK_FILE), ''); // linuxkit creates it on first use
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const blobsDir = () => path.join(dir, 'blobs', 'sha256');
const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

// A hang guard: a wait that never ends fails the test instead of holding the run.
describe.skipIf(skip !== '')(
  `linuxkit's lock${skip ? ` (skipped: ${skip})` : ''}`,
  { timeout: 20_000 },
  () => {
    it('lockHolders sees a POSIX lock another process holds on the file, and only then', async () => {
      const lockFile = path.join(dir, LINUXKIT_LOCK_FILE);
      expect(await lockHolders(lockFile)).toEqual([]);
      expect(await lockHolders(path.join(dir, 'absent'))).toEqual([]);
      const other = path.join(dir, 'other');
      await writeFile(other, '');
      const held = await holdFcntlLock(other);
      try {
        expect(await lockHolders(lockFile)).toEqual([]); // a lock on another inode
        expect(await lockHolders(other)).toEqual([held.pid]);
      } finally {
        await held.release();
      }
      expect(await lockHolders(other)).toEqual([]);
    });

    it('where stat and /proc/locks disagree on the device, a holder is one that has the file open', async () => {
      const lockFile = path.join(dir, LINUXKIT_LOCK_FILE);
      const held = await holdFcntlLock(lockFile);
      try {
        const { ino } = await stat(lockFile);
        // As on btrfs or overlayfs: the same inode listed under a device stat does not report.
        const table = path.join(dir, 'locks-table');
        const line = (pid: number) => `1: POSIX  ADVISORY  WRITE ${pid} ff:ee:${ino} 0 EOF\n`;
        await writeFile(table, line(held.pid));
        expect(await lockHolders(lockFile, table)).toEqual([held.pid]);
        await writeFile(table, line(process.pid)); // this process has no such file open
        expect(await lockHolders(lockFile, table)).toEqual([]);
        await writeFile(table, `1: -> POSIX  ADVISORY  WRITE ${held.pid} ff:ee:${ino} 0 EOF\n`);
        expect(await lockHolders(lockFile, table)).toEqual([]); // a waiter holds nothing
      } finally {
        await held.release();
      }
      expect(await lockHolders(lockFile, path.join(dir, 'no-such-table'))).toBeUndefined();
    });

    it('prune waits while linuxkit holds its lock, says so, then removes its dead temp file', async () => {
      // linuxkit's temp file, old enough that only the lock protects it.
      const temp = path.join(blobsDir(), `${sha256('layer')}123456`);
      await writeFile(temp, randomBytes(100));
      await settled(temp);
      const held = await holdFcntlLock(path.join(dir, LINUXKIT_LOCK_FILE));
      const logger = recordingLogger();
      const pruning = pruneUnreferenced(layout, { dryRun: false, logger });
      try {
        await logger.said(/waiting for linuxkit's lock/);
        expect(await exists(temp)).toBe(true);
      } finally {
        await held.release();
      }
      const result = await pruning;
      expect(logger.lines).toContain(
        `waiting for linuxkit's lock on ${path.join(dir, '.lock')}, held by process ${held.pid}`,
      );
      expect(result.removed.map((f) => f.path)).toEqual([`blobs/sha256/${sha256('layer')}123456`]);
      expect(await exists(temp)).toBe(false);
    });

    it('pull waits for the lock before it writes index.json, says so, then adds the entry', async () => {
      const registry = await startRegistry();
      const client = createRegistryClient({ dockerConfigDir: false, env: {} });
      const held = await holdFcntlLock(path.join(dir, LINUXKIT_LOCK_FILE));
      try {
        const image = path.join(dir, '..', `${path.basename(dir)}-image`);
        await buildImage(image, { tag: '1', layers: [1024] });
        await pushFixture(image, '1', registry, { repo: 'live/pull' });
        const logger = recordingLogger();
        const pulling = pullImages(layout, client, [parseReference(`${registry.host}/live/pull:1`)], {
          platforms: [parsePlatform('linux/amd64')],
          concurrency: 2,
          logger,
        });
        await logger.said(/waiting for linuxkit's lock/);
        expect(JSON.stringify(await layout.readIndex())).not.toContain('live/pull');
        await held.release();
        const [result] = await pulling;
        expect(result!.status, result!.error).toBe('pulled');
        expect(JSON.stringify(await layout.readIndex())).toContain(`${registry.host}/live/pull:1`);
        await rm(image, { recursive: true, force: true });
      } finally {
        await held.release();
        await client.close();
        await registry.stop();
      }
    });

    it('repair that waited judges the cache again: a blob linuxkit finished meanwhile is kept', async () => {
      const content = randomBytes(5000);
      const blob = path.join(blobsDir(), sha256(content));
      await writeFile(blob, content.subarray(0, 1200)); // linuxkit writes blobs in place
      const held = await holdFcntlLock(path.join(dir, LINUXKIT_LOCK_FILE));
      const logger = recordingLogger();
      const repairing = checkLayout(layout, { mode: 'full', platforms: [], repair: true, logger });
      try {
        await logger.said(/waiting for linuxkit's lock/);
        await writeFile(blob, content); // linuxkit finishes the blob, then lets go of its lock
      } finally {
        await held.release();
      }
      const report = await repairing;
      expect(report.findings.filter((f) => f.kind === 'corrupt')).toEqual([]);
      expect(sha256(await readFile(blob))).toBe(sha256(content));
    });

    it('gives up after its timeout with one line naming the holder, having changed nothing', async () => {
      const held = await holdFcntlLock(path.join(dir, LINUXKIT_LOCK_FILE));
      try {
        let ran = false;
        const attempt = layout.withLock(async () => void (ran = true), { timeoutMs: 300 });
        await expect(attempt).rejects.toBeInstanceOf(LockTimeoutError);
        await expect(attempt).rejects.toThrow(
          `cache ${dir} is in use by linuxkit: process ${held.pid} holds its lock ${path.join(dir, '.lock')}; run again once it has finished`,
        );
        expect(ran).toBe(false);
        expect(await exists(path.join(dir, '.oci-cache-guard.lock'))).toBe(false); // ours released
      } finally {
        await held.release();
      }
    });
  },
);

describe('the grace period for files a live writer may own', () => {
  it(`is ${WRITER_GRACE_MS / 60_000} minutes`, () => {
    expect(WRITER_GRACE_MS).toBe(10 * 60_000);
  });

  it('a young temp file is reported as kept, not a problem; repair keeps it, and removes it once old', async () => {
    const name = `${sha256('x')}987`;
    const temp = path.join(blobsDir(), name);
    await writeFile(temp, randomBytes(10));
    const report = await checkLayout(layout, { mode: 'full', platforms: [], repair: true });
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual([
      {
        kind: 'partial',
        path: `blobs/sha256/${name}`,
        detail: expect.stringMatching(
          /^temporary file of an interrupted write \(not a blob\), written \d+ s ago; kept: may belong to a live writer$/,
        ) as string,
        action: 'kept',
        size: 10,
        live: true,
      },
    ]);
    expect(await exists(temp)).toBe(true);

    await settled(temp);
    const later = await checkLayout(layout, { mode: 'full', platforms: [], repair: true });
    expect(later.findings.map((f) => [f.kind, f.path, f.action])).toEqual([
      ['stray', `blobs/sha256/${name}`, 'removed'],
    ]);
    expect(await exists(temp)).toBe(false);
  });

  it('prune keeps a young partial and a young stray, says why, and still removes an unreferenced blob', async () => {
    const partial = path.join(blobsDir(), `${sha256('p')}.download`);
    const stray = path.join(blobsDir(), 'tmp-of-some-tool');
    const unreferenced = Buffer.from('nobody needs me');
    await writeFile(partial, 'par');
    await writeFile(stray, 'str');
    await writeFile(path.join(blobsDir(), sha256(unreferenced)), unreferenced);
    for (const dryRun of [true, false]) {
      const result = await pruneUnreferenced(layout, { dryRun });
      expect(result.removed.map((f) => f.kind)).toEqual(['unreferenced']);
      expect(result.note).toBe(
        '2 files (6 B) written in the last 10 minutes kept: may belong to a live writer',
      );
    }
    expect([await exists(partial), await exists(stray)]).toEqual([true, true]);

    await settled(partial, stray);
    const result = await pruneUnreferenced(layout, { dryRun: false });
    expect(result.removed.map((f) => f.kind).sort()).toEqual(['partial', 'stray']);
    expect(result.note).toBeUndefined();
  });
});
