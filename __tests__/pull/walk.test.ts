// Pull's walk of nested indexes against the real docker-registry (issue 8, items 1 and 2):
// indexes nested 12 deep, each listing its child 10 times, are fetched and walked once each;
// an index cycle (possible only through bytes trusted without hashing) fails in one line.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  MT,
  pushBlob,
  pushManifest,
  removeTempDir,
  startRegistry,
  type Desc,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import type { Digest } from '../../src/oci/digest.js';
import { hostPlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages, type PullOptions, type PullResult } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { checkLayout } from '../../src/verify/index.js';

let work: string;
let registry: Registry;

beforeAll(async () => {
  work = await makeTempDir('pull-walk');
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeTempDir(work);
});

const short = (digest: string): string => `${digest.slice(0, 'sha256:'.length + 12)}…`;
let caches = 0;
const freshCache = () => path.join(work, `cache-${++caches}`);

/** One image for the host platform: a config and one layer. */
async function pushImage(repo: string): Promise<Desc> {
  const host = hostPlatform();
  const layer = await pushBlob(registry, repo, randomBytes(512), MT.ociLayerGzip);
  const config = await pushBlob(
    registry,
    repo,
    Buffer.from(
      JSON.stringify({
        architecture: host.architecture,
        os: host.os,
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    ),
    MT.ociConfig,
  );
  const manifest = await pushManifest(registry, repo, { config, layers: [layer] }, MT.ociManifest);
  return { ...manifest, platform: { os: host.os, architecture: host.architecture } };
}

async function pull(cache: string, ref: string, options: Partial<PullOptions> = {}): Promise<PullResult> {
  const client = createRegistryClient({ dockerConfigDir: false, env: {} });
  try {
    const [result] = await pullImages(Layout.at(cache), client, [parseReference(ref)], {
      platforms: [hostPlatform()],
      concurrency: 4,
      ...options,
    });
    return result!;
  } finally {
    await client.close();
  }
}

/** Manifest requests the registry saw for `repo` (its access log). */
async function manifestRequests(repo: string): Promise<number> {
  const log = await readFile(registry.logFile, 'utf8');
  return log.split('\n').filter((l) => new RegExp(`"(GET|HEAD) /v2/${repo}/manifests/`).test(l)).length;
}

describe('pull of nested indexes', () => {
  it('12 deep, each listing its child 10 times: each index fetched once, pulled, then found cached', async () => {
    const repo = 'test/deep';
    let child = await pushImage(repo);
    for (let level = 1; level <= 12; level++) {
      const manifests = Array.from({ length: 10 }, () => child);
      child = await pushManifest(registry, repo, { manifests }, MT.ociIndex, level === 12 ? '1' : undefined);
    }
    const cache = freshCache();
    const requestsBefore = await manifestRequests(repo);
    const result = await pull(cache, `${registry.host}/${repo}:1`);
    expect(result.status, result.error).toBe('pulled');
    expect(result.digest).toBe(child.digest);
    expect(result.fetchedBlobs).toBe(2);
    // The tag, 11 nested indexes and the manifest, once each: never once per path.
    expect((await manifestRequests(repo)) - requestsBefore).toBe(13);

    const report = await checkLayout(Layout.at(cache), {
      mode: 'full',
      platforms: [hostPlatform()],
      repair: false,
    });
    expect(report.findings).toEqual([]);
    const again = await pull(cache, `${registry.host}/${repo}:1`);
    expect(again.status, again.error).toBe('cached');
  });

  it('an index cycle through bytes trusted without hashing: failed, one line naming the cycle, no entry', async () => {
    const repo = 'test/cycle';
    const image = await pushImage(repo);
    // A nested index with room (an annotation) for the forged bytes planted under its name.
    const nested = await pushManifest(
      registry,
      repo,
      { manifests: [image], annotations: { pad: ' '.repeat(400) } },
      MT.ociIndex,
    );
    const top = await pushManifest(registry, repo, { manifests: [nested] }, MT.ociIndex, '1');
    const cache = freshCache();
    await Layout.at(cache).init();
    const forged = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [top] }).padEnd(
      nested.size,
      ' ',
    );
    expect(forged.length).toBe(nested.size);
    await mkdir(path.join(cache, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(cache, 'blobs', 'sha256', nested.digest.slice(7)), forged);

    // As if a size-mode verification had accepted the planted blob.
    const result = await pull(cache, `${registry.host}/${repo}:1`, {
      valid: new Set([nested.digest as Digest]),
    });
    expect(result.status).toBe('failed');
    expect(result.error).toBe(
      `${registry.host}/${repo}:1: index cycle: ${short(top.digest)} lists itself via ${short(nested.digest)}`,
    );
    const index = JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8')) as {
      manifests: unknown[];
    };
    expect(index.manifests).toEqual([]);
  });
});
