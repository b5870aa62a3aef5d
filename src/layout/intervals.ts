/** Byte intervals `[start, end)`: sorted, disjoint, and merged where they touch. */
export type Intervals = readonly (readonly [number, number])[];

/** `list` with `[start, end)` added (merged with what it overlaps or touches). */
export function addInterval(list: Intervals, start: number, end: number): Intervals {
  if (end <= start) return list;
  const out: [number, number][] = [];
  let s = start;
  let e = end;
  let placed = false;
  for (const [a, b] of list) {
    if (b < s) out.push([a, b]);
    else if (a > e) {
      if (!placed) {
        out.push([s, e]);
        placed = true;
      }
      out.push([a, b]);
    } else {
      s = Math.min(s, a);
      e = Math.max(e, b);
    }
  }
  if (!placed) out.push([s, e]);
  return out;
}

/** The gaps of `list` within `[0, size)`. */
export function gaps(list: Intervals, size: number): Intervals {
  const out: [number, number][] = [];
  let at = 0;
  for (const [a, b] of list) {
    if (a > at) out.push([at, Math.min(a, size)]);
    at = Math.max(at, b);
    if (at >= size) break;
  }
  if (at < size) out.push([at, size]);
  return out;
}

/** Where the run of covered bytes that contains `from` ends (`from` itself when it is not covered). */
export function coveredFrom(list: Intervals, from: number): number {
  for (const [a, b] of list) if (a <= from && from < b) return b;
  return from;
}

/** Bytes covered. */
export function coveredBytes(list: Intervals): number {
  return list.reduce((n, [a, b]) => n + (b - a), 0);
}

/**
 * Parses what JSON gave us as intervals within `[0, size)`: whole numbers, each non-empty,
 * in order, not touching. Undefined when it is anything else.
 */
export function parseIntervals(v: unknown, size: number): Intervals | undefined {
  if (!Array.isArray(v)) return undefined;
  let at = -1;
  const out: [number, number][] = [];
  for (const pair of v) {
    if (!Array.isArray(pair) || pair.length !== 2) return undefined;
    const [a, b] = pair as unknown[];
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) return undefined;
    const [s, e] = [a as number, b as number];
    if (s <= at || e <= s || e > size) return undefined;
    out.push([s, e]);
    at = e;
  }
  return out;
}
