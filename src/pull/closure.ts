import { lstat } from 'node:fs/promises';
import { GuardError, errorMessage } from '../errors.js';
import type { Layout } from '../layout/layout.js';
import { hashFileInline } from '../hash/hash-pool.js';
import { digestAlgorithm, digestHex, shortDigest, type Digest } from '../oci/digest.js';
import { parseIndex, parseManifest, type Descriptor } from '../oci/descriptor.js';
import { isIndexMediaType, MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES } from '../oci/mediatypes.js';
import { formatPlatform, normalizePlatform, platformSatisfies, type Platform } from '../oci/platform.js';
import type { Hasher } from '../verify/scan.js';
import { describeCycle } from '../verify/walk.js';
import type { ValidSet } from './download.js';
import { DescriptorLedger } from './ledger.js';
import { describePlatforms, selectFromIndex, type PlatformSelection } from './plan.js';

/**
 * What one image needs for the wanted platforms, said once for the pull (from the registry or
 * from the cache) and for the Actions-cache entries (stage and import): they cannot disagree.
 */

/** Why an image's blobs are not what it needs: one line, naming the blob. */
export class ClosureError extends GuardError {
  override name = 'ClosureError';
}

export interface ImageClosure {
  /** Every index and manifest walked, the root first. */
  manifests: Descriptor[];
  /** Configs and layers, in the order listed (a blob shared by two manifests twice). */
  blobs: Descriptor[];
  /** Layers with `urls` (non-distributable): never fetched, not needed. */
  skipped: Digest[];
}

/** The bytes of a document (index or manifest) of the image, verified against its descriptor. */
export type ReadDocument = (d: Descriptor) => Promise<Buffer>;

type Frame = { visit: Descriptor; bytes: Promise<Buffer>; wanted: PlatformSelection } | { leave: Digest };

/**
 * Walks image `name` from its root: for the wanted platforms, the platform manifests (nested
 * indexes held to the same platforms), the attestation manifests that describe them, and every
 * config and layer under those. Siblings are read at once (each may be a round trip), walked in
 * order. Iterative, so no input depth reaches the stack. Refuses (ClosureError) an image whose
 * documents contradict each other (DescriptorLedger), that lists itself (a cycle), where no
 * index offers a wanted platform, or whose config is bigger than a config may be.
 */
export async function walkImage(
  name: string,
  root: Descriptor,
  rootBytes: Buffer,
  platforms: PlatformSelection,
  read: ReadDocument,
): Promise<ImageClosure> {
  const closure: ImageClosure = { manifests: [], blobs: [], skipped: [] };
  const ledger = new DescriptorLedger(name);
  const seen = new Set<string>();
  const path: Digest[] = [];
  const onPath = new Map<Digest, number>();
  const offered = new Set<string>();
  const listed = new Set<string>();
  const refuse = (message: string): never => {
    throw new ClosureError(message);
  };
  /** One document's step of the walk: what it lists, checked; its children, being read. */
  const step = (desc: Descriptor, bytes: Buffer, wanted: PlatformSelection): Frame[] => {
    closure.manifests.push(desc);
    const here = `${isIndexMediaType(desc.mediaType) ? 'index' : 'manifest'} ${shortDigest(desc.digest)}`;
    if (!isIndexMediaType(desc.mediaType)) {
      const manifest = parseManifest(bytes, `manifest ${desc.digest}`);
      const { config } = manifest;
      ledger.note(config, 'blob', `the config of ${here}`);
      if (config.size > MAX_CONFIG_BYTES)
        refuse(
          `${name}: config ${config.digest} of ${here} is ${config.size} bytes, more than the ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB a config may be: refusing it before fetching it`,
        );
      closure.blobs.push(config);
      manifest.layers.forEach((layer, i) => {
        ledger.note(layer, 'blob', `layers[${i}] of ${here}`);
        // Non-distributable: never fetched, so never needed.
        if (layer.urls?.length) closure.skipped.push(layer.digest);
        else closure.blobs.push(layer);
      });
      return [];
    }
    const index = parseIndex(bytes, `index ${desc.digest}`);
    index.manifests.forEach((m, i) => ledger.note(m, 'document', `manifests[${i}] of ${here}`));
    const selection = selectFromIndex(index, wanted);
    const offers = describePlatforms(index);
    if (offers) for (const p of offers.split(', ')) listed.add(p);
    if (wanted !== 'all') {
      for (const p of wanted) if (!selection.unavailable.includes(p)) offered.add(formatPlatform(p));
      const nested = selection.manifests.some((m) => isIndexMediaType(m.mediaType));
      // No nested index can offer what this one lacks: say so before reading anything below it.
      if (path.length === 0 && !nested && selection.unavailable.length > 0)
        refuse(
          `${name} has no ${selection.unavailable.map(formatPlatform).join(', ')} image (it offers: ${offers || 'none'})`,
        );
    }
    onPath.set(desc.digest, path.length);
    path.push(desc.digest);
    const attestations = new Set(selection.attestations);
    const children: Frame[] = [];
    for (const child of [...selection.manifests, ...selection.attestations]) {
      const isIndex = isIndexMediaType(child.mediaType);
      const above = isIndex ? onPath.get(child.digest) : undefined;
      if (above !== undefined) refuse(`${name}: ${describeCycle(path, above)}`);
      const key = `${isIndex ? 'index' : 'manifest'} ${child.digest}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const reading = read(child);
      reading.catch(() => {}); // awaited in its turn; an earlier failure ends the walk
      // A nested index is held to the same platforms; an attestation describes what was chosen.
      children.push({ visit: child, bytes: reading, wanted: attestations.has(child) ? 'all' : wanted });
    }
    // Depth first, in the order listed: the children, then leaving this index.
    return [{ leave: desc.digest }, ...children.reverse()];
  };
  ledger.note(root, 'document', 'the root');
  const stack: Frame[] = [{ visit: root, bytes: Promise.resolve(rootBytes), wanted: platforms }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if ('leave' in frame) {
      path.pop();
      onPath.delete(frame.leave);
      continue;
    }
    const bytes = await frame.bytes;
    try {
      stack.push(...step(frame.visit, bytes, frame.wanted));
    } catch (err) {
      // The image's own documents are at fault (unparseable, contradicting): the closure's error.
      if (err instanceof GuardError && !(err instanceof ClosureError))
        throw new ClosureError(err.message, { cause: err });
      throw err;
    }
  }
  if (platforms !== 'all' && isIndexMediaType(root.mediaType)) {
    const missing = platforms.filter((p) => !offered.has(formatPlatform(p)));
    if (missing.length > 0)
      refuse(
        `${name} has no ${missing.map(formatPlatform).join(', ')} image (it offers: ${[...listed].join(', ') || 'none'})`,
      );
  }
  return closure;
}

/**
 * What image `name` (index.json entry `root`) needs from `layout` for `platforms`, read from
 * the layout alone: its documents are read (capped at MAX_MANIFEST_BYTES), verified (unless
 * `valid` has them) and walked (walkImage); a single-platform image's config must name a wanted
 * platform. Configs and layers are listed, not checked: see checkBlobs. Throws ClosureError.
 */
export async function cachedClosure(
  layout: Layout,
  name: string,
  root: Descriptor,
  platforms: PlatformSelection,
  valid: ValidSet,
): Promise<ImageClosure> {
  const read = (d: Descriptor) => readDocument(layout, d, valid);
  const rootBytes = await read(root);
  const closure = await walkImage(name, root, rootBytes, platforms, read);
  const single = singlePlatformConfig(root, rootBytes, platforms);
  if (single) {
    const mismatch = await platformMismatch(layout, name, single.config, single.wanted);
    if (mismatch) throw new ClosureError(mismatch);
  }
  return closure;
}

/** A document of the layout, verified unless `valid` has it already (then it joins `valid`). */
async function readDocument(layout: Layout, d: Descriptor, valid: ValidSet): Promise<Buffer> {
  if (d.size > MAX_MANIFEST_BYTES)
    throw new ClosureError(
      `manifest ${shortDigest(d.digest)} declares ${d.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`,
    );
  const r = await cachedDocument(layout, d, valid);
  if ('problem' in r) throw new ClosureError(`blob ${shortDigest(d.digest)}${r.problem}`);
  return r.bytes;
}

/**
 * The layout's copy of a document (index or manifest; the caller caps its size): read when
 * `valid` has it already, else hashed up to its declared size and then noted in `valid`. Or why
 * the copy will not do (` is missing`, `: content differs`), to follow the blob's name.
 */
export async function cachedDocument(
  layout: Layout,
  d: Descriptor,
  valid: ValidSet,
): Promise<{ bytes: Buffer } | { problem: string }> {
  if (valid.has(d.digest)) {
    // Hashed already in this run (by the verifier or by us): read it, do not hash it again.
    const bytes = await layout.readBlob(d.digest, d.size).catch(() => undefined);
    if (bytes?.length === d.size) return { bytes };
  }
  const r = await hashFileInline(layout.blobPath(d.digest), digestAlgorithm(d.digest), {
    maxBytes: d.size,
    keepBytes: true,
  });
  if (!r.ok) return { problem: ` ${failureText(r.code, r.message, d)}` };
  if (r.size !== d.size) return { problem: ` has ${r.size} of ${d.size} bytes` };
  if (r.hex !== digestHex(d.digest)) return { problem: ': content differs' };
  valid.add(d.digest);
  return { bytes: r.bytes };
}

export interface BlobCheck {
  /** Blobs known valid: only their size is looked at. Blobs found valid join it. */
  valid: ValidSet;
  /**
   * Hashes the others. Without one, a present blob of the right size is taken as valid: for a
   * cache verified just before (post).
   */
  hasher?: Hasher;
}

/**
 * Checks that every config and layer of a closure is in `layout` and valid, each digest once.
 * Returns how many were hashed. Throws ClosureError naming the first blob that is not.
 */
export async function checkBlobs(
  layout: Layout,
  blobs: readonly Descriptor[],
  check: BlobCheck,
): Promise<number> {
  const distinct = [...new Map(blobs.map((b) => [b.digest, b])).values()];
  const todo = check.hasher ? distinct.filter((b) => !check.valid.has(b.digest)) : [];
  const hashing = new Set(todo);
  for (const d of distinct) {
    if (hashing.has(d)) continue;
    const s = await lstat(layout.blobPath(d.digest)).catch(() => undefined);
    if (!s?.isFile()) throw new ClosureError(`blob ${shortDigest(d.digest)} is missing`);
    if (s.size !== d.size)
      throw new ClosureError(`blob ${shortDigest(d.digest)} has ${s.size} of ${d.size} bytes`);
  }
  if (todo.length === 0) return 0;
  const results = await check.hasher!.hashFiles(
    todo.map((d) => ({
      path: layout.blobPath(d.digest),
      algorithm: digestAlgorithm(d.digest),
      size: d.size,
      maxBytes: d.size,
    })),
  );
  // Every blob found valid is noted, even when another is not: a pull fetching the image then
  // does not hash them again.
  let wrong: string | undefined;
  for (const [i, r] of results.entries()) {
    const d = todo[i]!;
    let problem: string | undefined;
    if (!r.ok) problem = ` ${failureText(r.code, r.message, d)}`;
    else if (r.size !== d.size) problem = ` has ${r.size} of ${d.size} bytes`;
    else if (r.hex !== digestHex(d.digest)) problem = ': content differs';
    if (problem === undefined) check.valid.add(d.digest);
    else wrong ??= `blob ${shortDigest(d.digest)}${problem}`;
  }
  if (wrong !== undefined) throw new ClosureError(wrong);
  return todo.length;
}

function failureText(code: string, message: string, d: Descriptor): string {
  if (code === 'ENOENT') return 'is missing';
  if (code === 'TOO_LARGE') return `is over its ${d.size} bytes`;
  return `cannot be read (${message})`;
}

/** The config of a single-platform image (a manifest, no index) when platforms are wanted. */
export function singlePlatformConfig(
  root: Descriptor,
  bytes: Buffer,
  wanted: PlatformSelection,
): { config: Descriptor; wanted: Platform[] } | undefined {
  if (wanted === 'all' || isIndexMediaType(root.mediaType)) return undefined;
  return { config: parseManifest(bytes, `manifest ${root.digest}`).config, wanted };
}

/**
 * A single-platform image says its platform in its config, where an index says it beside each
 * manifest; the same rule applies: every wanted platform must be there. Returns the one-line
 * error when one is not (or the config says none), undefined when all are.
 */
export async function platformMismatch(
  layout: Layout,
  name: string,
  config: Descriptor,
  wanted: Platform[],
): Promise<string | undefined> {
  const lacking = `${name} has no ${wanted.map(formatPlatform).join(', ')} image`;
  // Never silently skipped: a config unparseable or naming no platform is not an image for the
  // wanted platforms (walkImage refuses configs over MAX_CONFIG_BYTES before any of this).
  let doc: unknown;
  try {
    doc = JSON.parse((await layout.readBlob(config.digest, config.size)).toString('utf8'));
  } catch (err) {
    return `${lacking} (its config ${shortDigest(config.digest)} cannot be read as JSON: ${errorMessage(err)})`;
  }
  const { os, architecture, variant } = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<
    string,
    unknown
  >;
  if (typeof os !== 'string' || typeof architecture !== 'string' || !os || !architecture)
    return `${lacking} (its config names no platform; --platform all takes it as it is)`;
  const have = normalizePlatform({
    os,
    architecture,
    ...(typeof variant === 'string' && variant ? { variant } : {}),
  });
  const missing = wanted.filter((w) => !platformSatisfies(have, w));
  if (missing.length === 0) return undefined;
  return `${name} has no ${missing.map(formatPlatform).join(', ')} image (it is a single-platform ${formatPlatform(have)} image)`;
}
