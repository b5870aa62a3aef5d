import { copyFile, link, lstat, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempPathFor } from '../../layout/atomic.js';
import { Layout, OCI_LAYOUT_CONTENT, serializeIndex, type IndexEntry } from '../../layout/layout.js';
import { digestAlgorithm, shortDigest, type Digest } from '../../oci/digest.js';
import type { Descriptor } from '../../oci/descriptor.js';
import { MediaType } from '../../oci/mediatypes.js';
import type { Platform } from '../../oci/platform.js';
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
  const blobs = await entryBlobs(cache, entry.name, entry.descriptor, platforms, {});
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
 * Checks the entry restored in `dir` for image `name`: its index.json names the image with
 * root `digest`; every blob its platforms need is there with the right size and hash. Only
 * then are its blobs moved into the cache (a blob the cache already has stays as it is) and the
 * image's index.json entry written (under the cache lock, as a pull does). Throws ClosureError
 * naming what is wrong; nothing of a bad entry reaches the cache.
 */
export async function importEntry(
  cache: Layout,
  dir: string,
  name: string,
  digest: Digest,
  platforms: readonly Platform[],
  hasher: Hasher,
): Promise<ImportedEntry> {
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
  const blobs = await entryBlobs(restored, name, descriptor, platforms, { hasher });
  const moved: Digest[] = [];
  for (const d of blobs) {
    const to = cache.blobPath(d.digest);
    await mkdir(cache.blobDir(digestAlgorithm(d.digest)), { recursive: true });
    if (await moveIfAbsent(restored.blobPath(d.digest), to)) moved.push(d.digest);
  }
  // As a pull commits: under the lock, only while every blob is still in place.
  await cache.setEntry(descriptor, name, { needs: blobs });
  return { descriptor, blobs, moved };
}

/**
 * Every blob image `name` needs in `layout` for `platforms` (cachedClosure, as the pull sees it),
 * each once, root first; configs and layers checked as `check` says (hashed by its hasher, else
 * present with their size: a cache verified just before). Throws ClosureError.
 */
async function entryBlobs(
  layout: Layout,
  name: string,
  root: Descriptor,
  platforms: readonly Platform[],
  check: { hasher?: Hasher },
): Promise<Descriptor[]> {
  const closure = await cachedClosure(layout, name, root, [...platforms], new Set());
  await checkBlobs(layout, closure.blobs, { valid: new Set(), ...check });
  return [...new Map([...closure.manifests, ...closure.blobs].map((d) => [d.digest, d])).values()];
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
