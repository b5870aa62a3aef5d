// The distance model, in the fault proxy and in the TCP relay the WAN bench uses: bytes cross
// unchanged, a per-connection cap paces each connection on its own (so parallel connections add
// up), and a new connection pays a round trip. Assertions read the model's own schedule, never
// the wall clock.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import {
  buildImage,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startDistanceRelay,
  startFaultProxy,
  startRegistry,
  type Registry,
} from './harness/index.js';

const SIZE = 600_000;
const RATE = 4_000_000;
let work: string;
let reg: Registry;
let layer: { digest: string; size: number };
let blobPath: string;

beforeAll(async () => {
  work = await makeTempDir('distance');
  reg = await startRegistry();
  const built = await buildImage(work, { tag: 'd', layers: [SIZE] });
  await pushFixture(work, 'd', reg);
  layer = built.layers[0]!;
  blobPath = `/v2/test/fixture/blobs/${layer.digest}`;
});
afterAll(async () => {
  await reg?.stop();
  if (work) await removeTempDir(work);
});

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function get(agent: Agent, url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const res = await request(url, { dispatcher: agent, headers });
  return Buffer.from(await res.body.arrayBuffer());
}

describe('fault proxy distance model', () => {
  it('passes bytes through unchanged, paced at the cap, with the delays it says it applied', async () => {
    const proxy = await startFaultProxy(reg.url, undefined, {
      distance: { requestDelayMs: 5, responseDelayMs: 7, bytesPerSecond: RATE },
    });
    const agent = new Agent({ connections: 1 });
    try {
      const first = await get(agent, `${proxy.url}${blobPath}`);
      const second = await get(agent, `${proxy.url}${blobPath}`, { range: 'bytes=100-' });
      expect(sha256(first)).toBe(layer.digest);
      expect(Buffer.compare(second, first.subarray(100))).toBe(0);

      const [a, b] = proxy.requests;
      expect(a).toMatchObject({ status: 200, bytesSent: layer.size, connection: 1 });
      expect(b).toMatchObject({ status: 206, bytesSent: layer.size - 100, connection: 1 });
      // The first request on a connection pays the handshake (one round trip) before its own delay.
      expect(a!.delayedMs).toBe(5 + 7 + 5);
      expect(b!.delayedMs).toBe(5);
      // n bytes take at least n / rate on the capped connection.
      const span = (r: typeof a) => r!.paced!.endMs - r!.paced!.startMs;
      expect(span(a)).toBeGreaterThanOrEqual((layer.size / RATE) * 1000 - 1e-6);
      expect(span(b)).toBeGreaterThanOrEqual(((layer.size - 100) / RATE) * 1000 - 1e-6);
      expect(proxy.connections).toBe(1);
    } finally {
      await agent.close();
      await proxy.stop();
    }
  });

  it('caps each connection on its own: two connections transfer at the same time', async () => {
    const proxy = await startFaultProxy(reg.url, undefined, {
      distance: { requestDelayMs: 0, responseDelayMs: 0, bytesPerSecond: RATE },
    });
    const agent = new Agent({ connections: 2 });
    try {
      const bodies = await Promise.all([
        get(agent, `${proxy.url}${blobPath}`, { range: `bytes=0-${SIZE / 2 - 1}` }),
        get(agent, `${proxy.url}${blobPath}`, { range: `bytes=${SIZE / 2}-` }),
      ]);
      expect(sha256(Buffer.concat(bodies))).toBe(layer.digest);
      const [a, b] = proxy.requests;
      expect(new Set([a!.connection, b!.connection]).size).toBe(2);
      // Overlapping schedules: the second connection did not wait for the first one's bytes.
      expect(Math.max(a!.paced!.startMs, b!.paced!.startMs)).toBeLessThan(
        Math.min(a!.paced!.endMs, b!.paced!.endMs),
      );
    } finally {
      await agent.close();
      await proxy.stop();
    }
  });

  it('without a model, schedules nothing and delays nothing', async () => {
    const proxy = await startFaultProxy(reg.url);
    const agent = new Agent();
    try {
      expect(sha256(await get(agent, `${proxy.url}${blobPath}`))).toBe(layer.digest);
      expect(proxy.requests[0]).toMatchObject({ delayedMs: 0, bytesSent: layer.size });
      expect(proxy.requests[0]!.paced).toBeUndefined();
    } finally {
      await agent.close();
      await proxy.stop();
    }
  });
});

describe('distance relay', () => {
  it('passes bytes through unchanged, each connection paced at the cap on its own, and counts what it sent', async () => {
    const relay = await startDistanceRelay(reg.host, {
      requestDelayMs: 3,
      responseDelayMs: 3,
      bytesPerSecond: RATE,
    });
    const agent = new Agent({ connections: 2 });
    try {
      const bodies = await Promise.all([
        get(agent, `${relay.url}${blobPath}`, { range: `bytes=0-${SIZE / 2 - 1}` }),
        get(agent, `${relay.url}${blobPath}`, { range: `bytes=${SIZE / 2}-` }),
      ]);
      expect(sha256(Buffer.concat(bodies))).toBe(layer.digest);
      const [a, b] = relay.connections;
      expect(relay.connections).toHaveLength(2);
      // Each connection carried its half and its headers, and the total is their sum.
      for (const c of [a!, b!]) expect(c.bytesSent).toBeGreaterThan(SIZE / 2);
      expect(relay.bytesSent).toBe(a!.bytesSent + b!.bytesSent);
      const span = (c: typeof a) => c!.paced!.endMs - c!.paced!.startMs;
      for (const c of [a, b]) expect(span(c)).toBeGreaterThanOrEqual((c!.bytesSent / RATE) * 1000 * 0.99);
      expect(Math.max(a!.paced!.startMs, b!.paced!.startMs)).toBeLessThan(
        Math.min(a!.paced!.endMs, b!.paced!.endMs),
      );
    } finally {
      await agent.close();
      await relay.stop();
    }
  });
});
