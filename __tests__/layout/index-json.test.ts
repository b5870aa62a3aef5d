// index.json read and written by one module (issue 17 items 6, 11, 13): deep JSON never
// crashes a writer and an entry nested deeper than Go reads is dropped alone; a byte order mark
// is rewritten away with every entry kept; links to blobs/ or index.json are refused whole.
import { mkdir, readFile, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Layout } from '../../src/layout/layout.js';
import { parseDigest } from '../../src/oci/digest.js';
import { MAX_JSON_DEPTH } from '../../src/oci/json.js';
import { makeTempDir, removeTempDir } from '../harness/index.js';
import { cli } from '../cli/capture.js';
import { writeLayout } from '../cli/layouts.js';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await makeTempDir('index-json');
});
afterAll(async () => {
  if (work) await removeTempDir(work);
});
const fresh = (names: string[]) => writeLayout(path.join(work, `cache-${n++}`), { names });

/** `{"x":{"x":…1…}}`, `depth` objects deep. */
const deepObject = (depth: number) => `${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Rewrites index.json's text: `edit` gets the entries' JSON texts and returns the new file. */
async function editIndex(dir: string, edit: (entries: string[], text: string) => string): Promise<void> {
  const file = path.join(dir, 'index.json');
  const text = await readFile(file, 'utf8');
  const entries = (JSON.parse(text) as { manifests: unknown[] }).manifests.map((m) => JSON.stringify(m));
  await writeFile(file, edit(entries, text));
}

const indexText = (entries: string[], extra = '') =>
  `{"schemaVersion":2,${extra}"manifests":[${entries.join(',')}]}`;
const namesIn = async (dir: string) =>
  (
    JSON.parse((await readFile(path.join(dir, 'index.json'), 'utf8')) as string) as {
      manifests: { annotations?: Record<string, string> }[];
    }
  ).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);

describe('item 6: deep JSON in index.json', () => {
  it('an unknown field 5000 deep: validate, repair, ls and a pull writing another entry keep it, byte for byte in value', async () => {
    const { dir } = await fresh(['registry.invalid/a:1', 'registry.invalid/b:1']);
    const deep = deepObject(5000);
    await editIndex(dir, ([a, b]) => indexText([`${a!.slice(0, -1)},"extra":${deep}}`, b!]));
    expect((await cli(['validate', '--cache', dir])).code).toBe(0);
    expect((await cli(['validate', '--repair', '--cache', dir])).code).toBe(0);
    expect((await cli(['ls', '--cache', dir])).code).toBe(0);
    // pull's index.json update: another entry added beside the deep one.
    const layout = await Layout.open(dir, { create: false });
    const read = await layout.readIndex();
    if (read.state !== 'ok') throw new Error('index.json unreadable');
    const other = read.doc.entries[1]!.descriptor!;
    await layout.setEntry(other, 'registry.invalid/c:1');
    const text = await readFile(path.join(dir, 'index.json'), 'utf8');
    expect(await namesIn(dir)).toEqual([
      'registry.invalid/a:1',
      'registry.invalid/b:1',
      'registry.invalid/c:1',
    ]);
    expect(text.replace(/\s/g, '')).toContain(`"extra":${deep}`);
  });

  it(`an entry nested deeper than Go's ${MAX_JSON_DEPTH} levels is a finding on that entry; repair drops it alone`, async () => {
    const { dir } = await fresh(['registry.invalid/a:1', 'registry.invalid/b:1']);
    // Depth in the file: the top object, manifests, the entry, then 9998 more objects.
    await editIndex(dir, ([a, b]) =>
      indexText([`${a!.slice(0, -1)},"extra":${deepObject(MAX_JSON_DEPTH - 2)}}`, b!]),
    );
    const bad = await cli(['validate', '--cache', dir]);
    expect(bad.code).toBe(1);
    expect(bad.out.join('\n')).toMatch(
      /entry registry\.invalid\/a:1: nested 10001 levels deep, more than the 10000 Go's JSON decoder \(linuxkit's\) reads/,
    );
    const repaired = await cli(['validate', '--repair', '--cache', dir]);
    expect(repaired.code).toBe(0);
    expect(await namesIn(dir)).toEqual(['registry.invalid/b:1']);
  });

  it('manifests nested 100000 deep: validate reports the entry, repair drops it and keeps the others', async () => {
    const { dir } = await fresh(['registry.invalid/a:1']);
    await editIndex(dir, ([a]) => indexText([a!, deepArray(100_000)]));
    const bad = await cli(['validate', '--cache', dir]);
    expect(bad.code).toBe(1);
    expect(bad.out.join('\n')).toMatch(/entry \(unnamed entry 1\): nested 100002 levels deep/);
    expect((await cli(['ls', '--cache', dir])).code).toBe(0);
    const repaired = await cli(['validate', '--repair', '--cache', dir]);
    expect(repaired.err).toBe('');
    expect(repaired.code).toBe(0);
    expect(await namesIn(dir)).toEqual(['registry.invalid/a:1']);
  });

  it('a top-level field nested too deep: repair drops that field, keeps every entry', async () => {
    const { dir } = await fresh(['registry.invalid/a:1']);
    await editIndex(dir, (entries) => indexText(entries, `"annotations":${deepArray(MAX_JSON_DEPTH)},`));
    const bad = await cli(['validate', '--cache', dir]);
    expect(bad.code).toBe(1);
    expect(bad.out.join('\n')).toMatch(/index\.json field "annotations" nested 10001 levels deep/);
    expect((await cli(['validate', '--repair', '--cache', dir])).code).toBe(0);
    const doc = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as Record<string, unknown>;
    expect(doc.annotations).toBeUndefined();
    expect(await namesIn(dir)).toEqual(['registry.invalid/a:1']);
  });

  it('a size or digest that is a deep array is reported by its kind, not printed', async () => {
    const { dir } = await fresh(['registry.invalid/a:1']);
    await editIndex(dir, ([a]) => indexText([a!.replace(/"size":\d+/, `"size":${deepArray(9000)}`)]));
    const bad = await cli(['validate', '--cache', dir]);
    expect(bad.out.join('\n')).toMatch(/size an array is not a non-negative integer/);
  });
});

describe('item 11: a byte order mark costs nothing', () => {
  it('validate names it; repair rewrites index.json without it and keeps every entry', async () => {
    const { dir } = await fresh(['registry.invalid/a:1', 'registry.invalid/b:1']);
    const file = path.join(dir, 'index.json');
    await writeFile(file, `\ufeff${await readFile(file, 'utf8')}`);
    const bad = await cli(['validate', '--cache', dir]);
    expect(bad.code).toBe(1);
    expect(bad.out.join('\n')).toMatch(/index\.json starts with a UTF-8 byte order mark \(U\+FEFF\)/);
    const repaired = await cli(['validate', '--repair', '--cache', dir]);
    expect(repaired.code).toBe(0);
    expect(repaired.out.join('\n')).toMatch(/byte order mark .* — rewritten/);
    const text = await readFile(file, 'utf8');
    expect(text.charCodeAt(0)).toBe(0x7b); // "{"
    expect(await namesIn(dir)).toEqual(['registry.invalid/a:1', 'registry.invalid/b:1']);
    expect((await readdir(dir)).filter((f) => f.includes('corrupt'))).toEqual([]);
    // and prune then deletes nothing an entry needs
    const pruned = await cli(['prune', '--cache', dir]);
    expect(pruned.out.at(-1)).toMatch(/^deleted 0 files/);
  });
});

describe('item 11 and 13: links to the blobs or to index.json are refused whole, in one line', () => {
  it.each(['blobs', 'blobs/sha256', 'index.json'])('%s as a symbolic link', async (part) => {
    const { dir, blobs } = await fresh(['registry.invalid/a:1']);
    const moved = path.join(work, `moved-${n++}`);
    await mkdir(path.dirname(moved), { recursive: true });
    await rename(path.join(dir, part), moved);
    await symlink(moved, path.join(dir, part));
    for (const argv of [['validate'], ['validate', '--repair'], ['ls'], ['prune']]) {
      const r = await cli([...argv, '--cache', dir]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`refusing to use ${dir} as a cache: ${part} is a symbolic link (to ${moved})`);
      expect(r.err).toMatch(/nothing was changed/);
    }
    // nothing was "repaired" away: the entry and every blob are where they were
    expect(await namesIn(dir)).toEqual(['registry.invalid/a:1']);
    const blobDir = path.join(dir, 'blobs', 'sha256');
    for (const d of blobs) expect(await readdir(blobDir)).toContain(parseDigest(d).slice('sha256:'.length));
  });
});

describe('item 13: what cannot be seen is escaped in messages', () => {
  it('an index.json with a BOM and invisible characters in broken JSON: the line shows escapes, not the characters', async () => {
    const { dir } = await fresh(['registry.invalid/a:1']);
    await writeFile(path.join(dir, 'index.json'), '\ufeff\ufeff{"schema\u200bVersion": 2,');
    const r = await cli(['validate', '--cache', dir]);
    const line = r.out.find((l) => l.includes('index.json'))!;
    expect(line).toMatch(/index\.json unparseable: .*\\ufeff/);
    expect(line).not.toMatch(/[\ufeff\u200b]/);
  });

  it('a name with a zero-width space in index.json is escaped in ls and validate', async () => {
    const { dir } = await fresh(['registry.invalid/a\u200b:1']);
    for (const argv of [['ls'], ['validate']]) {
      const r = await cli([...argv, '--cache', dir]);
      const text = r.out.join('\n');
      expect(text).toContain('registry.invalid/a\\u200b:1');
      expect(text).not.toContain('\u200b');
    }
  });
});

describe('item 13: index.json as a symbolic link, read without opening the cache', () => {
  it('is said in those words, not as ELOOP', async () => {
    const { dir } = await fresh(['registry.invalid/a:1']);
    const moved = path.join(work, `moved-${n++}.json`);
    await rename(path.join(dir, 'index.json'), moved);
    await symlink(moved, path.join(dir, 'index.json'));
    expect(await Layout.at(dir).readIndex()).toEqual({
      state: 'corrupt',
      detail: 'is a symbolic link (never followed)',
    });
  });
});
