import { formatBytes, formatDuration, formatRate } from '../format.js';
import type { PullResult } from './pull.js';

/** Bytes per second of `bytes` over `ms` (0 for no time). */
export function bytesPerSecond(bytes: number, ms: number): number {
  return ms > 0 ? (bytes * 1000) / ms : 0;
}

/** A run of pullImages as a whole: its images share the time and the connections. */
export interface RunSpeed {
  bytes: number;
  /** Until the last image was complete. */
  ms: number;
  /** The most connections held at once to one registry. */
  connections: number;
}

export function runSpeed(results: readonly PullResult[]): RunSpeed {
  return {
    bytes: results.reduce((n, r) => n + r.bytes, 0),
    ms: results.reduce((n, r) => Math.max(n, r.ms), 0),
    connections: results.reduce((n, r) => Math.max(n, r.connections), 0),
  };
}

/** `117 MB in 3.4 s (34.4 MB/s) over 8 connections`, or `nothing downloaded`. */
export function describeSpeed(results: readonly PullResult[]): string {
  const s = runSpeed(results);
  if (s.bytes === 0) return 'nothing downloaded';
  const over = `over ${s.connections} connection${s.connections === 1 ? '' : 's'}`;
  return `${formatBytes(s.bytes)} in ${formatDuration(s.ms)} (${formatRate(bytesPerSecond(s.bytes, s.ms))}) ${over}`;
}
