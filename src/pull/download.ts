import { unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError } from '../errors.js';
import { BlobWriter } from '../layout/blob-writer.js';
import type { Layout } from '../layout/layout.js';
import { digestAlgorithm, digestHex } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { RegistryClient, RepositoryRef } from '../registry/client.js';
import { hashFileInline } from '../verify/hash-pool.js';

/** Blobs known good in this run: verified by the verifier or written by us. Never hashed twice. */
export type ValidSet = Set<string>;

export interface DownloadResult {
  /** Bytes received from the network for this blob. */
  fetched: number;
  /** True when the blob was already in the cache and valid. */
  cached: boolean;
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
 * A digest mismatch after a resume restarts from zero once.
 */
export async function ensureBlob(
  layout: Layout,
  client: RegistryClient,
  repo: RepositoryRef,
  descriptor: Descriptor,
  options: DownloadOptions,
): Promise<DownloadResult> {
  if (options.valid.has(descriptor.digest)) return { fetched: 0, cached: true, resumed: 0 };
  const lock = await layout.lockBlob(descriptor.digest);
  try {
    if (await isPresentAndValid(layout, descriptor, options.valid))
      return { fetched: 0, cached: true, resumed: 0 };
    let fetched = 0;
    let resumed = 0;
    for (let attempt = 0; ; attempt++) {
      let writer = await BlobWriter.open(layout, descriptor, { resume: attempt === 0 });
      const resumedFrom = writer.offset;
      try {
        const response = await client.blob(repo, descriptor, {
          ...(writer.offset > 0 ? { offset: writer.offset } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (response.start !== writer.offset) {
          // The server ignored the Range request: start over with the whole body.
          await writer.discard();
          writer = await BlobWriter.open(layout, descriptor, { resume: false });
        } else resumed = writer.offset;
        const target = writer;
        await pipeline(
          response.body,
          new Writable({
            highWaterMark: 1 << 20,
            write(chunk: Buffer, _enc, done) {
              fetched += chunk.length;
              options.onBytes?.(chunk.length);
              target.write(chunk).then(() => done(), done);
            },
          }),
        );
        await writer.commit();
        options.valid.add(descriptor.digest);
        return { fetched, cached: false, resumed };
      } catch (err) {
        // Keep a partial for the next run unless its bytes are proven wrong.
        if (err instanceof DigestMismatchError) await writer.discard();
        else await writer.close();
        if (err instanceof DigestMismatchError && attempt === 0 && resumedFrom > 0) continue;
        throw err;
      }
    }
  } finally {
    await lock.release();
  }
}

/** A blob already under its final name is reused only after hashing proves it. */
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
  if (!result.ok) {
    if (result.code === 'TOO_LARGE') await unlink(path).catch(() => {});
    return false;
  }
  if (result.hex === digestHex(descriptor.digest) && result.size === descriptor.size) {
    valid.add(descriptor.digest);
    return true;
  }
  await unlink(path).catch(() => {}); // proven wrong: it must not stay under this name
  return false;
}
