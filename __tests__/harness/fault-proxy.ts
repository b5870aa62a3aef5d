// A fault-injecting reverse proxy in front of the registry, and a tiny static server standing
// in for "another host" (a CDN behind a blob redirect).
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LOOPBACK } from './proc.js';

/** Fields every fault accepts. */
interface FaultBase {
  /** Apply only while this method+path has been seen at most `times` times (count <= times). */
  times?: number;
}

/**
 * What to do to one request. Body offsets count the bytes of this response's body (for a
 * Range response, from the start of the partial body). Faults that need the upstream answer
 * forward the request first; `status` and `redirectTo` answer without contacting upstream.
 */
export type Fault = FaultBase &
  (
    | { /** Send n body bytes, then destroy the socket (client sees a short body). */ cutAfterBytes: number }
    | { /** XOR the body byte at offset n with 0xff (same length, wrong digest). */ flipByteAt: number }
    | { /** Send n body bytes, then send nothing more and keep the socket open. */ stallAfterBytes: number }
    | { /** Send the body one byte at a time, one every n ms: never silent long enough for an idle timeout. */ dripEveryMs: number }
    | { /** Answer this status (e.g. 429, 503) with these headers (e.g. Retry-After). */ status: number; headers?: Record<string, string> }
    | { /** Append n random bytes, with a Content-Length that covers them. */ extraBytes: number }
    | { /** Send this body (Content-Length adjusted) with upstream's status and headers plus these. */ replaceBody: Buffer; headers?: Record<string, string> }
    | { /** Answer 307 (or `redirectStatus`) with `Location: redirectTo`. */ redirectTo: string; redirectStatus?: number }
    | { /** Forward upstream's answer with headers dropped (lower case, e.g. docker-content-digest) or set. */ rewriteHeaders: { drop?: string[]; set?: Record<string, string> } }
    | { /** Forward without the Range header: upstream answers 200 with the whole body, as a server that ignores Range. */ ignoreRange: true }
    | { /** Send upstream's status and headers at once, then hold the body until this settles (a gate a test opens). */ holdBody: Promise<unknown> }
  ); // prettier-ignore

/** What the rule sees of a request. */
export interface ProxyRequestInfo {
  method: string;
  /** Path and query, as requested. */
  url: string;
  headers: IncomingHttpHeaders;
}

/** Chooses a fault for a request; `count` is how many times this method+path was seen (1 first). */
export type FaultRule = (req: ProxyRequestInfo, count: number) => Fault | undefined;

/**
 * The distance between a runner and its registry: a delay each way and a cap on each
 * connection's throughput (a CDN's per-connection limit, a TCP window over a long path).
 * Loopback hides both; this puts them back. A new connection also costs one round trip
 * before its first request (the TCP handshake), so keep-alive pays as it does for real.
 */
export interface Distance {
  /** Milliseconds added to every request on its way to the registry. */
  requestDelayMs: number;
  /** Milliseconds added to every response byte on its way back. */
  responseDelayMs: number;
  /** Response bytes per second per client connection; Infinity for no cap. */
  bytesPerSecond: number;
}

export const NO_DISTANCE: Distance = Object.freeze({
  requestDelayMs: 0,
  responseDelayMs: 0,
  bytesPerSecond: Infinity,
});

/** One request through the proxy; `status` and `bytesSent` fill in as the response goes out. */
export interface ProxyRecord extends ProxyRequestInfo {
  count: number;
  /** True when the request carried an Authorization header. */
  authorization: boolean;
  /** The Range request header, if any. */
  range?: string;
  fault?: Fault;
  status?: number;
  /** Body bytes written to the client so far. */
  bytesSent: number;
  /** Which client connection (1, 2, … in the order they opened) carried it. */
  connection: number;
  /** Milliseconds the request was held before forwarding: its delay, plus a handshake on a new connection. */
  delayedMs: number;
  /**
   * The distance model's schedule for this response (performance.now() milliseconds): when its
   * body started and finished crossing the capped connection, before the response delay. A
   * body of n bytes spans at least n / bytesPerSecond, after whatever that connection was
   * still sending.
   */
  paced?: { startMs: number; endMs: number };
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use it as the registry host in image references. */
  host: string;
  url: string;
  /** The rule in force; replace it at any time. Default: no faults. */
  rule: FaultRule;
  /** The distance model in force (applies to requests that arrive after a change). */
  distance: Distance;
  requests: ProxyRecord[];
  /** Client connections accepted so far. */
  readonly connections: number;
  /** Destroys every open connection (stalled ones too) and closes the server. */
  stop(): Promise<void>;
}

const pathOf = (url: string): string => url.split('?')[0] ?? url;

function errorBody(status: number): string {
  const code = status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE';
  return JSON.stringify({ errors: [{ code, message: `injected ${status}`, detail: null }] });
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Upstream response headers minus those a changed body would contradict. */
function headersFor(
  up: IncomingMessage,
  extra: Record<string, string> = {},
  length?: number,
): http.OutgoingHttpHeaders {
  const h: http.OutgoingHttpHeaders = { ...up.headers, ...extra };
  delete h['transfer-encoding'];
  delete h.connection;
  if (length !== undefined) h['content-length'] = String(length);
  return h;
}

/** Per client connection: whether it has carried a request yet, and until when its capped pipe is busy. */
interface ConnectionState {
  id: number;
  used: boolean;
  busyUntil: number;
}

/** Bytes a response may queue in the proxy before the upstream body is paused. */
const LINE_HIGH_WATER = 1024 * 1024;

/**
 * One response on its way back through the distance model: every write leaves when the
 * connection's capped pipe has carried it, plus the response delay; writes keep their order.
 * Without a model each write goes out at once. Either way a client that reads slowly holds the
 * writes back (socket backpressure), so `bytesSent` counts what reached the socket, not what
 * waits in the proxy.
 */
class ResponseLine {
  #queue: { at: number; bytes: number; run: () => boolean | void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #queued = 0;
  #blocked = false;
  #drained: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly conn: ConnectionState,
    private readonly distance: Distance,
    private readonly record: ProxyRecord,
  ) {}

  head(status: number, headers: http.OutgoingHttpHeaders): void {
    this.#push(performance.now() + this.distance.responseDelayMs, 0, () => {
      this.record.status = status;
      this.res.writeHead(status, headers);
    });
  }

  write(chunk: Buffer): void {
    const now = performance.now();
    let at = now;
    if (Number.isFinite(this.distance.bytesPerSecond)) {
      const start = Math.max(this.conn.busyUntil, now);
      this.conn.busyUntil = start + (chunk.length / this.distance.bytesPerSecond) * 1000;
      const paced = (this.record.paced ??= { startMs: start, endMs: start });
      paced.endMs = this.conn.busyUntil;
      at = this.conn.busyUntil;
    }
    this.#push(at + this.distance.responseDelayMs, chunk.length, () => {
      this.record.bytesSent += chunk.length;
      return this.res.write(chunk);
    });
  }

  /** Runs `fn` (end, destroy) after everything written so far has gone out. */
  then(fn: () => void): void {
    const last = this.#queue.at(-1)?.at ?? 0;
    this.#push(Math.max(last, performance.now() + this.distance.responseDelayMs), 0, fn);
  }

  /** Resolves when fewer than LINE_HIGH_WATER bytes wait in the model. */
  async room(): Promise<void> {
    if (this.#queued < LINE_HIGH_WATER) return;
    await new Promise<void>((resolve) => this.#drained.push(resolve));
  }

  #push(at: number, bytes: number, run: () => boolean | void): void {
    if (this.#queue.length === 0 && !this.#blocked && at <= performance.now()) {
      this.#ran(run());
      return;
    }
    this.#queue.push({ at, bytes, run });
    this.#queued += bytes;
    this.#arm();
  }

  /** A write that the socket did not take at once blocks the line until it drains. */
  #ran(accepted: boolean | void): void {
    if (accepted !== false || this.res.destroyed) return;
    this.#blocked = true;
    this.res.once('drain', () => {
      this.#blocked = false;
      this.#arm();
    });
  }

  #arm(): void {
    if (this.#timer || this.#blocked || this.#queue.length === 0) return;
    const wait = Math.max(0, this.#queue[0]!.at - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      while (!this.#blocked && this.#queue.length > 0 && this.#queue[0]!.at <= now + 1) {
        const op = this.#queue.shift()!;
        this.#queued -= op.bytes;
        if (!this.res.destroyed) this.#ran(op.run());
      }
      if (this.#queued < LINE_HIGH_WATER) for (const resolve of this.#drained.splice(0)) resolve();
      this.#arm();
    }, wait);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts a reverse proxy on 127.0.0.1 forwarding to `target` (e.g. registry.url), applying
 * `rule` per request. The Host header is forwarded unchanged, so the registry's Location
 * headers (uploads) point back at the proxy.
 */
export async function startFaultProxy(
  target: string,
  rule: FaultRule = () => undefined,
  options: { distance?: Partial<Distance> } = {},
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const counts = new Map<string, number>();
  const requests: ProxyRecord[] = [];
  const connections = new WeakMap<Socket, ConnectionState>();
  let opened = 0;

  const forward = (req: IncomingMessage, fault: Fault | undefined): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      if (fault && 'ignoreRange' in fault) delete headers.range;
      const out = http.request(
        {
          agent,
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
        },
        resolve,
      );
      out.once('error', reject);
      req.pipe(out);
    });

  async function handle(req: IncomingMessage, res: ServerResponse, proxy: FaultProxy): Promise<void> {
    const info: ProxyRequestInfo = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    const key = `${info.method} ${pathOf(info.url)}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    let fault = proxy.rule(info, count);
    if (fault?.times !== undefined && count > fault.times) fault = undefined;
    const conn = connections.get(req.socket) ?? { id: 0, used: true, busyUntil: 0 };
    const record: ProxyRecord = {
      ...info,
      count,
      authorization: req.headers.authorization !== undefined,
      ...(req.headers.range !== undefined ? { range: req.headers.range } : {}),
      ...(fault ? { fault } : {}),
      bytesSent: 0,
      connection: conn.id,
      delayedMs: 0,
    };
    requests.push(record);
    const distance = proxy.distance;
    // A new connection first pays its handshake: one round trip.
    const handshake = conn.used ? 0 : distance.requestDelayMs + distance.responseDelayMs;
    conn.used = true;
    record.delayedMs = handshake + distance.requestDelayMs;
    if (record.delayedMs > 0) await sleep(record.delayedMs);
    const line = new ResponseLine(res, conn, distance, record);
    const send = (status: number, headers: http.OutgoingHttpHeaders, body: Buffer | string): void => {
      line.head(status, headers);
      if (req.method !== 'HEAD') line.write(Buffer.from(body));
      line.then(() => res.end());
    };

    if (fault && 'status' in fault) {
      req.resume();
      const body = errorBody(fault.status);
      const headers = {
        'content-type': 'application/json',
        'content-length': String(body.length),
        ...fault.headers,
      };
      return send(fault.status, headers, body);
    }
    if (fault && 'redirectTo' in fault) {
      req.resume();
      return send(fault.redirectStatus ?? 307, { location: fault.redirectTo, 'content-length': '0' }, '');
    }

    const up = await forward(req, fault);
    const status = up.statusCode ?? 502;
    if (fault && 'extraBytes' in fault) {
      const body = Buffer.concat([await readAll(up), randomBytes(fault.extraBytes)]);
      return send(status, headersFor(up, {}, body.length), body);
    }
    if (fault && 'replaceBody' in fault) {
      await readAll(up);
      return send(status, headersFor(up, fault.headers, fault.replaceBody.length), fault.replaceBody);
    }

    const headers = headersFor(up, fault && 'rewriteHeaders' in fault ? fault.rewriteHeaders.set : {});
    if (fault && 'rewriteHeaders' in fault)
      for (const name of fault.rewriteHeaders.drop ?? []) delete headers[name];
    line.head(status, headers);
    if (fault && 'holdBody' in fault) {
      line.then(() => res.flushHeaders()); // the client sees the answer while its body is held
      await fault.holdBody;
    }
    const limit =
      fault && 'cutAfterBytes' in fault
        ? fault.cutAfterBytes
        : fault && 'stallAfterBytes' in fault
          ? fault.stallAfterBytes
          : Infinity;
    const flipAt = fault && 'flipByteAt' in fault ? fault.flipByteAt : -1;
    let offset = 0;
    for await (const raw of up) {
      let chunk = raw as Buffer;
      if (flipAt >= offset && flipAt < offset + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[flipAt - offset]! ^= 0xff;
      }
      const room = limit - offset;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      offset += part.length;
      if (fault && 'dripEveryMs' in fault) {
        for (let i = 0; i < part.length && !res.destroyed; i++) {
          line.write(part.subarray(i, i + 1));
          await sleep(fault.dripEveryMs);
        }
      } else if (part.length) line.write(part);
      if (offset >= limit) {
        up.destroy();
        if (fault && 'cutAfterBytes' in fault) line.then(() => res.write('', () => res.socket?.destroy()));
        return; // a stall leaves the response open until the client or stop() ends it
      }
      await line.room();
    }
    line.then(() => res.end());
  }

  const server = http.createServer((req, res) => {
    handle(req, res, proxy).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${err.message}`);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { id: ++opened, used: false, busyUntil: 0 });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const proxy: FaultProxy = {
    host: `${LOOPBACK}:${port}`,
    url: `http://${LOOPBACK}:${port}`,
    rule,
    distance: { ...NO_DISTANCE, ...options.distance },
    requests,
    get connections() {
      return opened;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  return proxy;
}

/** One request received by a static server. */
export interface StaticRecord {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** True when the request carried an Authorization header (it must not, after a cross-host redirect). */
  authorization: boolean;
}

export interface StaticServer {
  /** `127.0.0.2:PORT` when this machine routes 127.0.0.2 (Linux does), else `127.0.0.1:PORT`. */
  host: string;
  url: string;
  requests: StaticRecord[];
  stop(): Promise<void>;
}

/**
 * A plain HTTP server on a second loopback host (127.0.0.2, falling back to another port on
 * 127.0.0.1) that records every request, then hands it to `handler`.
 */
export async function startStaticServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<StaticServer> {
  const requests: StaticRecord[] = [];
  const server = http.createServer((req, res) => {
    requests.push({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      authorization: req.headers.authorization !== undefined,
    });
    Promise.resolve(handler(req, res)).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(err.message);
    });
  });
  const listen = (host: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  let bound = '127.0.0.2';
  await listen(bound).catch(async () => {
    bound = LOOPBACK;
    await listen(bound);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `${bound}:${port}`,
    url: `http://${bound}:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
