// Every command with its stdout closed early and on a full disk (issue 8 item 5), as a child
// process (node --import tsx src/cli/index.ts) writing into a real pipe or /dev/full:
// - a reader that closes after the first line (`ls | head -1`): exit with the status the
//   command would have had, nothing on stderr, and the work done (prune deletes everything);
// - `> /dev/full`: one line on stderr naming the problem, exit 1, no stack trace.
// Outputs are several times the 64 KiB a pipe buffers, so the reader's close is always felt.
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../harness/index.js';
import { settled } from '../harness/settled.js';
import { manyNames, writeLayout, type GeneratedLayout } from './layouts.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const execFileP = promisify(execFile);
/** ~80 bytes per `ls` line: ~160 KB of output. */
const ENTRIES = 2000;
/** ~100 bytes per `prune` line: ~150 KB. */
const UNREFERENCED = 1500;

let work: string;
let n = 0;
beforeAll(async () => {
  work = await makeTempDir('cli-pipes');
});
afterAll(async () => {
  if (work) await removeTempDir(work);
});

async function layout(options: { unreferenced?: number } = {}): Promise<GeneratedLayout> {
  return writeLayout(path.join(work, `cache-${n++}`), { names: manyNames(ENTRIES), ...options });
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** What the reader got before it closed (the first line, or nothing). */
  read: string;
}

/**
 * Runs the CLI with stdout into a pipe whose reader closes after the first line
 * (`close: 'line'`) or at once (`'start'`, `cmd | true`), or into /dev/full.
 */
function runCli(args: string[], stdout: 'line' | 'start' | 'full'): Promise<Exit> {
  const full = stdout === 'full' ? openSync('/dev/full', 'w') : undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LINUXKIT_CACHE: '', DOCKER_CONFIG: path.join(work, 'no-docker-config') },
    stdio: ['ignore', full ?? 'pipe', 'pipe'],
  });
  if (full !== undefined) closeSync(full);
  let read = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (stdout === 'start') child.stdout!.destroy();
  if (stdout === 'line') {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      read += d;
      const end = read.indexOf('\n');
      if (end < 0) return;
      read = read.slice(0, end + 1);
      child.stdout!.destroy();
    });
  }
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      // stderr may still hold data when 'exit' fires; 'close' waits for the streams.
      child.once('close', () => resolve({ code, signal, stderr, read }));
    }),
  );
}

const FULL =
  /^oci-cache-guard(?: \w+)?: cannot write the output to stdout: no space left on device \(ENOSPC\)\n$/;

describe('a reader that closes after the first line: quiet, with the status the command would have had', () => {
  it('ls: exit 0, nothing on stderr', async () => {
    const c = await layout();
    const r = await runCli(['ls', '--cache', c.dir], 'line');
    expect(r).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(r.read).toMatch(/^IMAGE +DIGEST +PLATFORMS +SIZE\n$/);
  });

  it('validate: exit 0 on a consistent cache, exit 1 when problems remain, nothing on stderr', async () => {
    const c = await layout();
    const ok = await runCli(['validate', '--cache', c.dir], 'line');
    expect(ok).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(ok.read).toBe(`${c.dir} (sizes and sha256)\n`);
    await writeFile(path.join(c.dir, 'blobs', 'sha256', 'not-a-blob'), 'x');
    await settled(path.join(c.dir, 'blobs', 'sha256', 'not-a-blob'));
    const bad = await runCli(['validate', '--cache', c.dir], 'line');
    expect(bad).toMatchObject({ code: 1, signal: null, stderr: '' });
  });

  it('validate --json and ls --json: exit 0, nothing on stderr', async () => {
    const c = await layout();
    for (const command of ['validate', 'ls']) {
      const r = await runCli([command, '--json', '--cache', c.dir], 'line');
      expect(r, command).toMatchObject({ code: 0, signal: null, stderr: '' });
    }
  });

  it('prune: every file deleted, exit 0 (the work is done), nothing on stderr', async () => {
    const c = await layout({ unreferenced: UNREFERENCED });
    const r = await runCli(['prune', '--cache', c.dir], 'line');
    expect(r).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(r.read).toMatch(/^ {2}blobs\/sha256\/[0-9a-f]{12}… unreferenced: .* — removed\n$/);
    const left = await readdir(path.join(c.dir, 'blobs', 'sha256'));
    expect(left.sort()).toEqual(c.blobs.map((d) => d.slice('sha256:'.length)).sort());
  });

  it('pull of a cached image, --help and --version, with the reader gone before they write', async () => {
    const c = await layout();
    const pull = await runCli(
      ['pull', '--platform', 'linux/amd64', '--cache', c.dir, 'registry.invalid/many/img:1'],
      'start',
    );
    expect(pull).toMatchObject({ code: 0, signal: null, stderr: '' });
    for (const argv of [['--help'], ['--version'], ['prune', '--help']]) {
      const r = await runCli(argv, 'start');
      expect(r, argv.join(' ')).toMatchObject({ code: 0, signal: null, stderr: '' });
    }
  });
});

describe('stdout and stderr into one file (`2>&1`)', () => {
  it('keep their order: the results on stdout, then the failure on stderr', async () => {
    const c = await layout();
    const { stdout } = await execFileP(
      'sh',
      [
        '-c',
        `"${process.execPath}" --import tsx src/cli/index.ts pull --platform linux/amd64 --cache "${c.dir}" registry.invalid/many/img:1 127.0.0.1:1/x/y:1 2>&1`,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, DOCKER_CONFIG: path.join(work, 'no-docker-config') } },
    ).catch((err: { stdout: string }) => err);
    // Log lines (retries, waits) come and go with the registry client; the order of these three is the point.
    const lines = stdout
      .split('\n')
      .filter((l) => /^(registry\.invalid\/|127\.0\.0\.1:1\/|oci-cache-guard pull: )/.test(l));
    expect(lines).toEqual([
      expect.stringMatching(/^registry\.invalid\/many\/img:1 sha256:[0-9a-f]{12}…: cached /),
      '127.0.0.1:1/x/y:1: failed',
      expect.stringMatching(/^oci-cache-guard pull: 127\.0\.0\.1:1\/x\/y:1: cannot reach 127\.0\.0\.1:1: /),
    ]);
  });
});

describe('stdout on a full disk (/dev/full): one line, exit 1', () => {
  it('ls, validate and pull', async () => {
    const c = await layout();
    for (const argv of [
      ['ls', '--cache', c.dir],
      ['validate', '--cache', c.dir],
      ['validate', '--json', '--cache', c.dir],
      ['pull', '--platform', 'linux/amd64', '--cache', c.dir, 'registry.invalid/many/img:1'],
    ]) {
      const r = await runCli(argv, 'full');
      expect(r.code, argv[0]).toBe(1);
      expect(r.stderr, argv[0]).toMatch(FULL);
      expect(r.stderr).toContain(`oci-cache-guard ${argv[0]}: `);
    }
  });

  it('prune: the files are deleted all the same, and the lost report is one line', async () => {
    const c = await layout({ unreferenced: UNREFERENCED });
    const r = await runCli(['prune', '--cache', c.dir], 'full');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(FULL);
    expect(await readdir(path.join(c.dir, 'blobs', 'sha256'))).toHaveLength(c.blobs.length);
  });

  it('--help', async () => {
    const r = await runCli(['--help'], 'full');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(FULL);
  });
});
