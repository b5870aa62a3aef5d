// writevAll: every byte lands at its offset however the kernel splits the work (short writes,
// more buffers than one writev() takes); a writev() that writes nothing is an error, not a hang.
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { writevAll } from '../../src/layout/writev-all.js';

/** A FileHandle whose writev() takes at most `maxBuffers` buffers and writes at most `maxBytes` of them. */
function fakeFile(maxBytes: number, maxBuffers = 1024) {
  const disk = Buffer.alloc(64 * 1024);
  const calls: number[] = [];
  const fh = {
    writev(buffers: Uint8Array[], position: number) {
      if (buffers.length > maxBuffers) throw new Error(`EINVAL: ${buffers.length} buffers`);
      calls.push(buffers.length);
      let n = 0;
      for (const b of buffers) {
        const take = Math.min(b.length, maxBytes - n);
        disk.set(b.subarray(0, take), position + n);
        n += take;
        if (n === maxBytes) break;
      }
      return Promise.resolve({ bytesWritten: n, buffers });
    },
  };
  return { fh: fh as unknown as FileHandle, disk, calls };
}

describe('writevAll', () => {
  it('continues short writes, past a chunk boundary and inside one, and skips empty chunks', async () => {
    const chunks = [randomBytes(5), Buffer.alloc(0), randomBytes(7), randomBytes(3), randomBytes(11)];
    const { fh, disk, calls } = fakeFile(4);
    await writevAll(fh, chunks, 100, 'f');
    expect(disk.subarray(100, 126)).toEqual(Buffer.concat(chunks));
    expect(calls.length).toBe(Math.ceil(26 / 4));
  });

  it('hands writev() at most 1024 buffers at a time', async () => {
    const chunks = Array.from({ length: 2500 }, () => randomBytes(3));
    const { fh, disk, calls } = fakeFile(Infinity, 1024);
    await writevAll(fh, chunks, 0, 'f');
    expect(disk.subarray(0, 7500)).toEqual(Buffer.concat(chunks));
    expect(calls).toEqual([1024, 1024, 452]);
  });

  it('throws when writev() writes nothing', async () => {
    const { fh } = fakeFile(0);
    await expect(writevAll(fh, [Buffer.from('x')], 0, '/c/blobs/sha256/ab.download')).rejects.toThrow(
      'writev wrote nothing to /c/blobs/sha256/ab.download',
    );
  });
});
