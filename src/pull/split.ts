/**
 * Whether the rest of a blob goes in ranges: decided from what its first request shows (the
 * rate one connection gets, the round trip before its first byte) and from the connections of
 * the budget, never from size alone. A pure function of those figures.
 *
 * The model: the request under way (the lead) keeps streaming; `k` more connections each start
 * a range one round trip later at the same rate. With R bytes left at rate r, whole takes R/r;
 * split takes T = (R/r + k·rtt) / (k + 1), the lead's share about r·T bytes (an estimate: the
 * download lets lead and ranges meet wherever their rates put them). Splitting pays
 * when it saves at least `minGainMs`. A connection already faster than `fastBytesPerSecond` is
 * not capped in a way more connections fix (next to a mirror, on loopback: the CPU is the
 * limit there, and ranges cost CPU), so it stays whole.
 *
 * `k` is every other connection of the budget, busy or not: the ranges queue for them with the
 * blob's priority, each taking its piece only once it holds a connection, so a range that waits
 * costs nothing and one that starts late finds what the lead has not reached yet.
 */
import { formatBytes, formatDuration, formatRate } from '../format.js';

const MiB = 1024 * 1024;

export interface SplitRule {
  /**
   * No answer to the first request this long after it was sent (a far registry): ranges start
   * on the blob's last pieces over the idle connections while the rate is learnt (ranged.ts).
   */
  speculateAfterMs: number;
  /**
   * A registry whose manifests answered no quicker than this is known to be far: its blobs'
   * early ranges start with the first request instead of after `speculateAfterMs`.
   */
  farRoundTripMs: number;
  /** The lead's rate is known once it brought this many bytes after its first ... */
  windowBytes: number;
  /** ... or once this long passed since its first byte, whichever comes first. */
  windowMs: number;
  /** One connection at least this fast keeps the whole blob. */
  fastBytesPerSecond: number;
  /** Splitting must save at least this long. */
  minGainMs: number;
  /** The part left to ranges must be at least this big. */
  minRangeBytes: number;
}

/** See docs/benchmarks.md ("Which way a blob goes") for the reasons behind these. */
export const SPLIT_DEFAULTS: Readonly<SplitRule> = Object.freeze({
  speculateAfterMs: 25,
  farRoundTripMs: 25,
  // Not less: a late timer or a coalesced read hands over a few hundred kB at once, which over a
  // short window reads as a fast connection (a capped 60 MB layer then went whole, 2.4 s, in the
  // WAN bench). 4 MiB come in 4 ms at loopback speed and outlast such a burst.
  windowBytes: 4 * MiB,
  windowMs: 50,
  fastBytesPerSecond: 100_000_000,
  minGainMs: 150,
  minRangeBytes: 2 * MiB,
});

/** What the lead request of a blob shows so far. */
export interface LeadFigures {
  /** Bytes ahead of the lead that no range has (early ranges may hold the last pieces already). */
  remaining: number;
  /** Bytes the lead received since its first chunk, and over how long. */
  received: number;
  elapsedMs: number;
  /** From the lead's request to its first byte: about one round trip. */
  firstByteMs: number;
  /** Connections of the budget besides the lead's: what the ranges queue for. */
  others: number;
  /**
   * How long the run's other downloads (queued and running) take at the rate the run gets now;
   * undefined when nothing else is known of them.
   */
  othersMs?: number | undefined;
}

/** Why, in words: formatted only when someone reads it (asked with every chunk until the window is over). */
export type Reason = () => string;

export type SplitDecision =
  /** Too early to know (the rate, or whether this blob is the tail): ask again with the next bytes. */
  | { kind: 'wait'; reason?: Reason }
  /** Whole, for good: a later figure at the same rate would say the same. */
  | { kind: 'whole'; reason: Reason }
  /** The lead's share is about `leadBytes` more bytes; the rest goes in ranges over `connections` more. */
  | { kind: 'split'; leadBytes: number; connections: number; reason: Reason };

export function decideSplit(f: LeadFigures, rule: SplitRule = SPLIT_DEFAULTS): SplitDecision {
  if (f.received <= 0 || (f.received < rule.windowBytes && f.elapsedMs < rule.windowMs))
    return { kind: 'wait' };
  if (f.elapsedMs <= 0)
    return { kind: 'whole', reason: () => `${formatBytes(f.received)} came at once: not capped` };
  const rate = (f.received * 1000) / f.elapsedMs;
  if (rate >= rule.fastBytesPerSecond) {
    return {
      kind: 'whole',
      reason: () =>
        `one connection gets ${formatRate(rate)}, at least ${formatRate(rule.fastBytesPerSecond)}: not capped`,
    };
  }
  const wholeMs = (f.remaining * 1000) / rate;
  const left = () =>
    `${formatBytes(f.remaining)} left at ${formatRate(rate)} take ${formatDuration(wholeMs)}`;
  const k = f.others;
  if (k < 1) return { kind: 'whole', reason: () => 'one connection per registry' };
  // While the rest of the run keeps every connection busy longer than this blob takes, ranges
  // would only queue behind it and cost requests: asked again with later bytes, it splits once
  // it is the tail.
  const othersMs = f.othersMs;
  if (othersMs !== undefined && othersMs > 0 && wholeMs <= othersMs)
    return {
      kind: 'wait',
      reason: () =>
        `${left()}; the run's other downloads take ${formatDuration(othersMs)}: ranges would only wait behind them`,
    };
  const rtt = Math.max(0, f.firstByteMs);
  const splitMs = (wholeMs + k * rtt) / (k + 1);
  const leadBytes = Math.ceil((rate * splitMs) / 1000);
  if (
    wholeMs - splitMs < rule.minGainMs ||
    f.remaining < 2 * rule.minRangeBytes ||
    f.remaining - leadBytes < rule.minRangeBytes
  ) {
    return {
      kind: 'whole',
      reason: () =>
        `${left()}; over ${k + 1} connections about ${formatDuration(splitMs)}: ranges would save too little`,
    };
  }
  return {
    kind: 'split',
    leadBytes,
    connections: k,
    reason: () => `${left()} on one connection, about ${formatDuration(splitMs)} over ${k + 1}`,
  };
}
