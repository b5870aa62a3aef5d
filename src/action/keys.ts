import { createHash } from 'node:crypto';
import { formatPlatform } from '../oci/platform.js';
import type { Settings } from './inputs.js';

export interface CacheKeys {
  /** `<prefix>-<os>-<hash of images+platforms>-`: the exact key is only known after the content. */
  base: string;
  /** What restore asks for, in order of preference. */
  restoreKeys: string[];
}

/** The runner's OS as the cache key spells it. */
export function runnerOs(env: NodeJS.ProcessEnv = process.env): string {
  return (env.RUNNER_OS ?? process.platform).toLowerCase();
}

/** Hash of what this job needs: the same image list and platforms restore the same line of caches. */
export function imageListHash(settings: Pick<Settings, 'images' | 'platforms'>): string {
  const names = settings.images.map((i) => i.reference.name).sort();
  const platforms = settings.platforms.map(formatPlatform).sort();
  return createHash('sha256').update(JSON.stringify({ names, platforms })).digest('hex').slice(0, 16);
}

/**
 * Restore prefers a cache saved for this exact image list, then any cache of this prefix and OS
 * (blobs are reused when the list changed). `key`/`restore-keys` inputs override both.
 */
export function cacheKeys(
  settings: Pick<Settings, 'images' | 'platforms' | 'keyPrefix' | 'key' | 'restoreKeys'>,
): CacheKeys {
  const os = runnerOs();
  const base = settings.key ?? `${settings.keyPrefix}-${os}-${imageListHash(settings)}-`;
  const restoreKeys = settings.key ? settings.restoreKeys : [base, `${settings.keyPrefix}-${os}-`];
  return { base, restoreKeys };
}

const DAMAGED = 'damaged-';

/**
 * What main hands post as the restored fingerprint when the restored cache had to be
 * repaired: never equal to a content fingerprint (so post saves), and unique to the damaged
 * entry (so the key post derives from it is too).
 */
export function damagedFingerprint(matchedKey: string, fingerprint: string): string {
  return `${DAMAGED}${createHash('sha256').update(`${matchedKey}\n${fingerprint}`).digest('hex').slice(0, 16)}`;
}

export function isDamagedFingerprint(restored: string): boolean {
  return restored.startsWith(DAMAGED);
}

/**
 * The key a verified cache is saved under: `<base><fingerprint>`; with an explicit `key`
 * input, that key itself. When the restored cache was damaged, `<base><fingerprint>` may be
 * taken already by an older, good entry that the damaged one shadows (restore takes the
 * newest with the prefix): the repaired cache must supersede the damaged entry, so its key
 * mixes in the damaged fingerprint. Same shape, never taken before.
 */
export function saveKey(keys: CacheKeys, fingerprint: string, explicit: boolean, restored = ''): string {
  if (explicit) return keys.base;
  if (!isDamagedFingerprint(restored)) return `${keys.base}${fingerprint}`;
  return `${keys.base}${createHash('sha256').update(`${fingerprint}\n${restored}`).digest('hex').slice(0, 16)}`;
}
