// refresh: never | head | always, against the real docker-registry behind the recording fault
// proxy: a tag pushed anew between two pulls is pulled with `head` (and marked updated, old →
// new), an unchanged one costs one HEAD and no manifest GET, and a registry that answers HEAD
// without Docker-Content-Digest still works (one GET instead).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages, type PullResult } from '../../src/pull/pull.js';
import type { RefreshMode } from '../../src/pull/refresh.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { checkLayout } from '../../src/verify/index.js';
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

const REPO = 'test/moving';
const AMD64 = parsePlatform('linux/amd64');

let work: string;
let registry: Registry;
let proxy: FaultProxy;
let first: BuiltImage;
let second: BuiltImage;
let cache: string;
let caches = 0;

beforeAll(async () => {
  work = await makeTempDir('refresh');
  registry = await startRegistry();
  [first, second] = await Promise.all([
    buildImage(path.join(work, 'first'), { tag: '1', layers: [2048] }),
    buildImage(path.join(work, 'second'), { tag: '1', layers: [3072] }),
  ]);
  proxy = await startFaultProxy(registry.url);
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) await removeTempDir(work);
});
beforeEach(async () => {
  cache = path.join(work, `cache-${++caches}`);
  proxy.rule = () => undefined;
  await pushFixture(path.join(work, 'first'), '1', registry, { repo: REPO });
});

const ref = () => `${proxy.host}/${REPO}:1`;

async function pull(refresh: RefreshMode): Promise<{ result: PullResult; requests: ProxyRecord[] }> {
  const mark = proxy.requests.length;
  const client = createRegistryClient({ dockerConfigDir: false, env: {} });
  try {
    const [result] = await pullImages(Layout.at(cache), client, [parseReference(ref())], {
      platforms: [AMD64],
      concurrency: 4,
      refresh,
    });
    expect(result!.status, result!.error).not.toBe('failed');
    return { result: result!, requests: proxy.requests.slice(mark) };
  } finally {
    await client.close();
  }
}

/** "HEAD manifests/1", "GET blobs/sha256:…": what reached the registry, minus the /v2/ ping. */
const calls = (requests: ProxyRecord[]) =>
  requests
    .filter((r) => r.url !== '/v2/')
    .map(
      (r) => `${r.method} ${r.url.replace(`/v2/${REPO}/`, '').replace(/sha256:[0-9a-f]{64}/, 'sha256:…')}`,
    );

/** runCli in-process: stdout lines, stderr text. */
async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  let err = '';
  const ctx: CliContext = {
    out: (line) => out.push(line),
    stderr: new Writable({
      write(chunk: Buffer | string, _e, done) {
        err += chunk.toString();
        done();
      },
    }) as unknown as NodeJS.WriteStream,
    logger: { debug: () => {}, info: () => {}, warn: (m) => (err += `warning: ${m}\n`) },
    env: {},
  };
  const code = await runCli(argv, ctx);
  return { code, out, err };
}

async function entryDigest(): Promise<string | undefined> {
  const doc = JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  return doc.manifests[0]?.digest;
}

describe('refresh of an image complete in the cache', () => {
  it('head, tag unchanged: one HEAD, no manifest GET, no blob', async () => {
    await pull('never');
    const { result, requests } = await pull('head');
    expect(result.status).toBe('cached');
    expect(calls(requests)).toEqual(['HEAD manifests/1']);
  });

  it('head, tag pushed anew: the new image is pulled and marked updated, old → new; old blobs left to prune', async () => {
    await pull('never');
    await pushFixture(path.join(work, 'second'), '1', registry, { repo: REPO });
    const { result, requests } = await pull('head');
    expect(result).toMatchObject({
      status: 'updated',
      previousDigest: first.manifest.digest,
      digest: second.manifest.digest,
    });
    expect(calls(requests).filter((c) => c.includes('manifests'))).toEqual([
      'HEAD manifests/1',
      'GET manifests/1',
    ]);
    expect(await entryDigest()).toBe(second.manifest.digest);
    const report = await checkLayout(Layout.at(cache), { mode: 'full', platforms: [], repair: false });
    expect(report.ok).toBe(true);
    expect(
      report.findings
        .filter((f) => f.kind === 'unreferenced')
        .map((f) => f.digest)
        .sort(),
    ).toEqual([first.manifest.digest, first.config.digest, ...first.layers.map((l) => l.digest)].sort());
  });

  it('never: a moved tag is not looked at (no request); always: asked with GET', async () => {
    await pull('never');
    await pushFixture(path.join(work, 'second'), '1', registry, { repo: REPO });
    const never = await pull('never');
    expect(never.result.status).toBe('cached');
    expect(calls(never.requests)).toEqual([]);
    const always = await pull('always');
    expect(always.result).toMatchObject({ status: 'updated', previousDigest: first.manifest.digest });
    expect(calls(always.requests)).toContain('GET manifests/1');
    expect(calls(always.requests)).not.toContain('HEAD manifests/1');
  });

  it('a registry whose HEAD has no Docker-Content-Digest: one GET decides, and is reused for the pull', async () => {
    await pull('never');
    proxy.rule = (req) =>
      req.method === 'HEAD' ? { rewriteHeaders: { drop: ['docker-content-digest'] } } : undefined;
    const unchanged = await pull('head');
    expect(unchanged.result.status).toBe('cached');
    expect(calls(unchanged.requests)).toEqual(['HEAD manifests/1', 'GET manifests/1']);
    expect(unchanged.requests[unchanged.requests.length - 2]?.fault).toEqual({
      rewriteHeaders: { drop: ['docker-content-digest'] },
    });

    await pushFixture(path.join(work, 'second'), '1', registry, { repo: REPO });
    const moved = await pull('head');
    expect(moved.result).toMatchObject({ status: 'updated', digest: second.manifest.digest });
    expect(calls(moved.requests).filter((c) => c.includes('manifests'))).toEqual([
      'HEAD manifests/1',
      'GET manifests/1',
    ]);
  });

  it('the CLI: --refresh head says updated old → new; a bad mode is a usage error', async () => {
    await pull('never');
    await pushFixture(path.join(work, 'second'), '1', registry, { repo: REPO });
    const short = (d: string) => `${d.slice(0, 'sha256:'.length + 12)}…`;
    const args = ['pull', '--cache', cache, '--platform', 'linux/amd64', '--refresh'];
    const updated = await cli([...args, 'head', ref()]);
    expect(updated.code, updated.err).toBe(0);
    expect(updated.out).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${ref()}: updated ${short(first.manifest.digest)} → ${short(second.manifest.digest)}: pulled `,
        ),
      ),
      // How many connections carried it depends on timing (blobs and manifests go at once).
      expect.stringMatching(/^1 image: .* over \d+ connections?$/),
    ]);
    const bad = await cli([...args, 'sometimes', ref()]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/invalid --refresh "sometimes": expected never, head, always/);
  });

  it("the CLI ends with Docker Hub's pull allowance when the registry sends it", async () => {
    proxy.rule = (req) =>
      req.url.includes('/manifests/')
        ? {
            rewriteHeaders: {
              set: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600' },
            },
          }
        : undefined;
    const r = await cli(['pull', '--cache', cache, '--platform', 'linux/amd64', ref()]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toEqual([
      expect.stringMatching(/: pulled /),
      expect.stringMatching(/^1 image: /),
      'Docker Hub pulls left: 76 of 100 per 6 h',
    ]);
    const json = await cli([
      'pull',
      '--json',
      '--refresh',
      'always',
      '--cache',
      cache,
      '--platform',
      'linux/amd64',
      ref(),
    ]);
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ rateLimit: { remaining: 76, limit: 100 } });
  });
});
