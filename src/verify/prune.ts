import { lstat, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GuardError } from '../errors.js';
import type { Layout } from '../layout/layout.js';
import type { Finding } from './findings.js';
import { verifyLayout, type VerifyOptions } from './verify.js';

export interface PruneResult {
  /** What was (or, with dryRun, would be) deleted. */
  removed: Finding[];
  bytes: number;
  dryRun: boolean;
}

const PRUNABLE = new Set(['unreferenced', 'partial', 'stray']);

/**
 * Mark from index.json, sweep the rest: deletes valid blobs nothing references, partial
 * downloads and strays, under the cache lock. A partial whose download is running (its blob
 * lock is held) is left alone. Blobs of any index.json entry are kept, even a broken one.
 */
export async function pruneLayout(
  layout: Layout,
  options: VerifyOptions & { dryRun: boolean },
): Promise<PruneResult> {
  return layout.withLock(async () => {
    const { report, index } = await verifyLayout(layout, options);
    // Without a sound index.json every blob looks unreferenced: refuse rather than empty the cache.
    if (index.state !== 'ok') {
      throw new GuardError(
        `${layout.indexPath} is ${index.state === 'missing' ? 'missing' : 'unparseable'}: nothing pruned; run oci-cache-guard validate --repair first`,
      );
    }
    const removed: Finding[] = [];
    let bytes = 0;
    for (const f of report.findings) {
      if (!PRUNABLE.has(f.kind)) continue;
      const p = path.join(layout.root, f.path);
      if (!p.startsWith(layout.blobsDir + path.sep)) continue;
      if (f.kind === 'partial' && f.digest && (await downloadRunning(layout, f))) continue;
      const s = await lstat(p).catch(() => undefined);
      if (!s) continue;
      if (!options.dryRun) {
        if (s.isDirectory()) await rm(p, { recursive: true, force: true });
        else await unlink(p);
      }
      bytes += s.isDirectory() ? 0 : s.size;
      removed.push({ ...f, action: options.dryRun ? 'kept' : 'removed' });
    }
    return { removed, bytes, dryRun: options.dryRun };
  });
}

async function downloadRunning(layout: Layout, f: Finding): Promise<boolean> {
  try {
    const lock = await layout.lockBlob(f.digest!, { timeoutMs: 0 });
    await lock.release();
    return false;
  } catch {
    return true;
  }
}
