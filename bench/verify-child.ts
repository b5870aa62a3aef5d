/**
 * Child process of bench/verify.ts: runs the measured step once and prints one JSON line,
 * so the parent sees this process's own peak RSS (the parent holds the generator's buffers).
 */
import { verifyLayout, type StepOptions } from './verify-step.js';

export interface ChildRequest {
  layoutDir: string;
  pool: StepOptions['pool'];
}

export interface ChildReport {
  seconds: number;
  files: number;
  bytes: number;
  problems: string[];
  /** RSS just before the step: Node plus the tsx loader, not ours. */
  baselineRssBytes: number;
  /** process.resourceUsage().maxRSS: the whole process's peak, threads included. */
  maxRssBytes: number;
}

const request = JSON.parse(process.argv[2] ?? '') as ChildRequest;
const baselineRssBytes = process.memoryUsage().rss;
let shown = 0;
const showProgress = process.stderr.isTTY
  ? (bytes: number, total: number): void => {
      const now = Date.now();
      if (now - shown < 1000) return;
      shown = now;
      process.stderr.write(`\r  hashing: ${(bytes / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB `);
    }
  : undefined;

const start = process.hrtime.bigint();
const result = await verifyLayout(request.layoutDir, {
  pool: request.pool,
  ...(showProgress ? { onProgress: showProgress } : {}),
});
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
if (shown) process.stderr.write('\r\x1b[K');

const report: ChildReport = {
  seconds,
  ...result,
  baselineRssBytes,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
