import { rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../../errors.js';
import type { IndexEntry, Layout } from '../../layout/layout.js';
import type { Digest } from '../../oci/digest.js';
import type { Descriptor } from '../../oci/descriptor.js';
import type { Platform } from '../../oci/platform.js';
import type { ValidSet } from '../../pull/download.js';
import type { Hasher } from '../../verify/scan.js';
import { stagingDir } from '../state.js';
import { ClosureError } from '../../pull/closure.js';
import { CacheBlobs, importEntry, stageEntry } from './entry.js';
import {
  contentKey,
  entryPrefix,
  imageHash,
  keyDigest,
  keyNamespace,
  restoreKeys,
  supersedingKey,
  type EntryImage,
} from './keys.js';

/**
 * The cache service, loaded when first needed: `@actions/cache` is most of the bundle, and a
 * post step whose images all came from their entries unchanged never calls it.
 */
const service = () => import('../cache-service.js');

/**
 * Entries restored at once; each is verified as it lands. Measured with `npm run bench -- warm`
 * (65 entries, 1 GiB, 2 cores): 4 at once finished a hit sooner than 8, on loopback and with the
 * service's downloads at a network's rate. More at once only queue their tar, zstd and file
 * writes for the same cores, and delay the biggest entry, which ends the restore.
 */
export const RESTORE_CONCURRENCY = 4;
/** Entries saved at once: each is a tar, a create, an upload and a finalize. */
export const SAVE_CONCURRENCY = 4;
/**
 * New entries one job creates at most (the `max-new-entries` input). GitHub accepts 200 new
 * entries per minute per repository; 50 lets four jobs of a matrix start cold in the same
 * minute and stay under it. What is over the cap is saved by the next run.
 */
export const DEFAULT_MAX_NEW_ENTRIES = 50;

export interface StoreOptions {
  /** `<key-prefix>-<os>` or the `key` input. */
  namespace: string;
  platforms: readonly Platform[];
  /** Where entries are staged: `$RUNNER_TEMP/oci-cache-guard/entries`. */
  stagingDir: string;
}

/** What main learnt of one listed image's entry. */
export interface RestoredImage {
  name: string;
  /** The entry restored, verified and moved into the cache. */
  key?: string;
  /** An entry restored but refused (damaged, or not what its key says): post supersedes it. */
  badKey?: string;
  /** Why the entry was refused, or why none was restored. */
  problem?: string;
  /** Bytes of the entry's blobs. */
  bytes: number;
}

export interface RestoreRun {
  images: RestoredImage[];
  /** Blobs new to the cache, verified: the pull and post's snapshot trust them. */
  imported: Digest[];
  /** Why the cache is not read in this run (ACTIONS_CACHE_MODE, no service): not a problem. */
  off?: string;
  /** Why the cache service stopped being used in this run: a failure. */
  note?: string;
}

/** What post did for one image of the cache. */
export interface SavedImage {
  name: string;
  key: string;
  outcome: 'saved' | 'restored' | 'exists' | 'capped' | 'refused' | 'skipped' | 'incomplete';
  detail?: string;
}

/** Everything about per-image entries: their keys, their directory, restore and save. */
export class EntryStore {
  constructor(
    readonly cache: Layout,
    readonly options: StoreOptions,
  ) {}

  prefix(name: string): string {
    return entryPrefix(this.options.namespace, name, this.options.platforms);
  }

  /**
   * The directory an entry of `name` is saved from and restored to. The cache version hashes
   * the path, so save and restore must use the same one; one per image lets restores run side
   * by side.
   */
  entryDir(name: string): string {
    return path.join(this.options.stagingDir, imageHash(name, this.options.platforms));
  }

  /**
   * Restores the entry of each image, RESTORE_CONCURRENCY at a time; each is verified as soon
   * as it is unpacked (while others download) and joins the cache only when all its blobs are
   * valid. A miss or a bad entry leaves the image to the pull. When the service fails (not a
   * download: the lookup), the rest is not asked for. `valid` (main's check) names the cache's
   * blobs known valid: an entry's copy of one is not hashed; the blobs entries bring join it.
   */
  async restore(
    images: readonly EntryImage[],
    hasher: Hasher,
    valid: ValidSet = new Set(),
  ): Promise<RestoreRun> {
    const { restoreEntry, unavailable } = await service();
    const off = unavailable('read');
    if (off) return { images: images.map((i) => ({ name: i.name, bytes: 0 })), imported: [], off };
    let broken: string | undefined;
    const imported: Digest[] = [];
    const known = new CacheBlobs(this.cache, valid);
    const results = await inParallel(images, RESTORE_CONCURRENCY, async (image): Promise<RestoredImage> => {
      if (broken) return { name: image.name, bytes: 0 };
      const prefix = this.prefix(image.name);
      const dir = this.entryDir(image.name);
      const { primary, fallbacks } = restoreKeys(prefix, image.pinned);
      await rm(dir, { recursive: true, force: true });
      try {
        const r = await restoreEntry(dir, primary, fallbacks);
        if (r.serviceFailed) {
          broken ??= r.failure ?? 'failed';
          return { name: image.name, bytes: 0 };
        }
        if (!r.key) {
          return {
            name: image.name,
            bytes: 0,
            ...(r.failure ? { problem: `restore failed: ${r.failure}` } : {}),
          };
        }
        const digest = keyDigest(prefix, r.key);
        const bad = (problem: string): RestoredImage => ({
          name: image.name,
          badKey: r.key,
          problem,
          bytes: 0,
        });
        if (!digest) return bad('its key names no content digest');
        if (image.pinned && digest !== image.pinned)
          return bad(`its key names ${digest}, not ${image.pinned}`);
        try {
          const entry = await importEntry(known, dir, image.name, digest, this.options.platforms, hasher);
          imported.push(...entry.moved);
          return { name: image.name, key: r.key, bytes: entry.blobs.reduce((n, d) => n + d.size, 0) };
        } catch (err) {
          if (err instanceof ClosureError) return bad(err.message);
          // Not the entry's fault (the cache could not be written, say): the pull decides.
          return { name: image.name, bytes: 0, problem: `not restored: ${errorMessage(err)}` };
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    const skipped = results.filter((r) => !r.key && !r.badKey && !r.problem).length;
    return {
      images: results,
      imported,
      ...(broken ? { note: `the cache service failed (${broken}); ${skipped} images not restored` } : {}),
    };
  }

  /**
   * Saves an entry for each complete image of the cache that has none yet. An image restored
   * from its entry and unchanged costs nothing; any other image is looked up first, and saved
   * only when its key is free. An image whose restored entry was refused, or named another
   * digest, is saved under a key that supersedes that entry (see keys.ts). At most `maxNew` entries are
   * created; the first refusal stops creating for the rest of the run.
   */
  async save(
    entries: readonly IndexEntry[],
    restored: ReadonlyMap<string, Pick<RestoredImage, 'key' | 'badKey'>>,
    maxNew: number,
  ): Promise<{ images: SavedImage[]; off?: string; refused?: string }> {
    const named = entries.filter(
      (e): e is IndexEntry & { descriptor: Descriptor; name: string } => !!e.descriptor && !!e.name,
    );
    let refused: string | undefined;
    let created = 0;
    let off: string | undefined;
    let loaded: Awaited<ReturnType<typeof service>> | undefined;
    const images = await inParallel(named, SAVE_CONCURRENCY, async (entry): Promise<SavedImage> => {
      const { name } = entry;
      const prefix = this.prefix(name);
      const key = contentKey(prefix, entry.descriptor.digest);
      const before = restored.get(name);
      if (before?.key && !before.badKey && keyDigest(prefix, before.key) === entry.descriptor.digest)
        return { name, key: before.key, outcome: 'restored' };
      if (!loaded) {
        loaded = await service();
        off = loaded.unavailable('write');
      }
      const { entryExists, saveEntry } = loaded;
      if (off ?? refused) return { name, key, outcome: 'skipped', detail: off ?? `refused: ${refused}` };
      const dir = this.entryDir(name);
      try {
        // The entry restore picked for this image was refused, or named another digest: only a
        // newer key of this content takes over from it (a pinned restore asks `<key>-` first).
        const replaced = before?.badKey ?? before?.key;
        const target = replaced ? supersedingKey(key, replaced) : key;
        const exists = await entryExists(dir, target);
        if (typeof exists === 'object') {
          refused ??= exists.failure;
          return { name, key: target, outcome: 'skipped', detail: exists.failure };
        }
        if (exists) return { name, key: target, outcome: 'exists' };
        if (created >= maxNew) return { name, key: target, outcome: 'capped' };
        created++; // reserved now: other images stage meanwhile
        try {
          await stageEntry(this.cache, dir, entry, this.options.platforms);
        } catch (err) {
          created--;
          if (err instanceof ClosureError)
            return { name, key: target, outcome: 'incomplete', detail: err.message };
          throw err;
        }
        if (refused) {
          created--;
          return { name, key: target, outcome: 'skipped', detail: `refused: ${refused}` };
        }
        const r = await saveEntry(dir, target);
        if (r.kind === 'refused') refused ??= r.why;
        return r.kind === 'refused'
          ? { name, key: target, outcome: 'refused', detail: r.why }
          : { name, key: target, outcome: r.kind };
      } catch (err) {
        return { name, key, outcome: 'skipped', detail: errorMessage(err) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
    return { images, ...(off ? { off } : {}), ...(refused ? { refused } : {}) };
  }
}

/** The store of the Action's settings, as main and post both open it. */
export function storeFor(
  cache: Layout,
  settings: { keyPrefix: string; key?: string; platforms: readonly Platform[] },
): EntryStore {
  return new EntryStore(cache, {
    namespace: keyNamespace(settings),
    platforms: settings.platforms,
    stagingDir: stagingDir(),
  });
}

/** `fn` over `items`, at most `limit` at a time, results in the order of `items`. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
