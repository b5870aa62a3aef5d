/**
 * Big blobs in parallel ranges: the network side of RangedWriter. One connection is capped
 * (by a CDN, by the window over a long path); a blob split into ranges fetched at once rides
 * several, inside the run's connection budget.
 */
import { setMaxListeners } from 'node:events';
import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DigestMismatchError, errorMessage, GuardError } from '../errors.js';
import type { Layout } from '../layout/layout.js';
import { RangedWriter } from '../layout/ranged-writer.js';
import type { Logger } from '../log.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { BlobLocation, RegistryClient, RepositoryRef } from '../registry/client.js';
import { RegistryError } from '../registry/errors.js';
import type { ConnectionBudget } from './budget.js';
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
  /** Blobs of at least this many bytes are fetched in ranges (when the budget allows 2+ connections). */
  thresholdBytes: number;
  /** Smallest range: each costs a round trip before its first byte. */
  minRangeBytes: number;
  /** Largest range: what a failed range costs again, and what one slow connection holds up. */
  maxRangeBytes: number;
}

/** See the README's benchmark section for the measurements behind these. */
export const RANGED_DEFAULTS: Readonly<RangedOptions> = Object.freeze({
  thresholdBytes: 16 * MiB,
  minRangeBytes: 2 * MiB,
  maxRangeBytes: 16 * MiB,
});

/**
 * Bytes that arrived wait at most this long before they are written: what a kill can lose of a
 * slow connection's bytes (a fast one fills a batch sooner).
 */
const BATCH_MAX_MS = 100;

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
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /**
   * Called once when this blob no longer needs to be first in the connection queue: its ranges
   * are queued, it waits for another process's download, or it is done (fetched, present, failed).
   */
  onQueued?: () => void;
}

/** Whether a blob goes in ranges: big enough, and more than one connection to share; or a ranged partial to resume. */
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

/** Bytes per range for a blob: its share of the connections, within [min, max]. */
export function rangeSize(size: number, connections: number, o: RangedOptions): number {
  return Math.min(o.maxRangeBytes, Math.max(o.minRangeBytes, Math.ceil(size / connections)));
}

/**
 * ensureBlob's counterpart for big blobs: reuses the blob when it is already there and valid,
 * else fetches what is missing of it in ranges (resuming an earlier run's), and renames it into
 * place only when size and digest match. A whole-blob digest cannot say which range was wrong,
 * so a mismatch starts the blob over once. A transfer that fails keeps what landed for the next
 * run. Holds no connection while it waits for the blob's lock.
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
    const { budget, ranged } = this.ctx;
    const size = rangeSize(this.descriptor.size, budget.perHost, ranged);
    const todo: [number, number][] = [];
    for (const [a, b] of this.writer.missing())
      for (let s = a; s < b; s += size) todo.push([s, Math.min(b, s + size)]);
    const first = todo.shift();
    if (!first) return;
    this.ctx.logger?.debug(
      `${this.#subject}: ${todo.length + 1} ranges of up to ${size} bytes${this.writer.resumed ? ` (${this.writer.resumed} bytes resumed)` : ''}`,
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
   * Fetches one range into the writer, resuming inside it after a failure; `stream` when the
   * server sent the whole blob instead; `skipped` when `ranges` (awaited holding the connection)
   * says the server does not do ranges.
   */
  async #fetch(
    range: [number, number],
    probe: boolean,
    ranges?: Promise<boolean>,
  ): Promise<'range' | 'stream' | 'skipped'> {
    const [start, end] = range;
    let at = start;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ctx.budget.run(
          this.ctx.host,
          this.ctx.priority ?? this.descriptor.size,
          async () => {
            if (ranges && !(await ranges)) return 'skipped';
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
            if (!probe || at !== start) {
              if (res.kind === 'whole') res.body.destroy();
              throw new RangeRefused(
                `${this.#subject}: ${res.kind === 'whole' ? 'the server sent the whole blob for a range' : res.detail}`,
                { temporary: true },
              );
            }
            // No ranges here: one stream from byte 0, never mixed with what came in ranges.
            this.ctx.logger?.debug(
              `${this.#subject}: no ranges (${res.kind === 'whole' ? 'HTTP 200' : res.detail}); one stream`,
            );
            await this.writer.restart();
            const body =
              res.kind === 'whole'
                ? res.body
                : (await this.client.blob(this.repo, this.descriptor, { signal: this.#signal })).body;
            await this.#copy(body, 0, () => {});
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

  /** Writes a body at `position` (see copyInBatches), telling `advanced` of every batch written. */
  async #copy(body: Readable, position: number, advanced: (n: number) => void): Promise<void> {
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
      { maxWaitMs: BATCH_MAX_MS },
    );
  }
}

/** Network trouble, a cut, a refused or wrong range: another try may do. A policy refusal or a 4xx will not. */
function retryable(err: unknown): boolean {
  if (err instanceof RegistryError) return err.temporary;
  if (err instanceof GuardError) return err instanceof DigestMismatchError;
  return true;
}
