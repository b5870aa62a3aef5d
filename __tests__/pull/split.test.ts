// The rule that decides whether the rest of a blob goes in ranges: a pure function of what the
// first request shows, tested on its figures (never on a clock).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideSplit, SPLIT_DEFAULTS, type LeadFigures } from '../../src/pull/split.js';

const MB = 1_000_000;
const rule = SPLIT_DEFAULTS;
/** Figures once the window is over: `rate` bytes/s seen for a second, `rttMs` before the first byte. */
const figures = (rate: number, remaining: number, others: number, rttMs = 30): LeadFigures => ({
  remaining,
  received: rate,
  elapsedMs: 1000,
  firstByteMs: rttMs,
  others,
});

/** Figures around the rule's edges: rates from a trickle to loopback, rests from nothing to 4 GB. */
const arbFigures = fc
  .record({
    rate: fc.double({ min: 0.01 * MB, max: 400 * MB, noNaN: true }),
    elapsedMs: fc.double({ min: 0, max: 3_000, noNaN: true }),
    remaining: fc.integer({ min: 0, max: 4_000 * MB }),
    firstByteMs: fc.double({ min: 0, max: 500, noNaN: true }),
    others: fc.integer({ min: 0, max: 16 }),
  })
  .map(({ rate, elapsedMs, ...f }): LeadFigures => ({
    ...f,
    elapsedMs,
    received: Math.floor((rate * elapsedMs) / 1000),
  }));
const runs = { numRuns: 1000 };

describe('decideSplit', () => {
  it('a capped far registry (25 MB/s, 30 ms): a 60 MB rest goes in ranges over the other connections', () => {
    const d = decideSplit(figures(25 * MB, 60 * MB, 7));
    expect(d).toMatchObject({ kind: 'split', connections: 7 });
    // The lead keeps about its share: (2.4 s + 7 × 30 ms) / 8 at 25 MB/s.
    if (d.kind === 'split') expect(d.leadBytes).toBe(Math.ceil(25 * MB * ((2400 + 210) / 8 / 1000)));
  });

  it('a fast connection (loopback, a mirror next door) keeps the whole blob, for good', () => {
    expect(decideSplit(figures(400 * MB, 1_000 * MB, 7, 1))).toMatchObject({ kind: 'whole' });
  });

  it('no other connection: whole', () => {
    expect(decideSplit(figures(25 * MB, 60 * MB, 0))).toMatchObject({ kind: 'whole' });
  });

  it('a rest the round trips would eat: whole, and the reason is formatted only when read', () => {
    // 20 MB at 25 MB/s is 800 ms; over 8 with a 500 ms round trip, 537 ms: 263 ms saved.
    expect(decideSplit(figures(25 * MB, 20 * MB, 7, 500)).kind).toBe('split');
    // With a 700 ms round trip, 713 ms: 87 ms saved.
    const d = decideSplit(figures(25 * MB, 20 * MB, 7, 700));
    expect(d.kind).toBe('whole');
    expect(d.kind === 'whole' && d.reason()).toBe(
      '20.0 MB left at 25.0 MB/s take 800 ms; over 8 connections about 713 ms: ranges would save too little',
    );
  });

  it('a rest that takes less than the gain asked for: whole, for good', () => {
    expect(decideSplit(figures(25 * MB, 3 * MB, 7))).toMatchObject({ kind: 'whole' });
  });

  it('waits for its window: 4 MiB or 50 ms after the first byte', () => {
    const capped = figures(25 * MB, 60 * MB, 7);
    expect(decideSplit({ ...capped, received: 200_000, elapsedMs: 8 })).toEqual({ kind: 'wait' });
    expect(decideSplit({ ...capped, received: 1_250_000, elapsedMs: 50 }).kind).toBe('split');
    expect(decideSplit({ ...capped, received: 100_000, elapsedMs: 50 }).kind).toBe('split');
    expect(decideSplit({ ...capped, received: 4.2 * MB, elapsedMs: 2 }).kind).toBe('whole');
  });

  it('a burst is not a rate: a few hundred kB at once on a capped connection wait for the window', () => {
    // As seen through the WAN relay on a busy machine: 256 KiB handed over in 2 ms (110 MB/s).
    const capped = figures(25 * MB, 60 * MB, 7);
    expect(decideSplit({ ...capped, received: 262_144, elapsedMs: 2 })).toEqual({ kind: 'wait' });
    expect(decideSplit({ ...capped, received: 1_000_000, elapsedMs: 9 })).toEqual({ kind: 'wait' });
  });

  it('a blob the rest of the run outlasts waits (no split yet, no whole for good); once it is the tail it splits', () => {
    // 20 MB left at 40 MB/s: 500 ms whole. Seven other layers keep every connection busy 1.4 s.
    const busy = { ...figures(40 * MB, 20 * MB, 7), othersMs: 1400 };
    const waiting = decideSplit(busy);
    expect(waiting.kind).toBe('wait');
    expect(waiting.kind === 'wait' && waiting.reason?.()).toBe(
      "20.0 MB left at 40.0 MB/s take 500 ms; the run's other downloads take 1.4 s: ranges would only wait behind them",
    );
    expect(decideSplit({ ...busy, othersMs: 100 }).kind).toBe('split');
    expect(decideSplit({ ...busy, othersMs: undefined }).kind).toBe('split');
  });

  it('property: never a split while the rest of the run outlasts the blob; with nothing else to wait for, as alone', () => {
    fc.assert(
      fc.property(arbFigures, fc.double({ min: 0, max: 10_000, noNaN: true }), (f, othersMs) => {
        const seen = (d: ReturnType<typeof decideSplit>) => ({
          ...d,
          reason: d.kind === 'wait' ? undefined : d.reason(),
        });
        const alone = seen(decideSplit(f));
        expect(seen(decideSplit({ ...f, othersMs: 0 }))).toEqual(alone);
        const amid = seen(decideSplit({ ...f, othersMs }));
        if (amid.kind === 'split') {
          expect(amid).toEqual(alone);
          expect(othersMs).toBeLessThan((f.remaining * f.elapsedMs) / f.received);
        }
      }),
      runs,
    );
  });

  it('property: a split uses every other connection, keeps a part for the lead and leaves ranges a worthwhile rest', () => {
    fc.assert(
      fc.property(arbFigures, (f) => {
        const d = decideSplit(f);
        if (d.kind !== 'split') return;
        expect(d.connections).toBeGreaterThan(0);
        expect(d.connections).toBe(f.others);
        expect(Number.isSafeInteger(d.leadBytes)).toBe(true);
        expect(d.leadBytes).toBeGreaterThan(0);
        expect(f.remaining - d.leadBytes).toBeGreaterThanOrEqual(rule.minRangeBytes);
        // Never on a connection already fast enough.
        expect((f.received * 1000) / f.elapsedMs).toBeLessThan(rule.fastBytesPerSecond);
      }),
      runs,
    );
  });

  it('property: what splits still splits on a slower connection, with more left, or with more connections', () => {
    fc.assert(
      fc.property(
        arbFigures,
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 8 }),
        (f, slower, more) => {
          if (decideSplit(f).kind !== 'split') return;
          expect(decideSplit({ ...f, elapsedMs: f.elapsedMs * slower }).kind).toBe('split');
          expect(decideSplit({ ...f, remaining: f.remaining * 2 }).kind).toBe('split');
          expect(decideSplit({ ...f, others: f.others + more }).kind).toBe('split');
        },
      ),
      runs,
    );
  });

  it('property: whole is for good: it stays whole as the blob goes on at the same rate', () => {
    fc.assert(
      fc.property(arbFigures, fc.double({ min: 0, max: 1, noNaN: true }), (f, gone) => {
        const d = decideSplit(f);
        if (d.kind !== 'whole') return;
        const later = {
          ...f,
          remaining: Math.floor(f.remaining * (1 - gone)),
          received: f.received * 2,
          elapsedMs: f.elapsedMs * 2,
        };
        expect(decideSplit(later).kind).toBe('whole');
      }),
      runs,
    );
  });
});
