// What a pull of N images from one registry costs in requests, counted by the fault proxy in
// front of the real docker-registry (token auth) and by the token server itself: one /v2/ ping,
// one token for every repository, nothing asked twice.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMultiArchIndex,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startFaultProxy,
  startRegistry,
  startTokenServer,
  type FaultProxy,
  type ProxyRecord,
  type Registry,
  type TokenServer,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';

const USER = { user: 'counter', password: 'pw-Count-5' };
const REPOS = ['test/a', 'test/b', 'test/c'];
const AMD64 = [{ os: 'linux', architecture: 'amd64' }];

let work: string;
const servers: { tokens: TokenServer; registry: Registry }[] = [];

/** A token-auth registry (its token server grants all scopes asked, or the first only) holding the N images. */
async function tokenRegistry(firstScopeOnly: boolean) {
  const tokens = await startTokenServer({ ...USER, firstScopeOnly });
  const registry = await startRegistry({ auth: { token: tokens } });
  servers.push({ tokens, registry });
  return { tokens, registry };
}

let all: Awaited<ReturnType<typeof tokenRegistry>>;
let one: Awaited<ReturnType<typeof tokenRegistry>>;

beforeAll(async () => {
  work = await makeTempDir('round-trips');
  const src = path.join(work, 'src');
  const registries = Promise.all([tokenRegistry(false), tokenRegistry(true)]);
  // A different image (other random layers) in each repository.
  await Promise.all(REPOS.map((repo) => buildMultiArchIndex(path.join(src, repo), { tag: '1' })));
  [all, one] = await registries;
  for (const { registry } of [all, one])
    for (const repo of REPOS) await pushFixture(path.join(src, repo), '1', registry, { repo });
});

afterAll(async () => {
  for (const { tokens, registry } of servers) await Promise.all([registry.stop(), tokens.stop()]);
  if (work) await removeTempDir(work);
});

async function pullAll(proxy: FaultProxy, cache: string) {
  const client = createRegistryClient({
    dockerConfigDir: false,
    env: {},
    credentials: { [proxy.host]: { username: USER.user, password: USER.password } },
  });
  try {
    return await pullImages(
      Layout.at(cache),
      client,
      REPOS.map((r) => parseReference(`${proxy.host}/${r}:1`)),
      { platforms: AMD64, concurrency: 4 },
    );
  } finally {
    await client.close();
  }
}

const kind = (r: ProxyRecord) =>
  r.url === '/v2/' ? 'ping' : r.url.includes('/manifests/') ? 'manifest' : 'blob';

describe('round trips of a pull of N images from one registry', () => {
  it('one ping, one token for all repositories, index + manifest + attestation and 5 blobs per image', async () => {
    const proxy = await startFaultProxy(all.registry.url);
    const pushed = all.tokens.requests.length;
    try {
      const results = await pullAll(proxy, path.join(work, 'all'));
      for (const r of results) expect(r.status, r.error).toBe('pulled');
      const n = REPOS.length;
      const kinds = proxy.requests.map(kind);
      expect(kinds.filter((k) => k === 'ping')).toHaveLength(1);
      // Index, the amd64 manifest, its attestation manifest.
      expect(kinds.filter((k) => k === 'manifest')).toHaveLength(3 * n);
      // Config and two layers, the attestation's config and SBOM layer.
      expect(kinds.filter((k) => k === 'blob')).toHaveLength(5 * n);
      expect(proxy.requests).toHaveLength(1 + 8 * n);
      expect(proxy.requests.map((r) => r.status)).toEqual([401, ...Array(8 * n).fill(200)]);
      // An image's blobs need not wait for another image's manifests (see phases.test.ts).
      // One token, asked for every repository at once.
      expect(all.tokens.requests.slice(pushed)).toEqual([
        {
          scope: REPOS.map((r) => `repository:${r}:pull`).join(' '),
          authorized: true,
          status: 200,
        },
      ]);
    } finally {
      await proxy.stop();
    }
  });

  it('a token server that grants one scope per token: its refusal shows it, then one token per repository', async () => {
    const proxy = await startFaultProxy(one.registry.url);
    const pushed = one.tokens.requests.length;
    try {
      const results = await pullAll(proxy, path.join(work, 'one'));
      for (const r of results) expect(r.status, r.error).toBe('pulled');
      const n = REPOS.length;
      const refused = proxy.requests.filter((r) => r.status === 401 && r.url !== '/v2/');
      expect(refused.every((r) => r.url.includes('/manifests/'))).toBe(true);
      // The images resolve at once: each but the first may be refused once with the shared token.
      expect(refused.length).toBeGreaterThanOrEqual(1);
      expect(refused.length).toBeLessThanOrEqual(n - 1);
      expect(proxy.requests).toHaveLength(1 + 8 * n + refused.length);
      expect(proxy.requests.filter((r) => r.status !== 200 && r.status !== 401)).toEqual([]);
      const [shared, ...single] = one.tokens.requests.slice(pushed);
      expect(shared!.scope.split(' ')).toHaveLength(n);
      expect(single.map((t) => t.scope).sort()).toEqual(REPOS.map((r) => `repository:${r}:pull`));
    } finally {
      await proxy.stop();
    }
  });
});
