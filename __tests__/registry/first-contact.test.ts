// First contact with a registry that may be plain HTTP (loopback, or named insecure): HTTPS and
// plain HTTP are asked at once, not one after the other. A TCP front to the real docker-registry
// (plain HTTP) leaves every TLS handshake unanswered until a plain HTTP request has arrived, then
// resets it: asked one after the other, the plain ping never comes (the test's timeout is the hang
// guard); asked at once, it comes while HTTPS waits, and HTTPS is then refused.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from '../harness/index.js';
import { parseReference } from '../../src/oci/reference.js';
import { createRegistryClient } from '../../src/registry/index.js';

let registry: Registry;
let tlsRegistry: Registry;

beforeAll(async () => {
  [registry, tlsRegistry] = await Promise.all([startRegistry(), startRegistry({ tls: true })]);
});

afterAll(async () => {
  await Promise.all([registry?.stop(), tlsRegistry?.stop()]);
});

interface Front {
  host: string;
  /** TLS handshakes reset, each only once a plain HTTP connection had come. */
  refused: number;
  stop(): Promise<void>;
}

/** A TCP front to `target` that holds each TLS handshake until a plain HTTP connection has come, then resets it. */
async function front(target: Registry): Promise<Front> {
  const [host, port] = target.host.split(':') as [string, string];
  const held = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  let plainCame = false;
  let refused = 0;
  const refuse = (s: net.Socket) => {
    refused++;
    s.destroy();
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (first) => {
      if (first[0] === 0x16) {
        // A TLS ClientHello: no answer until plain HTTP has come.
        if (plainCame) refuse(socket);
        else held.add(socket);
        return;
      }
      plainCame = true;
      for (const s of held) refuse(s);
      held.clear();
      const upstream = net.connect(Number(port), host);
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
      upstream.write(first);
      socket.pipe(upstream).pipe(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get refused() {
      return refused;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function client() {
  return createRegistryClient({
    dockerConfigDir: false,
    env: {},
    // Long enough that one after the other, the HTTPS attempt would outlast the test.
    timeouts: { connectMs: 60_000, unansweredMs: 60_000 },
  });
}

describe('first contact where plain HTTP is allowed', () => {
  it('asks plain HTTP while the HTTPS handshake is still unanswered', { timeout: 10_000 }, async () => {
    const f = await front(registry);
    const c = client();
    try {
      const err = await c.resolve(parseReference(`${f.host}/no/such:1`)).catch((e: Error) => e);
      // The registry answered over plain HTTP: a manifest it does not have, not a silent port.
      expect((err as Error).message).toMatch(/not found|unknown/i);
      expect(f.refused).toBeGreaterThan(0);
    } finally {
      await c.close();
      await f.stop();
    }
  });

  it('uses HTTPS when it answers, though plain HTTP was asked too', async () => {
    const c = createRegistryClient({ dockerConfigDir: false, env: {}, ca: [tlsRegistry.certificate!] });
    try {
      const err = await c.resolve(parseReference(`${tlsRegistry.host}/no/such:1`)).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/not found|unknown/i);
      expect((err as { url?: string }).url).toMatch(/^https:/);
    } finally {
      await c.close();
    }
  });
});
