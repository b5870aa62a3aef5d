import { GuardError } from '../errors.js';
import { formatBytes } from '../format.js';
import { LIVE_WRITER_NOTE, WRITER_GRACE_MS, type Layout } from '../layout/layout.js';
import type { Finding } from './findings.js';
import type { ScanResult } from './scan.js';
import { verifyLayout, type VerifyOptions } from './verify.js';

export interface PruneResult {
  /** What was (or, with dryRun, would be) deleted. */
  removed: Finding[];
  bytes: number;
  dryRun: boolean;
  /** Set when something prunable was kept on purpose (a pull is running, a file is young). */
  note?: string;
}

const PRUNABLE = new Set(['unreferenced', 'partial', 'stray']);

/**
 * Mark from index.json, sweep the rest: deletes valid blobs nothing references, partial
 * downloads and strays, under the cache lock. While a pull is running, its blobs are not
 * referenced yet (the entry is written last), so unreferenced blobs and partials are kept.
 * Blobs of any index.json entry are kept, even a broken one. `scan` reuses an earlier scan.
 */
export async function pruneLayout(
  layout: Layout,
  options: VerifyOptions & { dryRun: boolean },
  scan?: ScanResult,
): Promise<PruneResult> {
  // A dry run deletes nothing: without the lock it works on a cache it may not write to.
  const locked = <T>(fn: () => Promise<T>) =>
    options.dryRun ? fn() : layout.withLock(fn, options.logger ? { logger: options.logger } : {});
  return locked(async () => {
    let { report, index } = await verifyLayout(layout, options, scan);
    // An earlier scan misses what was renamed in since: a pull's manifest, say, whose entry it
    // has committed. The walk cannot go through a blob it does not see, so what lies below
    // would look unreferenced. A consistent cache has no such problem: otherwise scan again.
    if (scan && !report.ok) ({ report, index } = await verifyLayout(layout, options));
    // Without a sound index.json every blob looks unreferenced: refuse rather than empty the cache.
    if (index.state !== 'ok') {
      throw new GuardError(
        `${layout.indexPath} is ${index.state === 'missing' ? 'missing' : 'unparseable'}: nothing pruned; run oci-cache-guard validate --repair first`,
      );
    }
    const pulls = await layout.runningPulls();
    const prunable = pulls > 0 ? new Set(['stray']) : PRUNABLE;
    const removed: Finding[] = [];
    let bytes = 0;
    const young = { files: 0, bytes: 0 };
    for (const f of report.findings) {
      if (!prunable.has(f.kind)) continue;
      if (!f.path.startsWith('blobs/')) continue;
      // Young as the scan judged it (validate's report says the same); or touched since the
      // scan, by a writer that came back to it: then it is young now, whatever the scan saw.
      if (f.live || (f.kind !== 'unreferenced' && (await layout.mayBelongToLiveWriter(f.path)))) {
        young.files++;
        young.bytes += f.size ?? 0;
        continue;
      }
      const freed = await layout.removeFromBlobs(f.path, { dryRun: options.dryRun });
      if (freed === undefined) continue;
      bytes += f.size ?? freed;
      removed.push({ ...f, action: options.dryRun ? 'kept' : 'removed' });
    }
    const notes: string[] = [];
    if (pulls > 0)
      notes.push(
        `${pulls} pull${pulls === 1 ? ' is' : 's are'} running: unreferenced blobs and partial downloads kept`,
      );
    if (young.files > 0) notes.push(youngNote(young.files, young.bytes));
    const note = notes.join('; ');
    return { removed, bytes, dryRun: options.dryRun, ...(note ? { note } : {}) };
  });
}

/** "2 files (3.0 MB) written in the last 10 minutes kept: may belong to a live writer": validate and prune say it alike. */
export function youngNote(files: number, bytes: number): string {
  return `${files} file${files === 1 ? '' : 's'} (${formatBytes(bytes)}) written in the last ${WRITER_GRACE_MS / 60_000} minutes ${LIVE_WRITER_NOTE}`;
}
