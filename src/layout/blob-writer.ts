import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DigestMismatchError } from '../errors.js';
import { digestAlgorithm, digestHex, shortDigest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { closingOnError, syncDir } from './atomic.js';
import { cannotWrite, type Layout } from './layout.js';
import { writevAll } from './writev-all.js';

const PREFIX_READ_BYTES = 4 * 1024 * 1024;

/**
 * Writes one blob so that no wrong byte ever appears under its final name: bytes go to
 * `<hex>.download` while being hashed, at most `descriptor.size` of them, and the file is
 * renamed to `<hex>` only when size and digest match. A partial file left by an interrupted
 * run is resumed: its bytes are hashed first and `offset` says where the download restarts.
 * The caller holds the blob's lock (`layout.lockBlob`).
 */
export class BlobWriter {
  readonly descriptor: Descriptor;
  private readonly fh: FileHandle;
  private readonly hash: Hash;
  private readonly partial: string;
  private readonly final: string;
  /** Bytes already on disk when opened (resume point). */
  readonly offset: number;
  private position: number;

  private constructor(
    descriptor: Descriptor,
    fh: FileHandle,
    hash: Hash,
    partial: string,
    final: string,
    offset: number,
  ) {
    this.descriptor = descriptor;
    this.fh = fh;
    this.hash = hash;
    this.partial = partial;
    this.final = final;
    this.offset = offset;
    this.position = offset;
  }

  static async open(
    layout: Layout,
    descriptor: Descriptor,
    options: { resume: boolean },
  ): Promise<BlobWriter> {
    const partial = layout.partialPath(descriptor.digest);
    const final = layout.blobPath(descriptor.digest);
    const hash = createHash(digestAlgorithm(descriptor.digest));
    const existing = options.resume ? await lstat(partial).catch(() => undefined) : undefined;
    const resumeFrom =
      existing?.isFile() && existing.size > 0 && existing.size <= descriptor.size ? existing.size : 0;
    if (resumeFrom === 0) await unlink(partial).catch(() => {});
    // O_NOFOLLOW: a symlink planted at the partial name is never written through.
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW;
    const fh = await open(partial, flags, 0o644).catch((err: unknown) => {
      throw cannotWrite(err);
    });
    const offset = await closingOnError(async () => {
      const hashed = await hashPrefix(fh, hash, resumeFrom);
      await fh.truncate(hashed);
      return hashed;
    }, fh);
    return new BlobWriter(descriptor, fh, hash, partial, final, offset);
  }

  /**
   * True when the resumed partial already holds all `descriptor.size` bytes (a run killed after
   * the last byte, before the rename): nothing is left to fetch, commit() decides.
   */
  get complete(): boolean {
    return this.position === this.descriptor.size;
  }

  /** Bytes written so far, including the resumed prefix. */
  get written(): number {
    return this.position;
  }

  async write(chunk: Uint8Array): Promise<void> {
    await this.writev([chunk]);
  }

  /**
   * Hashes and appends several chunks with as few writev() calls as the kernel allows (one,
   * normally): a download hands over what arrived while the previous write was in flight.
   */
  async writev(chunks: readonly Uint8Array[]): Promise<void> {
    let length = 0;
    for (const c of chunks) length += c.length;
    if (this.position + length > this.descriptor.size) {
      throw new DigestMismatchError(
        `blob ${shortDigest(this.descriptor.digest)} is longer than its declared ${this.descriptor.size} bytes`,
      );
    }
    for (const c of chunks) this.hash.update(c);
    await writevAll(this.fh, chunks, this.position, this.partial);
    this.position += length;
  }

  /** Checks size and digest, then fsyncs and renames into place. On mismatch the partial is deleted. */
  async commit(): Promise<void> {
    const { size, digest } = this.descriptor;
    const hex = this.hash.digest('hex');
    if (this.position !== size || hex !== digestHex(digest)) {
      await this.discard();
      throw new DigestMismatchError(
        this.position !== size
          ? `blob ${shortDigest(digest)} truncated: ${this.position} of ${size} bytes`
          : `blob ${shortDigest(digest)} digest mismatch: got ${digestAlgorithm(digest)}:${hex.slice(0, 12)}…`,
      );
    }
    await this.fh.sync();
    await this.fh.close();
    await rename(this.partial, this.final);
    await syncDir(path.dirname(this.final));
  }

  /** Stops writing and keeps the partial file so the next run resumes it. */
  async close(): Promise<void> {
    await this.fh.sync().catch(() => {});
    await this.fh.close().catch(() => {});
  }

  /** Stops writing and deletes the partial file. */
  async discard(): Promise<void> {
    await this.fh.close().catch(() => {});
    await unlink(this.partial).catch(() => {});
  }
}

/** Hashes the first `length` bytes of `fh` (fewer when it is shorter); returns how many it read. */
async function hashPrefix(fh: FileHandle, hash: Hash, length: number): Promise<number> {
  if (length === 0) return 0;
  const buf = Buffer.allocUnsafe(Math.min(PREFIX_READ_BYTES, length));
  let offset = 0;
  while (offset < length) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - offset), offset);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    offset += bytesRead;
  }
  return offset;
}
