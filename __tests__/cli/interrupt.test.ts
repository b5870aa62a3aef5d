// Ctrl-C during a pull (issue 8 item 21), against the real docker-registry behind the fault
// proxy, which stalls the big layer mid-way so the pull is caught with a partial download:
// the CLI says in one line what it kept for the next run, releases its locks and exits 130;
// the next pull resumes the partial with a Range request.
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startFaultProxy,
  startRegistry,
  type BuiltImage,
  type FaultProxy,
  type Registry,
} from '../harness/index.js';
import { waitFor } from '../harness/proc.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAYER = 2_000_000;

let work: string;
let registry: Registry;
let proxy: FaultProxy;
let image: BuiltImage;

beforeAll(async () => {
  work = await makeTempDir('cli-interrupt');
  const source = path.join(work, 'src');
  const started = startRegistry();
  image = await buildImage(source, { tag: 'v1', layers: [LAYER, 300] });
  registry = await started;
  await pushFixture(source, 'v1', registry, { repo: 'test/img' });
  proxy = await startFaultProxy(registry.url);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) await removeTempDir(work);
});

function pull(cache: string, ref: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/index.ts', 'pull', '--platform', 'linux/amd64', '--cache', cache, ref],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, DOCKER_CONFIG: path.join(work, 'no-docker-config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

/** Lock files (cache lock, download locks, running-pull markers) that name `pid`. */
async function locksOf(cache: string, pid: number): Promise<string[]> {
  const files = [
    path.join(cache, '.oci-cache-guard.lock'),
    ...(await readdir(path.join(cache, '.oci-cache-guard.locks')).catch(() => [])).map((f) =>
      path.join(cache, '.oci-cache-guard.locks', f),
    ),
  ];
  const held: string[] = [];
  for (const f of files) {
    const content = await readFile(f, 'utf8').catch(() => '');
    if (content.startsWith(`${pid}\n`)) held.push(path.basename(f));
  }
  return held;
}

describe('Ctrl-C during a pull', () => {
  it('one line saying what was kept, locks released, exit 130; the next pull resumes', async () => {
    const cache = path.join(work, 'cache');
    const ref = `${proxy.host}/test/img:v1`;
    const layer = image.layers[0]!;
    const partial = path.join(cache, 'blobs', 'sha256', `${layer.digest.slice('sha256:'.length)}.download`);
    proxy.rule = (req) =>
      req.method === 'GET' && req.url.endsWith(`/blobs/${layer.digest}`)
        ? { stallAfterBytes: LAYER / 2 }
        : undefined;

    const run = pull(cache, ref);
    const pid = run.child.pid!;
    await waitFor(
      'a partial download with bytes in it, and the pull holding its locks',
      async () =>
        ((await stat(partial).catch(() => undefined))?.size ?? 0) > 0 &&
        (await locksOf(cache, pid)).length > 0,
      { timeoutMs: 60_000 },
    );
    run.child.kill('SIGINT');
    const exit = await run.exited;

    expect(exit.code, exit.stderr).toBe(130);
    expect(exit.stdout).toBe('');
    // The stalled layer's partial, and any other blob's that was on its way at the signal (the
    // small layer or the config, when the machine is slow): the line counts what is on disk.
    const partials = (await readdir(path.dirname(partial))).filter((f) => f.endsWith('.download'));
    expect(partials).toContain(path.basename(partial));
    const n = partials.length;
    expect(exit.stderr).toBe(
      `oci-cache-guard pull: interrupted: ${n} partial download${n === 1 ? '' : 's'} kept in ${cache}; the next pull resumes them\n`,
    );
    expect(await locksOf(cache, pid)).toEqual([]);
    const kept = (await stat(partial)).size;
    expect(kept).toBeGreaterThan(0);

    proxy.rule = () => undefined;
    const resumed = await pull(cache, ref).exited;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/pulled .* resumed\)/);
    const ranged = proxy.requests.filter((r) => r.url.endsWith(`/blobs/${layer.digest}`) && r.range);
    expect(ranged.length).toBeGreaterThan(0);
    await expect(stat(partial)).rejects.toThrow(/ENOENT/);
  });
});
