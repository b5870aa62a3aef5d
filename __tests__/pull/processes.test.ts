// The CLI as separate processes against the real docker-registry: three pulls at once into one
// cache, and a pull SIGKILLed at random moments while a ~20 MB layer crawls through a throttled
// relay. After every kill the verifier finds nothing wrong under a final name.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
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
  type ProxyRecord,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { hostPlatform } from '../../src/oci/platform.js';
import { checkLayout } from '../../src/verify/index.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REF_NAME = 'org.opencontainers.image.ref.name';
const BIG_LAYER = 20_000_000;
/** The layer killed mid-ranges: big enough that what a kill leaves in flight is a few percent. */
const HUGE_LAYER = 40_000_000;

let work: string;
let registry: Registry;
let images: BuiltImage[];
let big: BuiltImage;
let huge: BuiltImage;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  work = await makeTempDir('pull-procs');
  const src = (n: string) => path.join(work, 'src', n);
  const reg = startRegistry();
  const built = await Promise.all([
    buildImage(src('a'), { tag: 'v1', layers: [40_000, 900] }),
    buildImage(src('b'), { tag: 'v1', layers: [50_000] }),
    buildImage(src('c'), { tag: 'v1', layers: [30_000, 700, 800] }),
    buildImage(src('big'), { tag: 'v1', layers: [BIG_LAYER, 500] }),
    buildImage(src('huge'), { tag: 'v1', layers: [HUGE_LAYER] }),
  ]);
  images = built.slice(0, 3);
  big = built[3]!;
  huge = built[4]!;
  registry = await reg;
  await Promise.all(
    ['a', 'b', 'c', 'big', 'huge'].map((n) => pushFixture(src(n), 'v1', registry, { repo: `test/${n}` })),
  );
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await registry?.stop();
  if (work) await removeTempDir(work);
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI from the repository root as `node --import tsx src/cli/index.ts ARGS`: what
 * `npx tsx src/cli/index.ts` runs, minus two launcher processes (npx, and tsx's own parent
 * process). Those cost seconds per child on two cores, and a SIGKILL must hit the pulling
 * process itself, not a launcher whose child would live on.
 */
function cli(args: string[]): { child: ChildProcess; exited: Promise<Exit> } {
  const [cmd, pre] = [process.execPath, ['--import', 'tsx', 'src/cli/index.ts']];
  const child = spawn(cmd, [...pre, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DOCKER_CONFIG: path.join(work, 'no-docker-config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited };
}

/** index.json parses, and nothing under a final blob name is wrong (the verifier hashes every blob). */
async function expectNothingCorrupt(cache: string): Promise<void> {
  const layout = Layout.at(cache);
  const read = await layout.readIndex();
  expect(read.state).toBe('ok');
  const report = await checkLayout(layout, { mode: 'full', platforms: [hostPlatform()], repair: false });
  const wrong = report.findings.filter(
    (f) => f.kind === 'corrupt' || f.kind === 'index' || f.kind === 'stray',
  );
  expect(wrong).toEqual([]);
}

describe('three CLI pulls at once into one cache', () => {
  it('each succeeds, index.json keeps all three entries, and the cache validates', async () => {
    const cache = path.join(work, 'concurrent');
    const names = ['a', 'b', 'c'].map((n) => `${registry.host}/test/${n}:v1`);
    const runs = await Promise.all(names.map((name) => cli(['pull', '--cache', cache, name]).exited));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);

    const index = JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8'));
    const entries = index.manifests.map((m: { digest: string; annotations: Record<string, string> }) => [
      m.annotations[REF_NAME],
      m.digest,
    ]);
    expect(entries.sort()).toEqual(names.map((n, i) => [n, images[i]!.manifest.digest]).sort());
    const report = await checkLayout(Layout.at(cache), {
      mode: 'full',
      platforms: [hostPlatform()],
      repair: false,
    });
    expect(report.findings).toEqual([]);
    expect(report.images.map((i) => i.problem)).toEqual([undefined, undefined, undefined]);
  });
});

interface Relay {
  host: string;
  /** Bytes sent towards clients so far. */
  bytesDown: number;
  /** `Range: bytes=N-` offsets seen in requests, in order. */
  ranges: number[];
  stop(): Promise<void>;
}

/**
 * A TCP relay to the registry that sends at most `bytesPerSecond` towards the client (per
 * connection), so a pull can be caught mid-layer; it also notes the Range headers going up.
 */
async function startThrottledRelay(target: string, bytesPerSecond: number): Promise<Relay> {
  const [targetHost, targetPort] = target.split(':') as [string, string];
  const tickMs = 20;
  const perTick = Math.ceil((bytesPerSecond * tickMs) / 1000);
  const sockets = new Set<net.Socket>();
  const relay: Relay = { host: '', bytesDown: 0, ranges: [], stop: async () => {} };
  const server = net.createServer((client) => {
    const up = net.connect(Number(targetPort), targetHost);
    sockets.add(client).add(up);
    client.on('data', (d: Buffer) => {
      for (const m of d.toString('latin1').matchAll(/^range:\s*bytes=(\d+)-/gim))
        relay.ranges.push(Number(m[1]));
      up.write(d);
    });
    const queue: Buffer[] = [];
    let queued = 0;
    let upEnded = false;
    up.on('data', (d: Buffer) => {
      queue.push(d);
      queued += d.length;
      if (queued > perTick * 4) up.pause();
    });
    up.on('end', () => (upEnded = true));
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && queue.length > 0 && !client.destroyed) {
        const head = queue[0]!;
        const part = head.subarray(0, budget);
        client.write(part);
        relay.bytesDown += part.length;
        budget -= part.length;
        queued -= part.length;
        if (part.length === head.length) queue.shift();
        else queue[0] = head.subarray(part.length);
      }
      if (queued < perTick * 2) up.resume();
      if (upEnded && queue.length === 0) {
        clearInterval(timer);
        client.end();
      }
    }, tickMs);
    const close = () => {
      clearInterval(timer);
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    client.on('close', close).on('error', close);
    up.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  relay.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return relay;
}

describe('SIGKILL during a pull', () => {
  it('after each of three kills at random moments the cache verifies clean; the last run completes', async () => {
    const relay = await startThrottledRelay(registry.host, 8_000_000);
    const cache = path.join(work, 'killed');
    const ref = `${relay.host}/test/big:v1`;
    const layer = big.layers[0]!;
    const partial = path.join(cache, 'blobs', 'sha256', `${layer.digest.slice(7)}.download`);
    const delays: number[] = [];
    try {
      for (let kill = 0; kill < 3; kill++) {
        const before = relay.bytesDown;
        // One connection: the layer comes as one stream, resumed with `Range: bytes=N-`.
        const { child, exited } = cli(['pull', '--concurrency', '1', '--cache', cache, ref]);
        // Wait for the layer to flow (manifests are a few hundred bytes), then kill at random.
        const deadline = Date.now() + 30_000;
        while (relay.bytesDown - before < 200_000 && Date.now() < deadline && child.exitCode === null) {
          await new Promise((r) => setTimeout(r, 10));
        }
        const delay = 50 + Math.floor(Math.random() * 550);
        delays.push(delay);
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        const exit = await exited;
        expect(exit.signal, `kill ${kill + 1} (after ${delays.join(', ')} ms): ${exit.stderr}`).toBe(
          'SIGKILL',
        );
        await expectNothingCorrupt(cache);
      }
      // Each run after the first resumed the partial from further on.
      expect(relay.ranges.length, `delays ${delays.join(', ')} ms`).toBeGreaterThanOrEqual(2);
      expect(relay.ranges).toEqual([...relay.ranges].sort((a, b) => a - b));
      expect(relay.ranges[0]).toBeGreaterThan(0);

      const last = await cli(['pull', '--concurrency', '1', '--cache', cache, ref]).exited;
      expect(last.code, last.stderr).toBe(0);
      expect(last.stdout).toMatch(/pulled .* resumed\)/);
      const index = JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8'));
      expect(index.manifests).toMatchObject([
        { digest: big.manifest.digest, annotations: { [REF_NAME]: ref } },
      ]);
      const report = await checkLayout(Layout.at(cache), {
        mode: 'full',
        platforms: [hostPlatform()],
        repair: false,
      });
      expect(report.findings).toEqual([]);
      await expect(readFile(partial)).rejects.toThrow(/ENOENT/);
    } finally {
      await relay.stop();
    }
  });
});

const isLayerGet = (image: BuiltImage) => (r: ProxyRecord) =>
  r.method === 'GET' && r.url.split('?')[0]!.endsWith(`/blobs/${image.layers[0]!.digest}`);
const layerBytesServed = (proxy: FaultProxy, image: BuiltImage) =>
  proxy.requests.filter(isLayerGet(image)).reduce((n, r) => n + r.bytesSent, 0);

describe('a big layer in ranges, pulled by the CLI (default budget: it goes in ranges)', () => {
  it('SIGKILLed twice at random moments: each next run fetches only what is missing', async () => {
    // 1 MB/s per connection: slow enough to be caught mid-layer, and for a CLI on a busy machine
    // to keep up (what a killed process had not read yet is lost to any client).
    const proxy = await startFaultProxy(registry.url, undefined, { distance: { bytesPerSecond: 1_000_000 } });
    const cache = path.join(work, 'killed-ranged');
    const ref = `${proxy.host}/test/huge:v1`;
    const layer = huge.layers[0]!;
    const record = path.join(cache, 'blobs', 'sha256', `${layer.digest.slice(7)}.download.ranges`);
    const delays: number[] = [];
    /** What the killed run's record kept, and where the next run's requests begin. */
    const resumes: { kept: [number, number][]; from: number }[] = [];
    const kept = async () =>
      (JSON.parse(await readFile(record, 'utf8')) as { done: [number, number][] }).done;
    const keptBytes = async () =>
      (await kept().catch(() => [] as [number, number][])).reduce((n, [a, b]) => n + b - a, 0);
    try {
      for (let kill = 0; kill < 2; kill++) {
        if (kill > 0) resumes.push({ kept: await kept(), from: proxy.requests.length });
        const before = await keptBytes();
        const { child, exited } = cli(['pull', '--cache', cache, ref]);
        // Wait until this run has recorded progress of its own (a busy machine can be slow to
        // start a CLI), then kill it at a random moment.
        const deadline = Date.now() + 30_000;
        while ((await keptBytes()) <= before && Date.now() < deadline && child.exitCode === null) {
          await new Promise((r) => setTimeout(r, 10));
        }
        const delay = 50 + Math.floor(Math.random() * 800);
        delays.push(delay);
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        const exit = await exited;
        expect(exit.signal, `kill ${kill + 1} (after ${delays.join(', ')} ms): ${exit.stderr}`).toBe(
          'SIGKILL',
        );
        await expectNothingCorrupt(cache);
        expect(JSON.parse(await readFile(record, 'utf8'))).toMatchObject({ size: layer.size });
      }
      resumes.push({ kept: await kept(), from: proxy.requests.length });
      const last = await cli(['pull', '--cache', cache, ref]).exited;
      expect(last.code, last.stderr).toBe(0);
      // No run asked again for a byte the record before it kept.
      for (const [i, { kept: done, from }] of resumes.entries()) {
        const asked = proxy.requests.slice(from, resumes[i + 1]?.from).filter(isLayerGet(huge));
        expect(asked.length).toBeGreaterThan(0);
        for (const g of asked) {
          const [a, b] = g.range!.slice('bytes='.length).split('-').map(Number) as [number, number];
          expect(done.filter(([s, e]) => a < e && s <= b)).toEqual([]);
        }
      }
      expect(last.stdout).toMatch(/pulled .* resumed\)/);
      const gets = proxy.requests.filter(isLayerGet(huge));
      expect(gets.every((g) => /^bytes=\d+-\d+$/.test(g.range ?? ''))).toBe(true);
      const served = layerBytesServed(proxy, huge);
      expect(served, `delays ${delays.join(', ')} ms`).toBeLessThan(1.1 * layer.size);
      const report = await checkLayout(Layout.at(cache), {
        mode: 'full',
        platforms: [hostPlatform()],
        repair: false,
      });
      expect(report.findings).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('three pulls of it at once into one cache: one download, all three succeed', async () => {
    const proxy = await startFaultProxy(registry.url, undefined, {
      distance: { bytesPerSecond: 10_000_000 },
    });
    const cache = path.join(work, 'concurrent-big');
    const ref = `${proxy.host}/test/big:v1`;
    try {
      const runs = await Promise.all([0, 1, 2].map(() => cli(['pull', '--cache', cache, ref]).exited));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      // One download: the layer once, plus what was on its way when its first request was cut
      // at a split (unused, never written: at 10 MB/s a few hundred kB).
      const served = layerBytesServed(proxy, big);
      expect(served).toBeGreaterThanOrEqual(big.layers[0]!.size);
      expect(served).toBeLessThan(1.1 * big.layers[0]!.size);
      // Each says how fast it went; the one that fetched the layer did it over several connections.
      const speeds = runs.map((r) => r.stdout.trim().split('\n').at(-1)!);
      for (const line of speeds)
        expect(line).toMatch(/(: cached \(.*\)|^1 image: .+ \([\d.]+ [kM]?B\/s\) over \d+ connections?)$/);
      expect(speeds.filter((l) => /^1 image: 2\d\.\d MB in .+ over [2-8] connections$/.test(l))).toHaveLength(
        1,
      );
      await expectNothingCorrupt(cache);
      const index = JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8'));
      expect(index.manifests).toMatchObject([
        { digest: big.manifest.digest, annotations: { [REF_NAME]: ref } },
      ]);
    } finally {
      await proxy.stop();
    }
  });
});
