/**
 * A small emulator of the GitHub Actions cache service v2, good enough for the real
 * `@actions/cache` 6.x to save and restore end to end on loopback.
 *
 * One `node:http` server on 127.0.0.1 serves both halves of the protocol:
 *
 * - the twirp JSON API the library calls with `Authorization: Bearer $ACTIONS_RUNTIME_TOKEN`:
 *   `POST /twirp/github.actions.results.api.v1.CacheService/{CreateCacheEntry,
 *   FinalizeCacheEntryUpload,GetCacheEntryDownloadURL}`;
 * - the "signed" blob URLs those calls hand out. Uploads speak the subset of the Azure Blob
 *   REST API that `@azure/storage-blob`'s `BlockBlobClient.uploadFile` uses (a single
 *   `PUT` with `x-ms-blob-type: BlockBlob`, or `PUT ?comp=block&blockid=…` per block then
 *   `PUT ?comp=blocklist`). Downloads are a plain `GET` (with `Range` support): the library
 *   only uses the Azure SDK for hosts ending in `.blob.core.windows.net`.
 *
 * Behaviour copied from the hosted service, as far as the library can observe it:
 * - entries are keyed by (key, version) and immutable; a second `CreateCacheEntry` for a
 *   pair that exists (or is being uploaded) fails with twirp `already_exists` (HTTP 409,
 *   "cache entry with the same key, version, and scope already exists");
 * - lookup only considers entries of the requested version and, in order: the exact key,
 *   then the newest entry whose key starts with the key, then for each restore key in turn
 *   the newest entry whose key starts with it (GitHub's documented matching order);
 * - a miss is `200 {"ok": false}`; a read-only token gets `200 {"ok": false, "message":
 *   "cache write denied: …"}` from `CreateCacheEntry`; a token without read scope gets twirp
 *   `permission_denied` with "cache read denied: …".
 * Not emulated: scopes/branches, eviction, the 10 GB repository quota, SAS expiry.
 *
 * For tests of one entry per image: `events` records each lookup (and what it matched), create,
 * download and commit by key, so a test asserts counts and keys per job, never times; fault
 * knobs refuse creates after a count (`createLimit`, as the 200 new entries per minute limit
 * answers, HTTP 429) and cut chosen downloads half way (`cutDownloads`).
 *
 * Blobs are kept in a temporary directory (removed by `stop()`), so large archives cost disk,
 * not memory.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The twirp service path prefix used by `@actions/cache` 6.x. */
export const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';

export type TwirpMethod = 'CreateCacheEntry' | 'FinalizeCacheEntryUpload' | 'GetCacheEntryDownloadURL';

/**
 * How the service misbehaves while it is "down":
 * - `reset`: every connection is destroyed as soon as a request arrives. The library sees
 *   `ECONNRESET` and gives up at once (no retry).
 * - `unavailable`: every request gets HTTP 503 (twirp `unavailable`, or Azure `ServerBusy`
 *   on blob URLs). The library retries twirp calls 5 times with 3 s, ~4.5–6.8 s, ~6.8–10 s
 *   and ~10–15 s pauses, so a permanent 503 costs a caller about 25–35 s.
 */
export type Outage = 'reset' | 'unavailable';

export interface CacheEmulatorOptions {
  /** The runtime token every twirp call must present as `Authorization: Bearer <token>`; '' = random. */
  token: string;
  /** `FinalizeCacheEntryUpload` refuses an entry larger than this (ok: false, with a message). */
  maxEntryBytes: number;
  /** Where blobs are stored. Default: a fresh temporary directory, deleted by `stop()`. */
  storageDir: string | undefined;
}

export const DEFAULTS: Readonly<CacheEmulatorOptions> = Object.freeze({
  token: '',
  maxEntryBytes: 10 * 1024 ** 3,
  storageDir: undefined,
});

/** One cache entry as the emulator sees it. */
export interface CacheEntryInfo {
  /** The `entry_id` that `FinalizeCacheEntryUpload` returned (what `saveCache` returns). */
  readonly id: number;
  readonly key: string;
  /** The library's version hash: sha256 of paths, compression method and salt. */
  readonly version: string;
  /** Archive size in bytes (0 until the blob is uploaded). */
  readonly size: number;
  /** False while reserved (created, blob not uploaded or upload not finalized). */
  readonly committed: boolean;
}

export interface CacheEmulatorCounters {
  /** Every HTTP request received, faults included. */
  requests: number;
  /** Twirp calls by method (counted only when they pass the fault knobs and auth check). */
  twirp: Record<TwirpMethod, number>;
  /** Blobs written: single `PUT`s plus block-list commits. */
  uploads: number;
  /** Blocks staged with `PUT ?comp=block`. */
  blocks: number;
  /** Blob `GET`s answered with 200 or 206. */
  downloads: number;
  bytesUploaded: number;
  bytesDownloaded: number;
}

/** One thing the service did, by key: what tests assert per job (counts and keys, not times). */
export interface CacheEvent {
  /** lookup: GetCacheEntryDownloadURL (matched: the key it answered); create: CreateCacheEntry accepted; download: a blob GET of the entry; commit: FinalizeCacheEntryUpload accepted. */
  kind: 'lookup' | 'create' | 'download' | 'commit' | 'refused';
  key: string;
  matched?: string;
  bytes?: number;
}

export interface CacheEmulator {
  /** Base URL of the service, with a trailing slash: the value for `ACTIONS_RESULTS_URL`. */
  readonly url: string;
  /** The runtime token it accepts: the value for `ACTIONS_RUNTIME_TOKEN`. */
  readonly token: string;
  /** Fault knob: while set, every request fails this way. */
  down: Outage | false;
  /** Fault knob: twirp calls get HTTP 429 (twirp `resource_exhausted`) with `Retry-After: 60`. */
  throttle: boolean;
  /** Fault knob: `CreateCacheEntry` answers like a read-only token ("cache write denied: …"). */
  readOnly: boolean;
  /** Fault knob: `GetCacheEntryDownloadURL` answers like a token without read scope. */
  readDenied: boolean;
  /**
   * Fault knob: once this many `CreateCacheEntry` calls were accepted (counted from when it is
   * set), further ones get HTTP 429 (twirp `resource_exhausted`), as GitHub's 200 new entries
   * per minute limit answers. `undefined`: no limit.
   */
  createLimit: number | undefined;
  /** Fault knob: downloads of these keys' archives are cut after half their bytes. */
  cutDownloads: Set<string>;
  /**
   * Gate: a download (GET) of a key here calls its function when it arrives and answers only
   * once the promise returned settles, so a test can assert what happened while that download
   * was open (order, never time).
   */
  holdDownloads: Map<string, () => Promise<unknown>>;
  /**
   * Bytes per second all downloads share, as a runner's network bounds them; undefined: as fast
   * as loopback and the CPU allow (then the service's own CPU competes with the step's).
   */
  downloadRate: number | undefined;
  /** What the service did, in order (see CacheEvent). */
  readonly events: CacheEvent[];
  readonly counters: CacheEmulatorCounters;
  /** The next `count` requests fail with `outage`, then the service behaves again. */
  failNext(count: number, outage?: Outage): void;
  /** All entries, reserved and committed, oldest first. */
  entries(): CacheEntryInfo[];
  /** Closes the server (and every open connection) and removes the default storage directory. */
  stop(): Promise<void>;
}

interface Entry {
  id: number;
  key: string;
  version: string;
  size: number;
  committed: boolean;
  /** Order of commit: the newest entry wins a prefix match. */
  seq: number;
  uploadSig: string;
  downloadSig: string;
  /** Set once a blob was written (single PUT or block list). */
  blobWritten: boolean;
  etag: string;
  lastModified: Date;
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

class BlobError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BLOB_ACCOUNT = 'emulator';
const BLOB_CONTAINER = 'actions-cache';
const BLOB_PATH = new RegExp(`^/${BLOB_ACCOUNT}/${BLOB_CONTAINER}/([0-9]+)$`);
const TWIRP_BODY_LIMIT = 1024 * 1024;
const BLOCK_ID_MAX_BYTES = 64;

function resolveOptions(options: Partial<CacheEmulatorOptions>): CacheEmulatorOptions {
  const resolved = { ...DEFAULTS, ...options };
  if (resolved.token === '') resolved.token = `emulator-${randomBytes(16).toString('hex')}`;
  if (!(resolved.maxEntryBytes > 0)) {
    throw new RangeError(`maxEntryBytes must be a positive number, got ${resolved.maxEntryBytes}`);
  }
  return resolved;
}

/** Starts an emulator on 127.0.0.1 and a free port. */
export async function startCacheEmulator(
  options: Partial<CacheEmulatorOptions> = {},
): Promise<CacheEmulator> {
  const settings = resolveOptions(options);
  const ownsStorage = settings.storageDir === undefined;
  const storageDir = settings.storageDir ?? (await mkdtemp(join(tmpdir(), 'cache-emulator-')));
  const blobsDir = join(storageDir, 'blobs');
  const stagingDir = join(storageDir, 'staging');
  await mkdir(blobsDir, { recursive: true });
  await mkdir(stagingDir, { recursive: true });

  const entries: Entry[] = [];
  let nextId = 1;
  let nextSeq = 1;
  let failures: { count: number; outage: Outage } = { count: 0, outage: 'unavailable' };
  let baseUrl = '';

  const counters: CacheEmulatorCounters = {
    requests: 0,
    twirp: { CreateCacheEntry: 0, FinalizeCacheEntryUpload: 0, GetCacheEntryDownloadURL: 0 },
    uploads: 0,
    blocks: 0,
    downloads: 0,
    bytesUploaded: 0,
    bytesDownloaded: 0,
  };

  let linkFreeAt = 0;
  const emulator: CacheEmulator = {
    url: '',
    token: settings.token,
    down: false,
    throttle: false,
    readOnly: false,
    readDenied: false,
    createLimit: undefined,
    cutDownloads: new Set(),
    holdDownloads: new Map(),
    downloadRate: undefined,
    events: [],
    counters,
    failNext(count, outage = 'unavailable') {
      failures = { count, outage };
    },
    entries: () =>
      entries.map(({ id, key, version, size, committed }) => ({ id, key, version, size, committed })),
    stop: async () => {
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      }
      if (ownsStorage) await rm(storageDir, { recursive: true, force: true });
    },
  };

  const blobUrl = (entry: Entry, sig: string, permissions: string): string =>
    `${baseUrl}${BLOB_ACCOUNT}/${BLOB_CONTAINER}/${entry.id}?sp=${permissions}&sig=${sig}`;
  const blobFile = (entry: Entry): string => join(blobsDir, String(entry.id));
  const blockDir = (entry: Entry): string => join(stagingDir, String(entry.id));

  // ---- twirp -------------------------------------------------------------------------------

  function createCacheEntry(body: Record<string, unknown>): object {
    const key = requireString(body, 'key');
    const version = requireString(body, 'version');
    if (emulator.readOnly) {
      return { ok: false, message: 'cache write denied: token has no writable scopes' };
    }
    if (emulator.createLimit !== undefined && emulator.createLimit <= 0) {
      emulator.events.push({ kind: 'refused', key });
      throw new TwirpError(429, 'resource_exhausted', 'too many cache entries created');
    }
    if (entries.some((e) => e.key === key && e.version === version)) {
      throw new TwirpError(
        409,
        'already_exists',
        'cache entry with the same key, version, and scope already exists',
      );
    }
    const entry: Entry = {
      id: nextId++,
      key,
      version,
      size: 0,
      committed: false,
      seq: 0,
      uploadSig: randomBytes(16).toString('hex'),
      downloadSig: randomBytes(16).toString('hex'),
      blobWritten: false,
      etag: '',
      lastModified: new Date(),
    };
    entries.push(entry);
    if (emulator.createLimit !== undefined) emulator.createLimit--;
    emulator.events.push({ kind: 'create', key });
    return { ok: true, signed_upload_url: blobUrl(entry, entry.uploadSig, 'cw') };
  }

  async function finalizeCacheEntryUpload(body: Record<string, unknown>): Promise<object> {
    const key = requireString(body, 'key');
    const version = requireString(body, 'version');
    // int64 travels as a JSON string in proto3 JSON; accept a number too.
    const rawSize = body['size_bytes'];
    const sizeBytes = typeof rawSize === 'string' || typeof rawSize === 'number' ? Number(rawSize) : NaN;
    const entry = entries.find((e) => e.key === key && e.version === version && !e.committed);
    if (!entry) {
      throw new TwirpError(404, 'not_found', `no cache entry reserved for key ${key} and version ${version}`);
    }
    const refuse = async (message: string): Promise<object> => {
      // The reservation is dropped, so a later save of the same key can try again.
      entries.splice(entries.indexOf(entry), 1);
      await rm(blobFile(entry), { force: true });
      await rm(blockDir(entry), { recursive: true, force: true });
      return { ok: false, message };
    };
    if (!entry.blobWritten) return refuse(`cache entry ${key}: no archive was uploaded`);
    const actual = (await stat(blobFile(entry))).size;
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes !== actual) {
      return refuse(
        `cache entry ${key}: size_bytes ${String(rawSize)} does not match the ${actual} bytes uploaded`,
      );
    }
    if (actual > settings.maxEntryBytes) {
      return refuse(`cache entry ${key}: ${actual} bytes is over the ${settings.maxEntryBytes} byte limit`);
    }
    entry.size = actual;
    entry.committed = true;
    entry.seq = nextSeq++;
    emulator.events.push({ kind: 'commit', key, bytes: actual });
    return { ok: true, entry_id: String(entry.id) };
  }

  function getCacheEntryDownloadURL(body: Record<string, unknown>): object {
    const key = requireString(body, 'key');
    const version = requireString(body, 'version');
    const restoreKeys = body['restore_keys'] ?? [];
    if (!Array.isArray(restoreKeys) || !restoreKeys.every((k): k is string => typeof k === 'string')) {
      throw new TwirpError(400, 'invalid_argument', 'restore_keys must be a list of strings');
    }
    if (emulator.readDenied) {
      throw new TwirpError(403, 'permission_denied', 'cache read denied: token has no readable scopes');
    }
    const candidates = entries.filter((e) => e.committed && e.version === version);
    const newestWithPrefix = (prefix: string): Entry | undefined =>
      candidates.filter((e) => e.key.startsWith(prefix)).sort((a, b) => b.seq - a.seq)[0];
    const match =
      candidates.find((e) => e.key === key) ??
      newestWithPrefix(key) ??
      restoreKeys.map(newestWithPrefix).find((e) => e !== undefined);
    emulator.events.push({ kind: 'lookup', key, ...(match ? { matched: match.key } : {}) });
    if (!match) return { ok: false, signed_download_url: '', matched_key: '' };
    return { ok: true, signed_download_url: blobUrl(match, match.downloadSig, 'r'), matched_key: match.key };
  }

  async function handleTwirp(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    try {
      if (req.method !== 'POST') throw new TwirpError(404, 'bad_route', `unsupported method ${req.method}`);
      if (req.headers.authorization !== `Bearer ${settings.token}`) {
        throw new TwirpError(401, 'unauthenticated', 'invalid or missing runtime token');
      }
      if (emulator.throttle) {
        res.setHeader('Retry-After', '60');
        throw new TwirpError(429, 'resource_exhausted', 'too many cache requests');
      }
      const text = await readSmallBody(req, TWIRP_BODY_LIMIT);
      if (text === undefined) throw new TwirpError(400, 'invalid_argument', 'request body too large');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new TwirpError(400, 'malformed', 'request body is not JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new TwirpError(400, 'malformed', 'request body is not a JSON object');
      }
      const fields = body as Record<string, unknown>;
      let result: object;
      switch (method) {
        case 'CreateCacheEntry':
          counters.twirp.CreateCacheEntry++;
          result = createCacheEntry(fields);
          break;
        case 'FinalizeCacheEntryUpload':
          counters.twirp.FinalizeCacheEntryUpload++;
          result = await finalizeCacheEntryUpload(fields);
          break;
        case 'GetCacheEntryDownloadURL':
          counters.twirp.GetCacheEntryDownloadURL++;
          result = getCacheEntryDownloadURL(fields);
          break;
        default:
          throw new TwirpError(404, 'bad_route', `no such method ${method}`);
      }
      sendJson(res, 200, result);
    } catch (error) {
      if (error instanceof TwirpError) sendJson(res, error.status, { code: error.code, msg: error.message });
      else sendJson(res, 500, { code: 'internal', msg: String(error) });
    }
  }

  // ---- blobs -------------------------------------------------------------------------------

  async function handleBlob(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: Entry,
  ): Promise<void> {
    const sig = url.searchParams.get('sig');
    const comp = url.searchParams.get('comp');
    if (req.method === 'PUT') {
      if (sig !== entry.uploadSig || entry.committed) {
        throw new BlobError(
          403,
          'AuthenticationFailed',
          'the upload signature is invalid or the entry is committed',
        );
      }
      if (comp === 'block') return putBlock(req, res, url, entry);
      if (comp === 'blocklist') return putBlockList(req, res, entry);
      if (comp !== null) throw new BlobError(400, 'InvalidQueryParameterValue', `unsupported comp=${comp}`);
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
        throw new BlobError(400, 'MissingRequiredHeader', 'x-ms-blob-type: BlockBlob is required');
      }
      return putBlob(req, res, entry);
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (sig !== entry.downloadSig || !entry.committed) {
        throw new BlobError(403, 'AuthenticationFailed', 'the download signature is invalid');
      }
      return getBlob(req, res, entry);
    }
    throw new BlobError(405, 'UnsupportedHttpVerb', `unsupported method ${req.method}`);
  }

  async function putBlob(req: IncomingMessage, res: ServerResponse, entry: Entry): Promise<void> {
    const temp = join(stagingDir, `${entry.id}.put-${randomUUID()}`);
    const written = await receive(req, temp);
    await rename(temp, blobFile(entry));
    blobCommitted(entry);
    sendBlobCreated(req, res, entry, { 'Content-MD5': written.md5 });
  }

  async function putBlock(req: IncomingMessage, res: ServerResponse, url: URL, entry: Entry): Promise<void> {
    const blockFile = join(blockDir(entry), blockFileName(url.searchParams.get('blockid')));
    await mkdir(blockDir(entry), { recursive: true });
    const temp = `${blockFile}.tmp-${randomUUID()}`;
    const written = await receive(req, temp);
    await rename(temp, blockFile);
    counters.blocks++;
    sendBlobCreated(req, res, undefined, { 'Content-MD5': written.md5 });
  }

  async function putBlockList(req: IncomingMessage, res: ServerResponse, entry: Entry): Promise<void> {
    const xml = await readSmallBody(req, TWIRP_BODY_LIMIT);
    if (xml === undefined) throw new BlobError(413, 'RequestBodyTooLarge', 'the block list is too large');
    if (!/<BlockList>/.test(xml)) throw new BlobError(400, 'InvalidXmlDocument', 'expected a <BlockList>');
    const ids = [...xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map((m) => m[2] ?? '');
    const staged = new Set(await readdir(blockDir(entry)).catch(() => [] as string[]));
    const files = ids.map(blockFileName);
    const missing = files.find((f) => !staged.has(f));
    if (missing !== undefined)
      throw new BlobError(400, 'InvalidBlockList', 'the block list names a block never staged');
    const temp = join(stagingDir, `${entry.id}.commit-${randomUUID()}`);
    // Block after block into one file handle (a pipeline per block into one stream with
    // `end: false` leaves its listeners on the stream: a warning past ten blocks).
    const out = await open(temp, 'w');
    try {
      for (const file of files)
        for await (const chunk of createReadStream(join(blockDir(entry), file)))
          await out.writeFile(chunk as Buffer);
      await out.close();
    } catch (error) {
      await out.close().catch(() => {});
      await rm(temp, { force: true });
      throw error;
    }
    await rename(temp, blobFile(entry));
    await rm(blockDir(entry), { recursive: true, force: true });
    blobCommitted(entry);
    sendBlobCreated(req, res, entry, {});
  }

  async function getBlob(req: IncomingMessage, res: ServerResponse, entry: Entry): Promise<void> {
    const size = entry.size;
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: entry.etag,
      'Last-Modified': entry.lastModified.toUTCString(),
      'x-ms-blob-type': 'BlockBlob',
      ...azureHeaders(req),
    };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range ?? (req.headers['x-ms-range'] as string | undefined);
    if (range !== undefined) {
      const parsed = parseRange(range, size);
      if (parsed === 'unsatisfiable') {
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' }).end();
        return;
      }
      if (parsed !== undefined) {
        [start, end] = parsed;
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      }
    }
    const length = Math.max(0, end - start + 1);
    const hold = req.method === 'GET' ? emulator.holdDownloads.get(entry.key) : undefined;
    if (hold) await hold().catch(() => {});
    res.writeHead(status, { ...headers, 'Content-Length': String(length) });
    if (req.method === 'GET') {
      counters.downloads++;
      emulator.events.push({ kind: 'download', key: entry.key, bytes: length });
    }
    if (req.method === 'HEAD' || length === 0) {
      res.end();
    } else if (req.method === 'GET' && emulator.cutDownloads.has(entry.key)) {
      const half = start + Math.floor(length / 2);
      if (half > start) {
        await pipeline(createReadStream(blobFile(entry), { start, end: half - 1 }), res, { end: false });
        counters.bytesDownloaded += half - start;
      }
      res.destroy();
      return;
    } else if (req.method === 'GET' && emulator.downloadRate) {
      await pipeline(createReadStream(blobFile(entry), { start, end }), paced(emulator.downloadRate), res);
    } else {
      await pipeline(createReadStream(blobFile(entry), { start, end }), res);
    }
    if (req.method === 'GET') counters.bytesDownloaded += length;
  }

  /**
   * Passes chunks on no faster than `rate` bytes per second summed over every download: one
   * clock shared by all of them says when the link is free next.
   */
  function paced(rate: number) {
    return async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        const now = performance.now();
        linkFreeAt = Math.max(now, linkFreeAt) + (chunk.length * 1000) / rate;
        // Timers are coarse: wait only once the link is a few milliseconds behind.
        if (linkFreeAt - now > 4) await new Promise((r) => setTimeout(r, linkFreeAt - now));
        yield chunk;
      }
    };
  }

  function blobCommitted(entry: Entry): void {
    entry.blobWritten = true;
    entry.etag = `"0x${randomBytes(8).toString('hex').toUpperCase()}"`;
    entry.lastModified = new Date();
    counters.uploads++;
  }

  async function receive(req: IncomingMessage, file: string): Promise<{ bytes: number; md5: string }> {
    const md5 = createHash('md5');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(req, tap, createWriteStream(file));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== bytes) {
      await rm(file, { force: true });
      throw new BlobError(400, 'InvalidInput', `received ${bytes} of ${declared} bytes`);
    }
    counters.bytesUploaded += bytes;
    return { bytes, md5: md5.digest('base64') };
  }

  // ---- dispatch ----------------------------------------------------------------------------

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests++;
    let outage = emulator.down;
    if (failures.count > 0) {
      failures.count--;
      outage = failures.outage;
    }
    const url = new URL(req.url ?? '/', baseUrl);
    const isTwirp = url.pathname.startsWith(TWIRP_PREFIX);
    if (outage === 'reset') {
      req.socket.destroy();
      return;
    }
    if (outage === 'unavailable') {
      req.resume();
      if (isTwirp) sendJson(res, 503, { code: 'unavailable', msg: 'the cache service is unavailable' });
      else sendBlobError(req, res, new BlobError(503, 'ServerBusy', 'the blob service is unavailable'));
      return;
    }
    if (isTwirp) return handleTwirp(req, res, url.pathname.slice(TWIRP_PREFIX.length));
    const blobMatch = BLOB_PATH.exec(url.pathname);
    const entry = blobMatch ? entries.find((e) => String(e.id) === blobMatch[1]) : undefined;
    try {
      if (!entry) throw new BlobError(404, 'BlobNotFound', 'the specified blob does not exist');
      await handleBlob(req, res, url, entry);
    } catch (error) {
      req.resume();
      if (error instanceof BlobError) sendBlobError(req, res, error);
      else if (!res.headersSent) sendBlobError(req, res, new BlobError(500, 'InternalError', String(error)));
      else res.destroy();
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/`;
  return Object.assign(emulator, { url: baseUrl });
}

/**
 * The environment `@actions/cache` needs to talk to `emulator` (it reads `process.env` at
 * call time, not at import):
 * - `ACTIONS_CACHE_SERVICE_V2` (any non-empty value) selects the v2 twirp service;
 * - `GITHUB_SERVER_URL` must be github.com, `*.ghe.com` or `*.localhost`: any other host is
 *   treated as GHES, which forces the v1 REST service whatever else is set;
 * - `ACTIONS_RESULTS_URL` is the twirp base URL, `ACTIONS_RUNTIME_TOKEN` the bearer token;
 * - `NO_PROXY` gains 127.0.0.1, because the Azure SDK (unlike `@actions/http-client`) does
 *   not bypass a configured `HTTP(S)_PROXY` for loopback.
 * `workspace` sets `GITHUB_WORKSPACE` (the directory tar archives are relative to; default
 * `process.cwd()`), `runnerTemp` sets `RUNNER_TEMP` (where archives are staged; default
 * `/home/actions/temp`).
 */
export function emulatorEnv(
  emulator: Pick<CacheEmulator, 'url' | 'token'>,
  dirs: { workspace?: string; runnerTemp?: string } = {},
): Record<string, string> {
  const noProxy = [process.env['NO_PROXY'] ?? process.env['no_proxy'], '127.0.0.1']
    .filter((v) => v !== undefined && v !== '')
    .join(',');
  const env: Record<string, string> = {
    ACTIONS_CACHE_SERVICE_V2: 'true',
    ACTIONS_RESULTS_URL: emulator.url,
    ACTIONS_RUNTIME_TOKEN: emulator.token,
    GITHUB_SERVER_URL: 'https://github.com',
    NO_PROXY: noProxy,
  };
  if (dirs.workspace !== undefined) env['GITHUB_WORKSPACE'] = dirs.workspace;
  if (dirs.runnerTemp !== undefined) env['RUNNER_TEMP'] = dirs.runnerTemp;
  return env;
}

/**
 * Sets (or, for `undefined`, deletes) variables in `process.env` and returns a function that
 * puts every one of them back as it was.
 */
export function applyEnv(env: Record<string, string | undefined>): () => void {
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

// ---- helpers -------------------------------------------------------------------------------

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new TwirpError(400, 'invalid_argument', `${field} is required`);
  }
  return value;
}

/** Block ids are base64 (up to 64 bytes decoded); the file name is their hex. */
function blockFileName(blockId: string | null): string {
  // A '+' that reached the query string unencoded was turned into a space by URLSearchParams.
  const id = (blockId ?? '').replace(/ /g, '+');
  const bytes = Buffer.from(id, 'base64');
  if (
    id === '' ||
    bytes.length === 0 ||
    bytes.length > BLOCK_ID_MAX_BYTES ||
    bytes.toString('base64') !== id
  ) {
    throw new BlobError(400, 'InvalidQueryParameterValue', `invalid blockid ${JSON.stringify(blockId)}`);
  }
  return `block-${bytes.toString('hex')}`;
}

function parseRange(header: string, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // not a single range: serve everything
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return [start, end];
}

/** The whole body as text, or undefined when it is longer than `limit` bytes. */
async function readSmallBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The response headers the Azure SDK's deserialisers look for on every blob operation. */
function azureHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ms-request-id': randomUUID(),
    'x-ms-version': String(req.headers['x-ms-version'] ?? '2025-11-05'),
    Date: new Date().toUTCString(),
  };
  const clientRequestId = req.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
  return headers;
}

function sendBlobCreated(
  req: IncomingMessage,
  res: ServerResponse,
  entry: Entry | undefined,
  extra: Record<string, string>,
): void {
  const headers: Record<string, string> = {
    ...azureHeaders(req),
    'x-ms-request-server-encrypted': 'true',
    'Content-Length': '0',
    ...extra,
  };
  if (entry) {
    headers['ETag'] = entry.etag;
    headers['Last-Modified'] = entry.lastModified.toUTCString();
  }
  res.writeHead(201, headers).end();
}

function sendBlobError(req: IncomingMessage, res: ServerResponse, error: BlobError): void {
  const xml =
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${error.code}</Code>` +
    `<Message>${error.message.replace(/[<&>]/g, ' ')}</Message></Error>`;
  res.writeHead(error.status, {
    ...azureHeaders(req),
    'x-ms-error-code': error.code,
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(xml),
  });
  res.end(req.method === 'HEAD' ? undefined : xml);
}
