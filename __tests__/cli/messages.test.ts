// The CLI's messages (issue 8 items 4, 15, 16, 17, 18, 22), in-process through runCli on
// layouts written by the test: one line naming what is at fault, names from the cache made
// harmless for a terminal, and output that scales to hundreds of thousands of entries.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printImages } from '../../src/cli/commands/ls.js';
import { printReport } from '../../src/cli/commands/validate.js';
import { Layout } from '../../src/layout/layout.js';
import { parseDigest } from '../../src/oci/digest.js';
import type { Finding, ImageStatus, Report } from '../../src/verify/index.js';
import { makeTempDir, removeTempDir } from '../harness/index.js';
import { settled } from '../harness/settled.js';
import { captureContext, cli } from './capture.js';
import { manyNames, writeLayout } from './layouts.js';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await makeTempDir('cli-messages');
});
afterAll(async () => {
  if (work) await removeTempDir(work);
});
const fresh = (names = ['registry.invalid/a/b:1'], unreferenced = 0) =>
  writeLayout(path.join(work, `cache-${n++}`), { names, unreferenced });

/** One line on stderr, no stack trace. */
function expectOneLine(text: string, pattern: RegExp): void {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.trimEnd().split('\n')).toHaveLength(1);
  expect(text.trimEnd()).toMatch(pattern);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('item 15: names from the cache cannot drive the terminal', () => {
  it('an index.json name with escape sequences and a stray file with one are printed escaped', async () => {
    const c = await fresh(['registry.invalid/x/y:1\x1b]0;pwn\x07', 'registry.invalid/x/z:1\x1b[2J\n']);
    const blobDir = path.join(c.dir, 'blobs', 'sha256');
    await writeFile(path.join(blobDir, '<img src=x onerror=alert(1)>'), 'x');
    await writeFile(path.join(blobDir, 'evil\x1b[31m\u009b2J'), 'x');
    // Old enough to be strays, not files a live writer may still own.
    await settled(
      path.join(blobDir, '<img src=x onerror=alert(1)>'),
      path.join(blobDir, 'evil\x1b[31m\u009b2J'),
    );

    const ls = await cli(['ls', '--cache', c.dir]);
    expect(ls.code).toBe(0);
    expect(ls.out.some((l) => CONTROL.test(l))).toBe(false);
    expect(ls.out).toContainEqual(expect.stringMatching(/^registry\.invalid\/x\/y:1\\u001b\]0;pwn\\u0007 /));
    expect(ls.out).toContainEqual(expect.stringMatching(/^registry\.invalid\/x\/z:1\\u001b\[2J\\n /));

    const validate = await cli(['validate', '--cache', c.dir]);
    expect(validate.code).toBe(1);
    expect(validate.out.some((l) => CONTROL.test(l))).toBe(false);
    expect(validate.out).toContainEqual(expect.stringContaining('blobs/sha256/evil\\u001b[31m\\u009b2J'));
    expect(validate.out).toContainEqual(expect.stringContaining('blobs/sha256/<img src=x onerror=alert(1)>'));

    const json = await cli(['validate', '--json', '--cache', c.dir]);
    expect(CONTROL.test(json.out.join('\n').replace(/\n/g, ''))).toBe(false);
    expect(JSON.parse(json.out[0]!).images.map((i: { name: string }) => i.name)).toContain(
      'registry.invalid/x/y:1\x1b]0;pwn\x07',
    );
  });
});

describe('item 16: a cache at the root directory', () => {
  it('paths under / are inside the cache /', async () => {
    const root = Layout.at('/');
    const digest = parseDigest(`sha256:${'a'.repeat(64)}`);
    expect(root.indexPath).toBe('/index.json');
    expect(root.blobPath(digest)).toBe(`/blobs/sha256/${'a'.repeat(64)}`);
    // `/` itself is no OCI layout: refused as one (item 12), never for a path "outside" it.
    const r = await cli(['ls', '--cache', '/']);
    expect(r.err).not.toMatch(/refusing path|outside the cache/);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^oci-cache-guard ls: refusing to use \/ as a cache: it is not empty and not an OCI image layout/,
    );
  });
});

describe('item 17: an option without its value says so, naming the option', () => {
  it.each([
    [
      ['validate', '--cache', '--json'],
      /^oci-cache-guard validate: --cache needs a value; --json after it is an option \(see oci-cache-guard validate --help\)$/,
    ],
    [['ls', '--cache'], /^oci-cache-guard ls: --cache needs a value \(see oci-cache-guard ls --help\)$/],
    [
      ['validate', '--platform', '-v'],
      /^oci-cache-guard validate: --platform needs a value; -v after it is an option/,
    ],
    [
      ['prune', '--cache', '--', 'x'],
      /^oci-cache-guard prune: --cache needs a value; -- after it is an option/,
    ],
    [
      ['pull', '--concurrency', '-1', 'redis'],
      /^oci-cache-guard pull: invalid --concurrency "-1": expected a whole number from 1 to 64$/,
    ],
    [['validate', '--mode', '-x'], /^oci-cache-guard validate: invalid --mode "-x": expected full or size$/],
  ])('%j', async (argv, pattern) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expectOneLine(r.err, pattern);
  });

  it('a value that starts with a dash reaches its option: --cache -dir names that directory', async () => {
    const r = await cli(['ls', '--cache', '-no-such-dir']);
    expect(r.code).toBe(2);
    expectOneLine(r.err, /^oci-cache-guard ls: cache directory -no-such-dir does not exist/);
  });
});

describe('commands are looked up by their own names', () => {
  it('toString and constructor are unknown commands, exit 2', async () => {
    for (const name of ['toString', 'constructor']) {
      const r = await cli([name]);
      expect(r.code).toBe(2);
      expectOneLine(r.err, new RegExp(`^oci-cache-guard: unknown command "${name}"`));
    }
  });
});

describe('item 18: one check of --cache for every command', () => {
  const commands = [['validate'], ['ls'], ['prune'], ['pull', 'registry.invalid/a/b:1']];

  it.each(commands)('%s --cache FILE: "is not a directory", exit 2', async (...command) => {
    const file = path.join(work, 'a-file');
    await writeFile(file, 'not a cache');
    for (const cache of [file, path.join(file, 'below')]) {
      const r = await cli([...command, '--cache', cache]);
      expect(r.code).toBe(2);
      expectOneLine(
        r.err,
        new RegExp(`^oci-cache-guard ${command[0]}: cache ${cache} is not a directory: pass --cache DIR$`),
      );
    }
  });

  it.each(commands)('%s --cache "": a usage error, and nothing written anywhere', async (...command) => {
    const r = await cli([...command, '--cache', '']);
    expect(r.code).toBe(2);
    expectOneLine(
      r.err,
      new RegExp(`^oci-cache-guard ${command[0]}: --cache is empty: name the cache directory$`),
    );
    expect(existsSync('blobs')).toBe(false);
    expect(existsSync('oci-layout')).toBe(false);
  });
});

describe('item 22: words that say what happened', () => {
  it('prune --dry-run --json lists what it would remove as wouldRemove, with no "kept" action', async () => {
    const c = await fresh(undefined, 3);
    const dry = await cli(['prune', '--dry-run', '--json', '--cache', c.dir]);
    expect(dry.code).toBe(0);
    const result = JSON.parse(dry.out[0]!);
    expect(result).not.toHaveProperty('removed');
    expect(result).toMatchObject({ dryRun: true, bytes: expect.any(Number) });
    expect(result.wouldRemove.map((f: Finding) => f.digest).sort()).toEqual([...c.unreferenced].sort());
    for (const f of result.wouldRemove) expect(f).not.toHaveProperty('action');
    expect(await readdir(path.join(c.dir, 'blobs', 'sha256'))).toHaveLength(6);

    const real = JSON.parse((await cli(['prune', '--json', '--cache', c.dir])).out[0]!);
    expect(real.removed.map((f: Finding) => f.action)).toEqual(['removed', 'removed', 'removed']);
  });

  it('validate --repair of an absent blob says the entry was removed, not the blob', async () => {
    const c = await fresh(['registry.invalid/a/b:1']);
    const layer = c.blobs[2]!;
    await unlink(path.join(c.dir, 'blobs', 'sha256', layer.slice('sha256:'.length)));
    const r = await cli(['validate', '--repair', '--cache', c.dir]);
    const line = r.out.find((l) => l.includes(' missing: '));
    expect(line).toMatch(
      new RegExp(`^  blobs/sha256/${layer.slice(7, 19)}… missing: .* — its entry removed from index\\.json$`),
    );
    expect(JSON.parse(await readFile(path.join(c.dir, 'index.json'), 'utf8')).manifests).toEqual([]);
  });
});

describe('item 4: text output of 200 000 entries (no spread of large arrays into a call)', () => {
  const COUNT = 200_000;
  const digest = parseDigest(`sha256:${'b'.repeat(64)}`);

  it('the images table and the validate report, from reports built directly', () => {
    const images: ImageStatus[] = manyNames(COUNT).map((name) => ({
      name,
      digest,
      platforms: { 'linux/amd64': 'complete' },
      size: 476,
    }));
    const ctx = captureContext();
    printImages(images, ctx);
    expect(ctx.lines).toHaveLength(COUNT + 1);
    const width = ctx.lines[0]!.indexOf('DIGEST');
    expect(ctx.lines.at(-1)!.indexOf('sha256:')).toBe(width);

    const findings: Finding[] = [];
    for (let i = 0; i < COUNT; i++) {
      const hex = i.toString(16).padStart(64, '0');
      findings.push({
        kind: i % 2 ? 'unreferenced' : 'stray',
        path: `blobs/sha256/${hex}${i % 2 ? '' : '.tmp'}`,
        detail: i % 2 ? 'valid blob, 10 bytes' : 'not a blob',
        action: 'kept',
        size: 10,
      });
    }
    const report: Report = {
      ok: false,
      cache: '/c',
      mode: 'full',
      blobs: { checked: COUNT, bytes: 1 },
      findings,
      images,
    };
    const out = captureContext();
    printReport(report, { verbose: false, repaired: false, ms: 1 }, out);
    expect(out.lines).toContain(
      `  ${COUNT / 2} unreferenced blobs (1.0 MB): oci-cache-guard prune deletes them`,
    );
    expect(out.lines.at(-1)).toBe(
      `checked ${COUNT} blobs (1 B) in 1 ms, ${COUNT / 2} problems remain: run with --repair`,
    );
    expect(out.lines).toHaveLength(1 + COUNT / 2 + 1 + (COUNT + 1) + 1);
  });

  // End to end through the verifier, whose walk is linear in entries (verify/walk.test.ts).
  it('ls and validate of a 200 000-entry index.json print every entry', { timeout: 180_000 }, async () => {
    const c = await fresh(manyNames(COUNT));
    for (const command of ['ls', 'validate']) {
      const r = await cli([command, '--cache', c.dir]);
      // stderr may hold progress lines; never an error.
      expect(r.err, command).not.toMatch(/call stack|Error|^\s+at /m);
      expect(r.code, command).toBe(0);
      expect(
        r.out.filter((l) => l.startsWith('registry.invalid/many/img:')),
        command,
      ).toHaveLength(COUNT);
    }
  });
});

describe('issue 17 item 13: an empty directory is an empty cache', () => {
  it('validate says there is nothing to validate and exits 0; --repair writes nothing; --json is ok', async () => {
    const dir = path.join(work, `empty-${n++}`);
    await mkdir(dir);
    const r = await cli(['validate', '--cache', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toEqual([`${dir} (sizes and sha256)`, 'nothing to validate: an empty cache']);
    expect(r.err).toBe('');
    expect((await cli(['validate', '--repair', '--cache', dir])).code).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    const json = JSON.parse((await cli(['validate', '--json', '--cache', dir])).out.join('\n')) as Report;
    expect([json.ok, json.findings, json.images]).toEqual([true, [], []]);
    expect((await cli(['ls', '--cache', dir])).err).toBe('');
  });

  it('a layout missing only index.json still says so', async () => {
    const { dir } = await fresh();
    await unlink(path.join(dir, 'index.json'));
    await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const r = await cli(['validate', '--cache', dir]);
    expect(r.code).toBe(1);
    expect(r.out.join('\n')).toMatch(/index\.json missing/);
  });
});
