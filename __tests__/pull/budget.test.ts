// The connection budget: never more than its size per host, hosts independent, waiting work
// started biggest first (first come among equals), a failure frees its connection, and bulk
// work leaves the lane to other work while the lane is open.
import { describe, expect, it } from 'vitest';
import { ConnectionBudget, laneFor } from '../../src/pull/budget.js';

/** A task that runs until released, noting when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { fn: async () => (log.push(name), done), release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ConnectionBudget', () => {
  it('holds at most perHost per host, independently per host, and reports the peak', async () => {
    const budget = new ConnectionBudget(2);
    const log: string[] = [];
    const gates = ['a1', 'a2', 'a3', 'b1'].map((n) => ({ n, ...gate(log, n) }));
    const runs = gates.map((g) => budget.run(g.n[0]!, 1, g.fn));
    await tick();
    expect(log).toEqual(['a1', 'a2', 'b1']);
    gates[0]!.release();
    await tick();
    expect(log).toEqual(['a1', 'a2', 'b1', 'a3']);
    for (const g of gates) g.release();
    await Promise.all(runs);
    expect(budget.peak('a')).toBe(2);
    expect(budget.peak('b')).toBe(1);
    expect(budget.peak('c')).toBe(0);
  });

  it('starts waiting work by priority, highest first, then in arrival order', async () => {
    const budget = new ConnectionBudget(1);
    const log: string[] = [];
    const first = gate(log, 'first');
    const running = budget.run('h', 0, first.fn);
    const waiting = [
      ['small', 10],
      ['big-1', 1000],
      ['mid', 500],
      ['big-2', 1000],
    ].map(([n, p]) => budget.run('h', p as number, async () => void log.push(n as string)));
    first.release();
    await Promise.all([running, ...waiting]);
    expect(log).toEqual(['first', 'big-1', 'big-2', 'mid', 'small']);
  });

  it('a task that fails (even synchronously) gives its connection back', async () => {
    const budget = new ConnectionBudget(1);
    await expect(budget.run('h', 0, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      budget.run('h', 0, () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await budget.run('h', 0, async () => 'still works')).toBe('still works');
  });

  it('refuses a size that is not a whole number ≥ 1', () => {
    for (const n of [0, -1, 1.5, NaN]) expect(() => new ConnectionBudget(n)).toThrow(RangeError);
  });

  it('counts as idle only connections free with nothing waiting for them', async () => {
    const budget = new ConnectionBudget(3);
    expect(budget.idle('a')).toBe(3);
    const log: string[] = [];
    const gates = ['a1', 'a2', 'a3', 'a4'].map((n) => ({ n, ...gate(log, n) }));
    const first = budget.run('a', 1, gates[0]!.fn);
    await tick();
    expect(budget.idle('a')).toBe(2);
    const rest = gates.slice(1).map((g) => budget.run('a', 1, g.fn));
    await tick();
    expect(budget.idle('a')).toBe(0); // three running, one waiting
    for (const g of gates) g.release();
    await Promise.all([first, ...rest]);
    expect(budget.idle('a')).toBe(3);
  });

  it('while the lane is open, bulk work holds at most perHost - lane connections; other work takes the lane, even when it comes later and smaller', async () => {
    const budget = new ConnectionBudget(4, { lane: 1 });
    const bulk = budget.bulk();
    const close = budget.openLane('h');
    const log: string[] = [];
    const ranges = ['r1', 'r2', 'r3', 'r4', 'r5'].map((n) => ({ n, ...gate(log, n) }));
    const running = ranges.map((g) => bulk.run('h', 1000, g.fn));
    await tick();
    expect(log).toEqual(['r1', 'r2', 'r3']);
    expect(bulk.idle('h')).toBe(0);
    expect(budget.idle('h')).toBe(0); // two ranges wait for a connection
    const small = gate(log, 'small');
    const smallRun = budget.run('h', 1, small.fn);
    await tick();
    expect(log).toEqual(['r1', 'r2', 'r3', 'small']);
    small.release();
    await smallRun;
    await tick();
    expect(log).toEqual(['r1', 'r2', 'r3', 'small']); // the lane stays free for the next small request
    close();
    await tick();
    expect(log).toEqual(['r1', 'r2', 'r3', 'small', 'r4']);
    for (const g of ranges) g.release();
    await Promise.all(running);
    expect(budget.peak('h')).toBe(4);
  });

  it('a closed lane (or none) leaves every connection to bulk work; the lane is a quarter of the budget', async () => {
    const budget = new ConnectionBudget(4, { lane: laneFor(4) });
    expect(budget.bulk().idle('h')).toBe(4);
    budget.openLane('h')();
    const log: string[] = [];
    const gates = ['r1', 'r2', 'r3', 'r4'].map((n) => ({ n, ...gate(log, n) }));
    const running = gates.map((g) => budget.bulk().run('h', 1, g.fn));
    await tick();
    expect(log).toEqual(['r1', 'r2', 'r3', 'r4']);
    for (const g of gates) g.release();
    await Promise.all(running);
    expect([1, 2, 3, 4, 8, 16].map(laneFor)).toEqual([0, 1, 1, 1, 2, 4]);
    expect(() => new ConnectionBudget(2, { lane: 2 })).toThrow(RangeError);
  });
});
