// The rule that decides whether the rest of a blob goes in ranges: a pure function of what the
// first request shows, tested on its figures (never on a clock).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideSplit, SPLIT_DEFAULTS, type LeadFigures } from '../../src/pull/split.js';

const MB = 1_000_000;
const rule = SPLIT_DEFAULTS;
/** Figures once the window is over: `rate` bytes/s seen for a second, `rttMs` before the first byte. */
const figures = (rate: number, remaining: number, idle: number, rttMs = 30): LeadFigures => ({
  remaining,
  received: rate,
  elapsedMs: 1000,
  firstByteMs: rttMs,
  idle,
});

/** Figures around the rule's edges: rates from a trickle to loopback, rests from nothing to 4 GB. */
const arbFigures = fc
  .record({
    rate: fc.double({ min: 0.01 * MB, max: 400 * MB, noNaN: true }),
    elapsedMs: fc.double({ min: 0, max: 3_000, noNaN: true }),
    remaining: fc.integer({ min: 0, max: 4_000 * MB }),
    firstByteMs: fc.double({ min: 0, max: 500, noNaN: true }),
    idle: fc.integer({ min: 0, max: 16 }),
  })
  .map(({ rate, elapsedMs, ...f }): LeadFigures => ({
    ...f,
    elapsedMs,
    received: Math.floor((rate * elapsedMs) / 1000),
  }));
const runs = { numRuns: 1000 };

describe('decideSplit', () => {
  it('a capped far registry (25 MB/s, 30 ms): a 60 MB rest goes in ranges over the idle connections', () => {
    const d = decideSplit(figures(25 * MB, 60 * MB, 7));
    expect(d).toMatchObject({ kind: 'split', connections: 7 });
    // The lead keeps about its share: (2.4 s + 7 × 30 ms) / 8 at 25 MB/s.
    if (d.kind === 'split') expect(d.leadBytes).toBe(Math.ceil(25 * MB * ((2400 + 210) / 8 / 1000)));
  });

  it('a fast connection (loopback, a mirror next door) keeps the whole blob, for good', () => {
    expect(decideSplit(figures(400 * MB, 1_000 * MB, 7, 1))).toMatchObject({ kind: 'whole', final: true });
  });

  it('no idle connection: whole for now, asked again later', () => {
    expect(decideSplit(figures(25 * MB, 60 * MB, 0))).toMatchObject({ kind: 'whole', final: false });
  });

  it('a rest that takes less than the gain asked for: whole, for good', () => {
    expect(decideSplit(figures(25 * MB, 3 * MB, 7))).toMatchObject({ kind: 'whole', final: true });
  });

  it('waits for its window: 256 KiB or 50 ms after the first byte', () => {
    const capped = figures(25 * MB, 60 * MB, 7);
    expect(decideSplit({ ...capped, received: 200_000, elapsedMs: 8 })).toEqual({ kind: 'wait' });
    expect(decideSplit({ ...capped, received: 270_000, elapsedMs: 10 }).kind).toBe('split');
    expect(decideSplit({ ...capped, received: 100_000, elapsedMs: 50 }).kind).toBe('split');
  });

  it('property: a split uses idle connections only, keeps a part for the lead and leaves ranges a worthwhile rest', () => {
    fc.assert(
      fc.property(arbFigures, (f) => {
        const d = decideSplit(f);
        if (d.kind !== 'split') return;
        expect(f.idle).toBeGreaterThan(0);
        expect(d.connections).toBeGreaterThan(0);
        expect(d.connections).toBeLessThanOrEqual(f.idle);
        expect(Number.isSafeInteger(d.leadBytes)).toBe(true);
        expect(d.leadBytes).toBeGreaterThan(0);
        expect(f.remaining - d.leadBytes).toBeGreaterThanOrEqual(rule.minRangeBytes);
        // Never on a connection already fast enough.
        expect((f.received * 1000) / f.elapsedMs).toBeLessThan(rule.fastBytesPerSecond);
      }),
      runs,
    );
  });

  it('property: what splits still splits on a slower connection, with more left, or with more idle connections', () => {
    fc.assert(
      fc.property(
        arbFigures,
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 8 }),
        (f, slower, moreIdle) => {
          if (decideSplit(f).kind !== 'split') return;
          expect(decideSplit({ ...f, elapsedMs: f.elapsedMs * slower }).kind).toBe('split');
          expect(decideSplit({ ...f, remaining: f.remaining * 2 }).kind).toBe('split');
          expect(decideSplit({ ...f, idle: f.idle + moreIdle }).kind).toBe('split');
        },
      ),
      runs,
    );
  });

  it('property: "final" is final: a whole-for-good stays whole as the blob goes on at the same rate', () => {
    fc.assert(
      fc.property(
        arbFigures,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 16 }),
        (f, gone, idle) => {
          const d = decideSplit(f);
          if (d.kind !== 'whole' || !d.final) return;
          const later = {
            ...f,
            remaining: Math.floor(f.remaining * (1 - gone)),
            received: f.received * 2,
            elapsedMs: f.elapsedMs * 2,
            idle,
          };
          expect(decideSplit(later).kind).toBe('whole');
        },
      ),
      runs,
    );
  });
});
