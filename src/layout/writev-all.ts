import type { FileHandle } from 'node:fs/promises';

/** Buffers per writev() call: Linux's IOV_MAX. */
const MAX_IOV = 1024;

/**
 * Writes all of `chunks` at `position`, as few writev() calls as the kernel allows (one,
 * normally). A short write (rare: a full disk, a signal) leaves the rest to go again; a call
 * that writes nothing is an error, not a loop. `file` names the file in that error.
 */
export async function writevAll(
  fh: FileHandle,
  chunks: readonly Uint8Array[],
  position: number,
  file: string,
): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending.slice(0, MAX_IOV) as Uint8Array[], at);
    if (bytesWritten === 0) throw new Error(`writev wrote nothing to ${file}`);
    at += bytesWritten;
    let skip = bytesWritten;
    let i = 0;
    while (i < pending.length && skip >= pending[i]!.length) skip -= pending[i++]!.length;
    pending = pending.slice(i);
    if (skip > 0) pending[0] = pending[0]!.subarray(skip);
  }
}
