/**
 * Whether the rest of a blob goes in ranges: decided from what its first request shows (the
 * rate one connection gets, the round trip before its first byte) and from the connections of
 * the budget that are idle, never from size alone. A pure function of those figures.
 *
 * The model: the request under way (the lead) keeps streaming; `k` more connections each start
 * a range one round trip later at the same rate. With R bytes left at rate r, whole takes R/r;
 * split takes T = (R/r + k·rtt) / (k + 1), the lead's share about r·T bytes (an estimate: the
 * download lets lead and ranges meet wherever their rates put them). Splitting pays
 * when it saves at least `minGainMs`. A connection already faster than `fastBytesPerSecond` is
 * not capped in a way more connections fix (next to a mirror, on loopback: the CPU is the
 * limit there, and ranges cost CPU), so it stays whole.
 */
import { formatBytes, formatDuration, formatRate } from '../format.js';

const MiB = 1024 * 1024;

export interface SplitRule {
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

/** See the README's "Which way a blob goes" for the reasons behind these. */
export const SPLIT_DEFAULTS: Readonly<SplitRule> = Object.freeze({
  windowBytes: 256 * 1024,
  windowMs: 50,
  fastBytesPerSecond: 100_000_000,
  minGainMs: 150,
  minRangeBytes: 2 * MiB,
});

/** What the lead request of a blob shows so far. */
export interface LeadFigures {
  /** Bytes of the blob not yet received by the lead (nor by anyone). */
  remaining: number;
  /** Bytes the lead received since its first chunk, and over how long. */
  received: number;
  elapsedMs: number;
  /** From the lead's request to its first byte: about one round trip. */
  firstByteMs: number;
  /** Connections of the budget idle now (see ConnectionBudget.idle). */
  idle: number;
}

export type SplitDecision =
  /** Too early to know the rate: ask again with the next bytes. */
  | { kind: 'wait' }
  /** Whole for now; `final` when no later figure can change that. */
  | { kind: 'whole'; final: boolean; reason: string }
  /** The lead's share is about `leadBytes` more bytes; the rest goes in ranges over `connections` more. */
  | { kind: 'split'; leadBytes: number; connections: number; reason: string };

export function decideSplit(f: LeadFigures, rule: SplitRule = SPLIT_DEFAULTS): SplitDecision {
  if (f.received <= 0 || (f.received < rule.windowBytes && f.elapsedMs < rule.windowMs))
    return { kind: 'wait' };
  if (f.elapsedMs <= 0) {
    return { kind: 'whole', final: true, reason: `${formatBytes(f.received)} came at once: not capped` };
  }
  const rate = (f.received * 1000) / f.elapsedMs;
  if (rate >= rule.fastBytesPerSecond) {
    return {
      kind: 'whole',
      final: true,
      reason: `one connection gets ${formatRate(rate)}, at least ${formatRate(rule.fastBytesPerSecond)}: not capped`,
    };
  }
  const wholeMs = (f.remaining * 1000) / rate;
  const left = () =>
    `${formatBytes(f.remaining)} left at ${formatRate(rate)} take ${formatDuration(wholeMs)}`;
  if (wholeMs < rule.minGainMs || f.remaining < 2 * rule.minRangeBytes) {
    return { kind: 'whole', final: true, reason: `${left()}: ranges would save too little` };
  }
  // Asked with every chunk while all connections are busy: no formatting here.
  if (f.idle < 1) return { kind: 'whole', final: false, reason: 'every connection was busy' };
  const k = f.idle;
  const rtt = Math.max(0, f.firstByteMs);
  const splitMs = (wholeMs + k * rtt) / (k + 1);
  const leadBytes = Math.ceil((rate * splitMs) / 1000);
  if (wholeMs - splitMs < rule.minGainMs || f.remaining - leadBytes < rule.minRangeBytes) {
    return {
      kind: 'whole',
      final: false,
      reason: `${left()}; over ${k} more connection${k === 1 ? '' : 's'} ${formatDuration(splitMs)}: too little gain`,
    };
  }
  return {
    kind: 'split',
    leadBytes,
    connections: k,
    reason: `${left()} on one connection, about ${formatDuration(splitMs)} over ${k + 1}`,
  };
}
