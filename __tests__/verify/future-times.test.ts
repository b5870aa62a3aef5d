// Issue 17 item 8: a file dated more than a minute ahead of now is old, not fresh; validate,
// prune and their summaries count and size what is kept from one scan, and agree.
import { createHash } from 'node:crypto';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayBeLiveWrite } from '../../src/layout/layout.js';
import { makeTempDir, removeTempDir } from '../harness/index.js';
import { cli } from '../cli/capture.js';
import { writeLayout } from '../cli/layouts.js';

let work: string;
beforeAll(async () => {
  work = await makeTempDir('future-times');
});
afterAll(async () => {
  if (work) await removeTempDir(work);
});

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const at = (iso: string) => new Date(iso);

describe('a time in the future is not fresh', () => {
  it('mayBeLiveWrite: up to a minute ahead is clock skew (fresh); further ahead is old', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const file = (aheadMs: number) => ({ isFile: () => true, mtimeMs: now + aheadMs });
    expect(mayBeLiveWrite(file(-5 * 60_000), now)).toBe(true);
    expect(mayBeLiveWrite(file(30_000), now)).toBe(true);
    expect(mayBeLiveWrite(file(61_000), now)).toBe(false);
    expect(mayBeLiveWrite(file(5 * 365 * 86_400_000), now)).toBe(false);
  });

  it('files dated 2030 and 2031 are pruned; validate said so, with the same count and size as prune', async () => {
    const { dir } = await writeLayout(path.join(work, 'cache'), { names: ['registry.invalid/a:1'] });
    const blobs = path.join(dir, 'blobs', 'sha256');
    const future = [
      [`${hex('a')}.download`, 3000, '2030-06-01T00:00:00Z'],
      [`${hex('b')}123456`, 2000, '2031-01-01T00:00:00Z'],
      ['tmp-of-some-tool', 3000, '2031-03-01T00:00:00Z'],
    ] as const;
    for (const [name, size, when] of future) {
      await writeFile(path.join(blobs, name), Buffer.alloc(size, 1));
      await utimes(path.join(blobs, name), at(when), at(when));
    }
    // A file written now, and one 30 s ahead (skew): both may belong to a live writer.
    await writeFile(path.join(blobs, `${hex('c')}.download`), Buffer.alloc(700, 1));
    const skewed = new Date(Date.now() + 30_000);
    await writeFile(path.join(blobs, `${hex('d')}7`), Buffer.alloc(300, 1));
    await utimes(path.join(blobs, `${hex('d')}7`), skewed, skewed);

    const validated = await cli(['validate', '--cache', dir]);
    const text = validated.out.join('\n');
    expect(text).not.toMatch(/-\d+ s ago/);
    // The .download is a partial download; the two temp files are strays (problems, listed).
    expect(text).toContain('  1 partial download (3.0 kB): oci-cache-guard prune deletes them');
    expect(text).toMatch(/stray: temporary file of an interrupted write/);
    expect(text).toMatch(/tmp-of-some-tool stray: name is not a sha256 digest/);
    expect(text).toContain(
      '  2 files (1.0 kB) written in the last 10 minutes kept: may belong to a live writer',
    );

    const dry = await cli(['prune', '--dry-run', '--json', '--cache', dir]);
    const planned = JSON.parse(dry.out.join('\n')) as {
      wouldRemove: { path: string }[];
      bytes: number;
      note: string;
    };
    expect(planned.wouldRemove.map((f) => path.basename(f.path)).sort()).toEqual(
      future.map(([n]) => n).sort(),
    );
    expect(planned.bytes).toBe(8000);
    expect(planned.note).toBe(
      '2 files (1.0 kB) written in the last 10 minutes kept: may belong to a live writer',
    );

    const pruned = await cli(['prune', '--cache', dir]);
    expect(pruned.out.at(-1)).toBe('deleted 3 files, 8.0 kB freed');
    expect((await readdir(blobs)).filter((n) => !/^[0-9a-f]{64}$/.test(n)).sort()).toEqual(
      [`${hex('c')}.download`, `${hex('d')}7`].sort(),
    );
  });
});
