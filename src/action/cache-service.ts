import * as cache from '@actions/cache';
import * as core from '@actions/core';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { BLOBS_DIR, INDEX_FILE, LAYOUT_FILE, PARTIAL_SUFFIX } from '../layout/layout.js';
import { CACHE_MODE_ENV } from './constants.js';

/**
 * The paths saved and restored: the layout's files, never linuxkit's `.lock`, our locks,
 * partial downloads or `ingest/`. Save and restore must pass this identical list, or the
 * cache version differs and nothing is found.
 */
export function cachePaths(dir: string): string[] {
  return [
    path.join(dir, LAYOUT_FILE),
    path.join(dir, INDEX_FILE),
    path.join(dir, BLOBS_DIR),
    `!${path.join(dir, BLOBS_DIR, '**', `*${PARTIAL_SUFFIX}`)}`,
  ];
}

/** `ACTIONS_CACHE_MODE`: read, write, none; unset means both. */
export function cacheMode(env: NodeJS.ProcessEnv = process.env): { read: boolean; write: boolean } {
  const mode = (env[CACHE_MODE_ENV] ?? '').trim().toLowerCase();
  return { read: mode !== 'write' && mode !== 'none', write: mode !== 'read' && mode !== 'none' };
}

export interface RestoreOutcome {
  matchedKey?: string;
  ms: number;
  /** Why nothing was restored, when the service or the mode said so. */
  note?: string;
}

/** Restores; a service that is down or throttled is a warning and the run goes on. */
export async function restore(
  dir: string,
  primaryKey: string,
  restoreKeys: string[],
): Promise<RestoreOutcome> {
  const started = Date.now();
  if (!cacheMode().read) return { ms: 0, note: `${CACHE_MODE_ENV} does not allow reading the cache` };
  if (!cache.isFeatureAvailable())
    return { ms: 0, note: 'the GitHub Actions cache service is not available here' };
  try {
    const matchedKey = await cache.restoreCache(cachePaths(dir), primaryKey, restoreKeys);
    return { ...(matchedKey ? { matchedKey } : {}), ms: Date.now() - started };
  } catch (err) {
    core.warning(`cache restore failed, pulling from the registries instead: ${errorMessage(err)}`);
    return { ms: Date.now() - started, note: 'restore failed' };
  }
}

export interface SaveOutcome {
  saved: boolean;
  note: string;
}

/** Saves; a reserved key or a failed upload is a warning, never a failure. */
export async function save(dir: string, key: string): Promise<SaveOutcome> {
  if (!cacheMode().write) return { saved: false, note: `${CACHE_MODE_ENV} does not allow writing the cache` };
  if (!cache.isFeatureAvailable())
    return { saved: false, note: 'the GitHub Actions cache service is not available here' };
  try {
    const id = await cache.saveCache(cachePaths(dir), key);
    if (id === -1) {
      core.warning(
        `cache not saved under ${key}: the key is taken or the service refused it (see the lines above)`,
      );
      return { saved: false, note: 'key reserved or upload refused' };
    }
    return { saved: true, note: `saved as ${key}` };
  } catch (err) {
    core.warning(`cache not saved: ${errorMessage(err)}`);
    return { saved: false, note: errorMessage(err) };
  }
}
