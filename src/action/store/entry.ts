import { copyFile, link, lstat, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempPathFor } from '../../layout/atomic.js';
import { Layout, OCI_LAYOUT_CONTENT, serializeIndex, type IndexEntry } from '../../layout/layout.js';
import { digestAlgorithm, shortDigest, type Digest } from '../../oci/digest.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { MediaType } from '../../oci/mediatypes.js';
import type { Platform } from '../../oci/platform.js';
import type { ValidSet } from '../../pull/download.js';
import type { Hasher } from '../../verify/scan.js';
import { cachedClosure, checkBlobs, ClosureError } from '../../pull/closure.js';

/**
 * One entry on disk: a directory that is itself an OCI layout holding one image (its
 * index.json entry and the blobs its platforms need), nothing else: no locks, partials,
 * strays or other images. Post stages it from the cache (hard links, no copy) and saves the
 * directory; main restores it to the same path, verifies it, and moves its blobs into the cache.
 */

/** Writes the entry of `entry` (an index.json entry of `cache`) into `dir`, emptied first. Returns its blobs. */
export async function stageEntry(
  cache: Layout,
  dir: string,
  entry: IndexEntry & { descriptor: Descriptor; name: string },
  platforms: readonly Platform[],
): Promise<Descriptor[]> {
  const blobs = await entryBlobs(cache, entry.name, entry.descriptor, platforms);
  await rm(dir, { recursive: true, force: true });
  const staged = Layout.at(dir);
  for (const d of blobs) {
    const to = staged.blobPath(d.digest);
    await mkdir(path.dirname(to), { recursive: true });
    await linkOrCopy(cache.blobPath(d.digest), to);
  }
  await writeFile(staged.layoutFilePath, OCI_LAYOUT_CONTENT);
  await writeFile(
    staged.indexPath,
    serializeIndex({
      fields: { schemaVersion: 2, mediaType: MediaType.OciIndex },
      entries: [entry],
    }),
  );
  return blobs;
}

export interface ImportedEntry {
  descriptor: Descriptor;
  /** Every blob of the image, verified; `moved` were new to the cache. */
  blobs: Descriptor[];
  moved: Digest[];
}

/**
 * The cache's blobs known valid in this run, shared by the entries imported side by side: main's
 * check accepted them, or an entry verified them and they joined the cache. A blob listed here
 * and in the cache is not hashed again (the restored copy is dropped, the cache's kept); a blob
 * another entry is hashing is waited for instead of hashed twice.
 */
export class CacheBlobs {
  readonly #hashing = new Map<Digest, Promise<void>>();

  constructor(
    readonly cache: Layout,
    /** main's `checked.valid`: what joins the cache through an entry joins it too. */
    readonly valid: ValidSet = new Set(),
  ) {}

  /** Whether the cache holds `d`, known valid (with the size this image lists). */
  async holds(d: Descriptor): Promise<boolean> {
    if (!this.valid.has(d.digest)) return false;
    const s = await lstat(this.cache.blobPath(d.digest)).catch(() => undefined);
    return !!s?.isFile() && s.size === d.size;
  }

  /** The hash another entry is making of `d`, if one is; else `d` is claimed until `done` is called. */
  claim(d: Descriptor): { waitFor: Promise<void> } | { done: () => void } {
    const pending = this.#hashing.get(d.digest);
    if (pending) return { waitFor: pending };
    let done!: () => void;
    this.#hashing.set(
      d.digest,
      new Promise<void>((resolve) => (done = resolve)).finally(() => this.#hashing.delete(d.digest)),
    );
    return { done };
  }

  /** Puts a blob verified in `from` into the cache (unless it has one) and notes it valid. */
  async adopt(from: Layout, d: Descriptor): Promise<boolean> {
    await mkdir(this.cache.blobDir(digestAlgorithm(d.digest)), { recursive: true });
    const moved = await moveIfAbsent(from.blobPath(d.digest), this.cache.blobPath(d.digest));
    if (moved) this.valid.add(d.digest);
    return moved;
  }
}

/**
 * Checks the entry restored in `dir` for image `name`: its index.json names the image with
 * root `digest`; every blob its platforms need is there with the right size and hash, except
 * those `known` says the cache holds valid already (not hashed: the cache's copy is kept). Each
 * config or layer verified joins the cache at once (another entry may be waiting for it); the
 * documents join, and the image's index.json entry is written (under the cache lock, as a pull
 * does), only when every blob is valid. Throws ClosureError naming what is wrong; nothing
 * unverified reaches the cache, and no index.json entry of a bad entry.
 */
export async function importEntry(
  known: CacheBlobs,
  dir: string,
  name: string,
  digest: Digest,
  platforms: readonly Platform[],
  hasher: Hasher,
): Promise<ImportedEntry> {
  const { cache } = known;
  const restored = Layout.at(dir);
  const read = await restored.readIndex();
  if (read.state !== 'ok') throw new ClosureError(`its index.json is ${read.state}`);
  const entries = read.doc.entries.filter((e) => e.name === name);
  const entry = entries[0];
  if (entries.length !== 1 || !entry?.descriptor)
    throw new ClosureError(`its index.json has ${entries.length} valid entries named ${name}, not 1`);
  const descriptor = entry.descriptor;
  if (descriptor.digest !== digest)
    throw new ClosureError(
      `it holds ${shortDigest(descriptor.digest)}, its key names ${shortDigest(digest)}`,
    );
  const closure = await cachedClosure(restored, name, descriptor, [...platforms], new Set());
  const leaves = distinct(closure.blobs);
  const moved: Digest[] = [];
  const mine: Descriptor[] = [];
  const claims: (() => void)[] = [];
  const others: { d: Descriptor; waitFor: Promise<void> }[] = [];
  try {
    for (const d of leaves) {
      if (await known.holds(d)) continue;
      const claim = known.claim(d);
      if ('done' in claim) {
        mine.push(d);
        claims.push(claim.done);
      } else others.push({ d, waitFor: claim.waitFor });
    }
    const adopt = async (ds: Descriptor[]) => {
      await checkBlobs(restored, ds, { valid: new Set(), hasher });
      for (const d of ds) if (await known.adopt(restored, d)) moved.push(d.digest);
    };
    await adopt(mine);
    claims.splice(0).forEach((done) => done());
    // What another entry was hashing: joined the cache, or (that entry was bad) ours to hash.
    await Promise.all(others.map((o) => o.waitFor));
    const left: Descriptor[] = [];
    for (const { d } of others) if (!(await known.holds(d))) left.push(d);
    await adopt(left);
  } finally {
    claims.forEach((done) => done());
  }
  for (const d of distinct(closure.manifests)) if (await known.adopt(restored, d)) moved.push(d.digest);
  const blobs = distinct([...closure.manifests, ...closure.blobs]);
  // As a pull commits: under the lock, only while every blob is still in place.
  await cache.setEntry(descriptor, name, { needs: blobs });
  return { descriptor, blobs, moved };
}

/** Each digest once, in the order first listed. */
function distinct(ds: readonly Descriptor[]): Descriptor[] {
  return [...new Map(ds.map((d) => [d.digest, d])).values()];
}

/**
 * Every blob image `name` needs in `cache` for `platforms` (cachedClosure, as the pull sees it),
 * each once, root first. Configs and layers must be present with their size: post verified the
 * cache just before. Throws ClosureError.
 */
async function entryBlobs(
  cache: Layout,
  name: string,
  root: Descriptor,
  platforms: readonly Platform[],
): Promise<Descriptor[]> {
  const closure = await cachedClosure(cache, name, root, [...platforms], new Set());
  await checkBlobs(cache, closure.blobs, { valid: new Set() });
  return distinct([...closure.manifests, ...closure.blobs]);
}

/** Why a hard link cannot be made where a copy can: another file system, or one without links. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP']);

/** Hard link (same file system), else a copy. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if (!NO_LINK.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await copyFile(from, to);
  }
}

/**
 * Puts `from` at `to` unless a file is there already (the cache's own, verified, is kept):
 * a hard link never replaces, and another file system gets a copy under a temp name renamed
 * into place. Returns whether it was put.
 */
async function moveIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!NO_LINK.has(code ?? '')) throw err;
    if (await lstat(to).catch(() => undefined)) return false;
    const temp = tempPathFor(to);
    await copyFile(from, temp);
    await rename(temp, to);
  }
  await unlink(from).catch(() => {});
  return true;
}
