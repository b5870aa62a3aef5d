/**
 * The step `npm run bench -- verify` times: `validate --mode full` on a layout, through the
 * same call the CLI makes. It runs alone in a child process (verify-child.ts) so its peak RSS
 * is its own.
 */
import { Layout } from '../src/layout/layout.js';
import type { HashPoolOptions } from '../src/hash/hash-pool.js';
import { checkLayout } from '../src/verify/index.js';

export interface StepOptions {
  pool: Partial<HashPoolOptions>;
  /** Called with bytes hashed so far (across all blobs) and the total. */
  onProgress?: (bytes: number, totalBytes: number) => void;
}

export interface StepResult {
  files: number;
  bytes: number;
  /** One line per finding that is a problem (corrupt, stray, …). */
  problems: string[];
}

export async function verifyLayout(layoutDir: string, options: StepOptions): Promise<StepResult> {
  const onProgress = options.onProgress;
  const report = await checkLayout(Layout.at(layoutDir), {
    mode: 'full',
    platforms: [],
    repair: false,
    hashPool: options.pool,
    ...(onProgress
      ? { onProgress: (p: { bytes: number; totalBytes: number }) => onProgress(p.bytes, p.totalBytes) }
      : {}),
  });
  const problems = report.findings
    .filter((f) => f.kind !== 'unreferenced' && f.kind !== 'partial')
    .map((f) => `${f.path}: ${f.detail}`);
  return { files: report.blobs.checked, bytes: report.blobs.bytes, problems };
}
