import { hostname } from 'node:os';
import { open, readFile, rename, unlink } from 'node:fs/promises';
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
function isStale(content: string): boolean {
  const [pid, host] = content.split('\n');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return true; // not a lock of ours: garbage left behind
  return host === hostname() && !isAlive(n);
}

/**
 * An exclusive lock between processes: a file created with O_EXCL holding our pid and host.
 * A lock left by a killed process on this host is taken over; any other holder is waited for.
 */
export async function acquireLock(lockPath: string, options: Partial<LockOptions> = {}): Promise<Lock> {
  const opts = { ...DEFAULTS, ...options };
  const me = `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`;
  const deadline = Date.now() + opts.timeoutMs;
  let wait = opts.pollMs;
  let told = false;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx', 0o644);
      await fh.writeFile(me);
      await fh.close();
      return {
        async release() {
          // Only remove the lock if it is still ours.
          const now = await readFile(lockPath, 'utf8').catch(() => '');
          if (now === me) await unlink(lockPath).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (holder === undefined) continue; // released between our open and read
    if (holder !== '' && isStale(holder)) {
      // Move it aside atomically so only one waiter takes a stale lock over.
      const aside = `${lockPath}.stale-${process.pid}`;
      try {
        await rename(lockPath, aside);
        await unlink(aside);
        opts.logger?.debug(`took over a stale ${opts.what} lock left by pid ${holder.split('\n')[0]}`);
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (Date.now() >= deadline) {
      const pid = holder.split('\n')[0] || 'unknown';
      throw new LockTimeoutError(
        `${opts.what} is locked by process ${pid} (${lockPath}): wait for it to finish, or delete the lock file if that process is gone`,
      );
    }
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
