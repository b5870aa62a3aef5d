import { unlink } from 'node:fs/promises';
import { finished, Readable } from 'node:stream';
import { DigestMismatchError, GuardError } from '../errors.js';
import { BlobWriter } from '../layout/blob-writer.js';
import type { Layout } from '../layout/layout.js';
import { digestAlgorithm, digestHex } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { RegistryClient, RepositoryRef } from '../registry/client.js';
import { networkMessage, RegistryError } from '../registry/errors.js';
import { FloorWatch, floored, type RateFloor } from '../registry/rate-floor.js';
import { hashFileInline } from '../hash/hash-pool.js';

/** Blobs known good in this run: verified by the verifier or written by us. Never hashed twice. */
export type ValidSet = Set<string>;

/**
 * Bytes gathered from the network before they go to disk in one writev(): while one batch is
 * being written the next one fills, so the socket and the disk work at the same time, and at
 * most two batches per download are held in memory. Each write is a round trip to libuv's
 * thread pool (and, for ranges, a record update): 1 MiB took 8-19% less main-thread CPU per
 * byte than 256 KiB on loopback; 2 and 4 MiB no less than 1 MiB.
 */
export const WRITE_BATCH_BYTES = 1024 * 1024;
/**
 * A batch that is not full goes to disk this long after its first byte came, even when no
 * byte follows (a stalled connection): what arrived is on disk for a resume, whatever happens
 * to the process next.
 */
export const WRITE_BATCH_MAX_MS = 100;

export interface DownloadResult {
  /** Bytes received from the network for this blob. */
  fetched: number;
  /** True when the blob was already in the cache and valid. */
  cached: boolean;
  /** True when we hashed the cached blob to know (it was not known valid in this run). */
  hashed?: boolean;
  /** Bytes of an earlier partial download reused through a Range request. */
  resumed: number;
}

export interface DownloadOptions {
  valid: ValidSet;
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

/**
 * Makes `descriptor`'s blob present and valid in the layout: reuses it when it is already
 * there and verified, else downloads it into `<hex>.download` (resuming an earlier partial with
 * a Range request), hashing as it streams, and renames it into place only when it matches.
 * Wrong bytes (a digest or size mismatch, after a resume or not) are deleted and the download
 * starts over from zero once; a transfer that breaks keeps what arrived for the next run.
 */
export async function ensureBlob(
  layout: Layout,
  client: RegistryClient,
  repo: RepositoryRef,
  descriptor: Descriptor,
  options: DownloadOptions,
): Promise<DownloadResult> {
  return underBlobLock(layout, descriptor, options.valid, async () => {
    // The lock may have been a long wait: the image that wanted the blob may have failed since.
    options.signal?.throwIfAborted();
    let fetched = 0;
    let resumed = 0;
    for (let attempt = 0; ; attempt++) {
      let writer = await BlobWriter.open(layout, descriptor, { resume: attempt === 0 });
      try {
        if (writer.complete) {
          // Every byte is here already: renamed when it matches, else (DigestMismatchError) fetched again.
          await writer.commit();
          options.valid.add(descriptor.digest);
          return { fetched: 0, cached: false, resumed: writer.offset };
        }
        const response = await client.blob(repo, descriptor, {
          ...(writer.offset > 0 ? { offset: writer.offset } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (response.start !== writer.offset) {
          // The server ignored the Range request: start over with the whole body.
          await writer.discard();
          writer = await BlobWriter.open(layout, descriptor, { resume: false });
        } else resumed = writer.offset;
        await copyInBatches(response.body, client.rateFloor, (chunks) => writer.writev(chunks), {
          onChunk: (n) => {
            fetched += n;
            options.onBytes?.(n);
          },
        });
        await writer.commit();
        options.valid.add(descriptor.digest);
        return { fetched, cached: false, resumed };
      } catch (err) {
        if (err instanceof DigestMismatchError) {
          // Proven wrong (a corrupted transfer, a bad partial, a registry sending too much):
          // never kept, and worth one fresh download.
          await writer.discard();
          if (attempt === 0) continue;
          throw err;
        }
        // Keep the partial for the next run: its bytes are checked by the final digest.
        await writer.close();
        throw transferFailure(err, repo, descriptor, writer.written, options.signal);
      }
    }
  });
}

/**
 * What every download starts with: a blob known valid in this run needs nothing; otherwise,
 * under the blob's download lock (another process may be fetching it), one already present and
 * valid is reused, and only a blob still missing is handed to `fetch`.
 */
export async function underBlobLock(
  layout: Layout,
  descriptor: Descriptor,
  valid: ValidSet,
  fetch: () => Promise<DownloadResult>,
  onLockBusy?: () => void,
): Promise<DownloadResult> {
  if (valid.has(descriptor.digest)) return { fetched: 0, cached: true, resumed: 0 };
  const lock = await layout.lockBlob(descriptor.digest, onLockBusy ? { onBusy: onLockBusy } : {});
  try {
    const hashed = !valid.has(descriptor.digest);
    if (await isPresentAndValid(layout, descriptor, valid))
      return { fetched: 0, cached: true, resumed: 0, hashed };
    return await fetch();
  } finally {
    await lock.release();
  }
}

/**
 * Streams `body`, through the rate floor, to `write` in batches of about WRITE_BATCH_BYTES (or
 * what arrived within `maxWaitMs`, so a slow connection's bytes do not wait long), one write in
 * flight while the next batch fills, so the socket and the disk work at the same time. When the
 * body fails halfway, everything that did arrive is still written (the next run resumes right
 * after it), then the error is thrown. `onChunk` hears of each chunk as it arrives.
 *
 * A Readable (a response body) is read by its events, paused while a full batch waits for the
 * write before it: no promise per chunk, only per batch. Any other iterable is iterated.
 */
export async function copyInBatches(
  body: AsyncIterable<Buffer>,
  floor: RateFloor,
  write: (chunks: Buffer[], bytes: number) => Promise<void>,
  options: { maxWaitMs?: number; onChunk?: (bytes: number) => void } = {},
): Promise<void> {
  const batches = new Batches(write, options.maxWaitMs ?? WRITE_BATCH_MAX_MS);
  let readError: unknown;
  try {
    if (body instanceof Readable) await readByEvents(body, floor, batches, options.onChunk);
    else {
      for await (const chunk of floored(body, floor)) {
        options.onChunk?.(chunk.length);
        if (batches.add(chunk)) await batches.send();
      }
    }
  } catch (err) {
    readError = err;
  }
  await batches.finish();
  if (readError !== undefined) throw readError;
}

/** Chunks gathered into batches, each written after the one before it (one write at a time). */
class Batches {
  #chunks: Buffer[] = [];
  #bytes = 0;
  #started = 0;
  /** Sends the batch once it waited maxWaitMs, when no chunk came to send it. */
  #timer: NodeJS.Timeout | undefined;
  /** The last write started; a failed write fails every later one too (they never run). */
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (chunks: Buffer[], bytes: number) => Promise<void>,
    private readonly maxWaitMs: number,
  ) {}

  /** Adds a chunk; true when the batch should go (full, or its first byte waited long enough). */
  add(chunk: Buffer): boolean {
    if (this.#bytes === 0) {
      this.#started = performance.now();
      this.#timer = setTimeout(() => void this.send(), this.maxWaitMs);
      this.#timer.unref();
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    return this.#bytes >= WRITE_BATCH_BYTES || performance.now() - this.#started >= this.maxWaitMs;
  }

  /**
   * Queues the batch behind the write in flight; resolves once that earlier write is done
   * (rejects with its failure), so at most two batches are held.
   */
  send(): Promise<void> {
    clearTimeout(this.#timer);
    const before = this.#tail;
    if (this.#bytes === 0) return before;
    const [chunks, bytes] = [this.#chunks, this.#bytes];
    this.#chunks = [];
    this.#bytes = 0;
    this.#tail = before.then(() => this.write(chunks, bytes));
    // Awaited by finish(); a failure must not count as unhandled meanwhile.
    this.#tail.catch(() => {});
    return before;
  }

  /** Writes what is left and waits for every write; throws the first write's failure. */
  async finish(): Promise<void> {
    if (this.#bytes > 0) void this.send();
    await this.#tail;
  }
}

/**
 * Feeds `body`'s chunks to `batches` as its 'data' events come, pausing it while a full batch
 * waits for the write before it; resolves at its end, rejects (destroying it) on its error, a
 * write's failure, or the rate floor.
 */
function readByEvents(
  body: Readable,
  floor: RateFloor,
  batches: Batches,
  onChunk: ((bytes: number) => void) | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const watch = new FloorWatch(floor);
    let held = false;
    let done = false;
    const stop = (err?: unknown): void => {
      if (done) return;
      done = true;
      body.off('data', onData);
      untrack();
      if (err === undefined) return resolve();
      body.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      const tooSlow = watch.arrived(chunk.length); // the chunk is kept all the same
      onChunk?.(chunk.length);
      if (batches.add(chunk) && !held) {
        held = true;
        body.pause();
        batches.send().then(() => {
          held = false;
          if (done) return;
          watch.asking();
          body.resume();
        }, stop);
      }
      if (tooSlow) return stop(tooSlow);
      if (!held) watch.asking();
    };
    const untrack = finished(body, (err) => stop(err ?? undefined));
    body.on('data', onData);
  });
}

/** What the disk said, in words, by errno code: these are failures of the cache, not of the network. */
const DISK_ERRORS: Readonly<Record<string, string>> = {
  EISDIR: 'a directory is in the way',
  ENOTDIR: 'a file is in the way of a directory',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * A blob that could not be written or put in place because of the disk (a directory sitting at
 * the blob's name, a full disk): one line naming the blob, the path and what to do; undefined
 * for anything else. Raw errno text (`EISDIR: illegal operation on a directory, rename …`)
 * would read as a network failure with its "kept for the next pull".
 */
export function diskFailure(
  err: unknown,
  repo: RepositoryRef,
  descriptor: Descriptor,
): GuardError | undefined {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const what = typeof e?.code === 'string' ? DISK_ERRORS[e.code] : undefined;
  if (!what || typeof e.syscall !== 'string') return undefined;
  const at = e.code === 'EISDIR' && e.dest ? e.dest : e.path;
  return new GuardError(
    `${blobSubject(repo, descriptor)}: cannot write it into the cache: ${what}${at ? ` at ${at}` : ''} (${e.code} on ${e.syscall}); fix that and pull again`,
    { cause: err },
  );
}

/** `blob registry/repository@digest`: how download messages name a blob. */
export function blobSubject(repo: RepositoryRef, descriptor: Descriptor): string {
  return `blob ${repo.registry}/${repo.repository}@${descriptor.digest}`;
}

/**
 * A blob transfer that broke, as one line: the blob, what went wrong, and how many of its
 * bytes are kept for the next pull to resume. Whole-blob and ranged downloads both say it so.
 * A GuardError (already one line) and anything after an abort are returned as they are.
 */
export function transferFailure(
  err: unknown,
  repo: RepositoryRef,
  descriptor: Descriptor,
  kept: number,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted || err instanceof GuardError) return err;
  const disk = diskFailure(err, repo, descriptor);
  if (disk) return disk;
  const message = `${blobSubject(repo, descriptor)}: ${networkMessage(err)}; ${kept} of ${descriptor.size} bytes kept for the next pull`;
  return new RegistryError(message, { temporary: true, cause: err });
}

/**
 * A blob already under its final name is reused only after hashing proves it. Only a file
 * proven wrong (it hashes to another digest) is deleted. A valid blob of another size than
 * the descriptor declares (the descriptor is what is wrong), or a file longer than declared
 * (not hashed to its end), is kept: a download renames over it only bytes that match.
 */
export async function isPresentAndValid(
  layout: Layout,
  descriptor: Descriptor,
  valid: ValidSet,
): Promise<boolean> {
  if (valid.has(descriptor.digest)) return true;
  const path = layout.blobPath(descriptor.digest);
  const result = await hashFileInline(path, digestAlgorithm(descriptor.digest), {
    maxBytes: descriptor.size,
  });
  if (!result.ok) return false;
  if (result.hex !== digestHex(descriptor.digest)) {
    await unlink(path).catch(() => {}); // proven wrong: it must not stay under this name
    return false;
  }
  if (result.size !== descriptor.size) return false;
  valid.add(descriptor.digest);
  return true;
}
