// No phase of a pull waits for another: an image's blobs start once its own manifests are in
// (not once every image's are), and latency-bound requests keep a lane of the connection budget
// while a big blob's ranges run. Against the real docker-registry, through a client whose
// requests are held at gates: each test asserts which event opened a gate (an order, a
// decision), never a time. A gate also opens after GATE_FALLBACK_MS so that a scheduler that
// never gets there fails the assertion instead of hanging.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
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
import { GuardError } from '../../src/errors.js';
import { Layout } from '../../src/layout/layout.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { createRegistryClient } from '../../src/registry/index.js';

const GATE_FALLBACK_MS = 15_000;
const CONNECTIONS = 4;

let work: string;
let registry: Registry;

beforeAll(async () => {
  work = await makeTempDir('pull-phases');
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeTempDir(work);
});

/** Opens once, saying what opened it; `timeout` when nothing did within GATE_FALLBACK_MS. */
class Gate {
  reason: string | undefined;
  readonly #opened: Promise<void>;
  #open!: () => void;
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#opened = new Promise((resolve) => (this.#open = resolve));
    this.#timer = setTimeout(() => this.open('timeout'), GATE_FALLBACK_MS);
  }

  open(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    clearTimeout(this.#timer);
    this.#open();
  }

  wait(): Promise<void> {
    return this.#opened;
  }
}

/** An image of one manifest, a config and these layers; returns their descriptors, the config first. */
async function pushImage(repo: string, layers: Buffer[]): Promise<Desc[]> {
  const config = await pushBlob(
    registry,
    repo,
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' }, repo })),
    MT.ociConfig,
  );
  const descs: Desc[] = [];
  for (const layer of layers) descs.push(await pushBlob(registry, repo, layer, MT.ociLayerGzip));
  await pushManifest(registry, repo, { config, layers: descs }, MT.ociManifest, '1');
  return [config, ...descs];
}

/** The registry's client with hooks before its requests (which hold their budget connection meanwhile). */
function hookedClient(hooks: {
  resolve?: (repository: string) => Promise<void>;
  blob?: (digest: string, signal: AbortSignal | undefined) => Promise<void>;
  blobRange?: (digest: string) => Promise<void>;
}): RegistryClient {
  const client = createRegistryClient({ dockerConfigDir: false, env: {} });
  const { resolve, blob, blobRange } = client;
  client.resolve = async (ref, opts) => {
    await hooks.resolve?.(ref.repository);
    return resolve.call(client, ref, opts);
  };
  client.blob = async (repo, d, opts) => {
    await hooks.blob?.(d.digest, opts?.signal);
    return blob.call(client, repo, d, opts);
  };
  client.blobRange = async (repo, d, req) => {
    await hooks.blobRange?.(d.digest);
    return blobRange.call(client, repo, d, req);
  };
  return client;
}

async function pull(client: RegistryClient, repos: string[], cache: string, ranged = {}) {
  try {
    return await pullImages(
      Layout.at(path.join(work, cache)),
      client,
      repos.map((r) => parseReference(`${registry.host}/${r}:1`)),
      { platforms: 'all', concurrency: CONNECTIONS, ranged },
    );
  } finally {
    await client.close();
  }
}

describe('no phase of a pull waits for another', () => {
  it("an image's blobs are asked for while another image's manifest is still being resolved", async () => {
    const repos = ['phases/first', 'phases/second', 'phases/third', 'phases/last'];
    for (const repo of repos) await pushImage(repo, [randomBytes(2000)]);
    const gate = new Gate();
    const client = hookedClient({
      // The last image's manifest waits until a blob is asked for (or the fallback).
      resolve: async (repository) => {
        if (repository === 'phases/last') await gate.wait();
      },
      blob: async () => gate.open('a blob was asked for'),
    });
    const results = await pull(client, repos, 'first-blobs');
    for (const r of results) expect(r.status, r.error).toBe('pulled');
    expect(gate.reason).toBe('a blob was asked for');
  });

  it("a small blob of one image is asked for while every range of another image's big blob is held (the lane)", async () => {
    const [, big] = await pushImage('phases/big', [randomBytes(2 * 1024 * 1024)]);
    const small = await pushImage('phases/small', [randomBytes(3000)]);
    // The small image starts once the big blob's probe holds its connection: by then every range
    // has queued for its connection (they queue together), so whether the small blob finds one
    // is the budget's decision, not a race between the two images' first requests.
    const queued = new Gate();
    const gate = new Gate();
    let rangesHeld = 0;
    let heldWhenOpened: number | undefined;
    const client = hookedClient({
      resolve: async (repository) => {
        if (repository === 'phases/small') await queued.wait();
      },
      blobRange: async (digest) => {
        if (digest !== big!.digest) return;
        queued.open("the big blob's ranges were queued");
        rangesHeld++;
        await gate.wait();
        rangesHeld--;
      },
      blob: async (digest) => {
        if (small.some((d) => d.digest === digest)) {
          heldWhenOpened ??= rangesHeld;
          gate.open('a small blob of the other image was asked for');
        }
      },
    });
    const results = await pull(client, ['phases/big', 'phases/small'], 'lane', {
      thresholdBytes: 512 * 1024,
      minRangeBytes: 128 * 1024,
      maxRangeBytes: 512 * 1024,
      split: 'always',
    });
    for (const r of results) expect(r.status, r.error).toBe('pulled');
    expect(queued.reason).toBe("the big blob's ranges were queued");
    expect(gate.reason).toBe('a small blob of the other image was asked for');
    // The ranges never held the lane: at most the budget less its lane (one of four).
    expect(heldWhenOpened).toBeLessThanOrEqual(CONNECTIONS - 1);
  });

  it('latency-bound blobs go first: the small ones are asked for while a bigger whole blob waits behind the ranges', async () => {
    // A big blob (in ranges), a 300 kB layer (whole, bandwidth-bound) and 1 kB ones. The ranges
    // are held until every small blob was asked for: they hold what bulk work may take (3 of 4),
    // so the 300 kB layer can only start once the gate opens, while the small ones do not wait.
    const [config, big, middle, ...tiny] = await pushImage('phases/kinds', [
      randomBytes(2 * 1024 * 1024),
      randomBytes(300_000),
      randomBytes(1000),
      randomBytes(1001),
      randomBytes(1002),
    ]);
    const small = new Set([config!, ...tiny].map((d) => d.digest));
    const gate = new Gate();
    const asked: string[] = [];
    const client = hookedClient({
      blobRange: async (digest) => {
        if (digest === big!.digest) await gate.wait();
      },
      blob: async (digest) => {
        if (digest === middle!.digest)
          asked.push(gate.reason === undefined ? 'middle' : 'middle after the gate');
        if (!small.delete(digest)) return;
        asked.push('small');
        if (small.size === 0) gate.open('every small blob was asked for');
      },
    });
    const [result] = await pull(client, ['phases/kinds'], 'kinds', {
      thresholdBytes: 512 * 1024,
      minRangeBytes: 128 * 1024,
      maxRangeBytes: 512 * 1024,
      split: 'always',
    });
    expect(result!.status, result!.error).toBe('pulled');
    expect(gate.reason).toBe('every small blob was asked for');
    expect(asked).toEqual(['small', 'small', 'small', 'small', 'middle after the gate']);
  });

  it('a blob shared with an image that failed and gave it up is fetched again for an image that comes later', async () => {
    const shared = randomBytes(64 * 1024);
    const [, sharedDesc, broken] = await pushImage('phases/fails', [shared, randomBytes(10)]);
    await pushImage('phases/later', [shared]);
    const gate = new Gate();
    let asked = 0;
    const client = hookedClient({
      // The image that comes later is resolved only once the failed image's share was aborted.
      resolve: async (repository) => {
        if (repository === 'phases/later') await gate.wait();
      },
      blob: async (digest, signal) => {
        // The failed image's own layer fails for good.
        if (digest === broken!.digest) throw new GuardError(`injected: ${digest} is gone`);
        if (digest !== sharedDesc!.digest || asked++ > 0) return;
        // The first request for the shared blob stays open until its download is aborted.
        await new Promise<void>((resolve) => {
          if (signal?.aborted) resolve();
          signal?.addEventListener('abort', () => resolve());
          void gate.wait().then(() => resolve());
        });
        gate.open('the shared blob was aborted');
        signal?.throwIfAborted();
      },
    });
    const [failed, later] = await pull(client, ['phases/fails', 'phases/later'], 'shared');
    expect(gate.reason).toBe('the shared blob was aborted');
    expect(failed!.status).toBe('failed');
    expect(failed!.error).toContain('injected');
    expect(later!.status, later!.error).toBe('pulled');
    expect(later!.fetchedBlobs).toBe(2);
    expect(asked).toBe(2);
  });

  it('requests in flight, a blob body until it closes, never exceed the connection budget', async () => {
    const repos = ['phases/budget-big', 'phases/budget-a', 'phases/budget-b'];
    await pushImage(repos[0]!, [randomBytes(2 * 1024 * 1024), randomBytes(1000)]);
    for (const repo of repos.slice(1)) await pushImage(repo, [randomBytes(3000), randomBytes(4000)]);
    let inFlight = 0;
    let most = 0;
    const client = createRegistryClient({ dockerConfigDir: false, env: {} });
    const count = async <T>(ask: () => Promise<T>, body: (r: T) => Readable | undefined): Promise<T> => {
      most = Math.max(most, ++inFlight);
      let r: T;
      try {
        r = await ask();
      } catch (err) {
        inFlight--;
        throw err;
      }
      const stream = body(r);
      if (stream) stream.once('close', () => inFlight--);
      else inFlight--;
      return r;
    };
    const { resolve, manifest, blob, blobRange } = client;
    client.resolve = (ref, opts) =>
      count(
        () => resolve.call(client, ref, opts),
        () => undefined,
      );
    client.manifest = (repo, d, opts) =>
      count(
        () => manifest.call(client, repo, d, opts),
        () => undefined,
      );
    client.blob = (repo, d, opts) =>
      count(
        () => blob.call(client, repo, d, opts),
        (r) => r.body,
      );
    client.blobRange = (repo, d, req) =>
      count(
        () => blobRange.call(client, repo, d, req),
        (r) => (r.kind === 'mismatch' ? undefined : r.body),
      );
    const results = await pull(client, repos, 'budget', {
      thresholdBytes: 512 * 1024,
      minRangeBytes: 128 * 1024,
      maxRangeBytes: 512 * 1024,
    });
    for (const r of results) expect(r.status, r.error).toBe('pulled');
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(CONNECTIONS);
  });
});
