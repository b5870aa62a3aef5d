// Issue 17 item 5, the pull's side: its index.json entry is committed under the cache lock only
// once every blob it needs is in place. The test holds that lock while the pull reaches its
// commit, and meanwhile does what a concurrent prune or repair may do (delete a blob the pull
// already has, drop the entry of an image the pull found cached). The pull must fetch what
// went, write its entry again, and only then report success.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startRegistry,
  type BuiltImage,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import type { Logger } from '../../src/log.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages, type PullResult } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { checkLayout } from '../../src/verify/index.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
let work: string;
let registry: Registry;
let image: BuiltImage;
let ref: string;

beforeAll(async () => {
  work = await makeTempDir('pull-commit');
  const src = path.join(work, 'src');
  const started = startRegistry();
  image = await buildImage(src, { tag: 'v1', layers: [3000, 400] });
  registry = await started;
  await pushFixture(src, 'v1', registry, { repo: 'test/commit' });
  ref = `${registry.host}/test/commit:v1`;
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeTempDir(work);
});

const blobFile = (cache: string, digest: string) => path.join(cache, 'blobs', 'sha256', digest.slice(7));

async function pull(
  cache: string,
  logger: Logger = { debug() {}, info() {}, warn() {} },
): Promise<PullResult> {
  const client = createRegistryClient({ dockerConfigDir: false, env: {} });
  const [result] = await pullImages(Layout.at(cache), client, [parseReference(ref)], {
    platforms: 'all',
    concurrency: 4,
    logger,
  }).finally(() => client.close());
  return result!;
}

/**
 * Runs a pull while this process holds the cache lock; once the pull waits for it (or has
 * finished without it), runs `meanwhile` and lets go.
 */
async function pullWhileLocked(cache: string, meanwhile: () => Promise<void>): Promise<PullResult> {
  let waiting!: () => void;
  const atCommit = new Promise<void>((resolve) => (waiting = resolve));
  const logger: Logger = {
    debug: (m) => {
      if (m.includes('waiting for the cache')) waiting();
    },
    info() {},
    warn() {},
  };
  let result!: Promise<PullResult>;
  const layout = Layout.at(cache);
  await layout.init();
  await layout.withLock(async () => {
    result = pull(cache, logger);
    await Promise.race([atCommit, result]);
    await meanwhile();
  });
  return result;
}

async function expectComplete(cache: string): Promise<void> {
  const index = JSON.parse(await readFile(path.join(cache, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  expect(index.manifests.find((m) => m.annotations?.[REF_NAME] === ref)?.digest).toBe(image.manifest.digest);
  const report = await checkLayout(Layout.at(cache), { mode: 'full', platforms: [], repair: false });
  expect(report.findings.filter((f) => f.kind !== 'unreferenced')).toEqual([]);
  expect(report.images.find((i) => i.name === ref)?.problem).toBeUndefined();
}

describe("a pull's commit", () => {
  it('fetches again a blob removed after it was fetched, before its entry is written', async () => {
    const cache = path.join(work, 'fetched');
    const result = await pullWhileLocked(cache, () => rm(blobFile(cache, image.layers[0]!.digest)));
    expect(result.status, result.error).toBe('pulled');
    await expectComplete(cache);
  });

  it('writes again the entry of an image it found cached when it was dropped meanwhile, fetching what went', async () => {
    const cache = path.join(work, 'cached');
    expect((await pull(cache)).status).toBe('pulled');
    const result = await pullWhileLocked(cache, async () => {
      // What a repair that judged the image broken, and a prune after it, would leave.
      const indexPath = path.join(cache, 'index.json');
      const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: unknown[] };
      await writeFile(indexPath, JSON.stringify({ ...index, manifests: [] }));
      await rm(blobFile(cache, image.config.digest));
    });
    expect(result.status, result.error).toBe('pulled');
    await expectComplete(cache);
  });
});
