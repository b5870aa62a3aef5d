/**
 * The registry client the pull module builds on: resolve a reference to its root manifest, fetch
 * manifests by digest, stream blobs (optionally from an offset). Manifests are size-capped and
 * hashed here; blob bodies are cut off at the descriptor's size (the caller hashes them).
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { DigestMismatchError, GuardError, UsageError } from '../errors.js';
import { InvalidDocumentError, type Descriptor } from '../oci/descriptor.js';
import { digestAlgorithm, isDigest, makeDigest, type Algorithm, type Digest } from '../oci/digest.js';
import { isIndexMediaType, isManifestMediaType, isSchema1MediaType, MediaType } from '../oci/mediatypes.js';
import { manifestTarget, registryApiHost, type Reference } from '../oci/reference.js';
import {
  discard,
  ManifestTooLargeError,
  redactUrl,
  RegistryError,
  UnsupportedManifestError,
} from './errors.js';
import { Transport, type Endpoint, type RateLimit, type RawResponse } from './http.js';
import { registryKey, resolveOptions, type RegistryClientInput } from './options.js';
import { sameOrigin } from './policy.js';
import { Secrets } from './secrets.js';
import { floored, TooSlowError, type RateFloor } from './rate-floor.js';

/** A registry and a repository in it; a Reference is one. */
export type RepositoryRef = Pick<Reference, 'registry' | 'repository'>;

export interface ResolvedManifest {
  /** As the registry served it: Content-Type (or the document's mediaType), sha256 of the bytes, their length. */
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface BlobRequest {
  /** Ask for the body from this byte on (`Range: bytes=offset-`). */
  offset?: number;
  signal?: AbortSignal;
}

export interface BlobResponse {
  /**
   * The body from `start` on; it errors (DigestMismatchError) rather than deliver more than
   * `length` bytes, and errors at its end if it delivered fewer.
   */
  body: Readable;
  /** Offset of the body's first byte in the blob: the requested offset on 206, else 0. */
  start: number;
  /** True when the server honoured the Range request (206). */
  partial: boolean;
  /** Bytes the body will deliver: descriptor.size - start. */
  length: number;
  /** Redacted URL that served it (after redirects). */
  url: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/**
 * Where a blob's bytes came from after redirects (a CDN, a presigned URL): asked directly for
 * further ranges, without our credentials. It may carry a signature: never log it unredacted.
 */
export interface BlobLocation {
  readonly url: URL;
}

export interface RangeRequest {
  /** First byte wanted. */
  start: number;
  /** One past the last byte wanted. */
  end: number;
  /** From an earlier answer for this blob; when it refuses (an expired URL), the registry is asked again. */
  location?: BlobLocation | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The answer to a Range request, as the caller must treat it:
 *   - `range`: 206 with exactly the Content-Range asked for; the body is those bytes;
 *   - `whole`: 200 without Content-Range: the server ignores Range, the body is the whole blob;
 *   - `mismatch`: any other Content-Range; the body was discarded.
 * Bodies are size-capped as blob() bodies are.
 */
export type RangeResponse = {
  /** Where the bytes came from when it is another host than the registry's. */
  location: BlobLocation | undefined;
} & (
  | { kind: 'range'; body: Readable; start: number; length: number }
  | { kind: 'whole'; body: Readable; start: 0; length: number }
  | { kind: 'mismatch'; detail: string }
);

export interface RegistryClient {
  /** The root manifest or index a reference names (by digest when it has one, else its tag, else `latest`). */
  resolve(ref: Reference, opts?: RequestOptions): Promise<ResolvedManifest>;
  /**
   * The digest a reference names now, by HEAD (Docker Hub does not count a HEAD as a pull):
   * its Docker-Content-Digest, or undefined when the registry sends none (then resolve()).
   */
  headDigest(ref: Reference, opts?: RequestOptions): Promise<Digest | undefined>;
  /** A manifest or index by descriptor: same checks as resolve(), and its size must equal descriptor.size. */
  manifest(repo: RepositoryRef, descriptor: Descriptor, opts?: RequestOptions): Promise<Buffer>;
  /** A blob body, size-capped; see BlobResponse. */
  blob(repo: RepositoryRef, descriptor: Descriptor, opts?: BlobRequest): Promise<BlobResponse>;
  /** Bytes `start` to `end` of a blob, from `location` while it answers; see RangeResponse. */
  blobRange(repo: RepositoryRef, descriptor: Descriptor, request: RangeRequest): Promise<RangeResponse>;
  /**
   * Announces the repositories a run will read, so that one token covers all of a registry's
   * (where its token server accepts several scopes).
   */
  prepare(repos: readonly RepositoryRef[]): void;
  /** Docker Hub's rate-limit headers, as last seen (undefined until a registry sends them). */
  readonly rateLimit: RateLimit | undefined;
  /** The slowest a blob body may arrive: read bodies through floored() with it. */
  readonly rateFloor: RateFloor;
  /**
   * The quickest a registry answered a manifest request so far, from sending it to its headers
   * (about one round trip), in ms; undefined before its first answer.
   */
  roundTripMs?(registry: string): number | undefined;
  /**
   * Whether a registry's latency-bound requests (manifests, blobs of LATENCY_BOUND_BYTES or less)
   * share one HTTP/2 connection: its sources chose HTTP/2 at first contact. Then they need no
   * turn on a connection of the pull's budget; a blob's bytes still take one.
   */
  multiplexes?(registry: string): boolean;
  /** Every secret handled so far (mask them). */
  secrets(): string[];
  close(): Promise<void>;
}

/**
 * Blobs this small are latency-bound: their round trip costs more than their bytes (25 MB/s
 * moves 64 KiB in under 3 ms). A request for more is bulk: a connection of its own.
 */
export const LATENCY_BOUND_BYTES = 64 * 1024;

/** What we accept for manifests; schema 1 is deliberately absent. */
export const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(', ');

function hash(algorithm: Algorithm, bytes: Uint8Array): Digest {
  return makeDigest(algorithm, createHash(algorithm).update(bytes).digest('hex'));
}

function mib(n: number): string {
  const [unit, value] =
    n >= 1024 * 1024 ? ['MiB', n / 1024 / 1024] : n >= 1024 ? ['KiB', n / 1024] : ['bytes', n];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

/** Reads a body up to `max` bytes; throws ManifestTooLargeError beyond, a RegistryError when it stalls. */
async function readLimited(body: Readable, max: number, subject: string, floor: RateFloor): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of floored(body as AsyncIterable<Buffer>, floor)) {
      size += chunk.length;
      if (size > max) {
        throw new ManifestTooLargeError(
          `manifest ${subject} is larger than ${mib(max)}: refusing to read it`,
        );
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (!(err instanceof TooSlowError)) throw err;
    throw new RegistryError(`manifest ${subject}: ${err.message}`, { temporary: true, cause: err });
  } finally {
    discard(body);
  }
  return Buffer.concat(chunks, size);
}

/** The media type to record: Content-Type when it names a manifest, else the document's own. */
function manifestMediaType(
  contentType: string | undefined,
  doc: Record<string, unknown>,
  subject: string,
): string {
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const schema1 = (t: string | undefined) => isSchema1MediaType(t);
  if (schema1(contentType) || schema1(declared) || doc.schemaVersion === 1) {
    throw new UnsupportedManifestError(
      `unsupported: ${subject} is a Docker schema 1 manifest; push it again with a current docker, buildx or skopeo`,
    );
  }
  for (const t of [contentType, declared]) {
    if (isIndexMediaType(t) || isManifestMediaType(t)) return t as string;
  }
  if (declared === undefined && (contentType === undefined || /json/.test(contentType))) {
    if (Array.isArray(doc.manifests)) return MediaType.OciIndex;
    if (typeof doc.config === 'object' && doc.config !== null) return MediaType.OciManifest;
  }
  throw new UnsupportedManifestError(
    `unsupported: ${subject} has media type ${declared ?? contentType ?? 'none'}, not an image index or manifest`,
  );
}

/** Counts a body through; errors when it runs past `length` bytes or ends short of them. */
class LengthLimit extends Transform {
  #seen = 0;
  constructor(
    readonly length: number,
    readonly start: number,
    readonly total: number,
    readonly subject: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.length) {
      done(
        new DigestMismatchError(
          `blob ${this.subject}: the registry sent more than the ${this.total} bytes its descriptor declares`,
        ),
      );
      return;
    }
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.#seen < this.length) {
      done(
        new DigestMismatchError(
          `blob ${this.subject}: truncated: ${this.start + this.#seen} of ${this.total} bytes`,
        ),
      );
      return;
    }
    done();
  }
}

function contentLength(res: RawResponse): number | undefined {
  const v = res.headers['content-length'];
  const s = Array.isArray(v) ? v[0] : v;
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

/** `bytes 100-199/200` → { start: 100, end: 199, total: 200 } (total undefined for `*`). */
export function parseContentRange(
  v: string | undefined,
): { start: number; end: number; total?: number } | undefined {
  const m = v ? /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(v) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), ...(m[3] !== '*' ? { total: Number(m[3]) } : {}) };
}

/**
 * Errors that do not say which image they are about (a registry that cannot be reached, a token
 * server that refused) get `subject: ` in front, keeping their class and details.
 */
function naming(err: unknown, subject: string): unknown {
  if (!(err instanceof GuardError) || err.message.includes(subject)) return err;
  const message = `${subject}: ${err.message}`;
  if (err instanceof RegistryError) {
    return new RegistryError(message, {
      ...(err.status !== undefined ? { status: err.status } : {}),
      ...(err.code !== undefined ? { code: err.code } : {}),
      temporary: err.temporary,
      ...(err.url !== undefined ? { url: err.url } : {}),
      ...(err.body !== undefined ? { body: err.body } : {}),
      cause: err,
    });
  }
  const Kind = err.constructor as new (message: string, options?: { cause?: unknown }) => GuardError;
  return new Kind(message, { cause: err });
}

export function createRegistryClient(input: RegistryClientInput = {}): RegistryClient {
  const opts = resolveOptions(input);
  const secrets = new Secrets(opts.onSecret);
  const transport = new Transport(opts, secrets);
  const log = opts.logger;

  /** Per registry, the quickest manifest answer so far (see roundTripMs). */
  const roundTrips = new Map<string, number>();

  /** Mirrors whose first contact failed: skipped, without a word, for the rest of the run. */
  const deadMirrors = new Set<string>();

  /**
   * Each mirror of the registry in turn, then the registry; a mirror's failure falls through.
   * A mirror that failed its first contact is not tried again (as a registry that failed its
   * first contact is not): said once, not once per blob.
   */
  async function onEndpoints<T>(
    registry: string,
    what: string,
    fn: (ep: Endpoint) => Promise<T>,
  ): Promise<T> {
    for (const mirror of opts.mirrors[registryKey(registry)] ?? []) {
      if (deadMirrors.has(mirror)) continue;
      let ep: Endpoint;
      try {
        ep = await transport.mirrorEndpoint(mirror);
      } catch (err) {
        if (err instanceof Error && err.name === 'AbortError') throw err;
        if (!deadMirrors.has(mirror)) {
          deadMirrors.add(mirror);
          log.info(
            `mirror ${new URL(mirror).host} failed first contact (${(err as Error).message}); not trying it again in this run`,
          );
        }
        continue;
      }
      try {
        return await fn(ep);
      } catch (err) {
        if (err instanceof Error && err.name === 'AbortError') throw err;
        log.info(
          `mirror ${new URL(mirror).host} failed for ${what} (${(err as Error).message}); trying the next source`,
        );
      }
    }
    try {
      return await fn(await transport.registryEndpoint(registry));
    } catch (err) {
      throw naming(err, what);
    }
  }

  async function fetchManifest(
    ep: Endpoint,
    repo: RepositoryRef,
    target: string,
    subject: string,
    expected: { digest?: Digest | undefined; size?: number | undefined },
    signal: AbortSignal | undefined,
  ): Promise<ResolvedManifest> {
    if (expected.size !== undefined && expected.size > opts.maxManifestBytes) {
      throw new ManifestTooLargeError(
        `manifest ${subject} is ${expected.size} bytes, more than the ${mib(opts.maxManifestBytes)} we accept`,
      );
    }
    const asked = performance.now();
    const res = await transport.send(ep, {
      method: 'GET',
      path: `/v2/${repo.repository}/manifests/${target}`,
      headers: { accept: MANIFEST_ACCEPT },
      scope: `repository:${repo.repository}:pull`,
      subject,
      signal,
    });
    if (res.statusCode !== 200) throw await transport.errorFor(ep, res, subject);
    const took = performance.now() - asked;
    roundTrips.set(repo.registry, Math.min(took, roundTrips.get(repo.registry) ?? Infinity));
    const declared = contentLength(res);
    if (declared !== undefined && declared > opts.maxManifestBytes) {
      discard(res.body);
      throw new ManifestTooLargeError(
        `manifest ${subject} is ${declared} bytes, more than the ${mib(opts.maxManifestBytes)} we accept`,
      );
    }
    const bytes = await readLimited(res.body, opts.maxManifestBytes, subject, opts.rateFloor);
    if (expected.size !== undefined && bytes.length !== expected.size) {
      throw new DigestMismatchError(
        `manifest ${subject}: ${bytes.length} bytes received, its descriptor declares ${expected.size}`,
      );
    }
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new InvalidDocumentError(`manifest ${subject}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new InvalidDocumentError(`manifest ${subject}: not a JSON object`);
    }
    const contentType = (res.headers['content-type'] as string | undefined)?.split(';')[0]?.trim();
    const mediaType = manifestMediaType(contentType || undefined, doc as Record<string, unknown>, subject);

    const algorithm = expected.digest ? digestAlgorithm(expected.digest) : 'sha256';
    const digest = hash(algorithm, bytes);
    if (expected.digest && digest !== expected.digest) {
      throw new DigestMismatchError(
        `manifest ${subject}: its bytes hash to ${digest}, not ${expected.digest}`,
      );
    }
    const dcd = res.headers['docker-content-digest'];
    const served = Array.isArray(dcd) ? dcd[0] : dcd;
    if (served !== undefined) {
      if (!isDigest(served)) {
        log.debug(
          `manifest ${subject}: ignoring malformed Docker-Content-Digest ${JSON.stringify(served.slice(0, 80))}`,
        );
      } else {
        const ours = digestAlgorithm(served) === algorithm ? digest : hash(digestAlgorithm(served), bytes);
        if (ours !== served) {
          throw new DigestMismatchError(
            `manifest ${subject}: its bytes hash to ${ours}, but the registry's Docker-Content-Digest says ${served}`,
          );
        }
      }
    }
    return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
  }

  return {
    async resolve(ref, requestOpts = {}) {
      const subject = ref.name;
      return onEndpoints(ref.registry, subject, (ep) =>
        fetchManifest(ep, ref, manifestTarget(ref), subject, { digest: ref.digest }, requestOpts.signal),
      );
    },

    async headDigest(ref, requestOpts = {}) {
      const subject = ref.name;
      return onEndpoints(ref.registry, subject, async (ep) => {
        const res = await transport.send(ep, {
          method: 'HEAD',
          path: `/v2/${ref.repository}/manifests/${manifestTarget(ref)}`,
          headers: { accept: MANIFEST_ACCEPT },
          scope: `repository:${ref.repository}:pull`,
          subject,
          signal: requestOpts.signal,
        });
        if (res.statusCode !== 200) throw await transport.errorFor(ep, res, subject);
        discard(res.body);
        const dcd = res.headers['docker-content-digest'];
        const served = Array.isArray(dcd) ? dcd[0] : dcd;
        if (served === undefined || isDigest(served)) return served;
        log.debug(`manifest ${subject}: ignoring malformed Docker-Content-Digest on HEAD`);
        return undefined;
      });
    },

    async manifest(repo, descriptor, requestOpts = {}) {
      const subject = `${repo.registry}/${repo.repository}@${descriptor.digest}`;
      const got = await onEndpoints(repo.registry, subject, (ep) =>
        fetchManifest(
          ep,
          repo,
          descriptor.digest,
          subject,
          { digest: descriptor.digest, size: descriptor.size },
          requestOpts.signal,
        ),
      );
      return got.bytes;
    },

    async blob(repo, descriptor, request = {}) {
      const subject = `${repo.registry}/${repo.repository}@${descriptor.digest}`;
      const offset = request.offset ?? 0;
      if (!Number.isSafeInteger(offset) || offset < 0 || (offset > 0 && offset >= descriptor.size)) {
        throw new UsageError(`blob ${subject}: offset ${offset} is outside its ${descriptor.size} bytes`);
      }
      return onEndpoints(repo.registry, subject, async (ep) => {
        const res = await transport.send(ep, {
          method: 'GET',
          path: `/v2/${repo.repository}/blobs/${descriptor.digest}`,
          headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
          scope: `repository:${repo.repository}:pull`,
          subject,
          signal: request.signal,
          bulk: descriptor.size - offset > LATENCY_BOUND_BYTES,
        });
        let start: number;
        if (res.statusCode === 200) {
          start = 0;
        } else if (res.statusCode === 206) {
          const range = parseContentRange(res.headers['content-range'] as string | undefined);
          if (
            !range ||
            range.start !== offset ||
            range.end !== descriptor.size - 1 ||
            (range.total !== undefined && range.total !== descriptor.size)
          ) {
            discard(res.body);
            throw new RegistryError(
              `blob ${subject}: asked for bytes ${offset}- of ${descriptor.size}, got Content-Range ${JSON.stringify(res.headers['content-range'] ?? null)}`,
              { status: 206, code: 'RANGE_INVALID', temporary: false, url: redactUrl(res.url) },
            );
          }
          start = offset;
        } else {
          throw await transport.errorFor(ep, res, `blob ${subject}`);
        }
        const length = descriptor.size - start;
        const declared = contentLength(res);
        if (declared !== undefined && declared !== length) {
          discard(res.body);
          throw new DigestMismatchError(
            `blob ${subject}: the registry announces ${declared} bytes from offset ${start}, its descriptor declares ${length} (of ${descriptor.size})`,
          );
        }
        const limit = new LengthLimit(length, start, descriptor.size, subject);
        const body = pipeline(res.body, limit, () => {});
        return {
          body,
          start,
          partial: res.statusCode === 206,
          length,
          url: redactUrl(res.url),
        };
      });
    },

    async blobRange(repo, descriptor, request) {
      const subject = `${repo.registry}/${repo.repository}@${descriptor.digest}`;
      const { start, end } = request;
      if (
        !Number.isSafeInteger(start) ||
        !Number.isSafeInteger(end) ||
        start < 0 ||
        end <= start ||
        end > descriptor.size
      ) {
        throw new UsageError(
          `blob ${subject}: range ${start}-${end} is outside its ${descriptor.size} bytes`,
        );
      }
      const headers = { range: `bytes=${start}-${end - 1}` };
      const interpret = (res: RawResponse, location: BlobLocation | undefined): RangeResponse => {
        const contentRange = res.headers['content-range'] as string | undefined;
        const range = parseContentRange(contentRange);
        const exact =
          res.statusCode === 206 &&
          range?.start === start &&
          range.end === end - 1 &&
          (range.total === undefined || range.total === descriptor.size);
        if (!exact && !(res.statusCode === 200 && contentRange === undefined)) {
          discard(res.body);
          const detail = `asked for bytes ${start}-${end - 1} of ${descriptor.size}, got HTTP ${res.statusCode} with Content-Range ${JSON.stringify(contentRange ?? null)}`;
          return { kind: 'mismatch', detail, location };
        }
        const from = exact ? start : 0;
        const length = exact ? end - start : descriptor.size;
        const declared = contentLength(res);
        if (declared !== undefined && declared !== length) {
          discard(res.body);
          throw new DigestMismatchError(
            `blob ${subject}: the registry announces ${declared} bytes from offset ${from}, expected ${length} (of ${descriptor.size})`,
          );
        }
        const body = pipeline(res.body, new LengthLimit(length, from, descriptor.size, subject), () => {});
        return exact
          ? { kind: 'range', body, start, length, location }
          : { kind: 'whole', body, start: 0, length, location };
      };
      if (request.location) {
        const res = await transport.raw({
          method: 'GET',
          url: request.location.url,
          headers,
          signal: request.signal,
          subject,
          bulk: true,
        });
        if (res.statusCode === 200 || res.statusCode === 206) return interpret(res, request.location);
        discard(res.body);
        // An expired or revoked presigned URL: the registry hands out a fresh one.
        log.debug(
          `${subject}: ${redactUrl(request.location.url)} answered ${res.statusCode}; asking the registry again`,
        );
      }
      return onEndpoints(repo.registry, subject, async (ep) => {
        const res = await transport.send(ep, {
          method: 'GET',
          path: `/v2/${repo.repository}/blobs/${descriptor.digest}`,
          headers,
          scope: `repository:${repo.repository}:pull`,
          subject,
          signal: request.signal,
          bulk: true,
        });
        if (res.statusCode !== 200 && res.statusCode !== 206)
          throw await transport.errorFor(ep, res, `blob ${subject}`);
        return interpret(res, sameOrigin(res.url, ep.base) ? undefined : { url: res.url });
      });
    },

    prepare(repos) {
      for (const repo of repos) transport.expectScopes(repo.registry, [`repository:${repo.repository}:pull`]);
    },

    rateFloor: opts.rateFloor,
    roundTripMs: (registry) => roundTrips.get(registry),
    // Every source still in use (the mirrors that answered first contact, then the registry).
    multiplexes: (registry) =>
      [
        ...(opts.mirrors[registryKey(registry)] ?? []).filter((m) => !deadMirrors.has(m)),
        `https://${registryApiHost(registry)}`,
      ].every((source) => transport.multiplexes(new URL(source).origin)),
    get rateLimit() {
      return transport.rateLimit;
    },

    secrets: () => secrets.list(),

    close: () => transport.close(),
  };
}
