// A fault-injecting reverse proxy in front of the registry, and a tiny static server standing
// in for "another host" (a CDN behind a blob redirect).
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    | { /** Answer this status (e.g. 429, 503) with these headers (e.g. Retry-After). */ status: number; headers?: Record<string, string> }
    | { /** Append n random bytes, with a Content-Length that covers them. */ extraBytes: number }
    | { /** Send this body (Content-Length adjusted) with upstream's status and headers plus these. */ replaceBody: Buffer; headers?: Record<string, string> }
    | { /** Answer 307 (or `redirectStatus`) with `Location: redirectTo`. */ redirectTo: string; redirectStatus?: number }
    | { /** Forward upstream's answer with headers dropped (lower case, e.g. docker-content-digest) or set. */ rewriteHeaders: { drop?: string[]; set?: Record<string, string> } }
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
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use it as the registry host in image references. */
  host: string;
  url: string;
  /** The rule in force; replace it at any time. Default: no faults. */
  rule: FaultRule;
  requests: ProxyRecord[];
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

/**
 * Starts a reverse proxy on 127.0.0.1 forwarding to `target` (e.g. registry.url), applying
 * `rule` per request. The Host header is forwarded unchanged, so the registry's Location
 * headers (uploads) point back at the proxy.
 */
export async function startFaultProxy(
  target: string,
  rule: FaultRule = () => undefined,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const counts = new Map<string, number>();
  const requests: ProxyRecord[] = [];

  const forward = (req: IncomingMessage): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const out = http.request(
        {
          agent,
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
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
    const record: ProxyRecord = {
      ...info,
      count,
      authorization: req.headers.authorization !== undefined,
      ...(req.headers.range !== undefined ? { range: req.headers.range } : {}),
      ...(fault ? { fault } : {}),
      bytesSent: 0,
    };
    requests.push(record);
    const send = (status: number, headers: http.OutgoingHttpHeaders, body: Buffer | string): void => {
      record.status = status;
      res.writeHead(status, headers);
      const buf = Buffer.from(body);
      if (req.method !== 'HEAD') record.bytesSent += buf.length;
      res.end(req.method === 'HEAD' ? undefined : buf);
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

    const up = await forward(req);
    const status = up.statusCode ?? 502;
    if (fault && 'extraBytes' in fault) {
      const body = Buffer.concat([await readAll(up), randomBytes(fault.extraBytes)]);
      return send(status, headersFor(up, {}, body.length), body);
    }
    if (fault && 'replaceBody' in fault) {
      await readAll(up);
      return send(status, headersFor(up, fault.headers, fault.replaceBody.length), fault.replaceBody);
    }

    record.status = status;
    const headers = headersFor(up, fault && 'rewriteHeaders' in fault ? fault.rewriteHeaders.set : {});
    if (fault && 'rewriteHeaders' in fault)
      for (const name of fault.rewriteHeaders.drop ?? []) delete headers[name];
    res.writeHead(status, headers);
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
      record.bytesSent += part.length;
      if (part.length) res.write(part);
      if (offset >= limit) {
        up.destroy();
        if (fault && 'cutAfterBytes' in fault) res.write('', () => res.socket?.destroy());
        return; // a stall leaves the response open until the client or stop() ends it
      }
    }
    res.end();
  }

  const server = http.createServer((req, res) => {
    handle(req, res, proxy).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${err.message}`);
    });
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
    requests,
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
