import type { BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../layout/layout.js';
import { BLOBS_DIR, LIVE_WRITER_NOTE, mayBeLiveWrite, PARTIAL_SUFFIX, partialHex } from '../layout/layout.js';
import {
  digestAlgorithm,
  digestHex,
  isAlgorithm,
  isValidHex,
  makeDigest,
  type Algorithm,
  type Digest,
} from '../oci/digest.js';
import type { BatchProgress, HashFilesOptions, HashItem, HashResult } from '../hash/hash-pool.js';

/** What we know of one digest-named regular file in blobs/. */
export interface BlobFile {
  digest: Digest;
  path: string;
  size: number;
  /** true/false once hashed; undefined when not hashed (mode `size`). */
  hashOk?: boolean;
  /** The digest its content really has, when it was hashed and differs. */
  actualHex?: string;
  /** Its lstat when scanned, before any hashing: what a stat snapshot records (snapshot.ts). */
  stat?: BlobStat;
}

/** The lstat fields that change when a file's content may have: nanoseconds, as bigints. */
export interface BlobStat {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Wall-clock time (ms) just before the lstat: a change after it has a later ctime. */
  takenAtMs: number;
}

/** The BlobStat of an lstat taken at `takenAtMs`. */
export function blobStat(s: BigIntStats, takenAtMs: number): BlobStat {
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, takenAtMs };
}

export interface OtherFile {
  path: string;
  size: number;
  /** Why it is stray ("name is not a sha256 digest", "symbolic link", …). */
  detail: string;
  digest?: Digest;
  isDirectory: boolean;
  /**
   * Written to within WRITER_GRACE_MS of the scan (never a time in the future): it may belong
   * to a live writer, and prune keeps it. Decided once, here, so that validate, prune and
   * their summaries count the same files.
   */
  live?: true;
}

export interface ScanResult {
  blobs: Map<Digest, BlobFile>;
  partials: OtherFile[];
  strays: OtherFile[];
}

export interface ScanOptions {
  /** Hash every blob (true) or only record sizes. */
  hash: boolean;
  hasher: Hasher;
  onProgress?: (progress: BatchProgress) => void;
}

/** A blob to hash, with the stat the scan took of it (a trusting hasher compares it: snapshot.ts). */
export interface BlobHashItem extends HashItem {
  stat?: BlobStat;
}

/** The part of the worker pool the verifier uses. */
export interface Hasher {
  hashFiles(items: readonly BlobHashItem[], options?: HashFilesOptions): Promise<HashResult[]>;
}

function kindOf(s: {
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
  isFile(): boolean;
}): string | undefined {
  if (s.isSymbolicLink()) return 'symbolic link (never followed)';
  if (s.isDirectory()) return 'directory';
  if (!s.isFile()) return 'not a regular file';
  return undefined;
}

/**
 * Lists blobs/ without following symlinks, classifies every entry, and hashes the blobs in
 * parallel when asked. Changes nothing.
 */
export async function scanBlobs(layout: Layout, options: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { blobs: new Map(), partials: [], strays: [] };
  const now = Date.now(); // one clock for every file: what is young is decided once
  const blobsDir = layout.blobsDir;
  const top = await lstat(blobsDir).catch(() => undefined);
  if (!top) return result;
  if (!top.isDirectory()) {
    result.strays.push({
      path: blobsDir,
      size: top.size,
      detail: `${kindOf(top) ?? 'file'} where the blobs directory should be`,
      isDirectory: false,
    });
    return result;
  }
  for (const algName of await readdir(blobsDir)) {
    const algPath = path.join(blobsDir, algName);
    const s = await lstat(algPath);
    if (!isAlgorithm(algName) || !s.isDirectory()) {
      const what = kindOf(s) ?? 'file';
      result.strays.push({
        path: algPath,
        size: s.size,
        detail: isAlgorithm(algName)
          ? `${what} where a directory should be`
          : `${what} in ${BLOBS_DIR}/: not a digest algorithm`,
        isDirectory: s.isDirectory(),
      });
      continue;
    }
    await scanAlgorithmDir(algName, algPath, result, now);
  }
  if (options.hash) await hashAll(result, options);
  return result;
}

async function scanAlgorithmDir(
  algorithm: Algorithm,
  dir: string,
  result: ScanResult,
  now: number,
): Promise<void> {
  for (const name of await readdir(dir)) {
    const p = path.join(dir, name);
    const takenAtMs = Date.now();
    const s = await lstat(p, { bigint: true });
    const size = Number(s.size);
    const notFile = kindOf(s);
    const stray = (detail: string, digest?: Digest) =>
      result.strays.push({
        path: p,
        size,
        detail,
        isDirectory: s.isDirectory(),
        ...(digest ? { digest } : {}),
      });
    if (isValidHex(algorithm, name)) {
      const digest = makeDigest(algorithm, name);
      if (notFile) stray(notFile, digest);
      else result.blobs.set(digest, { digest, path: p, size, stat: blobStat(s, takenAtMs) });
      continue;
    }
    const mtimeMs = Number(s.mtimeMs);
    const live = !notFile && mayBeLiveWrite({ isFile: () => s.isFile(), mtimeMs }, now);
    const writtenAgo = `written ${Math.max(0, Math.round((now - mtimeMs) / 1000))} s ago; ${LIVE_WRITER_NOTE}`;
    const hex = partialHex(name);
    if (hex !== undefined && isValidHex(algorithm, hex) && !notFile) {
      const what = name.endsWith(PARTIAL_SUFFIX)
        ? `${size} bytes downloaded`
        : 'record of a partial download';
      result.partials.push({
        path: p,
        size,
        detail: live ? `${what}, ${writtenAgo}` : what,
        digest: makeDigest(algorithm, hex),
        isDirectory: false,
        ...(live ? { live } : {}),
      });
      continue;
    }
    if (live) {
      // Not judged yet: informational, like a partial download, and never deleted while young.
      const detail = `${strayNameDetail(algorithm, name)}, ${writtenAgo}`;
      result.partials.push({ path: p, size, detail, isDirectory: false, live });
      continue;
    }
    stray(notFile ?? strayNameDetail(algorithm, name));
  }
}

function strayNameDetail(algorithm: Algorithm, name: string): string {
  if (/^[0-9a-f]{64}\d+$/.test(name)) return 'temporary file of an interrupted write (not a blob)';
  if (/^[0-9a-fA-F]+$/.test(name) && name !== name.toLowerCase())
    return `name is not a ${algorithm} digest: upper-case hex`;
  return `name is not a ${algorithm} digest`;
}

async function hashAll(result: ScanResult, options: ScanOptions): Promise<void> {
  const files = [...result.blobs.values()];
  const outcomes = await options.hasher.hashFiles(
    files.map((f) => ({ path: f.path, algorithm: digestAlgorithm(f.digest), size: f.size, stat: f.stat })),
    options.onProgress ? { onProgress: options.onProgress } : {},
  );
  outcomes.forEach((outcome, i) => applyHash(result, files[i]!, outcome));
}

/** Records a hash result on a scanned blob; a file that vanished or is no longer a file leaves the blob list. */
export function applyHash(result: ScanResult, file: BlobFile, outcome: HashResult): void {
  if (!outcome.ok) {
    result.blobs.delete(file.digest);
    if (outcome.code !== 'ENOENT') {
      result.strays.push({
        path: file.path,
        size: file.size,
        detail: outcome.message,
        digest: file.digest,
        isDirectory: false,
      });
    }
    return;
  }
  file.size = outcome.size;
  file.hashOk = outcome.hex === digestHex(file.digest);
  if (!file.hashOk) file.actualHex = outcome.hex;
}

/** What identifies one state of a file: any write moves the ctime, a replacement the inode. */
export const statKey = (s: Omit<BlobStat, 'takenAtMs'>): string =>
  `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

/**
 * Whether blobs/ still holds exactly the blobs `scan` saw, each with the same stat: a verdict
 * built on the scan still stands (a blob is renamed in or deleted, and either shows here).
 * Lists the directory again; hashes nothing.
 */
export async function sameBlobs(layout: Layout, scan: ScanResult): Promise<boolean> {
  const unused: Hasher = { hashFiles: () => Promise.reject(new Error('not hashing')) };
  const now = await scanBlobs(layout, { hash: false, hasher: unused });
  if (now.blobs.size !== scan.blobs.size) return false;
  for (const [digest, blob] of now.blobs) {
    const was = scan.blobs.get(digest)?.stat;
    const is = blob.stat;
    if (!was || !is || statKey(was) !== statKey(is)) return false;
  }
  return true;
}
