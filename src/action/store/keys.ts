import { createHash } from 'node:crypto';
import { digestAlgorithm, digestHex, isDigest, type Digest } from '../../oci/digest.js';
import { formatPlatform, type Platform } from '../../oci/platform.js';

/**
 * Keys of per-image entries: `<namespace>-<image hash>-<algorithm>-<hex>[-r<16 hex>]`.
 *
 * - namespace: `<key-prefix>-<os>`, or the `key` input when given;
 * - image hash: 16 hex of sha256 over the expanded name and the sorted wanted platforms, so
 *   one image for other platforms is another line of entries;
 * - the content digest of the image's root (index or manifest): with the platforms it fixes
 *   every blob of the entry, so identical content has one key, whoever saves it;
 * - `-r…`: an entry that supersedes the one a restore picked (damaged, or naming another
 *   digest than the cache ends with). Keys are immutable and a restore by prefix takes the
 *   newest entry, so only a new, longer key can take over.
 */
export interface EntryImage {
  /** index.json name: the expanded reference (`docker.io/linuxkit/kernel:6.6`). */
  name: string;
  /** Set when the reference pins a digest: restored only by keys of that digest. */
  pinned?: Digest;
}

/** The runner's OS as keys spell it. */
export function runnerOs(env: NodeJS.ProcessEnv = process.env): string {
  return (env.RUNNER_OS ?? process.platform).toLowerCase();
}

/** `<key-prefix>-<os>`, or the explicit `key` input (a namespace of its own). */
export function keyNamespace(settings: { keyPrefix: string; key?: string }, env = process.env): string {
  return settings.key ?? `${settings.keyPrefix}-${runnerOs(env)}`;
}

/** 16 hex naming an image for a set of platforms (order of platforms does not matter). */
export function imageHash(name: string, platforms: readonly Platform[]): string {
  const wanted = platforms.map(formatPlatform).sort();
  return createHash('sha256')
    .update(JSON.stringify({ name, platforms: wanted }))
    .digest('hex')
    .slice(0, 16);
}

/** What every key of this image (for these platforms) starts with. */
export function entryPrefix(namespace: string, name: string, platforms: readonly Platform[]): string {
  return `${namespace}-${imageHash(name, platforms)}-`;
}

/** The key of the entry holding content `digest`. */
export function contentKey(prefix: string, digest: Digest): string {
  return `${prefix}${digestAlgorithm(digest)}-${digestHex(digest)}`;
}

/** A key newer than `replaced` for the same content: deterministic, so two jobs repairing race to one. */
export function supersedingKey(key: string, replaced: string): string {
  return `${key}-r${createHash('sha256').update(replaced).digest('hex').slice(0, 16)}`;
}

/** What a restore asks for: for a tag the newest entry of the image; for a pinned digest only its keys. */
export function restoreKeys(
  prefix: string,
  pinned: Digest | undefined,
): { primary: string; fallbacks: string[] } {
  if (!pinned) return { primary: prefix, fallbacks: [prefix] };
  const key = contentKey(prefix, pinned);
  // `<key>-` first: a superseding entry, never the exact key, which a damaged entry may hold.
  return { primary: `${key}-`, fallbacks: [key] };
}

/** The content digest a key of `prefix` names, or undefined when it is not one of ours. */
export function keyDigest(prefix: string, key: string): Digest | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const m = /^(sha256|sha512)-([0-9a-f]+)(?:-r[0-9a-f]{16})?$/.exec(key.slice(prefix.length));
  const digest = m ? `${m[1]}:${m[2]}` : '';
  return isDigest(digest) ? digest : undefined;
}
