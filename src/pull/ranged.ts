/**
 * Big blobs in parallel ranges: the network side of RangedWriter. One connection is capped
 * (by a CDN, by the window over a long path); a blob split into ranges fetched at once rides
 * several, inside the run's connection budget.
 */
import { setMaxListeners } from 'node:events';
import { lstat } from 'node:fs/promises';
import { DigestMismatchError, errorMessage, GuardError } from '../errors.js';
import type { Layout } from '../layout/layout.js';
import type { Intervals } from '../layout/intervals.js';
import { RangedWriter } from '../layout/ranged-writer.js';
import type { Logger } from '../log.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { BlobLocation, RangeResponse, RegistryClient, RepositoryRef } from '../registry/client.js';
import { RegistryError } from '../registry/errors.js';
import { formatBytes } from '../format.js';
import type { ConnectionBudget } from './budget.js';
import { decideSplit, SPLIT_DEFAULTS, type Reason, type SplitRule } from './split.js';
import {
  blobSubject,
  copyInBatches,
  diskFailure,
  transferFailure,
  underBlobLock,
  type DownloadResult,
  type ValidSet,
} from './download.js';

const MiB = 1024 * 1024;

export interface RangedOptions {
  /**
   * Blobs of at least this many bytes may go in ranges (when the budget allows 2+ connections):
   * in ranges from the first byte, or, with `when-it-pays`, once the first request shows it pays (split.ts).
   */
  thresholdBytes: number;
  /** `when-it-pays` (default): as above; `always`: every such blob in ranges from its first byte. */
  split: 'when-it-pays' | 'always';
  /** Overrides of the rule that decides (tests, the bench). */
  rule?: Partial<SplitRule>;
  /** Smallest range: each costs a round trip before its first byte. */
  minRangeBytes: number;
  /** Largest range: what a failed range costs again, and what one slow connection holds up. */
  maxRangeBytes: number;
}

/** See the README's benchmark section for the measurements behind these. */
export const RANGED_DEFAULTS: Readonly<RangedOptions> = Object.freeze({
  thresholdBytes: 16 * MiB,
  split: 'when-it-pays',
  minRangeBytes: 2 * MiB,
  maxRangeBytes: 16 * MiB,
});

/**
 * Bytes that arrived wait at most this long before they are written and recorded: what a kill
 * can lose of a connection's bytes. A connection this short of filling a batch (WRITE_BATCH_BYTES)
 * in that time (under 100 MB/s: a capped or distant one) writes smaller batches: at 25 MB/s
 * about 250 kB, so a kill loses well under 1 MB per connection.
 */
const BATCH_MAX_MS = 10;

/** Tries per range (a cut, a wrong Content-Range, a network error) before the blob's download gives up. */
const RANGE_ATTEMPTS = 3;

export interface BigBlobContext {
  budget: ConnectionBudget;
  /** The budget's key: the registry host. */
  host: string;
  /** Of this blob's ranges in the budget's queue (default: its size). */
  priority?: number;
  ranged: RangedOptions;
  valid: ValidSet;
  onBytes?: (n: number) => void;
  /** Bytes the run still has to fetch, this blob's included (for decideSplit's othersMs). */
  pending?: () => number;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /**
   * Called once when this blob no longer needs to be first in the connection queue: its ranges
   * are queued, it waits for another process's download, or it is done (fetched, present, failed).
   */
  onQueued?: () => void;
}

/**
 * Whether a blob goes through ensureBigBlob (which may split it): big enough, and more than one
 * connection to share; or a ranged partial to resume.
 */
export async function wantsRanges(
  layout: Layout,
  descriptor: Descriptor,
  ctx: Pick<BigBlobContext, 'budget' | 'ranged'>,
): Promise<boolean> {
  if (bigEnoughForRanges(descriptor, ctx)) return true;
  return (await lstat(layout.rangesPath(descriptor.digest)).catch(() => undefined)) !== undefined;
}

/** Big enough to go in ranges, with more than one connection to share. */
export function bigEnoughForRanges(
  descriptor: Descriptor,
  ctx: Pick<BigBlobContext, 'budget' | 'ranged'>,
): boolean {
  return descriptor.size >= ctx.ranged.thresholdBytes && ctx.budget.perHost > 1;
}

/** Why a blob that ensureBigBlob does not take goes whole (for verbose output). */
export function wholeReason(descriptor: Descriptor, ctx: Pick<BigBlobContext, 'budget' | 'ranged'>): string {
  if (ctx.budget.perHost <= 1) return 'one connection per registry';
  return `${formatBytes(descriptor.size)}, under ${formatBytes(ctx.ranged.thresholdBytes)}`;
}

/** Bytes per range for a blob: its share of the connections, within [min, max]. */
export function rangeSize(size: number, connections: number, o: RangedOptions): number {
  return Math.min(o.maxRangeBytes, Math.max(o.minRangeBytes, Math.ceil(size / connections)));
}

/**
 * ensureBlob's counterpart for big blobs: reuses the blob when it is already there and valid,
 * else fetches what is missing of it (resuming an earlier run's) as one request that splits
 * into ranges when that pays (see RangedDownload), and renames it into place only when size and
 * digest match. A whole-blob digest cannot say which range was wrong, so a mismatch starts the
 * blob over once. A transfer that fails keeps what landed for the next run. Holds no
 * connection while it waits for the blob's lock.
 */
export async function ensureBigBlob(
  layout: Layout,
  client: RegistryClient,
  repo: RepositoryRef,
  descriptor: Descriptor,
  ctx: BigBlobContext,
): Promise<DownloadResult> {
  const fetching = underBlobLock(
    layout,
    descriptor,
    ctx.valid,
    async () => {
      let fetched = 0;
      const onBytes = (n: number) => {
        fetched += n;
        ctx.onBytes?.(n);
      };
      for (let attempt = 0; ; attempt++) {
        const writer = await RangedWriter.open(layout, descriptor);
        try {
          await new RangedDownload(client, repo, descriptor, writer, { ...ctx, onBytes }).run();
        } catch (err) {
          await writer.close();
          throw transferFailure(err, repo, descriptor, writer.landed, ctx.signal);
        }
        try {
          await writer.commit();
        } catch (err) {
          if (err instanceof DigestMismatchError && attempt === 0) {
            ctx.logger?.info(`${blobSubject(repo, descriptor)}: ${err.message}; fetching it again`);
            continue;
          }
          throw diskFailure(err, repo, descriptor) ?? err;
        }
        ctx.valid.add(descriptor.digest);
        return { fetched, cached: false, resumed: writer.resumed };
      }
    },
    ctx.onQueued,
  );
  return fetching.finally(() => ctx.onQueued?.());
}

/** What the lead request (RangedDownload.#lead) tells the pieces' keeper (#leadFirst). */
interface LeadHooks {
  /** No answer yet (`why`): ranges may start on the last pieces; returns where the lead now stops. */
  speculate(leadEnd: number, why: string): number;
  /** Splitting pays: cut [boundary, leadEnd) into pieces and queue ranges for `connections` more. */
  split(boundary: number, leadEnd: number, connections: number): void;
  /** Whole: ranges take no more pieces. */
  whole(): void;
  /** The lead reached `end`: the next piece's end when no range took it, else undefined. */
  claim(end: number): number | undefined;
  /** The server ignores Range: ranges stop and are waited for; the lead streams everything. */
  quiesce(): Promise<void>;
}

/** A range answered with other bytes than asked for: worth asking again. */
class RangeRefused extends RegistryError {}

/** One pass over what a RangedWriter is missing. */
class RangedDownload {
  #location: BlobLocation | undefined;
  /** Resolves true once a range came back as asked for. */
  readonly #rangesConfirmed: Promise<boolean>;
  #confirmRanges!: () => void;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  readonly #subject: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly repo: RepositoryRef,
    private readonly descriptor: Descriptor,
    private readonly writer: RangedWriter,
    private readonly ctx: BigBlobContext & { onBytes: (n: number) => void },
  ) {
    this.#signal = ctx.signal ? AbortSignal.any([ctx.signal, this.#abort.signal]) : this.#abort.signal;
    // Every range in flight listens to it.
    setMaxListeners(ctx.budget.perHost + 8, this.#signal);
    this.#subject = blobSubject(repo, descriptor);
    this.#rangesConfirmed = new Promise((resolve) => (this.#confirmRanges = () => resolve(true)));
  }

  async run(): Promise<void> {
    const missing = this.writer.missing();
    const [gap] = missing;
    if (!gap) return;
    // One gap up to the end (a fresh blob, or one an earlier whole download left a prefix of):
    // one request first, ranges only if it pays. Holes an earlier ranged pull left: in ranges.
    if (this.ctx.ranged.split === 'always') return this.#inRanges(missing, 'always split');
    if (missing.length > 1 || gap[1] !== this.descriptor.size)
      return this.#inRanges(missing, 'resuming the ranges an earlier pull left');
    return this.#leadFirst(gap[0]);
  }

  /** Everything missing in ranges at once, the first one probing whether the server does ranges. */
  async #inRanges(missing: Intervals, why: string): Promise<void> {
    const { budget, ranged } = this.ctx;
    const size = rangeSize(this.descriptor.size, budget.perHost, ranged);
    const todo: [number, number][] = [];
    for (const [a, b] of missing) for (let s = a; s < b; s += size) todo.push([s, Math.min(b, s + size)]);
    const first = todo.shift();
    if (!first) return;
    this.ctx.logger?.debug(
      `${this.#subject}: ranged (${why}): ${todo.length + 1} ranges of up to ${size} bytes${this.writer.resumed ? ` (${this.writer.resumed} bytes resumed)` : ''}`,
    );
    // The first range is the probe: its answer tells whether the server does ranges at all.
    // The other ranges queue for their connections at once and, holding them, wait for that
    // answer: a connection left to a small blob for the probe's round trip would be held for
    // that blob's whole transfer, and the big blob would get its connections one by one.
    let failure: unknown;
    const fail = (err: unknown) => {
      failure ??= err;
      this.#abort.abort();
    };
    const probe = this.#fetch(first, true);
    const ranges = Promise.race([
      this.#rangesConfirmed,
      probe.then(
        (kind) => kind === 'range',
        () => false,
      ),
    ]);
    const worker = async () => {
      for (let r = todo.shift(); r && failure === undefined; r = todo.shift())
        if ((await this.#fetch(r, false, ranges).catch(fail)) === 'skipped') return;
    };
    const workers = Math.min(budget.perHost - 1, todo.length);
    const all = Promise.all([probe.catch(fail), ...Array.from({ length: Math.max(1, workers) }, worker)]);
    this.ctx.onQueued?.(); // every range above is in the budget's queue now
    await all;
    if (failure !== undefined) throw failure;
  }

  /**
   * One request for everything from `from` (the lead). Once its first bytes show the rate and
   * decideSplit says splitting pays, what lies beyond is cut into pieces: ranges over the other
   * connections take them from the back, the lead goes on taking them from the front, so the
   * two meet wherever the rates put them (no estimate of the rate fixes the boundary).
   * Otherwise the lead brings the whole blob. When the lead has no answer within
   * `speculateAfterMs` (a far registry), ranges on the idle connections start on the last
   * pieces at once, while the rate is being learnt; a whole decision then only stops them
   * taking more, and the lead takes what they left.
   */
  async #leadFirst(from: number): Promise<void> {
    const { budget, ranged } = this.ctx;
    const size = this.descriptor.size;
    let failure: unknown;
    const fail = (err: unknown) => {
      failure ??= err;
      this.#abort.abort();
    };
    const workers: Promise<unknown>[] = [];
    let running = 0;
    /** Sorted, not overlapping: the lead shifts from the front, ranges pop from the back. */
    const pieces: [number, number][] = [];
    /** Ranges take no more pieces (the lead takes them). */
    let closed = false;
    /** One per piece a range took, settled when that range is done with it. */
    const taken: Promise<void>[] = [];
    /** A piece a speculative range could not fetch (the server ignored Range): back, for the lead. */
    const giveBack = (piece: [number, number]) => {
      closed = true;
      pieces.push(piece);
      pieces.sort((a, b) => a[0] - b[0]);
    };
    // A range takes its piece only once it holds a connection: one still waiting for a
    // connection holds nothing away from the lead, and finds nothing left if the lead got there.
    const worker = async (speculative: boolean) => {
      running++;
      while (failure === undefined) {
        let done = () => {};
        const take = () => {
          const piece = failure === undefined && !closed ? pieces.pop() : undefined;
          if (piece) taken.push(new Promise<void>((resolve) => (done = resolve)));
          return piece;
        };
        const got = await this.#fetch(take, false, undefined, speculative ? giveBack : undefined).catch(fail);
        done();
        if (got !== 'range') break;
      }
      running--;
    };
    const start = (n: number, speculative: boolean) => {
      for (let i = 0; i < n; i++) workers.push(worker(speculative));
    };
    const lead: LeadHooks = {
      speculate: (leadEnd, why) => {
        const idle = budget.idle(this.ctx.host);
        const piece = rangeSize(size - from, budget.perHost, ranged);
        const n = Math.min(idle, Math.floor((leadEnd - from) / piece) - 1);
        if (n < 1 || pieces.length > 0) return leadEnd;
        const first = size - n * piece;
        for (let s = first; s < size; s += piece) pieces.push([s, Math.min(size, s + piece)]);
        this.ctx.logger?.debug(
          `${this.#subject}: ${why}: ${n} ranges of ${piece} bytes start on the blob's last ${formatBytes(size - first)} while its rate is learnt`,
        );
        start(n, true);
        return first;
      },
      split: (boundary, leadEnd, connections) => {
        const cut: [number, number][] = [];
        const step = rangeSize(size - boundary, connections + 1, ranged);
        for (let s = boundary; s < leadEnd; s += step) cut.push([s, Math.min(leadEnd, s + step)]);
        pieces.unshift(...cut);
        this.ctx.logger?.debug(
          `${this.#subject}: ${pieces.length} pieces of up to ${step} bytes from byte ${boundary}: ranges take them from the back, the first request from the front`,
        );
        start(Math.min(connections - running, pieces.length), false);
      },
      whole: () => {
        closed = true;
      },
      claim: (end) => {
        if (pieces[0]?.[0] !== end) return undefined;
        return pieces.shift()![1];
      },
      quiesce: async () => {
        closed = true;
        await Promise.all(taken);
        pieces.length = 0;
      },
    };
    const leading = this.#lead(from, lead).catch(fail);
    this.ctx.onQueued?.(); // the lead is in the budget's queue now
    await leading;
    // Pieces left (the lead stopped at its end after a retry): ranges take them. None left:
    // only the ranges that took one matter; those still queued will find nothing.
    if (pieces.length > 0 && failure === undefined) {
      closed = false;
      start(Math.min(budget.perHost - 1, pieces.length), false);
      await Promise.all(workers);
    }
    await Promise.all(taken);
    if (failure !== undefined) throw failure;
  }

  /**
   * How long the run's other downloads take if every connection in use to the host goes at
   * `rate` (the lead's); undefined when the run says nothing of them.
   */
  #othersMs(remaining: number, rate: number): number | undefined {
    const pending = this.ctx.pending?.();
    if (pending === undefined || !(rate > 0)) return undefined;
    const busy = Math.max(1, this.ctx.budget.busy(this.ctx.host));
    return (Math.max(0, pending - remaining) * 1000) / (rate * busy);
  }

  /** The lead request (see #leadFirst), resuming after a failure from where it got to. */
  async #lead(from: number, hooks: LeadHooks): Promise<void> {
    const { budget, host } = this.ctx;
    const size = this.descriptor.size;
    const rule: SplitRule = {
      ...SPLIT_DEFAULTS,
      minRangeBytes: this.ctx.ranged.minRangeBytes,
      ...this.ctx.ranged.rule,
    };
    /** Where the lead stops: the blob's end until ranges take pieces; then the end of the pieces it claimed. */
    let end = size;
    let splitAt: number | undefined;
    let settled = false;
    let reason: Reason = () => 'finished before its rate was known';
    let at = from;
    for (let attempt = 1; ; attempt++) {
      try {
        await budget.run(host, this.ctx.priority ?? size, async () => {
          const asked = performance.now();
          /** Past `end` the lead claims pieces only while its body goes on to the blob's end. */
          const open = end === size;
          // A registry known far (its manifests were slow to answer) gets them with this request.
          const roundTrip = this.client.roundTripMs?.(this.repo.registry);
          const far = roundTrip !== undefined && roundTrip >= rule.farRoundTripMs;
          const why = far ? `far (its manifests answered in ${Math.round(roundTrip)} ms)` : 'no answer yet';
          const wait = far ? 0 : rule.speculateAfterMs;
          const early =
            attempt === 1 && Number.isFinite(wait)
              ? setTimeout(() => (end = hooks.speculate(end, why)), wait)
              : undefined;
          let res: RangeResponse;
          try {
            res = await this.client.blobRange(this.repo, this.descriptor, {
              start: at,
              end,
              location: this.#location,
              signal: this.#signal,
            });
          } finally {
            clearTimeout(early);
          }
          this.#location = res.location;
          if (res.kind !== 'range') {
            if (!open || at !== from) {
              if (res.kind === 'whole') res.body.destroy();
              throw new RangeRefused(
                `${this.#subject}: ${res.kind === 'whole' ? 'the server sent the whole blob for a range' : res.detail}`,
                { temporary: true },
              );
            }
            settled = true;
            const detail = res.kind === 'whole' ? 'the server ignores Range (HTTP 200)' : res.detail;
            reason = () => detail;
            await hooks.quiesce();
            await this.#oneStream(res);
            return;
          }
          this.#confirmRanges();
          let received = at;
          let firstAt: number | undefined;
          let firstByteMs = 0;
          let sinceFirst = 0;
          /** Once the rest of the run outlasts the blob, the rule is asked again only this far on. */
          let askAgainAt = 0;
          const watch = (n: number) => {
            received += n;
            if (settled || received < askAgainAt) return;
            const now = performance.now();
            if (firstAt === undefined) {
              firstAt = now;
              firstByteMs = now - asked;
              return;
            }
            sinceFirst += n;
            const elapsedMs = now - firstAt;
            const remaining = end - received;
            const d = decideSplit(
              {
                remaining,
                received: sinceFirst,
                elapsedMs,
                firstByteMs,
                others: budget.perHost - 1,
                othersMs: this.#othersMs(remaining, (sinceFirst * 1000) / elapsedMs),
              },
              rule,
            );
            if (d.kind === 'wait') {
              // Not the tail yet: the figures move little within a window's bytes.
              if (d.reason) {
                reason = d.reason;
                askAgainAt = received + rule.windowBytes;
              }
              return;
            }
            reason = d.reason;
            settled = true;
            if (d.kind === 'whole') return hooks.whole();
            const leadEnd = end;
            splitAt = end = received;
            this.ctx.logger?.debug(
              `${this.#subject}: ranged after ${formatBytes(received - from)}: ${reason()}`,
            );
            hooks.split(received, leadEnd, d.connections);
          };
          /** Past `end`, the next piece when it is still free. */
          const more = (): boolean => {
            const next = open ? hooks.claim(end) : undefined;
            if (next !== undefined) end = next;
            return next !== undefined;
          };
          /** The body up to `end` (a split moves it while the bytes come). */
          async function* upToEnd(body: AsyncIterable<Buffer>, pos: number): AsyncGenerator<Buffer> {
            if (pos >= end && !more()) return;
            for await (const chunk of body) {
              let part = chunk;
              while (part.length > 0) {
                const take = part.length > end - pos ? part.subarray(0, end - pos) : part;
                pos += take.length;
                if (take.length > 0) yield take;
                part = part.subarray(take.length);
                if (pos >= end && !more()) return;
              }
            }
          }
          await this.#copy(upToEnd(res.body, at), at, (n) => (at += n), watch);
        });
        if (splitAt === undefined) this.ctx.logger?.debug(`${this.#subject}: whole: ${reason()}`);
        return;
      } catch (err) {
        if (this.#signal.aborted || attempt >= RANGE_ATTEMPTS || !retryable(err)) throw err;
        this.ctx.logger?.debug(
          `${this.#subject}: bytes ${at}-${end - 1}: ${errorMessage(err)}; asking again (${attempt} of ${RANGE_ATTEMPTS})`,
        );
      }
    }
  }

  /** The server does not do ranges: one stream from byte 0, never mixed with what came in ranges. */
  async #oneStream(res: Exclude<RangeResponse, { kind: 'range' }>): Promise<void> {
    this.ctx.logger?.debug(
      `${this.#subject}: no ranges (${res.kind === 'whole' ? 'HTTP 200' : res.detail}); one stream`,
    );
    await this.writer.restart();
    const body =
      res.kind === 'whole'
        ? res.body
        : (await this.client.blob(this.repo, this.descriptor, { signal: this.#signal })).body;
    await this.#copy(body, 0, () => {});
  }

  /**
   * Fetches one range into the writer, resuming inside it after a failure; `stream` when the
   * server sent the whole blob instead; `skipped` when `ranges` (awaited holding the connection)
   * says the server does not do ranges, or when `piece`, asked once a connection is held, gives
   * no range.
   */
  async #fetch(
    piece: [number, number] | (() => [number, number] | undefined),
    probe: boolean,
    ranges?: Promise<boolean>,
    refused?: (range: [number, number]) => void,
  ): Promise<'range' | 'stream' | 'skipped'> {
    let range = typeof piece === 'function' ? undefined : piece;
    let [start, end] = range ?? [0, 0];
    let at = start;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ctx.budget.run(
          this.ctx.host,
          this.ctx.priority ?? this.descriptor.size,
          async () => {
            if (ranges && !(await ranges)) return 'skipped';
            if (!range && typeof piece === 'function') {
              if (!(range = piece())) return 'skipped';
              [start, end] = range;
              at = start;
            }
            const res = await this.client.blobRange(this.repo, this.descriptor, {
              start: at,
              end,
              location: this.#location,
              signal: this.#signal,
            });
            this.#location = res.location;
            if (res.kind === 'range') {
              this.#confirmRanges();
              await this.#copy(res.body, at, (n) => (at += n));
              return 'range';
            }
            if (refused && at === start) {
              // Asked before the lead's answer said whether the server does ranges: not an error.
              if (res.kind === 'whole') res.body.destroy();
              refused(range!);
              return 'skipped';
            }
            if (!probe || at !== start) {
              if (res.kind === 'whole') res.body.destroy();
              throw new RangeRefused(
                `${this.#subject}: ${res.kind === 'whole' ? 'the server sent the whole blob for a range' : res.detail}`,
                { temporary: true },
              );
            }
            await this.#oneStream(res);
            return 'stream';
          },
        );
      } catch (err) {
        if (this.#signal.aborted || attempt >= RANGE_ATTEMPTS || !retryable(err)) throw err;
        this.ctx.logger?.debug(
          `${this.#subject}: bytes ${at}-${end - 1}: ${errorMessage(err)}; asking again (${attempt} of ${RANGE_ATTEMPTS})`,
        );
      }
    }
  }

  /**
   * Writes a body at `position` (see copyInBatches), telling `advanced` of every batch written
   * and `onChunk` of every chunk received.
   */
  async #copy(
    body: AsyncIterable<Buffer>,
    position: number,
    advanced: (n: number) => void,
    onChunk?: (n: number) => void,
  ): Promise<void> {
    let at = position;
    await copyInBatches(
      body,
      this.client.rateFloor,
      async (chunks, n) => {
        const from = at;
        at += n;
        await this.writer.write(from, chunks);
        advanced(n);
        this.ctx.onBytes(n);
      },
      { maxWaitMs: BATCH_MAX_MS, ...(onChunk ? { onChunk } : {}) },
    );
  }
}

/** Network trouble, a cut, a refused or wrong range: another try may do. A policy refusal or a 4xx will not. */
function retryable(err: unknown): boolean {
  if (err instanceof RegistryError) return err.temporary;
  if (err instanceof GuardError) return err instanceof DigestMismatchError;
  return true;
}
