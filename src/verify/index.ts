import type { Layout } from '../layout/layout.js';
import type { Logger } from '../log.js';
import type { Digest } from '../oci/digest.js';
import type { Platform } from '../oci/platform.js';
import type { Report, VerifyMode } from './findings.js';
import { HashPool, type BatchProgress, type HashPoolOptions } from '../hash/hash-pool.js';
import { pruneLayout, type PruneResult } from './prune.js';
import { repairLayout } from './repair.js';
import type { Hasher, ScanResult } from './scan.js';
import { verifyLayout } from './verify.js';

export interface CheckOptions {
  mode: VerifyMode;
  platforms: Platform[];
  repair: boolean;
  logger?: Logger;
  onProgress?: (progress: BatchProgress) => void;
  /** Worker pool tuning (the bench sets it); defaults otherwise. */
  hashPool?: Partial<HashPoolOptions>;
  /**
   * A pool the caller started and closes, to hash with instead of starting one (`hashPool` is
   * then not used): main reuses it for its stat snapshot.
   */
  hasher?: Hasher;
}

export interface CheckResult {
  report: Report;
  /**
   * Blobs the check accepted, for the pull to reuse without hashing again: hashed and found
   * valid (mode `full`), or referenced with the size their descriptors declare and nothing
   * found against them (mode `size`: the size is all that was checked; see report.mode).
   */
  valid: Set<Digest>;
  /** The scan behind the report (each blob's stat and hash verdict), for a stat snapshot. */
  scan: ScanResult;
}

/** Verify a layout and, when asked, repair it: the one call the CLI and the Action make. */
export async function checkLayout(layout: Layout, options: CheckOptions): Promise<Report> {
  return (await checkLayoutDetailed(layout, options)).report;
}

export async function checkLayoutDetailed(layout: Layout, options: CheckOptions): Promise<CheckResult> {
  const pool = options.hasher ? undefined : HashPool.create(options.hashPool);
  try {
    const verifyOptions = {
      mode: options.mode,
      platforms: options.platforms,
      hasher: options.hasher ?? pool!,
      ...(options.logger ? { logger: options.logger } : {}),
    };
    const scanHooks = options.onProgress ? { onProgress: options.onProgress } : {};
    const verification = await verifyLayout(layout, { ...verifyOptions, ...scanHooks });
    const report = options.repair
      ? await repairLayout(layout, verification, verifyOptions)
      : verification.report;
    const removed = new Set(report.findings.filter((f) => f.action === 'removed').map((f) => f.digest));
    const named = new Set(report.findings.map((f) => f.digest));
    const valid = new Set<Digest>();
    for (const blob of verification.scan.blobs.values()) {
      if (removed.has(blob.digest)) continue;
      const bySize = options.mode === 'size' && blob.hashOk === undefined && !named.has(blob.digest);
      if (blob.hashOk || bySize) valid.add(blob.digest);
    }
    return { report, valid, scan: verification.scan };
  } finally {
    await pool?.close();
  }
}

export async function pruneUnreferenced(
  layout: Layout,
  options: { dryRun: boolean; logger?: Logger },
): Promise<PruneResult> {
  const pool = HashPool.create();
  try {
    return await pruneLayout(layout, {
      mode: 'size',
      platforms: [],
      hasher: pool,
      dryRun: options.dryRun,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } finally {
    await pool.close();
  }
}

export type { Finding, FindingKind, ImageStatus, PlatformStatus, Report, VerifyMode } from './findings.js';
export { describeFinding } from './verify.js';
export { recheckLayout, type RecheckResult } from './recheck.js';
export { StatSnapshot } from './snapshot.js';
