// Watches fsyncs: which file each FileHandle.sync()/datasync() flushed, and whether a given
// final name existed then, so a test can assert "the partial reached the disk before the rename".
import { existsSync } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import { vi } from 'vitest';

export interface SyncSeen {
  /** The file the handle had open (Linux: /proc/self/fd). */
  file: string;
  /** Whether `finalName` existed when the flush began. */
  finalExisted: boolean;
}

/** Records every sync()/datasync() of any FileHandle until `stop()`; calls go through. */
export async function watchSyncs(finalName: () => string): Promise<{ seen: SyncSeen[]; stop: () => void }> {
  const probe = await open(import.meta.filename, 'r');
  const proto = Object.getPrototypeOf(probe) as Record<
    'sync' | 'datasync',
    (this: FileHandle) => Promise<void>
  >;
  await probe.close();
  const seen: SyncSeen[] = [];
  const spies = (['sync', 'datasync'] as const).map((method) => {
    const original = proto[method];
    return vi.spyOn(proto, method).mockImplementation(async function (this: FileHandle) {
      const file = await readlink(`/proc/self/fd/${this.fd}`).catch(() => '?');
      seen.push({ file, finalExisted: existsSync(finalName()) });
      return original.call(this);
    });
  });
  return { seen, stop: () => spies.forEach((s) => s.mockRestore()) };
}
