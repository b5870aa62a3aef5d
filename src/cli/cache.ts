import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { Layout } from '../layout/layout.js';

/** The layout named by --cache (or the default), which must be an existing directory. */
export async function openExistingCache(dir: string): Promise<Layout> {
  const s = await stat(dir).catch(() => undefined);
  if (!s)
    throw new UsageError(`cache directory ${dir} does not exist: pass --cache DIR or set LINUXKIT_CACHE`);
  if (!s.isDirectory()) throw new UsageError(`cache ${dir} is not a directory: pass --cache DIR`);
  return Layout.at(dir);
}
