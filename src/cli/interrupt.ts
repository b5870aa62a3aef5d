import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { printable } from '../format.js';
import { BLOBS_DIR, LOCK_FILE, LOCKS_DIR, PARTIAL_SUFFIX } from '../layout/layout.js';
import { lockHolder } from '../layout/lock.js';

/**
 * Ctrl-C (and SIGTERM, as CI cancels a job): one line saying what is left for the next run,
 * the locks this process holds released, exit 128 + signal. Everything we write is atomic
 * (temp file, rename), so stopping between two statements leaves nothing half-done under a
 * final name; only the locks would linger until the next run found their holder dead.
 */
export interface InterruptWatch {
  /** The cache the command works on, once known. */
  usingCache(root: string): void;
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

export function watchInterrupts(command: string, stderr: NodeJS.WriteStream): InterruptWatch {
  let cache: string | undefined;
  const handler = (signal: keyof typeof SIGNALS): void => {
    if (cache) releaseLocksOf(process.pid, cache);
    // On a terminal, start from a clean line: the live progress line has no newline.
    const clear = stderr.isTTY ? '\r\x1b[K' : '';
    stderr.write(`${clear}oci-cache-guard ${command}: ${interruptedLine(cache)}\n`);
    process.exit(SIGNALS[signal]);
  };
  for (const s of Object.keys(SIGNALS)) process.once(s, handler);
  return {
    usingCache(root) {
      cache = root;
    },
  };
}

/** "interrupted: 3 partial downloads kept in /c; the next pull resumes them". */
export function interruptedLine(cache: string | undefined): string {
  if (!cache) return 'interrupted';
  const where = printable(cache);
  const partials = partialDownloads(cache);
  if (partials === 0)
    return `interrupted: every change to ${where} so far is complete (each is an atomic rename); run it again to finish`;
  return `interrupted: ${partials} partial download${partials === 1 ? '' : 's'} kept in ${where}; the next pull resumes them`;
}

function partialDownloads(cache: string): number {
  let n = 0;
  for (const name of listSync(path.join(cache, BLOBS_DIR, 'sha256'))) if (name.endsWith(PARTIAL_SUFFIX)) n++;
  return n;
}

/**
 * Deletes the lock files that `pid` on this host holds in `cache` (those that begin with its
 * lockHolder): the cache lock, per-blob download locks and the running-pull marker.
 * Synchronous, so nothing else runs between the release and the exit.
 */
export function releaseLocksOf(pid: number, cache: string): void {
  const mine = lockHolder(pid);
  const locksDir = path.join(cache, LOCKS_DIR);
  const files = [path.join(cache, LOCK_FILE), ...listSync(locksDir).map((name) => path.join(locksDir, name))];
  for (const file of files) {
    if (startOf(file, mine.length) !== mine) continue;
    try {
      unlinkSync(file);
    } catch {
      // Left behind, the next run finds its holder dead and takes it over.
    }
  }
}

/** The first bytes of a regular file; never follows a symlink or blocks on a FIFO planted there. */
function startOf(file: string, bytes: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(bytes);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, bytes, 0));
  } catch {
    return undefined; // gone already, or not ours to read: nothing to release
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function listSync(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
