// The CLI on a real cache (umoci → docker-registry → skopeo): in-process through runCli with a
// capturing context for the words and the JSON, and as a child process (npx tsx) for exit
// codes and the promise that no stack trace reaches the user.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCachePerTest } from '../harness/cache-per-test.js';
import { settled } from '../harness/settled.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { FIXTURE_NAMES, type Desc, type FixtureCache, type FixtureImage } from '../harness/index.js';

const { multi: MULTI, single: SINGLE, docker: DOCKER } = FIXTURE_NAMES;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const hexOf = (digest: string): string => digest.slice('sha256:'.length);
const fileOf = (cache: FixtureCache, digest: string): string =>
  path.join(cache.dir, 'blobs', 'sha256', hexOf(digest));
/** How the human report names a blob: `blobs/sha256/` and the first 12 hex digits. */
const shown = (digest: string): string => `blobs/sha256/${hexOf(digest).slice(0, 12)}…`;

interface Run {
  code: number;
  /** Lines given to ctx.out (stdout). */
  out: string[];
  /** Everything written to stderr, logger included. */
  err: string;
}

/** runCli in-process, with stdout lines and stderr captured and an env of our choosing. */
async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const out: string[] = [];
  let err = '';
  const stderr = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      err += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const ctx: CliContext = {
    out: (line) => out.push(line),
    stderr,
    logger: {
      debug: () => {},
      info: (m) => (err += `${m}\n`),
      warn: (m) => (err += `warning: ${m}\n`),
    },
    env,
  };
  const code = await runCli(argv, ctx);
  return { code, out, err };
}

/** The CLI as users run it: a child process, `npx tsx src/cli/index.ts …`. */
function child(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/cli/index.ts', ...argv],
      { cwd: repoRoot, env: { ...process.env, LINUXKIT_CACHE: '' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A one-line message, no stack trace. */
function expectOneLine(text: string, pattern: RegExp): void {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.trimEnd().split('\n')).toHaveLength(1);
  expect(text.trimEnd()).toMatch(pattern);
  expect(text).not.toMatch(/^\s+at /m);
}

/** Every blob of an image, each once, with its size. */
function closure(image: FixtureImage): Map<string, number> {
  const all = new Map<string, number>([[image.entry.digest, image.entry.size]]);
  const add = (ds: Desc[]) => ds.forEach((d) => all.set(d.digest, d.size));
  for (const p of image.platforms) {
    add([p.manifest, p.config, ...p.layers]);
    for (const a of p.attestations) add([a.manifest, a.config, ...a.layers]);
  }
  return all;
}

async function blobFiles(cache: FixtureCache): Promise<string[]> {
  return (await readdir(path.join(cache.dir, 'blobs', 'sha256'))).sort();
}

const KINDS = ['corrupt', 'missing', 'stray', 'partial', 'unreferenced', 'index'];
const ACTIONS = ['removed', 'kept', 'moved', 'recreated', 'rewritten'];
const STATES = ['complete', 'absent', 'broken'];

/** The documented `validate --json` shape (README: "validate --json"). */
function expectReportShape(v: unknown): void {
  const r = v as Record<string, unknown>;
  expect(typeof r.ok).toBe('boolean');
  expect(r.blobs).toEqual({ checked: expect.any(Number), bytes: expect.any(Number) });
  expect(Array.isArray(r.findings)).toBe(true);
  for (const f of r.findings as Record<string, unknown>[]) {
    expect(KINDS).toContain(f.kind);
    expect(ACTIONS).toContain(f.action);
    expect(typeof f.path).toBe('string');
    expect(typeof f.detail).toBe('string');
    expect(f.detail).not.toContain('\n');
    if ('digest' in f) expect(f.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    if ('images' in f) expect(f.images).toEqual(expect.arrayContaining([expect.any(String)]));
    if ('size' in f) expect(Number.isSafeInteger(f.size)).toBe(true);
    if ('live' in f) expect(f.live).toBe(true);
    expect(
      Object.keys(f).every((k) =>
        ['kind', 'digest', 'path', 'detail', 'action', 'images', 'size', 'live'].includes(k),
      ),
    ).toBe(true);
  }
  expect(Array.isArray(r.images)).toBe(true);
  for (const i of r.images as Record<string, unknown>[]) {
    expect(typeof i.name).toBe('string');
    if (!i.problem) expect(i.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const s of Object.values(i.platforms as Record<string, string>)) expect(STATES).toContain(s);
  }
}

// ---------------------------------------------------------------------------------------------

const fresh = useCachePerTest();

describe('validate', () => {
  it('a pristine cache: the images table and "cache is consistent", exit 0', async () => {
    const c = await fresh();
    const r = await cli(['validate', '--cache', c.dir]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out[0]).toBe(`${c.dir} (sizes and sha256)`);
    expect(r.out[1]).toMatch(/^IMAGE +DIGEST +PLATFORMS +SIZE$/);
    expect(r.out[2]).toMatch(new RegExp(`^${MULTI} .* linux/amd64 complete, linux/arm64 complete `));
    expect(r.out[3]).toMatch(new RegExp(`^${SINGLE} .* linux/amd64 complete `));
    expect(r.out[4]).toMatch(new RegExp(`^${DOCKER} .* linux/amd64 complete, linux/arm64 complete `));
    expect(r.out.at(-1)).toMatch(
      new RegExp(`^checked ${c.blobs.length} blobs \\(.+\\) in .+, cache is consistent$`),
    );
  });

  it('names the bad file and what is wrong; --repair removes it (exit 0); validate is then clean', async () => {
    const c = await fresh();
    await truncate(fileOf(c, c.bigLayer.digest), 1104);
    const line = `  ${shown(c.bigLayer.digest)} truncated: 1104 of ${c.bigLayer.size} bytes`;

    const before = await cli(['validate', '--cache', c.dir]);
    expect(before.code).toBe(1);
    expect(before.out).toContain(line);
    expect(before.out).toContainEqual(
      expect.stringMatching(new RegExp(`^${MULTI} .* linux/amd64 broken, linux/arm64 complete `)),
    );
    expect(before.out.at(-1)).toMatch(/, 1 problem remains: run with --repair$/);

    const repair = await cli(['validate', '--repair', '--cache', c.dir]);
    expect(repair.code).toBe(0);
    expect(repair.out.slice(1, 3)).toEqual([
      `  index.json entry ${MULTI}: platform linux/amd64 broken; the next pull fetches it again — removed`,
      `${line} — removed`,
    ]);
    expect(repair.out.at(-1)).toMatch(/, 2 repaired, cache is consistent$/);

    const after = await cli(['validate', '--cache', c.dir]);
    expect(after.code).toBe(0);
    const left = closure(c.images.multi).size - 1;
    expect(after.out).toContainEqual(
      expect.stringMatching(
        new RegExp(`^  ${left} unreferenced blobs \\(.+\\): oci-cache-guard prune deletes them$`),
      ),
    );
    expect(after.out.at(-1)).toMatch(/, cache is consistent$/);
    expect(after.err).toBe('');
  });

  it('--json prints one object of the documented shape, before and after --repair', async () => {
    const c = await fresh();
    await truncate(fileOf(c, c.bigLayer.digest), 1104);
    const blobDir = path.join(c.dir, 'blobs', 'sha256');
    await writeFile(path.join(blobDir, `${hexOf(c.bigLayer.digest)}123456`), randomBytes(64));
    await writeFile(path.join(blobDir, `${'a'.repeat(64)}.download`), randomBytes(100));
    await settled(path.join(blobDir, `${hexOf(c.bigLayer.digest)}123456`));

    const r = await cli(['validate', '--json', '--cache', c.dir]);
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(1);
    const report = JSON.parse(r.out[0]!);
    expectReportShape(report);
    expect(report).toMatchObject({
      ok: false,
      cache: c.dir,
      mode: 'full',
      blobs: { checked: c.blobs.length },
      images: [
        {
          name: MULTI,
          digest: c.images.multi.entry.digest,
          platforms: { 'linux/amd64': 'broken', 'linux/arm64': 'complete' },
        },
        { name: SINGLE, digest: c.images.single.entry.digest, platforms: { 'linux/amd64': 'complete' } },
        {
          name: DOCKER,
          digest: c.images.docker.entry.digest,
          platforms: { 'linux/amd64': 'complete', 'linux/arm64': 'complete' },
        },
      ],
    });
    expect(report.findings.map((f: { kind: string; action: string }) => [f.kind, f.action])).toEqual([
      ['corrupt', 'kept'],
      ['stray', 'kept'],
      ['partial', 'kept'],
    ]);
    expect(report.findings[0]).toEqual({
      kind: 'corrupt',
      digest: c.bigLayer.digest,
      path: `blobs/sha256/${hexOf(c.bigLayer.digest)}`,
      detail: `truncated: 1104 of ${c.bigLayer.size} bytes`,
      action: 'kept',
      images: [MULTI],
    });

    const repaired = await cli(['validate', '--json', '--repair', '--cache', c.dir]);
    expect(repaired.code).toBe(0);
    const fixed = JSON.parse(repaired.out[0]!);
    expectReportShape(fixed);
    expect(fixed.ok).toBe(true);
    expect(fixed.findings.map((f: { kind: string; action: string }) => [f.kind, f.action])).toEqual([
      ['index', 'removed'],
      ['corrupt', 'removed'],
      ['stray', 'removed'],
      ['partial', 'kept'],
    ]);
    expect(fixed.images.map((i: { name: string }) => i.name)).toEqual([SINGLE, DOCKER]);
  });

  it('--platform linux/arm64 with arm64 absent: a missing finding and exit 1, --repair drops the entry; absent alone is fine', async () => {
    const c = await fresh();
    const arm64 = c.images.multi.platforms.find((p) => p.platform.architecture === 'arm64')!;
    await unlink(fileOf(c, arm64.manifest.digest));

    const plain = await cli(['validate', '--cache', c.dir, '--json']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.out[0]!).images[0].platforms).toEqual({
      'linux/amd64': 'complete',
      'linux/arm64': 'absent',
    });

    const wanted = await cli(['validate', '--cache', c.dir, '--platform', 'linux/arm64']);
    expect(wanted.code).toBe(1);
    expect(wanted.out).toContain(`  index.json platform linux/arm64 of ${MULTI} is not in the cache`);
    expect(wanted.out).toContainEqual(
      expect.stringMatching(new RegExp(`^${MULTI} .* linux/amd64 complete, linux/arm64 absent `)),
    );
    // Repair removes the entry (linuxkit would take it as cached, then fail) and deletes nothing.
    const files = await blobFiles(c);
    const repair = await cli(['validate', '--repair', '--cache', c.dir, '--platform', 'linux/arm64']);
    expect(repair.code).toBe(0);
    expect(repair.out).toContain(
      `  index.json entry ${MULTI}: platform linux/arm64 is not in the cache; the next pull fetches it again — removed`,
    );
    expect(await blobFiles(c)).toEqual(files);
    expect((await cli(['validate', '--cache', c.dir, '--platform', 'linux/arm64'])).code).toBe(0);
  });

  it('--mode size finds a truncation but not a same-size flip', async () => {
    const c = await fresh();
    const layer = fileOf(c, c.bigLayer.digest);
    const bytes = await readFile(layer);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(layer, bytes);
    const size = await cli(['validate', '--mode', 'size', '--cache', c.dir]);
    expect(size.code).toBe(0);
    expect(size.out[0]).toBe(`${c.dir} (sizes only)`);
    const full = await cli(['validate', '--cache', c.dir]);
    expect(full.code).toBe(1);
    const actual = createHash('sha256').update(bytes).digest('hex');
    expect(full.out).toContain(
      `  ${shown(c.bigLayer.digest)} same size, content differs (hashes to sha256:${actual.slice(0, 12)}…)`,
    );

    await truncate(layer, 1104);
    const truncated = await cli(['validate', '--mode', 'size', '--cache', c.dir]);
    expect(truncated.code).toBe(1);
    expect(truncated.out).toContain(
      `  ${shown(c.bigLayer.digest)} truncated: 1104 of ${c.bigLayer.size} bytes`,
    );
  });

  it('takes the cache from LINUXKIT_CACHE (the context env) when --cache is not given', async () => {
    const c = await fresh();
    const r = await cli(['validate'], { LINUXKIT_CACHE: c.dir });
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`${c.dir} (sizes and sha256)`);
  });
});

describe('ls', () => {
  it('--json lists every image with its digest, platforms and the bytes of its blobs', async () => {
    const c = await fresh();
    const r = await cli(['ls', '--json', '--cache', c.dir]);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const bytes = (img: FixtureImage) => [...closure(img).values()].reduce((a, b) => a + b, 0);
    expect(JSON.parse(r.out[0]!)).toEqual([
      {
        name: MULTI,
        digest: c.images.multi.entry.digest,
        mediaType: c.images.multi.entry.mediaType,
        platforms: { 'linux/amd64': 'complete', 'linux/arm64': 'complete' },
        size: bytes(c.images.multi),
      },
      {
        name: SINGLE,
        digest: c.images.single.entry.digest,
        mediaType: c.images.single.entry.mediaType,
        platforms: { 'linux/amd64': 'complete' },
        size: bytes(c.images.single),
      },
      {
        name: DOCKER,
        digest: c.images.docker.entry.digest,
        mediaType: c.images.docker.entry.mediaType,
        platforms: { 'linux/amd64': 'complete', 'linux/arm64': 'complete' },
        size: bytes(c.images.docker),
      },
    ]);
  });

  it('shows a broken platform in the table', async () => {
    const c = await fresh();
    const layer = c.images.docker.platforms[1]!.layers[0]!;
    await unlink(fileOf(c, layer.digest));
    const r = await cli(['ls', '--cache', c.dir]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^IMAGE +DIGEST +PLATFORMS +SIZE$/);
    expect(r.out[3]).toMatch(new RegExp(`^${DOCKER} .* linux/amd64 complete, linux/arm64 broken `));
  });
});

describe('prune', () => {
  async function leftovers(c: FixtureCache): Promise<void> {
    const blobDir = path.join(c.dir, 'blobs', 'sha256');
    const extra = randomBytes(3000);
    await writeFile(path.join(blobDir, createHash('sha256').update(extra).digest('hex')), extra);
    await writeFile(path.join(blobDir, `${'b'.repeat(64)}.download`), randomBytes(500));
    await writeFile(path.join(blobDir, 'not-a-blob'), randomBytes(200));
    await settled(path.join(blobDir, `${'b'.repeat(64)}.download`), path.join(blobDir, 'not-a-blob'));
  }

  it('--dry-run says what it would delete and deletes nothing; prune then deletes it', async () => {
    const c = await fresh();
    await leftovers(c);
    const files = await blobFiles(c);
    const dry = await cli(['prune', '--dry-run', '--cache', c.dir]);
    expect(dry.code).toBe(0);
    expect(dry.out).toHaveLength(4);
    expect(dry.out.slice(0, 3).every((l) => l.endsWith(' — would be removed'))).toBe(true);
    expect(dry.out[3]).toBe('would delete 3 files, 3.7 kB to free');
    expect(await blobFiles(c)).toEqual(files);

    const real = await cli(['prune', '--json', '--cache', c.dir]);
    expect(real.code).toBe(0);
    const result = JSON.parse(real.out[0]!);
    expect(result).toMatchObject({ bytes: 3700, dryRun: false });
    expect(result.removed.map((f: { kind: string }) => f.kind)).toEqual(['stray', 'partial', 'unreferenced']);
    expect(await blobFiles(c)).toEqual(c.blobs.map(hexOf));
    expect((await cli(['validate', '--cache', c.dir])).code).toBe(0);
  });

  it('refuses, in one line and exit 1, when index.json is unparseable: every blob would look unreferenced', async () => {
    const c = await fresh();
    await writeFile(path.join(c.dir, 'index.json'), '{"schemaVersion": 2, "manif');
    const r = await cli(['prune', '--cache', c.dir]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    expectOneLine(
      r.err,
      /^oci-cache-guard prune: .*index\.json is unparseable: nothing pruned; run oci-cache-guard validate --repair first$/,
    );
    expect(await blobFiles(c)).toEqual(c.blobs.map(hexOf));
  });
});

describe('usage errors: exit 2, one line', () => {
  it('a missing cache directory is named', async () => {
    for (const command of ['validate', 'ls', 'prune']) {
      const r = await cli([command, '--cache', '/nonexistent/ocg-cache']);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expectOneLine(
        r.err,
        new RegExp(`^oci-cache-guard ${command}: cache directory /nonexistent/ocg-cache does not exist`),
      );
    }
  });

  it('an unknown flag, a bad --mode, a bad --platform, an unknown command', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['validate', '--bogus'],
        /^oci-cache-guard validate: Unknown option '--bogus' \(see oci-cache-guard validate --help\)$/,
      ],
      [['prune', '--force'], /^oci-cache-guard prune: Unknown option '--force'/],
      [
        ['validate', '--mode', 'fast'],
        /^oci-cache-guard validate: invalid --mode "fast": expected full or size$/,
      ],
      [['validate', '--platform', 'linux/'], /^oci-cache-guard validate: invalid platform "linux\/"/],
      [['frobnicate'], /^oci-cache-guard: unknown command "frobnicate"/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expectOneLine(r.err, pattern);
    }
  });

  it('--help prints the command help on stdout, exit 0; no command prints usage, exit 2', async () => {
    const help = await cli(['validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.out[0]).toMatch(/^Usage: oci-cache-guard validate /);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.out.join('\n')).toMatch(/Usage: oci-cache-guard <command>/);
  });
});

describe('as a child process (npx tsx src/cli/index.ts)', () => {
  it('exit 2 and one line, no stack trace, for a missing cache and for an unknown flag', async () => {
    const missing = await child(['validate', '--cache', '/nonexistent/ocg-cache']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expectOneLine(
      missing.stderr,
      /^oci-cache-guard validate: cache directory \/nonexistent\/ocg-cache does not exist/,
    );

    const flag = await child(['validate', '--cache', '/tmp', '--frob']);
    expect(flag.code).toBe(2);
    expectOneLine(flag.stderr, /^oci-cache-guard validate: Unknown option '--frob'/);
  });

  it('exit 1 on a damaged cache, exit 0 after --repair, nothing on stderr', async () => {
    const c = await fresh();
    await truncate(fileOf(c, c.bigLayer.digest), 1104);
    const before = await child(['validate', '--cache', c.dir]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain(
      `${shown(c.bigLayer.digest)} truncated: 1104 of ${c.bigLayer.size} bytes`,
    );
    expect(before.stderr).toBe('');
    const repair = await child(['validate', '--repair', '--json', '--cache', c.dir]);
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout).ok).toBe(true);
    expect(repair.stderr).toBe('');
  });
});
