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

/** The key a verified cache is saved under. With an explicit `key` input, that key itself. */
export function saveKey(keys: CacheKeys, fingerprint: string, explicit: boolean): string {
  return explicit ? keys.base : `${keys.base}${fingerprint}`;
}
