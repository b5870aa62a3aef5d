// A registry port that accepts connections and never says a word: a bare TCP server (the fault
// under test, not a stand-in for a registry). The client must give up in bounded time with one
// line naming the registry, say what it waits for meanwhile, and give every image of that
// registry the same verdict instead of making each wait again. Test timeouts are the hang guards.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/oci/reference.js';
import { createRegistryClient, RegistryError, type RegistryClientInput } from '../../src/registry/index.js';
import { TIMEOUT_DEFAULTS } from '../../src/registry/options.js';
import { failure } from './failure.js';

interface SilentServer {
  host: string;
  /** Connections accepted so far. */
  accepted(): number;
  stop(): Promise<void>;
}

const servers: SilentServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function silentServer(): Promise<SilentServer> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const s: SilentServer = {
    host: `127.0.0.1:${port}`,
    accepted: () => sockets.length,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(s);
  return s;
}

function silentClient(input: RegistryClientInput = {}) {
  const logs: string[] = [];
  const client = createRegistryClient({
    dockerConfigDir: false,
    env: {},
    logger: { debug() {}, info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    ...input,
  });
  return { client, logs };
}

const verdict = (host: string) =>
  new RegExp(
    `^${host}/x/\\w+:1: ${host} did not answer within [\\d.]+ m?s: check that a registry is serving at ${host} and that nothing in between holds the connection$`,
  );

describe('a registry port that accepts and never answers', () => {
  it('with the default timeouts: one line per image, one wait for all three, a note of what is awaited', async () => {
    expect(TIMEOUT_DEFAULTS.unansweredMs).toBe(20_000);
    const server = await silentServer();
    const { client, logs } = silentClient();
    try {
      const refs = ['x/a:1', 'x/b:1', 'x/c:1'].map((r) => parseReference(`${server.host}/${r}`));
      const errors = await Promise.all(refs.map((r) => failure(client.resolve(r))));
      for (const err of errors) {
        expect(err).toBeInstanceOf(RegistryError);
        expect(err.message).toMatch(verdict(server.host));
      }
      expect(logs.filter((l) => l.startsWith('waiting for'))).toEqual([
        `waiting for ${server.host} to answer (up to 20.0 s)…`,
      ]);
      // HTTPS and its HTTP/2 probe once each, plain HTTP at most twice (a retry within the
      // budget): not once per image
      const accepted = server.accepted();
      expect(accepted).toBeLessThanOrEqual(4);
      // the verdict is kept: asking again costs no connection and no wait
      expect((await failure(client.resolve(refs[0]!))).message).toMatch(verdict(server.host));
      expect(server.accepted()).toBe(accepted);
    } finally {
      await client.close();
    }
  }, 40_000);

  it('the deadline covers HTTPS and plain HTTP together, whatever the retry settings', async () => {
    const server = await silentServer();
    const { client, logs } = silentClient({
      timeouts: { connectMs: 300, headersMs: 300, unansweredMs: 1500, noticeMs: 100 },
      retry: { maxAttempts: 50, baseDelayMs: 1, maxElapsedMs: 600_000 },
    });
    try {
      const err = await failure(client.resolve(parseReference(`${server.host}/x/y:1`)));
      expect(err.message).toMatch(verdict(server.host));
      expect(logs).toContain(`waiting for ${server.host} to answer (up to 1.5 s)…`);
      // 300 ms timeouts within a 1.5 s budget: a handful of attempts, not 50
      expect(server.accepted()).toBeGreaterThanOrEqual(2);
      expect(server.accepted()).toBeLessThanOrEqual(6);
    } finally {
      await client.close();
    }
  }, 10_000);

  it('a registry mirror that never answers falls through to the registry after its own deadline', async () => {
    const mirror = await silentServer();
    const registry = await silentServer();
    const { client, logs } = silentClient({
      mirrors: { [registry.host]: [`http://${mirror.host}`] },
      timeouts: { connectMs: 200, headersMs: 200, unansweredMs: 500, noticeMs: 100 },
    });
    try {
      const err = await failure(client.resolve(parseReference(`${registry.host}/x/y:1`)));
      expect(err.message).toMatch(verdict(registry.host));
      expect(logs.some((l) => l.startsWith(`mirror ${mirror.host} failed first contact (`))).toBe(true);
      expect(mirror.accepted()).toBeGreaterThanOrEqual(1);
      expect(registry.accepted()).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
  }, 10_000);
});
