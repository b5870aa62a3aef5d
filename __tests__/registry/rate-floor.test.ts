// The rate floor: a body that keeps sending a little, never silent long enough for the idle
// timeout, is a stall once a window of waiting brought less than the floor; the caller's own
// time between chunks (writing, hashing, backpressure) never counts against the registry.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floored, TooSlowError, type RateFloor } from '../../src/registry/rate-floor.js';

interface Arrival {
  bytes: number;
  /** Milliseconds the body takes to bring this chunk once asked. */
  waitMs: number;
}

/**
 * Reads `arrivals` through the floor on a fake clock, spending `consumerMs[i]` after chunk i;
 * returns how many chunks were read and whether it ended in TooSlowError.
 */
async function readThrough(
  arrivals: Arrival[],
  floor: RateFloor,
  consumerMs: number[] = [],
): Promise<{ read: number; tooSlow: boolean; waitedMs: number }> {
  let clock = 0;
  let waitedMs = 0;
  async function* body() {
    for (const a of arrivals) {
      clock += a.waitMs;
      waitedMs += a.waitMs;
      yield Buffer.alloc(a.bytes);
    }
  }
  let read = 0;
  try {
    for await (const chunk of floored(body(), floor, () => clock)) {
      expect(chunk.length).toBe(arrivals[read]!.bytes);
      clock += consumerMs[read % Math.max(1, consumerMs.length)] ?? 0;
      read++;
    }
  } catch (err) {
    if (!(err instanceof TooSlowError)) throw err;
    return { read, tooSlow: true, waitedMs };
  }
  return { read, tooSlow: false, waitedMs };
}

const floorArb = fc.record({
  bytesPerSecond: fc.integer({ min: 1, max: 100_000 }),
  windowMs: fc.integer({ min: 1, max: 5_000 }),
});
const consumerArb = fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 20 });

describe('floored', () => {
  it('never trips a body whose every chunk comes at or above the floor, however slow the caller', async () => {
    await fc.assert(
      fc.asyncProperty(
        floorArb,
        fc.array(fc.record({ waitMs: fc.integer({ min: 0, max: 3_000 }), extra: fc.nat(50_000) }), {
          maxLength: 60,
        }),
        consumerArb,
        async (floor, raw, consumerMs) => {
          const arrivals = raw.map(({ waitMs, extra }) => ({
            waitMs,
            bytes: Math.ceil((floor.bytesPerSecond * waitMs) / 1000) + extra,
          }));
          expect(await readThrough(arrivals, floor, consumerMs)).toEqual(
            expect.objectContaining({ read: arrivals.length, tooSlow: false }),
          );
        },
      ),
    );
  });

  it('ends a body that stays under the floor within a window and one chunk of waiting', async () => {
    await fc.assert(
      fc.asyncProperty(
        floorArb,
        fc.array(
          fc.record({
            waitMs: fc.integer({ min: 1, max: 3_000 }),
            share: fc.double({ min: 0, max: 0.99, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 200,
          },
        ),
        consumerArb,
        async (floor, raw, consumerMs) => {
          // Each chunk brings less than the floor allows for its wait.
          const arrivals = raw.map(({ waitMs, share }) => ({
            waitMs,
            bytes: Math.floor((floor.bytesPerSecond * waitMs * share) / 1000),
          }));
          const total = arrivals.reduce((n, a) => n + a.waitMs, 0);
          const longest = Math.max(...arrivals.map((a) => a.waitMs));
          const r = await readThrough(arrivals, floor, consumerMs);
          expect(r.tooSlow).toBe(total >= floor.windowMs);
          if (r.tooSlow) expect(r.waitedMs).toBeLessThan(floor.windowMs + longest);
        },
      ),
    );
  });

  it("the caller's time never counts: the outcome is the same whatever it spends between chunks", async () => {
    await fc.assert(
      fc.asyncProperty(
        floorArb,
        fc.array(fc.record({ waitMs: fc.integer({ min: 0, max: 3_000 }), bytes: fc.nat(20_000) }), {
          maxLength: 60,
        }),
        consumerArb,
        async (floor, arrivals, consumerMs) => {
          expect(await readThrough(arrivals, floor, consumerMs)).toEqual(await readThrough(arrivals, floor));
        },
      ),
    );
  });

  it('says what came, in how long, against which floor', async () => {
    const r = readThrough([{ bytes: 12, waitMs: 36_000 }], { bytesPerSecond: 1000, windowMs: 30_000 });
    await expect(r).resolves.toMatchObject({ tooSlow: true });
    const err = new TooSlowError(12, 36_000, { bytesPerSecond: 1000, windowMs: 30_000 });
    expect(err.message).toBe(
      'the registry sent 12 bytes in 36.0 s, under 1.0 kB/s: a stalled or hostile server',
    );
  });
});
