import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DigestMismatchError } from '../errors.js';
import { digestAlgorithm, digestHex, shortDigest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { closingOnError, syncDir } from './atomic.js';
import { addInterval, coveredBytes, coveredFrom, gaps, parseIntervals, type Intervals } from './intervals.js';
import { cannotWrite, type Layout } from './layout.js';
import { writevAll } from './writev-all.js';

/** Read size when hashing bytes back from disk. */
const READ_BYTES = 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
/**
 * Written bytes that start a flush to disk in the background, so the fsync before the rename
 * has little left to write (that wait would otherwise be the whole blob's, after its last byte).
 */
const EARLY_FLUSH_BYTES = 16 * 1024 * 1024;

/**
 * Writes one blob whose bytes arrive out of order (ranges fetched in parallel) so that no wrong
 * byte ever appears under its final name. Bytes go to `<hex>.download` at their offsets; a small
 * record beside it, `<hex>.download.ranges` (JSON), lists the byte intervals written, so a
 * killed pull resumes only what is missing. It is rewritten after every write (one at a time,
 * the next one covering all that landed meanwhile, each one positional write), so a kill loses
 * only what was still in flight. Neither the partial nor the record is fsynced: a killed
 * process loses nothing the kernel took, and what a crashed machine lost is caught by the digest
 * check before the rename (the blob is then fetched again), so the promise holds without paying
 * for a disk flush per record. (The partial is flushed in the background every
 * EARLY_FLUSH_BYTES, for speed only.) A partial without a record (one of BlobWriter's, written
 * in order) counts as a prefix.
 *
 * Hashing follows the contiguous prefix as it grows: bytes written right at its end are hashed
 * from memory; bytes that landed ahead of it are read back from disk (the page cache) once the
 * prefix reaches them, so no second pass is needed after the last range. After a resume the
 * prefix already on disk is hashed once from disk. The file is renamed to `<hex>` only when its
 * size and digest match. The caller holds the blob's lock (`layout.lockBlob`).
 */
export class RangedWriter {
  readonly descriptor: Descriptor;
  /** Bytes on disk from an earlier run, when opened. */
  readonly resumed: number;
  readonly #fh: FileHandle;
  readonly #partial: string;
  readonly #recordPath: string;
  readonly #record: RangeRecord;
  readonly #final: string;
  #hash: Hash;
  /** Bytes [0, #hashed) are hashed. */
  #hashed = 0;
  #landed: Intervals;
  #catchingUp: Promise<void> | undefined;
  #hashError: unknown;
  #readBuffer: Buffer | undefined;
  #recording: Promise<void> = Promise.resolve();
  #recordQueued = false;
  #recordError: unknown;
  /** Bytes written since the last early flush started; the one under way. */
  #unflushed = 0;
  #flushing: Promise<void> | undefined;

  private constructor(
    layout: Layout,
    descriptor: Descriptor,
    fh: FileHandle,
    record: RangeRecord,
    landed: Intervals,
  ) {
    this.descriptor = descriptor;
    this.#fh = fh;
    this.#record = record;
    this.#partial = layout.partialPath(descriptor.digest);
    this.#recordPath = layout.rangesPath(descriptor.digest);
    this.#final = layout.blobPath(descriptor.digest);
    this.#hash = createHash(digestAlgorithm(descriptor.digest));
    this.#landed = landed;
    this.resumed = coveredBytes(landed);
    this.#kick();
  }

  /** Opens the partial, resuming what an earlier run left when its record (or order) vouches for it. */
  static async open(layout: Layout, descriptor: Descriptor): Promise<RangedWriter> {
    const landed = await resumable(layout, descriptor);
    // The record exists before any byte lands out of order: a partial with holes always has one.
    // A write the permissions refuse is one line (cannotWrite), as everywhere in the layout.
    const recordPath = layout.rangesPath(descriptor.digest);
    const record = await RangeRecord.create(recordPath, descriptor.size, landed).catch((err: unknown) => {
      throw cannotWrite(err);
    });
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW;
    const fh = await open(layout.partialPath(descriptor.digest), flags, 0o644).catch(async (err: unknown) => {
      await record.close();
      throw cannotWrite(err);
    });
    if (landed.length === 0) await closingOnError(() => fh.truncate(0), fh, record);
    return new RangedWriter(layout, descriptor, fh, record, landed);
  }

  /** The byte intervals still to fetch. */
  missing(): Intervals {
    return gaps(this.#landed, this.descriptor.size);
  }

  /** Bytes on disk so far (resumed and new). */
  get landed(): number {
    return coveredBytes(this.#landed);
  }

  /** Writes `chunks` at `position` (all of them: short writes are continued), then hashes what it can. */
  async write(position: number, chunks: readonly Uint8Array[]): Promise<void> {
    let length = 0;
    for (const c of chunks) length += c.length;
    if (position < 0 || position + length > this.descriptor.size) {
      throw new DigestMismatchError(
        `blob ${shortDigest(this.descriptor.digest)}: bytes ${position}-${position + length} lie outside its ${this.descriptor.size} bytes`,
      );
    }
    await writevAll(this.#fh, chunks, position, this.#partial);
    if (!this.#catchingUp && position === this.#hashed) {
      for (const c of chunks) this.#hash.update(c);
      this.#hashed += length;
    }
    this.#landed = addInterval(this.#landed, position, position + length);
    this.#kick();
    this.#saveRecord();
    this.#flushEarly(length);
  }

  /**
   * Forgets everything on disk and starts over from byte 0 (the server does not do ranges:
   * its bytes come as one stream, never mixed with ranges fetched before).
   */
  async restart(): Promise<void> {
    await this.#idle();
    this.#landed = [];
    this.#hash = createHash(digestAlgorithm(this.descriptor.digest));
    this.#hashed = 0;
    this.#hashError = undefined;
    await this.#recording;
    await this.#record.write([]);
    await this.#fh.truncate(0);
  }

  /**
   * Checks size and digest, fsyncs and renames into place and removes the record. On a
   * mismatch the partial and its record are deleted and DigestMismatchError thrown; on any
   * other failure (reading back, the flush) the writer is closed, keeping what landed.
   */
  async commit(): Promise<void> {
    try {
      await this.#check();
    } catch (err) {
      // Proven wrong bytes go; any other failure keeps what landed for the next run.
      await (err instanceof DigestMismatchError ? this.discard() : this.close());
      throw err;
    }
    await this.#fh.close();
    await this.#record.close();
    await rename(this.#partial, this.#final);
    await unlink(this.#recordPath).catch(() => {});
    await syncDir(path.dirname(this.#final));
  }

  /** Size and digest match, and the partial is on disk: what commit needs before the rename. */
  async #check(): Promise<void> {
    const { size, digest } = this.descriptor;
    // The flush to disk runs while the hash catches up with the ranges that landed ahead of the
    // prefix (most of the blob when its ranges finish together): the two take about as long.
    const [flushed, caughtUp] = await Promise.allSettled([
      this.#fh.sync(),
      this.#idle().then(() => this.#recording),
    ]);
    if (caughtUp.status === 'rejected') throw caughtUp.reason;
    const stat = await this.#fh.stat();
    const complete = this.#hashed === size && stat.size === size;
    const hex = complete ? this.#hash.digest('hex') : undefined;
    if (hex !== digestHex(digest)) {
      throw new DigestMismatchError(
        hex === undefined
          ? `blob ${shortDigest(digest)} incomplete: ${this.landed} of ${size} bytes`
          : `blob ${shortDigest(digest)} digest mismatch: got ${digestAlgorithm(digest)}:${hex.slice(0, 12)}…`,
      );
    }
    if (flushed.status === 'rejected') throw flushed.reason;
  }

  /** Stops writing and records everything that landed, so the next run resumes it. */
  async close(): Promise<void> {
    await this.#idle().catch(() => {});
    this.#saveRecord();
    await this.#recording.catch(() => {});
    await this.#record.close().catch(() => {});
    await this.#fh.close().catch(() => {});
  }

  /** Stops writing and deletes the partial and its record. */
  async discard(): Promise<void> {
    await this.#idle().catch(() => {});
    await this.#recording.catch(() => {});
    await this.#record.close().catch(() => {});
    await this.#fh.close().catch(() => {});
    await unlink(this.#partial).catch(() => {});
    await unlink(this.#recordPath).catch(() => {});
  }

  /** Waits until the hash has caught up with what landed and no early flush runs; throws when reading back failed. */
  async #idle(): Promise<void> {
    while (this.#catchingUp) await this.#catchingUp;
    await this.#flushing;
    if (this.#hashError !== undefined) throw this.#hashError;
    if (this.#recordError !== undefined) throw this.#recordError;
  }

  /** Starts hashing landed bytes beyond the prefix from disk, unless that is under way. */
  #kick(): void {
    if (this.#catchingUp || this.#hashError !== undefined) return;
    if (coveredFrom(this.#landed, this.#hashed) <= this.#hashed) return;
    this.#catchingUp = this.#catchUp()
      .catch((err: unknown) => {
        this.#hashError = err;
      })
      .finally(() => {
        this.#catchingUp = undefined;
        this.#kick();
      });
  }

  async #catchUp(): Promise<void> {
    const buf = (this.#readBuffer ??= Buffer.allocUnsafe(READ_BYTES));
    for (;;) {
      const end = coveredFrom(this.#landed, this.#hashed);
      if (end <= this.#hashed) return;
      const want = Math.min(buf.length, end - this.#hashed);
      const { bytesRead } = await this.#fh.read(buf, 0, want, this.#hashed);
      if (bytesRead === 0) throw new Error(`${this.#partial} is shorter than what was written to it`);
      this.#hash.update(buf.subarray(0, bytesRead));
      this.#hashed += bytesRead;
    }
  }

  /** Starts a background flush once EARLY_FLUSH_BYTES were written since the last (its failure is the final fsync's to report). */
  #flushEarly(written: number): void {
    this.#unflushed += written;
    if (this.#unflushed < EARLY_FLUSH_BYTES || this.#flushing) return;
    this.#unflushed = 0;
    const done = () => (this.#flushing = undefined);
    this.#flushing = this.#fh.datasync().then(done, done);
  }

  /**
   * Queues a record of what has landed (one at most waits behind the one being written; it
   * looks at what landed when its turn comes).
   */
  #saveRecord(): void {
    if (this.#recordQueued) return;
    this.#recordQueued = true;
    this.#recording = this.#recording
      .then(async () => {
        this.#recordQueued = false;
        await this.#record.write(this.#landed);
      })
      .catch((err: unknown) => {
        this.#recordError ??= err;
      });
  }
}

/**
 * What an earlier run left that can be trusted: the intervals its record lists (within the
 * partial's size), or a partial without a record as a prefix. A record that does not parse,
 * or a partial longer than the blob, is deleted with its partial.
 */
async function resumable(layout: Layout, descriptor: Descriptor): Promise<Intervals> {
  const partialPath = layout.partialPath(descriptor.digest);
  const recordPath = layout.rangesPath(descriptor.digest);
  const partial = await lstat(partialPath).catch(() => undefined);
  const text = await layout.readSmallFile(recordPath, MAX_RECORD_BYTES).catch(() => undefined);
  const forget = async (): Promise<Intervals> => {
    if (partial) await unlink(partialPath).catch(() => {}); // a symlink itself, never its target
    return [];
  };
  if (!partial?.isFile() || partial.size > descriptor.size) return forget();
  if (text === undefined) return partial.size > 0 ? [[0, partial.size]] : [];
  let doc: { size?: unknown; done?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return forget();
  }
  const done = doc.size === descriptor.size ? parseIntervals(doc.done, descriptor.size) : undefined;
  if (!done) return forget();
  return done.filter(([, end]) => end <= partial.size);
}

/**
 * A `<hex>.download.ranges` record: created whole (written to a temp name, then renamed), then
 * rewritten in place by one positional write of all its text, padded with spaces to the longest
 * it has been, so a killed process leaves the old text or the new one, never a mix. (A machine
 * that crashes may tear it: a record that does not parse drops its partial.)
 */
class RangeRecord {
  #length: number;

  private constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    length: number,
  ) {
    this.#length = length;
  }

  static async create(target: string, size: number, done: Intervals): Promise<RangeRecord> {
    const text = recordText(size, done);
    const tmp = `${target}.tmp`;
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
    const created = await open(tmp, flags, 0o644);
    try {
      try {
        await created.writeFile(text);
      } finally {
        await created.close();
      }
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    const fh = await open(target, constants.O_WRONLY | constants.O_NOFOLLOW);
    return new RangeRecord(fh, size, Buffer.byteLength(text));
  }

  async write(done: Intervals): Promise<void> {
    const text = recordText(this.size, done);
    const bytes = Buffer.from(`${text.slice(0, -1).padEnd(this.#length - 1)}\n`);
    this.#length = bytes.length;
    const { bytesWritten } = await this.fh.write(bytes, 0, bytes.length, 0);
    if (bytesWritten !== bytes.length)
      throw new Error(`short write to a download record (${bytesWritten} of ${bytes.length} bytes)`);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

const recordText = (size: number, done: Intervals): string => `${JSON.stringify({ size, done })}\n`;
