// The speed lines: per image and for the run as a whole, with the connections used.
import { describe, expect, it } from 'vitest';
import { formatRate } from '../../src/format.js';
import type { PullResult } from '../../src/pull/pull.js';
import { bytesPerSecond, describeSpeed, runSpeed } from '../../src/pull/speed.js';

const result = (bytes: number, ms: number, connections: number): PullResult => ({
  name: 'x',
  reference: 'x',
  status: bytes ? 'pulled' : 'cached',
  bytes,
  fetchedBlobs: 0,
  cachedBlobs: 0,
  resumedBytes: 0,
  hashedBlobs: 0,
  skipped: [],
  ms,
  connections,
});

describe('speed', () => {
  it('a rate in MB/s, rounded, never a long fraction', () => {
    expect(formatRate(bytesPerSecond(117_000_000, 4000))).toBe('29.3 MB/s');
    expect(formatRate(bytesPerSecond(1000, 3000))).toBe('333 B/s');
    expect(bytesPerSecond(5, 0)).toBe(0);
  });

  it('the run: all bytes over the time until the last image, and the most connections to a registry', () => {
    const results = [result(60_000_000, 2000, 8), result(40_000_000, 4000, 6), result(0, 100, 0)];
    expect(runSpeed(results)).toEqual({ bytes: 100_000_000, ms: 4000, connections: 8 });
    expect(describeSpeed(results)).toBe('100 MB in 4.0 s (25.0 MB/s) over 8 connections');
    expect(describeSpeed([result(0, 50, 1)])).toBe('nothing downloaded');
  });
});
