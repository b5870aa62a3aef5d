// The distance model at the TCP level: a relay that delays bytes each way and caps each
// connection's throughput, without parsing HTTP. The fault proxy parses every response (it must,
// to inject faults per request) and tops out near 90 MB/s on one connection here; benchmarks
// that need only the distance use this relay, which carries ~2.5× that, so it is not what they
// measure.
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Distance } from './fault-proxy.js';
import { LOOPBACK } from './proc.js';

/** Bytes a direction may hold in the relay before its source is paused. */
const HIGH_WATER = 1024 * 1024;

/** One client connection through the relay. */
export interface RelayConnection {
  id: number;
  /** Bytes written to the client on it. */
  bytesSent: number;
  /**
   * The model's schedule for what it carried back (performance.now() ms): when its first byte
   * entered the capped line and when the cap let its last one go, so n bytes span ≥ n / rate.
   */
  paced?: { startMs: number; endMs: number };
}

export interface DistanceRelay {
  host: string;
  url: string;
  readonly distance: Distance;
  /** Bytes written to clients so far, over every connection. */
  readonly bytesSent: number;
  /** Of those, bytes the kernel has not taken yet (held in the relay's socket write buffers). */
  readonly bytesUnflushed: number;
  /** Every connection accepted so far, in order. */
  readonly connections: readonly RelayConnection[];
  stop(): Promise<void>;
}

/**
 * One direction of a connection: chunks leave `from` and reach `to` after `delayMs`, no faster
 * than `bytesPerSecond` (a chunk enters the line once the one before it has gone through). Order
 * is kept; `from` is paused while too much waits here or `to` is full.
 */
class Line {
  #queue: { at: number; chunk: Buffer }[] = [];
  #queued = 0;
  #busyUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #blocked = false;
  #ended = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delayMs: number,
    private readonly bytesPerSecond: number,
    /** No byte leaves before this (performance.now() ms): a new connection's handshake. */
    private readonly notBefore: number,
    private readonly record?: RelayConnection,
    private readonly sent: (n: number) => void = () => {},
  ) {
    from.on('data', (chunk: Buffer) => this.#push(chunk));
    from.on('end', () => {
      this.#ended = true;
      this.#arm();
    });
  }

  #push(chunk: Buffer): void {
    let leaves = Math.max(performance.now(), this.notBefore);
    if (Number.isFinite(this.bytesPerSecond)) {
      const start = Math.max(this.#busyUntil, leaves);
      this.#busyUntil = leaves = start + (chunk.length / this.bytesPerSecond) * 1000;
      if (this.record) (this.record.paced ??= { startMs: start, endMs: start }).endMs = leaves;
    }
    this.#queue.push({ at: leaves + this.delayMs, chunk });
    this.#queued += chunk.length;
    if (this.#queued >= HIGH_WATER) this.from.pause();
    this.#arm();
  }

  #arm(): void {
    if (this.#timer || this.#blocked) return;
    const head = this.#queue[0];
    if (head) this.#timer = setTimeout(() => this.#flush(), Math.max(0, head.at - performance.now()));
    else if (this.#ended && !this.to.destroyed) this.to.end();
  }

  #flush(): void {
    this.#timer = undefined;
    const now = performance.now() + 0.5;
    while (!this.#blocked && this.#queue.length > 0 && this.#queue[0]!.at <= now) {
      const { chunk } = this.#queue.shift()!;
      this.#queued -= chunk.length;
      if (this.to.destroyed) return;
      this.sent(chunk.length);
      if (!this.to.write(chunk)) {
        this.#blocked = true;
        this.to.once('drain', () => {
          this.#blocked = false;
          this.#arm();
        });
      }
    }
    if (this.#queued < HIGH_WATER && this.from.isPaused()) this.from.resume();
    this.#arm();
  }
}

/** Starts a relay on 127.0.0.1 to `target` (`host:port`), with `distance` between its clients and the target. */
export async function startDistanceRelay(target: string, distance: Distance): Promise<DistanceRelay> {
  const colon = target.lastIndexOf(':');
  const [targetHost, targetPort] = [target.slice(0, colon), Number(target.slice(colon + 1))];
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const connections: RelayConnection[] = [];
  let bytesSent = 0;
  const server = net.createServer((client) => {
    const record: RelayConnection = { id: connections.length + 1, bytesSent: 0 };
    connections.push(record);
    clients.add(client);
    // The client's connect returned at once; its first request pays the handshake's round trip.
    const notBefore = performance.now() + distance.requestDelayMs + distance.responseDelayMs;
    const upstream = net.connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      // A reset ends both; a graceful end travels through its line, after what is still queued.
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('close', () => {
      clients.delete(client);
      upstream.destroy();
    });
    new Line(client, upstream, distance.requestDelayMs, Infinity, notBefore);
    new Line(upstream, client, distance.responseDelayMs, distance.bytesPerSecond, 0, record, (n) => {
      bytesSent += n;
      record.bytesSent += n;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `${LOOPBACK}:${port}`,
    url: `http://${LOOPBACK}:${port}`,
    distance,
    get bytesSent() {
      return bytesSent;
    },
    get bytesUnflushed() {
      let n = 0;
      for (const c of clients) n += c.writableLength;
      return n;
    },
    connections,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
