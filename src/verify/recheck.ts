import type { Layout } from '../layout/layout.js';
import type { Logger } from '../log.js';
import type { Report } from './findings.js';
import { HashPool, type HashPoolOptions } from '../hash/hash-pool.js';
import { pruneLayout, type PruneResult } from './prune.js';
import { afterRemoval, repairLayout } from './repair.js';
import { trustingHasher, type StatSnapshot } from './snapshot.js';
import { verifyLayout } from './verify.js';

export interface RecheckOptions {
  /** What an earlier verification proved (the main step's); without it every blob is hashed. */
  snapshot?: StatSnapshot;
  /** Delete what no image needs once the cache is consistent. */
  prune: boolean;
  logger?: Logger;
  hashPool?: Partial<HashPoolOptions>;
}

export interface RecheckResult {
  /** After repair. */
  report: Report;
  /** Set when pruned (the report was ok and `prune` asked). */
  pruned?: PruneResult;
  /** Blobs read and hashed. */
  hashed: number;
  /** Blobs the snapshot vouched for: not read. */
  trusted: number;
}

/**
 * The check before a save, over one scan of blobs/: verify in full (hashing only what the
 * snapshot cannot vouch for), repair and prune, each reusing the
 * scan instead of listing and hashing the cache again.
 */
export async function recheckLayout(layout: Layout, options: RecheckOptions): Promise<RecheckResult> {
  const pool = HashPool.create(options.hashPool);
  const counts = { hashed: 0, trusted: 0 };
  try {
    const logger = options.logger ? { logger: options.logger } : {};
    const hasher = trustingHasher(pool, layout, options.snapshot, counts, options.logger);
    const verifyOptions = { mode: 'full' as const, platforms: [], hasher, ...logger };
    const verification = await verifyLayout(layout, verifyOptions);
    const report = await repairLayout(layout, verification, verifyOptions);
    const scan = afterRemoval(verification.scan, report.findings, layout);
    let pruned: PruneResult | undefined;
    if (report.ok && options.prune) {
      pruned = await pruneLayout(layout, { ...verifyOptions, mode: 'size', dryRun: false }, scan);
    }
    return { report, ...(pruned ? { pruned } : {}), ...counts };
  } finally {
    await pool.close();
  }
}
