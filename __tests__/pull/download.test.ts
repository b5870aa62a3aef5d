// What a pull does with a file already under a blob's final name: reuse it when it is what the
// descriptor says, delete it only when its content is proven wrong, never delete a valid blob.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Layout } from '../../src/layout/layout.js';
import { makeDigest } from '../../src/oci/digest.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { isPresentAndValid } from '../../src/pull/download.js';

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
});
