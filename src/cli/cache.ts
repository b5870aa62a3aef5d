import { stat } from 'node:fs/promises';
import { GuardError, UsageError } from '../errors.js';
import { Layout } from '../layout/layout.js';
import type { CliContext } from './context.js';

/**
 * The layout named by --cache (or the default), checked the same way for every command: an
 * empty name or something that is not a directory is a usage error. `create` (pull) accepts a
 * directory that does not exist yet; the others need it to exist.
 */
export async function openCache(
  dir: string,
  ctx: Pick<CliContext, 'usingCache'>,
  options: { create?: boolean } = {},
): Promise<Layout> {
  if (dir.trim() === '') throw new UsageError('--cache is empty: name the cache directory');
  const s = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (s instanceof Error) {
    if (s.code === 'ENOTDIR') throw new UsageError(`cache ${dir} is not a directory: pass --cache DIR`);
    if (s.code !== 'ENOENT') throw new GuardError(`cannot use cache ${dir}: ${s.message}`, { cause: s });
    if (!options.create)
      throw new UsageError(`cache directory ${dir} does not exist: pass --cache DIR or set LINUXKIT_CACHE`);
  } else if (!s.isDirectory()) {
    throw new UsageError(`cache ${dir} is not a directory: pass --cache DIR`);
  }
  // Layout.open refuses a directory that is not an OCI layout, before anything is written.
  const layout = await Layout.open(dir, { create: options.create ?? false });
  ctx.usingCache?.(layout.root);
  return layout;
}
