import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** What tempPathFor puts between the target's name and the unique part. */
export const TEMP_INFIX = '.tmp-';

/** A temp name beside `target`, unique to this process and call. */
export function tempPathFor(target: string): string {
  return `${target}${TEMP_INFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** `work`'s result; when it fails, `handles` are closed first (their own errors ignored), so none is left open. */
export async function closingOnError<T>(
  work: () => Promise<T>,
  ...handles: { close(): Promise<void> }[]
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    await Promise.allSettled(handles.map((h) => h.close()));
    throw err;
  }
}

/** fsync a directory so a rename inside it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `data` to `target` so that readers see either the old file or the whole new one:
 * temp file in the same directory, fsync, rename, fsync the directory.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(path.dirname(target));
}
