// RangedWriter: bytes written out of order, interrupted and resumed any number of times, land
// under the final name only when they are the blob; its record never claims what is not there.
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFile,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigestMismatchError } from '../../src/errors.js';
import {
  addInterval,
  coveredBytes,
  gaps,
  parseIntervals,
  type Intervals,
} from '../../src/layout/intervals.js';
import { BlobWriter } from '../../src/layout/blob-writer.js';
import { Layout, openRegularNoFollow } from '../../src/layout/layout.js';
import { RangedWriter } from '../../src/layout/ranged-writer.js';
import { makeDigest } from '../../src/oci/digest.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { watchSyncs } from './syncs.js';

let dir: string;
let layout: Layout;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ranged-writer-'));
  layout = Layout.at(dir);
  await layout.init();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const describeBlob = (bytes: Buffer): Descriptor => ({
  mediaType: 'application/octet-stream',
  digest: makeDigest('sha256', createHash('sha256').update(bytes).digest('hex')),
  size: bytes.length,
});

const listBlobs = async () => (await readdir(layout.blobDir('sha256'))).sort();

/** Files under `root` this process holds open (Linux: /proc/self/fd). */
async function openFilesUnder(root: string): Promise<string[]> {
  const targets = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((t) => t.startsWith(`${root}/`));
}

describe('intervals', () => {
  const interval = fc
    .tuple(fc.nat(200), fc.integer({ min: 1, max: 50 }))
    .map(([s, n]) => [s, s + n] as const);

  it('addInterval keeps them sorted, disjoint and merged, covering exactly the union', () => {
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 30 }), (adds) => {
        let list: Intervals = [];
        const union = new Set<number>();
        for (const [s, e] of adds) {
          list = addInterval(list, s, e);
          for (let i = s; i < e; i++) union.add(i);
        }
        for (let i = 1; i < list.length; i++) expect(list[i]![0]).toBeGreaterThan(list[i - 1]![1]);
        expect(coveredBytes(list)).toBe(union.size);
        for (const [s, e] of list) for (let i = s; i < e; i++) expect(union.has(i)).toBe(true);
        expect(parseIntervals(JSON.parse(JSON.stringify(list)), 260)).toEqual(list);
        const holes = gaps(list, 260);
        expect(coveredBytes(holes) + coveredBytes(list.filter(([, e]) => e <= 260))).toBe(260);
      }),
    );
  });

  it('parseIntervals refuses what a record must never say', () => {
    for (const bad of [
      null,
      {},
      [[0]],
      [[0, 0]],
      [[5, 3]],
      [[0, 11]],
      [
        [0, 4],
        [4, 6],
      ], // touching: not merged
      [
        [4, 6],
        [0, 2],
      ], // out of order
      [[0, 1.5]],
      [['0', 1]],
    ])
      expect(parseIntervals(bad, 10)).toBeUndefined();
  });
});

describe('RangedWriter', () => {
  /**
   * Writes `bytes` as `pieces` in their order, closing and reopening the writer before each
   * piece whose index is in `stops`, then commits and checks the blob.
   */
  async function writeInPieces(bytes: Buffer, pieces: [number, number][], stops: Set<number>): Promise<void> {
    const desc = describeBlob(bytes);
    let writer = await RangedWriter.open(layout, desc);
    for (const [i, [a, b]] of pieces.entries()) {
      if (stops.has(i)) {
        await writer.close();
        writer = await RangedWriter.open(layout, desc);
        expect(writer.resumed).toBe(writer.landed);
      }
      // A piece already on disk from before the interruption is simply not missing.
      if (!writer.missing().some(([s, e]) => s < b && a < e)) continue;
      await writer.write(a, [bytes.subarray(a, b)]);
    }
    expect(writer.missing()).toEqual([]);
    await writer.commit();
    // Buffer.equals, not toEqual: a deep equal walks a 100 kB buffer byte by byte (a second each).
    expect((await readFile(layout.blobPath(desc.digest))).equals(bytes)).toBe(true);
    expect(await listBlobs()).toEqual([desc.digest.slice(7)]);
    await rm(layout.blobPath(desc.digest));
  }

  it('bytes written in any order, interrupted and resumed any number of times, commit to the blob', async () => {
    // Pieces come from at most 23 cut points, not from generated lengths: lengths of a few bytes
    // over a 100 kB blob made tens of thousands of writes (each rewriting a record of thousands
    // of intervals), one run taking a minute under load. Adjacent cut points still give 1-byte
    // pieces, at either end too; the many-pieces case is the fixed example below.
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100_000 }),
        fc.uniqueArray(fc.nat(), { maxLength: 23 }),
        fc.array(fc.nat(), { maxLength: 24 }),
        fc.array(fc.nat(24), { maxLength: 3 }),
        async (size, cutPoints, order, interruptions) => {
          const bytes = randomBytes(size);
          const cuts = [...new Set([0, ...cutPoints.map((c) => c % size), size])].sort((x, y) => x - y);
          const pieces = cuts.slice(1).map((end, i): [number, number] => [cuts[i]!, end]);
          // Shuffle the pieces by `order`.
          for (let i = pieces.length - 1; i > 0; i--) {
            const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
            [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
          }
          await writeInPieces(bytes, pieces, new Set(interruptions));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('many small pieces out of order, interrupted three times, commit to the blob', async () => {
    // 400 pieces of 1 to 7 bytes, every other one first (a record of ~200 intervals), then the rest backwards.
    const pieces: [number, number][] = [];
    for (let at = 0, i = 0; i < 400; i++) {
      const n = 1 + (i % 7);
      pieces.push([at, at + n]);
      at += n;
    }
    const bytes = randomBytes(pieces.at(-1)![1]);
    const order = [
      ...pieces.filter((_, i) => i % 2 === 0),
      ...pieces.filter((_, i) => i % 2 === 1).reverse(),
    ];
    await writeInPieces(bytes, order, new Set([1, 199, 201, 399]));
  });

  it('whatever partial and record an earlier run (or anyone) left, open resumes only bytes the partial holds, and the blob commits right or not at all', async () => {
    // What the record says: nothing, garbage, well-formed intervals (within the blob, maybe
    // beyond the partial), or any JSON at all.
    const recordArb = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 40 }),
      fc.record({
        valid: fc.constant(true),
        parts: fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
          { maxLength: 5 },
        ),
      }),
      fc.record({ size: fc.nat(30_000), done: fc.array(fc.anything(), { maxLength: 4 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20_000 }),
        fc.option(fc.nat(21_000), { nil: undefined }),
        fc.boolean(),
        recordArb,
        async (size, partialLength, partialIsTrue, record) => {
          const bytes = randomBytes(size);
          const desc = describeBlob(bytes);
          if (partialLength !== undefined) {
            const content = partialIsTrue ? Buffer.concat([bytes, randomBytes(1000)]) : randomBytes(21_000);
            await writeFile(layout.partialPath(desc.digest), content.subarray(0, partialLength));
          }
          let text: string | undefined;
          if (typeof record === 'string') text = record;
          else if (record && 'valid' in record) {
            let done: Intervals = [];
            for (const [x, y] of record.parts) {
              const [a, b] = [Math.floor(Math.min(x, y) * size), Math.ceil(Math.max(x, y) * size)];
              if (a < b) done = addInterval(done, a, b);
            }
            text = JSON.stringify({ size, done });
          } else if (record) text = JSON.stringify(record);
          if (text !== undefined) await writeFile(layout.rangesPath(desc.digest), text);

          const writer = await RangedWriter.open(layout, desc);
          const held = partialLength !== undefined && partialLength <= size ? partialLength : 0;
          const missing = writer.missing();
          // What is not missing was resumed, and lies within what the partial holds.
          const landed = gaps(missing, size);
          for (const [, end] of landed) expect(end).toBeLessThanOrEqual(held);
          expect(writer.resumed).toBe(coveredBytes(landed));
          // Without a record, a partial no longer than the blob is a prefix: all of it resumes.
          if (text === undefined) expect(writer.resumed).toBe(held);
          for (const [a, b] of missing) await writer.write(a, [bytes.subarray(a, b)]);
          try {
            await writer.commit();
          } catch (err) {
            // Only wrong bytes in what was resumed can fail it; then nothing is left, and a fresh start works.
            expect(err).toBeInstanceOf(DigestMismatchError);
            expect(partialIsTrue).toBe(false);
            expect(await listBlobs()).toEqual([]);
            const again = await RangedWriter.open(layout, desc);
            expect(again.missing()).toEqual([[0, size]]);
            await again.write(0, [bytes]);
            await again.commit();
          }
          expect((await readFile(layout.blobPath(desc.digest))).equals(bytes)).toBe(true);
          expect(await listBlobs()).toEqual([desc.digest.slice(7)]);
          await rm(layout.blobPath(desc.digest));
        },
      ),
      {
        numRuns: 60,
        // Random lengths rarely line up with the blob's: a partial that holds every byte (a run
        // killed before the rename), right or wrong, with no record or one listing it all, and
        // one byte short or over, always run.
        examples: [
          [5000, 5000, true, undefined],
          [5000, 5000, false, undefined],
          [5000, 5000, true, { valid: true, parts: [[0, 1]] }],
          [5000, 5000, false, { valid: true, parts: [[0, 1]] }],
          [5000, 4999, true, undefined],
          [5000, 5001, true, undefined],
          [1, 1, true, undefined],
        ],
      },
    );
  });

  it('flushes the partial to disk before it takes the final name', async () => {
    const bytes = randomBytes(30_000);
    const desc = describeBlob(bytes);
    const syncs = await watchSyncs(() => layout.blobPath(desc.digest));
    try {
      const writer = await RangedWriter.open(layout, desc);
      await writer.write(10_000, [bytes.subarray(10_000)]);
      await writer.write(0, [bytes.subarray(0, 10_000)]);
      await writer.commit();
    } finally {
      syncs.stop();
    }
    expect(syncs.seen).toContainEqual({ file: layout.partialPath(desc.digest), finalExisted: false });
  });

  it('a record lists only what reached the disk: a resume asks for exactly the rest', async () => {
    const bytes = randomBytes(100_000);
    const desc = describeBlob(bytes);
    const writer = await RangedWriter.open(layout, desc);
    await writer.write(60_000, [bytes.subarray(60_000, 80_000)]);
    await writer.write(0, [bytes.subarray(0, 10_000)]);
    await writer.close();
    const record = JSON.parse(await readFile(layout.rangesPath(desc.digest), 'utf8'));
    expect(record).toEqual({
      size: 100_000,
      done: [
        [0, 10_000],
        [60_000, 80_000],
      ],
    });
    const resumed = await RangedWriter.open(layout, desc);
    expect(resumed.resumed).toBe(30_000);
    expect(resumed.missing()).toEqual([
      [10_000, 60_000],
      [80_000, 100_000],
    ]);
    await resumed.close();
  });

  it('a writer killed without close() leaves a record of every write it finished', async () => {
    const bytes = randomBytes(200_000);
    const desc = describeBlob(bytes);
    const writer = await RangedWriter.open(layout, desc);
    // Small writes, far below the old 1/64-of-the-blob record step: each one must be recorded.
    const pieces: [number, number][] = [
      [150_000, 151_000],
      [0, 2_000],
      [90_000, 90_500],
    ];
    for (const [a, b] of pieces) await writer.write(a, [bytes.subarray(a, b)]);
    // No close(): what a SIGKILL leaves. The record catches up on its own.
    await vi.waitFor(async () => {
      const record = JSON.parse(await readFile(layout.rangesPath(desc.digest), 'utf8'));
      expect(record.done).toEqual([
        [0, 2_000],
        [90_000, 90_500],
        [150_000, 151_000],
      ]);
    });
    const resumed = await RangedWriter.open(layout, desc);
    expect(resumed.resumed).toBe(3_500);
    await resumed.close();
    await writer.close(); // the killed process's files, which the kernel would have closed
  });

  it('a record claiming more than the partial holds is cut to the partial', async () => {
    const bytes = randomBytes(50_000);
    const desc = describeBlob(bytes);
    const writer = await RangedWriter.open(layout, desc);
    await writer.write(0, [bytes.subarray(0, 20_000)]);
    await writer.write(30_000, [bytes.subarray(30_000, 50_000)]);
    await writer.close();
    await truncate(layout.partialPath(desc.digest), 25_000);
    const resumed = await RangedWriter.open(layout, desc);
    expect(resumed.missing()).toEqual([[20_000, 50_000]]);
    await resumed.discard();
  });

  it('a partial without a record is a prefix written in order; with an unreadable record it is dropped', async () => {
    const bytes = randomBytes(40_000);
    const desc = describeBlob(bytes);
    await writeFile(layout.partialPath(desc.digest), bytes.subarray(0, 15_000));
    const prefix = await RangedWriter.open(layout, desc);
    expect(prefix.missing()).toEqual([[15_000, 40_000]]);
    await prefix.close();

    await writeFile(layout.rangesPath(desc.digest), '{"size": 40000, "done": [[0, 15000], [9');
    const dropped = await RangedWriter.open(layout, desc);
    expect(dropped.resumed).toBe(0);
    expect(dropped.missing()).toEqual([[0, 40_000]]);
    await dropped.write(0, [bytes]);
    await dropped.commit();
    expect((await readFile(layout.blobPath(desc.digest))).equals(bytes)).toBe(true);
  });

  it('wrong bytes: commit refuses, and neither the blob nor the partial remains', async () => {
    const bytes = randomBytes(30_000);
    const desc = describeBlob(bytes);
    const wrong = Buffer.from(bytes);
    wrong[12_345]! ^= 0xff;
    const writer = await RangedWriter.open(layout, desc);
    await writer.write(15_000, [wrong.subarray(15_000)]);
    await writer.write(0, [wrong.subarray(0, 15_000)]);
    await expect(writer.commit()).rejects.toThrow(DigestMismatchError);
    expect(await listBlobs()).toEqual([]);
  });

  it('bytes appended to the partial behind its back: commit refuses, nothing under the final name', async () => {
    const bytes = randomBytes(30_000);
    const desc = describeBlob(bytes);
    const writer = await RangedWriter.open(layout, desc);
    await writer.write(0, [bytes]);
    await appendFile(layout.partialPath(desc.digest), 'junk after the last byte');
    await expect(writer.commit()).rejects.toThrow(DigestMismatchError);
    expect(await listBlobs()).toEqual([]);
  });

  it('a flush that fails before the rename: commit refuses, nothing under the final name, what landed is kept', async () => {
    const bytes = randomBytes(30_000);
    const desc = describeBlob(bytes);
    const probe = await open(path.join(dir, 'oci-layout'), 'r');
    const fileHandle = Object.getPrototypeOf(probe) as Record<'sync', () => Promise<void>>;
    await probe.close();
    const writer = await RangedWriter.open(layout, desc);
    await writer.write(0, [bytes]);
    const failing = vi.spyOn(fileHandle, 'sync').mockRejectedValueOnce(new Error('EIO in fsync'));
    try {
      await expect(writer.commit()).rejects.toThrow('EIO in fsync');
    } finally {
      failing.mockRestore();
    }
    expect(await stat(layout.blobPath(desc.digest)).catch(() => undefined)).toBeUndefined();
    expect((await readFile(layout.partialPath(desc.digest))).equals(bytes)).toBe(true);
    expect(await openFilesUnder(dir)).toEqual([]);
  });

  it('a commit that cannot read its bytes back closes its files and keeps what landed', async () => {
    const bytes = randomBytes(40_000);
    const desc = describeBlob(bytes);
    const writer = await RangedWriter.open(layout, desc);
    await writer.write(15_000, [bytes.subarray(15_000)]);
    // What another program does to the partial meanwhile: the bytes past 10 000 are gone, so
    // hashing them back from disk fails once the prefix reaches them.
    await truncate(layout.partialPath(desc.digest), 10_000);
    await writer.write(0, [bytes.subarray(0, 15_000)]);
    await expect(writer.commit()).rejects.toThrow(/shorter than what was written/);
    expect(await openFilesUnder(dir)).toEqual([]);
    expect(await listBlobs()).toContain(`${desc.digest.slice(7)}.download.ranges`);
  });

  it('a record that cannot be created leaves no temporary file', async () => {
    const desc = describeBlob(randomBytes(1000));
    await mkdir(path.join(layout.rangesPath(desc.digest), 'in-the-way'), { recursive: true });
    await expect(RangedWriter.open(layout, desc)).rejects.toThrow();
    expect(await listBlobs()).toEqual([`${desc.digest.slice(7)}.download.ranges`]);
    expect(await openFilesUnder(dir)).toEqual([]);
  });

  it('an open that fails halfway (reading the prefix, truncating, fstat) closes what it opened', async () => {
    const bytes = randomBytes(20_000);
    const desc = describeBlob(bytes);
    const probe = await open(path.join(dir, 'oci-layout'), 'r');
    const fileHandle = Object.getPrototypeOf(probe) as Record<'read' | 'truncate' | 'stat', () => unknown>;
    await probe.close();
    // [the call that fails, the open, whether a partial is there before it]
    const opens: [keyof typeof fileHandle, () => Promise<unknown>, boolean][] = [
      ['read', () => BlobWriter.open(layout, desc, { resume: true }), true],
      ['truncate', () => BlobWriter.open(layout, desc, { resume: false }), true],
      ['truncate', () => RangedWriter.open(layout, desc), false],
      ['stat', () => openRegularNoFollow(layout.partialPath(desc.digest)), true],
    ];
    for (const [method, opening, partial] of opens) {
      await rm(layout.partialPath(desc.digest), { force: true });
      if (partial) await writeFile(layout.partialPath(desc.digest), bytes.subarray(0, 5_000));
      const failing = vi.spyOn(fileHandle, method).mockRejectedValueOnce(new Error(`EIO in ${method}`));
      try {
        await expect(opening()).rejects.toThrow(`EIO in ${method}`);
      } finally {
        failing.mockRestore();
      }
      expect(await openFilesUnder(dir)).toEqual([]);
    }
  });

  it('refuses bytes beyond the blob', async () => {
    const desc = describeBlob(randomBytes(1000));
    const writer = await RangedWriter.open(layout, desc);
    await expect(writer.write(900, [randomBytes(101)])).rejects.toThrow(DigestMismatchError);
    await writer.discard();
    expect(await listBlobs()).toEqual([]);
  });
});
