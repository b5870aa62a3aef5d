// Which requests ride HTTP/2, read from the real docker-registry's access log (it names each
// request's protocol): over HTTPS offering HTTP/2, a pull's manifests and small blobs share one
// HTTP/2 connection and a blob's bytes go over HTTP/1.1; with HTTP/2 off, or a registry that
// offers HTTP/1.1 alone, everything is HTTP/1.1 and the pull is the same.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMultiArchIndex,
  freePort,
  makeTempDir,
  MT,
  pushFixture,
  pushBlob,
  pushManifest,
  removeTempDir,
  startRegistry,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import { LATENCY_BOUND_BYTES } from '../../src/registry/client.js';
import { createRegistryClient } from '../../src/registry/index.js';
import type { StaticCredential } from '../../src/registry/options.js';

const REPOS = ['test/a', 'test/b', 'test/c'];
/** A layer above LATENCY_BOUND_BYTES (bulk: HTTP/1.1) and one below it (latency-bound). */
const BIG = 300_000;
const SMALL = 4_000;

let work: string;
let offered: Registry;
let http1Only: Registry;
/** The digests of the images' bulk blobs, on both registries. */
const bulk = new Set<string>();

async function pushImages(registry: Registry): Promise<void> {
  for (const repo of REPOS) {
    const layers = [
      await pushBlob(registry, repo, randomBytes(BIG), MT.ociLayerGzip),
      await pushBlob(registry, repo, randomBytes(SMALL), MT.ociLayerGzip),
    ];
    const config = await pushBlob(
      registry,
      repo,
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Labels: { repo } },
          rootfs: { type: 'layers', diff_ids: [] },
        }),
      ),
      MT.ociConfig,
    );
    bulk.add(layers[0]!.digest);
    await pushManifest(registry, repo, { config, layers }, MT.ociManifest, '1');
  }
}

beforeAll(async () => {
  work = await makeTempDir('http2');
  [offered, http1Only] = await Promise.all([
    startRegistry({ tls: true }),
    startRegistry({ tls: 'http/1.1' }),
  ]);
  await Promise.all([pushImages(offered), pushImages(http1Only)]);
});

afterAll(async () => {
  await Promise.all([offered?.stop(), http1Only?.stop()]);
  if (work) await removeTempDir(work);
});

interface Logged {
  method: string;
  path: string;
  protocol: string;
  status: number;
}

/** The GETs our client sent (by its user agent), from the access log, after `skip` bytes of it. */
async function ourRequests(registry: Registry, skip: number): Promise<Logged[]> {
  const log = (await readFile(registry.logFile)).subarray(skip).toString('utf8');
  const out: Logged[] = [];
  for (const m of log.matchAll(/"(GET|HEAD) (\S+) (HTTP\/[\d.]+)" (\d+) \d+ "[^"]*" "http2-test"/g))
    out.push({ method: m[1]!, path: m[2]!, protocol: m[3]!, status: Number(m[4]) });
  return out;
}

async function pull(
  registry: Registry,
  name: string,
  opts: { http2?: boolean; repos?: string[]; credentials?: StaticCredential; mirror?: string } = {},
) {
  const skip = (await readFile(registry.logFile)).length;
  const client = createRegistryClient({
    dockerConfigDir: false,
    env: {},
    userAgent: 'http2-test',
    connectionsPerHost: 4,
    ca: [registry.certificate!],
    ...(opts.http2 === undefined ? {} : { http2: opts.http2 }),
    ...(opts.credentials ? { credentials: { [registry.host]: opts.credentials } } : {}),
    ...(opts.mirror ? { mirrors: { [registry.host]: [opts.mirror] } } : {}),
  });
  const said: string[] = [];
  const logger = { debug: (m: string) => said.push(m), info: () => {}, warn: () => {} };
  let results;
  try {
    results = await pullImages(
      Layout.at(path.join(work, name)),
      client,
      (opts.repos ?? REPOS).map((repo) => parseReference(`${registry.host}/${repo}:1`)),
      { platforms: 'all', concurrency: 4, logger },
    );
  } finally {
    await client.close();
  }
  // The access log is written as each answer ends; the last may trail the close by a moment.
  await new Promise((r) => setTimeout(r, 200));
  return {
    results,
    multiplexes: client.multiplexes?.(registry.host),
    requests: await ourRequests(registry, skip),
    http2Lines: said.filter((m) => m.includes('HTTP/2')),
  };
}

const isBulk = (r: Logged): boolean => [...bulk].some((d) => r.path.endsWith(`/blobs/${d}`));

describe('HTTP/2 for latency-bound requests', () => {
  it('a registry offering HTTP/2: manifests and small blobs over HTTP/2, bulk blobs over HTTP/1.1', async () => {
    expect(LATENCY_BOUND_BYTES).toBeGreaterThan(SMALL);
    expect(LATENCY_BOUND_BYTES).toBeLessThan(BIG);
    const { results, multiplexes, requests, http2Lines } = await pull(offered, 'offered');
    expect(results.map((r) => r.status)).toEqual(['pulled', 'pulled', 'pulled']);
    expect(multiplexes).toBe(true);
    expect(http2Lines).toEqual([
      `${offered.host}: HTTP/2: manifests and small blobs share one connection; blobs' bytes take up to 4 others`,
    ]);
    const manifests = requests.filter((r) => r.path.includes('/manifests/'));
    const small = requests.filter((r) => r.path.includes('/blobs/') && !isBulk(r));
    const big = requests.filter(isBulk);
    // The first manifest may leave before the registry's answer to the HTTP/2 probe is in.
    expect(manifests.length).toBe(REPOS.length);
    expect(manifests.filter((r) => r.protocol === 'HTTP/2.0').length).toBeGreaterThanOrEqual(
      REPOS.length - 1,
    );
    expect(small.map((r) => r.protocol)).toEqual(small.map(() => 'HTTP/2.0'));
    expect(small.length).toBe(2 * REPOS.length);
    expect(big.length).toBe(REPOS.length);
    expect(big.map((r) => r.protocol)).toEqual(big.map(() => 'HTTP/1.1'));
  });

  it('with HTTP/2 off, everything goes over HTTP/1.1', async () => {
    const { results, multiplexes, requests } = await pull(offered, 'off', { http2: false });
    expect(results.map((r) => r.status)).toEqual(['pulled', 'pulled', 'pulled']);
    expect(multiplexes).toBe(false);
    expect(requests.length).toBeGreaterThanOrEqual(4 * REPOS.length);
    expect(new Set(requests.map((r) => r.protocol))).toEqual(new Set(['HTTP/1.1']));
  });

  it('a registry offering HTTP/1.1 alone is pulled over HTTP/1.1', async () => {
    const { results, multiplexes, requests, http2Lines } = await pull(http1Only, 'http1');
    expect(results.map((r) => r.status)).toEqual(['pulled', 'pulled', 'pulled']);
    expect(multiplexes).toBe(false);
    expect(http2Lines).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(4 * REPOS.length);
    expect(new Set(requests.map((r) => r.protocol))).toEqual(new Set(['HTTP/1.1']));
  });
  it('with basic auth, every stream carries the credentials', async () => {
    const user = { user: 'h2-user', password: 'pw-H2-auth-7' };
    const registry = await startRegistry({ tls: true, auth: { htpasswd: user } });
    try {
      const src = path.join(work, 'auth-src');
      await buildMultiArchIndex(src, {
        tag: '1',
        platforms: [{ architecture: 'amd64', layers: [200_000, 1024] }],
      });
      await pushFixture(src, '1', registry, { repo: 'test/auth' });
      const { results, multiplexes, requests } = await pull(registry, 'auth', {
        repos: ['test/auth'],
        credentials: { username: user.user, password: user.password },
      });
      expect(results.map((r) => r.status)).toEqual(['pulled']);
      expect(multiplexes).toBe(true);
      // Every other request is answered, over HTTP/2 for all but the big layer.
      const answered = requests.filter((r) => r.status !== 401);
      expect(answered.every((r) => r.status === 200)).toBe(true);
      expect(answered.filter((r) => r.protocol === 'HTTP/2.0').length).toBeGreaterThanOrEqual(4);
      // Only the pings (the first contact and the HTTP/2 probe) go without credentials.
      expect(requests.filter((r) => r.status === 401).map((r) => r.path)).toEqual(['/v2/', '/v2/']);
    } finally {
      await registry.stop();
    }
  });
  it('a mirror that fails first contact does not keep the registry off HTTP/2', async () => {
    const dead = `https://127.0.0.1:${await freePort()}`; // nothing listens there
    const { results, multiplexes, requests } = await pull(offered, 'dead-mirror', { mirror: dead });
    expect(results.map((r) => r.status)).toEqual(['pulled', 'pulled', 'pulled']);
    expect(multiplexes).toBe(true);
    const small = requests.filter((r) => r.path.includes('/blobs/') && !isBulk(r));
    expect(small.length).toBe(2 * REPOS.length);
    expect(small.map((r) => r.protocol)).toEqual(small.map(() => 'HTTP/2.0'));
  });
});
