// What a pull does with a file already under a blob's final name: reuse it when it is what the
// descriptor says, delete it only when its content is proven wrong, never delete a valid blob.
import { createHash } from 'node:crypto';
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Layout } from '../../src/layout/layout.js';
import { makeDigest } from '../../src/oci/digest.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { parseReference } from '../../src/oci/reference.js';
import {
  copyInBatches,
  isPresentAndValid,
  transferFailure,
  WRITE_BATCH_BYTES,
} from '../../src/pull/download.js';
import { GuardError } from '../../src/errors.js';
import { RegistryError } from '../../src/registry/index.js';
import { pullImages } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';

let dir: string;
let layout: Layout;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'download-'));
  layout = Layout.at(dir);
  await layout.init();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function plant(content: string): Promise<Descriptor> {
  const digest = makeDigest('sha256', createHash('sha256').update(content).digest('hex'));
  await writeFile(layout.blobPath(digest), content);
  return { mediaType: 'application/octet-stream', digest, size: Buffer.byteLength(content) };
}

describe('isPresentAndValid', () => {
  it('a blob matching its descriptor is reused and remembered', async () => {
    const desc = await plant('layer bytes');
    const valid = new Set<string>();
    expect(await isPresentAndValid(layout, desc, valid)).toBe(true);
    expect(valid.has(desc.digest)).toBe(true);
  });

  it('content that hashes to another digest is deleted', async () => {
    const desc = await plant('layer bytes');
    await writeFile(layout.blobPath(desc.digest), 'layer bytez');
    expect(await isPresentAndValid(layout, desc, new Set())).toBe(false);
    await expect(readFile(layout.blobPath(desc.digest))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['declares more bytes than the blob has', 5],
    ['declares fewer bytes than the blob has', -5],
  ])('a valid blob whose descriptor %s is not used, and kept', async (_what, delta) => {
    const desc = await plant('a valid blob of some length');
    const valid = new Set<string>();
    expect(await isPresentAndValid(layout, { ...desc, size: desc.size + delta }, valid)).toBe(false);
    expect(valid.has(desc.digest)).toBe(false);
    expect(await readFile(layout.blobPath(desc.digest), 'utf8')).toBe('a valid blob of some length');
  });
  it('a file far longer than its descriptor declares is not read past the declared size, and kept', async () => {
    const desc = await plant('a valid blob of some length');
    await truncate(layout.blobPath(desc.digest), 64 * 1024 * 1024); // sparse: cheap to make, costly to read
    const probe = await open(layout.blobPath(desc.digest), 'r');
    const proto = Object.getPrototypeOf(probe) as {
      read: (...args: unknown[]) => Promise<{ bytesRead: number }>;
    };
    await probe.close();
    const original = proto.read;
    let read = 0;
    const spy = vi.spyOn(proto, 'read').mockImplementation(async function (
      this: unknown,
      ...args: unknown[]
    ) {
      const got = await original.apply(this, args);
      read += got.bytesRead;
      return got;
    });
    try {
      expect(await isPresentAndValid(layout, desc, new Set())).toBe(false);
    } finally {
      spy.mockRestore();
    }
    expect(read).toBeLessThanOrEqual(desc.size + 1);
    expect((await stat(layout.blobPath(desc.digest))).size).toBe(64 * 1024 * 1024);
  });
});

describe('copyInBatches', () => {
  it('writes what arrives in batches of about WRITE_BATCH_BYTES, never holding the whole body, and every byte in order', async () => {
    const chunk = 16 * 1024;
    const body = Buffer.alloc(40 * chunk).map((_, i) => i % 251);
    const writes: { bytes: number; data: Buffer }[] = [];
    await copyInBatches(
      Readable.from(
        (function* () {
          for (let at = 0; at < body.length; at += chunk) yield body.subarray(at, at + chunk);
        })(),
      ),
      { bytesPerSecond: 0, windowMs: 30_000 },
      async (chunks, bytes) => {
        writes.push({ bytes, data: Buffer.concat(chunks) });
      },
    );
    expect(Buffer.concat(writes.map((w) => w.data)).equals(body)).toBe(true);
    for (const w of writes) {
      expect(w.bytes).toBe(w.data.length);
      expect(w.bytes).toBeLessThanOrEqual(WRITE_BATCH_BYTES + chunk);
    }
    expect(writes.length).toBeGreaterThanOrEqual(Math.floor(body.length / (WRITE_BATCH_BYTES + chunk)));
  });
});

describe('copyInBatches on a response body', () => {
  const floor = { bytesPerSecond: 0, windowMs: 30_000 };
  const chunk = 64 * 1024;
  const body = Buffer.from(Buffer.alloc(50 * chunk).map((_, i) => (i * 7) % 253));
  const pieces = () => Array.from({ length: 50 }, (_, i) => body.subarray(i * chunk, (i + 1) * chunk));
  /** A Readable of `body` that fails with `err` after `failAfter` chunks (never, by default). */
  const readable = (failAfter = Infinity, err = new Error('other side closed')) => {
    let i = 0;
    return new Readable({
      read() {
        if (i === failAfter) this.destroy(err);
        else this.push(i < 50 ? pieces()[i++] : null);
      },
    });
  };
  const collect = () => {
    const writes: Buffer[] = [];
    return { writes, write: async (chunks: Buffer[]) => void writes.push(Buffer.concat(chunks)) };
  };

  it('reads a Readable by its events: no promise per chunk from an async iterator', async () => {
    const stream = readable();
    stream[Symbol.asyncIterator] = () => {
      throw new Error('iterated');
    };
    const { writes, write } = collect();
    await copyInBatches(stream, floor, write);
    expect(Buffer.concat(writes).equals(body)).toBe(true);
  });

  it('a body that fails halfway: every chunk that came is written, in order, then its error is thrown (a Readable or an iterable)', async () => {
    async function* failing() {
      yield* pieces().slice(0, 20);
      throw new Error('other side closed');
    }
    for (const source of [readable(20), failing()]) {
      const { writes, write } = collect();
      await expect(copyInBatches(source, floor, write)).rejects.toThrow('other side closed');
      expect(Buffer.concat(writes).equals(body.subarray(0, 20 * chunk))).toBe(true);
    }
  });

  it('a write that fails: its error is thrown, the body is destroyed, and no later batch is written', async () => {
    const stream = readable();
    let calls = 0;
    const failure = copyInBatches(stream, floor, async () => {
      calls++;
      throw new Error('ENOSPC');
    });
    await expect(failure).rejects.toThrow('ENOSPC');
    expect(calls).toBe(1);
    expect(stream.destroyed).toBe(true);
  });

  it('holds at most two batches: the body is paused while a full batch waits for the write before it', async () => {
    const stream = readable();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let received = 0;
    const copying = copyInBatches(stream, floor, () => gate, { onChunk: (n) => (received += n) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toBeLessThanOrEqual(2 * WRITE_BATCH_BYTES + stream.readableHighWaterMark + chunk);
    release();
    await copying;
    expect(received).toBe(body.length);
  });
});

describe('transferFailure', () => {
  const repo = { registry: 'registry.example', repository: 'team/app' };
  const desc: Descriptor = {
    mediaType: 'application/octet-stream',
    digest: makeDigest('sha256', 'a'.repeat(64)),
    size: 1000,
  };

  it('a broken transfer is one temporary line naming the blob and what is kept; a GuardError or an abort is passed on as it is', () => {
    const wrapped = transferFailure(new Error('other side closed'), repo, desc, 400, undefined);
    expect(wrapped).toBeInstanceOf(RegistryError);
    expect((wrapped as RegistryError).temporary).toBe(true);
    expect((wrapped as Error).message).toBe(
      `blob registry.example/team/app@${desc.digest}: other side closed; 400 of 1000 bytes kept for the next pull`,
    );
    const guard = new GuardError('already one line');
    expect(transferFailure(guard, repo, desc, 400, undefined)).toBe(guard);
    const aborted = new Error('aborted');
    expect(transferFailure(aborted, repo, desc, 400, AbortSignal.abort())).toBe(aborted);
  });
});

describe('pullImages', () => {
  it('refuses a cache whose blobs/sha256 is a symbolic link, before reading or writing through it', async () => {
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    await rm(layout.blobDir('sha256'), { recursive: true });
    await symlink(outside, layout.blobDir('sha256'));
    const client = createRegistryClient({ dockerConfigDir: false, retry: { maxAttempts: 1 } });
    try {
      await expect(
        pullImages(layout, client, [parseReference('127.0.0.1:9/x/y:1')], {
          platforms: 'all',
          concurrency: 1,
        }),
      ).rejects.toThrow(/blobs\/sha256 is a symbolic link.*put the directory itself .*bind-mount it/);
    } finally {
      await client.close();
    }
    expect(await readdir(outside)).toEqual([]);
  });
});
