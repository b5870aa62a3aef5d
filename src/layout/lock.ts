import { hostname } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { link, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { LockTimeoutError } from '../errors.js';
import type { Logger } from '../log.js';

export interface LockOptions {
  /** Give up after this long; a lock held by a live process is never broken. */
  timeoutMs: number;
  /** First wait between attempts; doubles up to 1 s. */
  pollMs: number;
  logger?: Logger;
  /** What the lock protects, for messages. */
  what: string;
  /** Called once, when the lock is found held by a live process and the wait begins. */
  onBusy?: () => void;
}

const DEFAULTS: LockOptions = { timeoutMs: 10 * 60_000, pollMs: 20, what: 'cache' };

export interface Lock {
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder recorded in a lock file is gone (same host, process no longer exists). */
export function isStale(content: string): boolean {
  const [pid, host] = content.split('\n');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return true; // not a lock of ours: garbage left behind
  return host === hostname() && !isAlive(n);
}

/** How every lock file that process `pid` on this host holds begins: pid, host. */
export function lockHolder(pid: number): string {
  return `${pid}\n${hostname()}\n`;
}

/** The content of a lock file of ours: pid, host, time. */
export function lockContent(): string {
  return `${lockHolder(process.pid)}${new Date().toISOString()}\n`;
}

/**
 * Creates `path` holding `content`, atomically and only if it does not exist: the content is
 * written to a temp file first and hard-linked into place, so nobody ever reads a lock file
 * half written. Returns false when `path` exists.
 */
export async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, content, { flag: 'wx', mode: 0o644 });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** A breaker that held `<lock>.break` longer than this died while breaking (it takes milliseconds). */
const BREAK_STALE_MS = 30_000;

/**
 * Removes a lock whose holder is gone. Breakers serialise on `<lock>.break`, and remove the
 * lock only if it still holds what they judged stale, so a waiter can never remove the live
 * lock another waiter has just taken.
 */
export async function breakStale(lockPath: string, stale: string, me: string): Promise<boolean> {
  const breaker = `${lockPath}.break`;
  if (!(await createExclusive(breaker, me))) {
    const s = await stat(breaker).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs > BREAK_STALE_MS) await unlink(breaker).catch(() => {});
    return false;
  }
  try {
    const now = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (now !== stale) return false;
    await unlink(lockPath);
    return true;
  } finally {
    await unlink(breaker).catch(() => {});
  }
}

/**
 * The tasks of this process that hold or wait for each lock path, as a chain: the file says
 * only which process holds a lock, so tasks of one process queue here instead of polling it.
 */
const queues = new Map<string, { tail: Promise<void>; waiting: number }>();

/**
 * Waits until no other task of this process holds or waits ahead for `lockPath`; resolves
 * with the function that lets the next one go.
 */
async function takeTurn(lockPath: string, opts: LockOptions, deadline: number): Promise<() => void> {
  const key = resolvePath(lockPath);
  const queue = queues.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
  queues.set(key, queue);
  const ahead = queue.tail;
  let letNextGo!: () => void;
  const mine = new Promise<void>((resolve) => (letNextGo = resolve));
  queue.tail = ahead.then(() => mine);
  queue.waiting++;
  let gone = false;
  const done = () => {
    if (gone) return; // a second release
    gone = true;
    letNextGo();
    if (--queue.waiting === 0) queues.delete(key);
  };
  if (queue.waiting > 1) {
    opts.onBusy?.();
    opts.logger?.debug(`waiting for the ${opts.what} lock held by another task of this process`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
    });
    const late = await Promise.race([ahead.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      void ahead.then(done); // our turn, when it comes, passes straight on
      throw new LockTimeoutError(
        `${opts.what} is locked by process ${process.pid} (${lockPath}): wait for it to finish, or delete the lock file if that process is gone`,
      );
    }
  }
  return done;
}

/**
 * An exclusive lock between processes: a file created atomically holding our pid and host.
 * A lock left by a killed process on this host is taken over (one naming this process's pid
 * too: no task here holds it once our turn has come, so an earlier process with our pid left
 * it); any other holder is waited for.
 */
export async function acquireLock(lockPath: string, options: Partial<LockOptions> = {}): Promise<Lock> {
  const opts = { ...DEFAULTS, ...options };
  const deadline = Date.now() + opts.timeoutMs;
  const letNextGo = await takeTurn(lockPath, opts, deadline);
  try {
    return await acquireFile(lockPath, opts, deadline, letNextGo);
  } catch (err) {
    letNextGo();
    throw err;
  }
}

async function acquireFile(
  lockPath: string,
  opts: LockOptions,
  deadline: number,
  letNextGo: () => void,
): Promise<Lock> {
  const me = lockContent();
  let wait = opts.pollMs;
  let told = false;
  for (;;) {
    if (await createExclusive(lockPath, me)) {
      return {
        async release() {
          // Only remove the lock if it is still ours.
          const now = await readFile(lockPath, 'utf8').catch(() => '');
          if (now === me) await unlink(lockPath).catch(() => {});
          letNextGo();
        },
      };
    }
    const holder = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (holder === undefined) continue; // released between our attempt and our read
    if (isStale(holder) || holder.startsWith(lockHolder(process.pid))) {
      if (await breakStale(lockPath, holder, me)) {
        opts.logger?.debug(`took over a stale ${opts.what} lock left by pid ${holder.split('\n')[0]}`);
        continue;
      }
    }
    if (Date.now() >= deadline) {
      const pid = holder.split('\n')[0] || 'unknown';
      throw new LockTimeoutError(
        `${opts.what} is locked by process ${pid} (${lockPath}): wait for it to finish, or delete the lock file if that process is gone`,
      );
    }
    if (wait === opts.pollMs) opts.onBusy?.();
    if (!told && Date.now() + 2000 < deadline) {
      told = true;
      opts.logger?.info(`waiting for the ${opts.what} lock held by process ${holder.split('\n')[0]}`);
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 1000);
  }
}

export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: Partial<LockOptions> = {},
): Promise<T> {
  const lock = await acquireLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Processes holding a lock on `file` (POSIX fcntl as linuxkit takes, OFD or flock), as Linux
 * lists them in /proc/locks by device and inode: [] when none (or no such file), undefined
 * where locks cannot be seen (not Linux, /proc not mounted). An OFD lock's holder is -1.
 * `procLocks`: another table to read, for tests.
 */
export async function lockHolders(file: string, procLocks = '/proc/locks'): Promise<number[] | undefined> {
  const table = await readFile(procLocks, 'utf8').catch(() => undefined);
  if (table === undefined) return undefined;
  const s = await stat(file, { bigint: true }).catch(() => undefined);
  if (!s) return [];
  // Linux's dev_t as stat returns it; /proc/locks prints major and minor in hex.
  const major = ((s.dev >> 8n) & 0xfffn) | ((s.dev >> 32n) & ~0xfffn);
  const minor = (s.dev & 0xffn) | ((s.dev >> 12n) & ~0xffn);
  const holders: number[] = [];
  // "1: POSIX  ADVISORY  WRITE 4242 fe:00:2148514 0 EOF"; waiters are marked "->" and skipped.
  for (const m of table.matchAll(
    /^\d+:\s+(->\s+)?\S+\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/gm,
  )) {
    const [, waiter, pidText, maj, min, ino] = m;
    if (waiter || BigInt(ino!) !== s.ino) continue;
    const pid = Number(pidText);
    // Where stat's device is not the one locks are listed under (btrfs subvolumes, some
    // overlayfs set-ups), the holder is confirmed by the file being open in it.
    if ((BigInt(`0x${maj}`) === major && BigInt(`0x${min}`) === minor) || (await hasOpen(pid, s)))
      holders.push(pid);
  }
  return holders;
}

/** Whether process `pid` has the file `s` describes open (through /proc/<pid>/fd). */
async function hasOpen(pid: number, s: BigIntStats): Promise<boolean> {
  if (pid <= 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const t = await stat(`/proc/${pid}/fd/${fd}`, { bigint: true }).catch(() => undefined);
    if (t?.ino === s.ino && t.dev === s.dev) return true;
  }
  return false;
}

/**
 * Waits, up to `timeoutMs`, until no process holds a lock on `file` (another program's lock,
 * such as linuxkit's `.lock`, which we can see but not take). Returns whether it waited.
 */
export async function waitForForeignLock(
  file: string,
  owner: string,
  options: Partial<LockOptions> = {},
): Promise<boolean> {
  const opts = { ...DEFAULTS, ...options };
  const deadline = Date.now() + opts.timeoutMs;
  let wait = opts.pollMs;
  let waited = false;
  for (;;) {
    const holders = await lockHolders(file);
    if (!holders?.length) return waited;
    const who = holders[0]! > 0 ? `process ${holders[0]}` : 'another process';
    if (Date.now() >= deadline) {
      throw new LockTimeoutError(
        `${opts.what} is in use by ${owner}: ${who} holds its lock ${file}; run again once it has finished`,
      );
    }
    if (!waited) opts.logger?.info(`waiting for ${owner}'s lock on ${file}, held by ${who}`);
    waited = true;
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 1000);
  }
}
