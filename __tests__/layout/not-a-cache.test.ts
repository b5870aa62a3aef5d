// Issue 8 item 12: a directory that is not an OCI layout is never initialised, repaired or
// pruned — by the CLI, by the Action, or by the engine called directly — and is left
// byte-identical. What counts as a layout is the rule in src/layout/identify.ts.
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runPost } from '../../src/action/run-post.js';
import { runMain } from '../../src/action/run-main.js';
import { State } from '../../src/action/constants.js';
import { MemoryState } from '../../src/action/state.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { identifyDirectory, NotACacheError } from '../../src/layout/identify.js';
import { Layout } from '../../src/layout/layout.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { checkLayout, pruneUnreferenced } from '../../src/verify/index.js';

const HEX = 'ab'.repeat(32);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ocg-notcache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Every entry under `root`, never following a symlink: type, mode, size and content hash. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    const p = path.join(root, rel);
    const s = await lstat(p);
    const mode = (s.mode & 0o7777).toString(8);
    if (s.isSymbolicLink()) out[rel] = `link ${await readlink(p)}`;
    else if (s.isDirectory()) {
      out[rel] = `dir ${mode}`;
      for (const name of await readdir(p)) await walk(path.join(rel, name));
    } else out[rel] = `file ${mode} ${s.size} ${sha256(await readFile(p))}`;
  };
  await walk('.');
  return out;
}

/** The project folder of the issue: blobs/ of a web site, no oci-layout, no index.json. */
async function projectFolder(root: string): Promise<void> {
  await mkdir(path.join(root, 'blobs', 'assets'), { recursive: true });
  await writeFile(path.join(root, 'blobs', 'assets', 'logo.png'), randomBytes(300));
  await writeFile(path.join(root, 'blobs', 'readme.txt'), 'my notes\n');
  await writeFile(path.join(root, 'package.json'), '{"name": "site"}\n');
}

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
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
    logger: { debug: () => {}, info: (m) => (err += `${m}\n`), warn: (m) => (err += `warning: ${m}\n`) },
    env: {},
  };
  return { code: await runCli(argv, ctx), out, err };
}

/** Commands that would write into a cache; pull names a port nothing listens on. */
const WRITERS = [['validate', '--repair'], ['prune'], ['pull', '127.0.0.1:1/x/y:1']];
const READERS = [['validate'], ['ls'], ['prune', '--dry-run']];

describe('what counts as an OCI layout', () => {
  it('an oci-layout with imageLayoutVersion; an empty or absent directory may become one', async () => {
    expect(await identifyDirectory(path.join(dir, 'nope'))).toEqual({ state: 'absent' });
    expect(await identifyDirectory(dir)).toEqual({ state: 'empty' });
    await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
    expect(await identifyDirectory(dir)).toEqual({ state: 'layout' });
    await writeFile(path.join(dir, 'f'), 'x');
    expect(await identifyDirectory(path.join(dir, 'f'))).toEqual({ state: 'not-a-directory' });
    expect(await identifyDirectory(path.join(dir, 'f', 'sub'))).toEqual({ state: 'not-a-directory' });
  });

  it('a layout another process is creating right now counts as empty: only its scaffolding is there', async () => {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(dir, 'oci-layout.tmp-4242-abcd0123'), '{"imageLayout');
    await writeFile(path.join(dir, '.oci-cache-guard.lock'), '4242\n');
    await mkdir(path.join(dir, '.oci-cache-guard.locks'));
    await writeFile(path.join(dir, '.lock'), '');
    expect(await identifyDirectory(dir)).toEqual({ state: 'empty' });
    // Anything beyond scaffolding is someone's: a file in blobs/sha256, a file of the user.
    await writeFile(path.join(dir, 'blobs', 'sha256', HEX), 'x');
    expect((await identifyDirectory(dir)).state).toBe('foreign');
    await rm(path.join(dir, 'blobs', 'sha256', HEX));
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    expect((await identifyDirectory(dir)).state).toBe('foreign');
  });

  it('writers creating one layout, each starting while others are half way, all succeed', async () => {
    const root = path.join(dir, 'new');
    // Each starts a turn of the event loop after the one before, so later ones look at the
    // directory while earlier ones are between mkdir and the rename of oci-layout.
    const writers = Array.from({ length: 40 }, async (_, i) => {
      for (let turn = 0; turn < i; turn++) await new Promise((r) => setImmediate(r));
      await Layout.at(root).init();
    });
    await Promise.all(writers);
    expect(await identifyDirectory(root)).toEqual({ state: 'layout' });
  });

  it('a linuxkit cache whose oci-layout is lost or cut: index.json and blobs/sha256 of digest-named files', async () => {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(dir, 'index.json'), '{"schemaVersion": 2, "manif'); // cut short: still its shape
    await writeFile(path.join(dir, 'oci-layout'), '{"imageLayout'); // cut short by linuxkit's in-place write
    for (const name of [HEX, `${HEX}.download`, `${HEX}123456`])
      await writeFile(path.join(dir, 'blobs', 'sha256', name), 'x');
    await writeFile(path.join(dir, '.lock'), '');
    await mkdir(path.join(dir, 'ingest'));
    expect(await identifyDirectory(dir)).toEqual({ state: 'layout' });
  });

  it.each([
    ['a file in blobs/sha256 that no blob or temp file is named like', 'blobs/sha256/readme.txt', 'file'],
    ['a directory named like a blob', `blobs/sha256/${HEX}`, 'dir'],
    ['a symlink named like a blob', `blobs/sha256/${HEX}`, 'link'],
    ['a file directly in blobs/', 'blobs/notes.txt', 'file'],
    ['a directory in blobs/ that is no digest algorithm', 'blobs/md5', 'dir'],
  ] as const)('without a valid oci-layout, %s makes it foreign', async (_title, rel, kind) => {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(dir, 'index.json'), '{"schemaVersion": 2, "manifests": []}');
    await writeFile(path.join(dir, 'blobs', 'sha256', sha256('a')), 'a');
    const p = path.join(dir, rel);
    if (kind === 'file') await writeFile(p, 'x');
    else if (kind === 'dir') await mkdir(p);
    else await symlink('/etc/passwd', p);
    const found = await identifyDirectory(dir);
    expect(found).toEqual({
      state: 'foreign',
      reason: `no oci-layout file; blobs/ holds ${rel.slice('blobs/'.length)}, which are not blobs`,
    });
  });

  it('without a valid oci-layout, index.json and blobs/sha256 are both needed', async () => {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(dir, 'blobs', 'sha256', HEX), 'x');
    expect(await identifyDirectory(dir)).toEqual({
      state: 'foreign',
      reason: 'no oci-layout file; no index.json',
    });
    await writeFile(path.join(dir, 'index.json'), '{}');
    await rm(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await mkdir(path.join(dir, 'blobs', 'sha512'));
    expect(await identifyDirectory(dir)).toEqual({
      state: 'foreign',
      reason: 'no oci-layout file; no blobs/sha256 directory',
    });
  });

  it('names what the folder holds, a few entries at most', async () => {
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt'])
      await writeFile(path.join(dir, name), '');
    await symlink('/etc', path.join(dir, 'oci-layout'));
    expect(await identifyDirectory(dir)).toEqual({
      state: 'foreign',
      reason: 'oci-layout is a symbolic link; it holds a.txt, b.txt, c.txt and 3 more',
    });
  });
});

describe('the CLI refuses a folder that is not a cache, and changes nothing', () => {
  it.each([...WRITERS, ...READERS].map((argv) => [argv.join(' '), argv] as const))(
    '%s',
    async (_title, argv) => {
      await projectFolder(dir);
      const before = await snapshot(dir);
      const { code, out, err } = await cli([...argv, '--cache', dir]);
      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err).toBe(
        `oci-cache-guard ${argv[0]}: refusing to use ${dir} as a cache: it is not empty and not an OCI image layout (no oci-layout file; blobs/ holds assets, readme.txt, which are not blobs); nothing was changed: name an OCI image layout, or an empty or new directory\n`,
      );
      expect(await snapshot(dir)).toEqual(before);
    },
  );

  it('--cache "" is refused, not read as the current directory', async () => {
    const { code, err } = await cli(['pull', '--cache', '', '127.0.0.1:1/x/y:1']);
    expect(code).toBe(2);
    expect(err).toBe('oci-cache-guard pull: --cache is empty: name the cache directory\n');
  });

  it('a linuxkit cache with its oci-layout lost is repaired: oci-layout written back, its blobs kept', async () => {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(dir, 'index.json'), '{"schemaVersion": 2, "manifests": []}\n');
    await writeFile(path.join(dir, 'blobs', 'sha256', sha256('kept')), 'kept');
    const { code } = await cli(['validate', '--repair', '--cache', dir]);
    expect(code).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    expect(await readFile(path.join(dir, 'blobs', 'sha256', sha256('kept')), 'utf8')).toBe('kept');
  });
});

describe('the engine itself refuses, whoever calls it (Layout.at, not opened)', () => {
  /** Each way of writing into a layout, as the CLI and the Action call them. */
  const OPERATIONS: Record<string, (root: string) => Promise<unknown>> = {
    repair: (root) => checkLayout(Layout.at(root), { mode: 'size', platforms: [], repair: true }),
    prune: (root) => pruneUnreferenced(Layout.at(root), { dryRun: false }),
    pull: async (root) => {
      const client = createRegistryClient({});
      try {
        return await pullImages(Layout.at(root), client, [parseReference('127.0.0.1:1/x/y:1')], {
          platforms: [],
          concurrency: 1,
        });
      } finally {
        await client.close();
      }
    },
    init: (root) => Layout.at(root).init(),
  };

  /** A tree of files and folders drawn from names a cache and a project both use. */
  const NAMES = [
    'blobs',
    'sha256',
    'assets',
    'readme.txt',
    'index.json',
    'oci-layout',
    'src',
    HEX,
    `${HEX}7`,
  ];
  const tree = fc.array(
    fc.record({
      parts: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
      content: fc.oneof(fc.constant('{"schemaVersion": 2, "manifests": []}'), fc.string({ maxLength: 40 })),
    }),
    { minLength: 1, maxLength: 8 },
  );

  it('on any non-empty folder that is not a layout, every operation throws NotACacheError and changes nothing', async () => {
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(tree, async (entries) => {
        const root = await mkdtemp(path.join(dir, 'case-'));
        for (const { parts, content } of entries) {
          // A path that runs into a file already written is skipped: the tree stays a tree.
          await mkdir(path.join(root, ...parts.slice(0, -1)), { recursive: true }).catch(() => {});
          await writeFile(path.join(root, ...parts), content).catch(() => {});
        }
        const found = await identifyDirectory(root);
        fc.pre(found.state === 'foreign');
        tried++;
        const before = await snapshot(root);
        for (const [name, operation] of Object.entries(OPERATIONS)) {
          await expect(operation(root), name).rejects.toBeInstanceOf(NotACacheError);
          expect(await snapshot(root), name).toEqual(before);
        }
      }),
      { numRuns: 40 },
    );
    // The generator must mostly produce what the property is about.
    expect(tried).toBeGreaterThan(20);
  });
});

describe('the Action refuses a path that is not a cache, and changes nothing', () => {
  // process.env is restored key by key: replacing the object would cut it off from the real
  // environment that os.homedir() reads.
  const saved = { env: { ...process.env }, cwd: process.cwd() };
  let stdout: string;
  beforeEach(() => {
    stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += chunk.toString();
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
    process.chdir(saved.cwd);
    process.exitCode = 0;
  });

  /** The inputs a runner passes; `path` as the user wrote it. */
  function inputs(pathInput: string, home: string): void {
    for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key];
    Object.assign(process.env, {
      INPUT_PATH: pathInput,
      HOME: home,
      RUNNER_ARCH: 'X64',
      RUNNER_OS: 'Linux',
    });
    for (const key of [
      'GITHUB_OUTPUT',
      'GITHUB_STATE',
      'GITHUB_STEP_SUMMARY',
      'GITHUB_ENV',
      'ACTIONS_RESULTS_URL',
    ])
      delete process.env[key];
  }

  it.each([
    ['an absolute path', (d: string) => ({ input: d, home: tmpdir() })],
    ['path: . (the workspace)', (d: string) => (process.chdir(d), { input: '.', home: tmpdir() })],
    ['path: ~ (the home directory)', (d: string) => ({ input: '~', home: d })],
  ])('main fails the step, post warns; %s', async (_title, setup) => {
    await projectFolder(dir);
    const before = await snapshot(dir);
    const { input, home } = setup(dir);
    inputs(input, home);

    await runMain(new MemoryState());
    expect(process.exitCode).toBe(1);
    expect(stdout).toContain(
      `::error::refusing to use ${dir} as a cache: it is not empty and not an OCI image layout (no oci-layout file; blobs/ holds assets, readme.txt, which are not blobs)`,
    );
    expect(stdout).not.toMatch(/restoring/);
    expect(await snapshot(dir)).toEqual(before);

    stdout = '';
    const state = new MemoryState();
    state.set(State.MainCompleted, 'true');
    await runPost(state);
    expect(stdout).toContain(`::warning::cache not saved: refusing to use ${dir} as a cache`);
    expect(await snapshot(dir)).toEqual(before);
  });
});
