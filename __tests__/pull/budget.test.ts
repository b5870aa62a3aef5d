// The connection budget: never more than its size per host, hosts independent, waiting work
// started biggest first (first come among equals), and a failure frees its connection.
import { describe, expect, it } from 'vitest';
import { ConnectionBudget } from '../../src/pull/budget.js';

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
});
