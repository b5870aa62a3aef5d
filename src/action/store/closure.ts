import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { GuardError } from '../../errors.js';
import type { Layout } from '../../layout/layout.js';
import { digestAlgorithm, digestHex, shortDigest, type Digest } from '../../oci/digest.js';
import { parseIndex, parseManifest, type Descriptor } from '../../oci/descriptor.js';
import { isIndexMediaType, isManifestMediaType, MAX_MANIFEST_BYTES } from '../../oci/mediatypes.js';
import { formatPlatform, type Platform } from '../../oci/platform.js';
import { selectFromIndex } from '../../pull/plan.js';
import type { Hasher } from '../../verify/scan.js';

/** Why an image's blobs in a layout are not what an entry needs: one line, naming the blob. */
export class ClosureError extends GuardError {
  override name = 'ClosureError';
}

/**
 * How the blobs that are not documents (configs, layers) are checked: `present` looks at their
 * size (the cache, verified just before), `hash` hashes them (an entry just restored).
 */
export type BlobCheck = { kind: 'present' } | { kind: 'hash'; hasher: Hasher };

/**
 * Every blob one image needs for `platforms` in `layout`, root first: the index or manifest,
 * the wanted platform manifests (nested indexes followed), the attestation manifests that
 * describe them, and every config and layer under those. What linuxkit reads to build, and
 * what an entry holds. Documents are read (capped), hashed and parsed; the rest is checked as
 * `check` says. Iterative: no input depth reaches the stack. Throws ClosureError when a blob is
 * missing or wrong, or a platform is not offered.
 */
export async function imageClosure(
  layout: Layout,
  root: Descriptor,
  platforms: readonly Platform[],
  check: BlobCheck,
): Promise<Descriptor[]> {
  const seen = new Map<Digest, Descriptor>();
  const leaves: Descriptor[] = [];
  const documents: { d: Descriptor; role: 'root' | 'child' }[] = [{ d: root, role: 'root' }];
  const add = (d: Descriptor): boolean => {
    const before = seen.get(d.digest);
    if (before) {
      if (before.size !== d.size)
        throw new ClosureError(
          `blob ${shortDigest(d.digest)} is listed with sizes ${before.size} and ${d.size}`,
        );
      return false;
    }
    seen.set(d.digest, d);
    return true;
  };
  add(root);
  for (let doc = documents.pop(); doc; doc = documents.pop()) {
    const bytes = await readDocument(layout, doc.d);
    if (isIndexMediaType(doc.d.mediaType)) {
      const index = parseIndex(bytes, `index ${shortDigest(doc.d.digest)}`);
      const picked = selectFromIndex(index, doc.role === 'root' ? [...platforms] : 'all');
      if (picked.unavailable.length)
        throw new ClosureError(`the image offers no ${picked.unavailable.map(formatPlatform).join(', ')}`);
      for (const m of [...picked.manifests, ...picked.attestations])
        if (add(m)) documents.push({ d: m, role: 'child' });
    } else if (isManifestMediaType(doc.d.mediaType) || doc.role === 'child') {
      const manifest = parseManifest(bytes, `manifest ${shortDigest(doc.d.digest)}`);
      for (const d of [manifest.config, ...manifest.layers]) {
        // Non-distributable layers (with urls) are never fetched: an entry does without them.
        if (d.urls?.length && !(await isFile(layout.blobPath(d.digest)))) continue;
        if (add(d)) leaves.push(d);
      }
    } else {
      throw new ClosureError(`root ${shortDigest(doc.d.digest)} has media type ${doc.d.mediaType}`);
    }
  }
  await checkLeaves(layout, leaves, check);
  return [...seen.values()];
}

async function readDocument(layout: Layout, d: Descriptor): Promise<Buffer> {
  if (d.size > MAX_MANIFEST_BYTES)
    throw new ClosureError(
      `manifest ${shortDigest(d.digest)} declares ${d.size} bytes, over the ${MAX_MANIFEST_BYTES} limit`,
    );
  let bytes: Buffer;
  try {
    bytes = await layout.readBlob(d.digest, d.size);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClosureError(
      `blob ${shortDigest(d.digest)} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${(err as Error).message})`}`,
    );
  }
  if (bytes.length !== d.size)
    throw new ClosureError(`blob ${shortDigest(d.digest)} has ${bytes.length} of ${d.size} bytes`);
  const hex = createHash(digestAlgorithm(d.digest)).update(bytes).digest('hex');
  if (hex !== digestHex(d.digest)) throw new ClosureError(`blob ${shortDigest(d.digest)}: content differs`);
  return bytes;
}

async function checkLeaves(layout: Layout, leaves: Descriptor[], check: BlobCheck): Promise<void> {
  if (check.kind === 'present') {
    for (const d of leaves) {
      const s = await lstat(layout.blobPath(d.digest)).catch(() => undefined);
      if (!s?.isFile()) throw new ClosureError(`blob ${shortDigest(d.digest)} is missing`);
      if (s.size !== d.size)
        throw new ClosureError(`blob ${shortDigest(d.digest)} has ${s.size} of ${d.size} bytes`);
    }
    return;
  }
  const results = await check.hasher.hashFiles(
    leaves.map((d) => ({
      path: layout.blobPath(d.digest),
      algorithm: digestAlgorithm(d.digest),
      size: d.size,
      maxBytes: d.size,
    })),
  );
  for (const [i, r] of results.entries()) {
    const d = leaves[i]!;
    if (!r.ok)
      throw new ClosureError(
        `blob ${shortDigest(d.digest)} ${r.code === 'ENOENT' ? 'is missing' : r.code === 'TOO_LARGE' ? `is over its ${d.size} bytes` : r.message}`,
      );
    if (r.size !== d.size)
      throw new ClosureError(`blob ${shortDigest(d.digest)} has ${r.size} of ${d.size} bytes`);
    if (r.hex !== digestHex(d.digest))
      throw new ClosureError(`blob ${shortDigest(d.digest)}: content differs`);
  }
}

async function isFile(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined))?.isFile() ?? false;
}
