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
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Layout } from '../../src/layout/layout.js';
import { makeDigest } from '../../src/oci/digest.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { parseReference } from '../../src/oci/reference.js';
import { isPresentAndValid } from '../../src/pull/download.js';
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
      ).rejects.toThrow(/blobs\/sha256 is a symbolic link: refusing to use it .*validate --repair/);
    } finally {
      await client.close();
    }
    expect(await readdir(outside)).toEqual([]);
  });
});
