// A fatal error ends the image's work: after the first blob of an image fails for good (a 404),
// its queued downloads are aborted instead of each asking the registry in turn. Counted at
// the harness's proxy in front of the real docker-registry: requests, never times.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import {
  makeTempDir,
  MT,
  pushBlob,
  pushManifest,
  removeTempDir,
  startFaultProxy,
  startRegistry,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';

const CONNECTIONS = 4;
const MISSING = 80;

let work: string;
let registry: Registry;

beforeAll(async () => {
  work = await makeTempDir('pull-abort');
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeTempDir(work);
});

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('a fatal error ends the image', () => {
  it(`a manifest listing ${MISSING} layers the registry does not have: failed on the first 404, at most twice the connection budget asked`, async () => {
    const repo = 'test/missing';
    const config = await pushBlob(
      registry,
      repo,
      Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } })),
      MT.ociConfig,
    );
    const real = await pushBlob(registry, repo, randomBytes(100), MT.ociLayerGzip);
    await pushManifest(registry, repo, { config, layers: [real] }, MT.ociManifest, '1');
    // Served in place of the tag's manifest (the registry would not store it): layers nobody has.
    const layers = Array.from({ length: MISSING }, (_, i) => ({
      mediaType: MT.ociLayerGzip,
      digest: sha256(Buffer.from(`missing ${i}`)),
      size: 1000 + i,
    }));
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config, layers }),
    );
    const proxy = await startFaultProxy(registry.url);
    proxy.rule = (req) =>
      req.method === 'GET' && req.url.endsWith(`/${repo}/manifests/1`)
        ? { replaceBody: manifest, headers: { 'docker-content-digest': sha256(manifest) } }
        : undefined;
    const client = createRegistryClient({ dockerConfigDir: false, env: {} });
    try {
      const [r] = await pullImages(
        Layout.at(path.join(work, 'cache')),
        client,
        [parseReference(`${proxy.host}/${repo}:1`)],
        { platforms: [parsePlatform('linux/amd64')], concurrency: CONNECTIONS },
      );
      expect(r!.status).toBe('failed');
      expect(r!.error).toMatch(/^blob unknown: /);
      const missing = new Set(layers.map((l) => l.digest));
      const asked = proxy.requests.filter((q) => missing.has(q.url.split('/blobs/')[1]?.split('?')[0] ?? ''));
      // Those under way when the first 404 came back, and those that had just taken a freed
      // connection: never the rest of the queue.
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.length).toBeLessThanOrEqual(2 * CONNECTIONS);
    } finally {
      await client.close();
      await proxy.stop();
    }
  });
});
