export const id = 986;
export const ids = [986];
export const modules = {

/***/ 7986:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  PULL_HELP: () => (/* binding */ PULL_HELP),
  pullCommand: () => (/* binding */ pullCommand)
});

// EXTERNAL MODULE: ./lib/errors.js
var errors = __webpack_require__(452);
// EXTERNAL MODULE: ./lib/oci/digest.js
var oci_digest = __webpack_require__(9501);
// EXTERNAL MODULE: ./lib/oci/platform.js
var oci_platform = __webpack_require__(7122);
// EXTERNAL MODULE: ./lib/format.js
var format = __webpack_require__(2016);
;// CONCATENATED MODULE: ./lib/oci/reference.js
/**
 * Image references, expanded the way linuxkit expands them.
 *
 * linuxkit (src/cmd/linuxkit/util/reference.go `ReferenceExpand`, used by `linuxkit build` through
 * moby/build/build.go and cache/pull.go `ImagePull`) does NOT use distribution's
 * `ParseNormalizedNamed`. It splits the string on `/`:
 *   - one part (`redis`, `redis:7`, `redis@sha256:…`)      → `docker.io/library/` + ref
 *   - two parts whose first has no `.` / `:` and is not `localhost` (`linuxkit/kernel:6.6`)
 *                                                          → `docker.io/` + ref
 *   - anything else is kept exactly as written (`docker.io/redis`, `foo/bar/baz`, `ghcr.io/o/r`).
 * No `:latest` is added for `linuxkit build` (only `linuxkit cache pull` adds one), so the cache entry
 * that `linuxkit build` looks up for `redis` is named `docker.io/library/redis`. The name then goes
 * through containerd's `reference.Parse(...).String()`, which gives the same string back for every
 * reference we accept, tag and digest included.
 *
 * Where the bytes come from is decided by go-containerregistry's reading of that name (the first path
 * component is a registry when it holds `.` or `:`; Docker Hub repositories without a `/` get
 * `library/`), so `docker.io/redis` is stored as `docker.io/redis` but fetched from
 * `docker.io` repository `library/redis`. We follow Docker in treating a leading `localhost/` as a
 * registry too. The grammar checked is distribution's (lowercase path components, tag
 * `[\w][\w.-]{0,127}`, name ≤ 255 characters).
 */



/** A reference string that cannot be parsed; the message names it and what is wrong. */
class InvalidReferenceError extends errors/* UsageError */.eb {
    reference;
    problem;
    name = 'InvalidReferenceError';
    constructor(reference, problem) {
        super(`invalid image reference ${(0,format/* quoteAscii */.o_)(reference.slice(0, 300))}: ${problem}`);
        this.reference = reference;
        this.problem = problem;
    }
}
const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's distribution API is served. */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key docker's config.json uses for Docker Hub credentials. */
const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
const DEFAULT_TAG = 'latest';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io']);
const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DOMAIN_LABEL = '(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]+)?$`);
/** linuxkit's `util.ReferenceExpand` without `ReferenceWithTag`: the name `linuxkit build` looks up. */
function expandName(ref) {
    const parts = ref.split('/');
    if (parts.length === 1)
        return `${DOCKER_HUB}/library/${ref}`;
    const first = parts[0];
    if (parts.length === 2 && !first.includes('.') && !first.includes(':') && first !== 'localhost') {
        return `${DOCKER_HUB}/${ref}`;
    }
    return ref;
}
function looksLikeRegistry(component) {
    return component.includes('.') || component.includes(':') || component === 'localhost';
}
/** Parses and expands an image reference; throws InvalidReferenceError naming what is wrong. */
function parseReference(input) {
    const fail = (problem) => {
        throw new InvalidReferenceError(input, problem);
    };
    if (typeof input !== 'string' || input === '')
        fail('empty reference');
    if (input.includes('://'))
        fail('a reference has no URL scheme; write host/repository[:tag]');
    if (/\s/.test(input))
        fail('contains whitespace');
    const name = expandName(input);
    let rest = name;
    let digest;
    const at = rest.indexOf('@');
    if (at >= 0) {
        const d = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (d.includes('@'))
            fail('more than one "@"');
        if (!(0,oci_digest/* isDigest */.Bc)(d)) {
            fail(`digest ${(0,format/* quoteAscii */.o_)(d)} is not sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`);
        }
        digest = d;
    }
    let tag;
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!TAG.test(tag)) {
            fail(`tag ${(0,format/* quoteAscii */.o_)(tag)} must be 1 to 128 of A-Z a-z 0-9 _ . - and must not start with . or -`);
        }
    }
    if (rest.length > MAX_NAME_LENGTH)
        fail(`name is longer than ${MAX_NAME_LENGTH} characters`);
    const slash = rest.indexOf('/');
    let registry = DOCKER_HUB;
    let repository = rest;
    if (slash > 0 && looksLikeRegistry(rest.slice(0, slash))) {
        registry = rest.slice(0, slash);
        repository = rest.slice(slash + 1);
        if (!DOMAIN.test(registry))
            fail(`registry ${(0,format/* quoteAscii */.o_)(registry)} is not a valid host[:port]`);
    }
    if (repository === '')
        fail('repository name is empty');
    for (const component of repository.split('/')) {
        if (component === '')
            fail(`repository ${(0,format/* quoteAscii */.o_)(repository)} has an empty path component`);
        if (component !== component.toLowerCase()) {
            fail(`repository ${(0,format/* quoteAscii */.o_)(repository)} must be lowercase`);
        }
        if (!PATH_COMPONENT.test(component)) {
            fail(`repository component ${(0,format/* quoteAscii */.o_)(component)} may hold only a-z 0-9 and single separators (. _ __ -) between them`);
        }
    }
    if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) {
        registry = DOCKER_HUB;
        if (!repository.includes('/'))
            repository = `library/${repository}`;
    }
    return {
        original: input,
        name,
        registry,
        repository,
        ...(tag !== undefined ? { tag } : {}),
        ...(digest !== undefined ? { digest } : {}),
    };
}
/** What to ask the registry for: the digest when there is one, else the tag, else `latest`. */
function manifestTarget(ref) {
    return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}
/** The host serving a registry's distribution API: `registry-1.docker.io` for Docker Hub. */
function registryApiHost(registry) {
    return DOCKER_HUB_ALIASES.has(registry.toLowerCase()) ? DOCKER_HUB_API_HOST : registry;
}
/** `registry/repository[:tag][@digest]` for messages, e.g. `127.0.0.1:5000/test/img:nope`. */
function formatReference(ref) {
    return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./lib/layout/atomic.js
var atomic = __webpack_require__(3849);
// EXTERNAL MODULE: ./lib/layout/layout.js + 1 modules
var layout_layout = __webpack_require__(4323);
;// CONCATENATED MODULE: ./lib/layout/writev-all.js
/** Buffers per writev() call: Linux's IOV_MAX. */
const MAX_IOV = 1024;
/**
 * Writes all of `chunks` at `position`, as few writev() calls as the kernel allows (one,
 * normally). A short write (rare: a full disk, a signal) leaves the rest to go again; a call
 * that writes nothing is an error, not a loop. `file` names the file in that error.
 */
async function writevAll(fh, chunks, position, file) {
    let pending = chunks.filter((c) => c.length > 0);
    let at = position;
    while (pending.length > 0) {
        const { bytesWritten } = await fh.writev(pending.slice(0, MAX_IOV), at);
        if (bytesWritten === 0)
            throw new Error(`writev wrote nothing to ${file}`);
        at += bytesWritten;
        let skip = bytesWritten;
        let i = 0;
        while (i < pending.length && skip >= pending[i].length)
            skip -= pending[i++].length;
        pending = pending.slice(i);
        if (skip > 0)
            pending[0] = pending[0].subarray(skip);
    }
}

;// CONCATENATED MODULE: ./lib/layout/blob-writer.js









const PREFIX_READ_BYTES = 4 * 1024 * 1024;
/**
 * Writes one blob so that no wrong byte ever appears under its final name: bytes go to
 * `<hex>.download` while being hashed, at most `descriptor.size` of them, and the file is
 * renamed to `<hex>` only when size and digest match. A partial file left by an interrupted
 * run is resumed: its bytes are hashed first and `offset` says where the download restarts.
 * The caller holds the blob's lock (`layout.lockBlob`).
 */
class BlobWriter {
    descriptor;
    fh;
    hash;
    partial;
    final;
    /** Bytes already on disk when opened (resume point). */
    offset;
    position;
    constructor(descriptor, fh, hash, partial, final, offset) {
        this.descriptor = descriptor;
        this.fh = fh;
        this.hash = hash;
        this.partial = partial;
        this.final = final;
        this.offset = offset;
        this.position = offset;
    }
    static async open(layout, descriptor, options) {
        const partial = layout.partialPath(descriptor.digest);
        const final = layout.blobPath(descriptor.digest);
        const hash = (0,external_node_crypto_.createHash)((0,oci_digest/* digestAlgorithm */.g4)(descriptor.digest));
        const existing = options.resume ? await (0,promises_.lstat)(partial).catch(() => undefined) : undefined;
        const resumeFrom = existing?.isFile() && existing.size > 0 && existing.size <= descriptor.size ? existing.size : 0;
        if (resumeFrom === 0)
            await (0,promises_.unlink)(partial).catch(() => { });
        // O_NOFOLLOW: a symlink planted at the partial name is never written through.
        const flags = external_node_fs_.constants.O_RDWR | external_node_fs_.constants.O_CREAT | external_node_fs_.constants.O_NOFOLLOW;
        const fh = await (0,promises_.open)(partial, flags, 0o644).catch((err) => {
            throw (0,layout_layout/* cannotWrite */.zz)(err);
        });
        const offset = await (0,atomic/* closingOnError */.$X)(async () => {
            const hashed = await hashPrefix(fh, hash, resumeFrom);
            await fh.truncate(hashed);
            return hashed;
        }, fh);
        return new BlobWriter(descriptor, fh, hash, partial, final, offset);
    }
    /**
     * True when the resumed partial already holds all `descriptor.size` bytes (a run killed after
     * the last byte, before the rename): nothing is left to fetch, commit() decides.
     */
    get complete() {
        return this.position === this.descriptor.size;
    }
    /** Bytes written so far, including the resumed prefix. */
    get written() {
        return this.position;
    }
    async write(chunk) {
        await this.writev([chunk]);
    }
    /**
     * Hashes and appends several chunks with as few writev() calls as the kernel allows (one,
     * normally): a download hands over what arrived while the previous write was in flight.
     */
    async writev(chunks) {
        let length = 0;
        for (const c of chunks)
            length += c.length;
        if (this.position + length > this.descriptor.size) {
            throw new errors/* DigestMismatchError */.h(`blob ${(0,oci_digest/* shortDigest */.VK)(this.descriptor.digest)} is longer than its declared ${this.descriptor.size} bytes`);
        }
        for (const c of chunks)
            this.hash.update(c);
        await writevAll(this.fh, chunks, this.position, this.partial);
        this.position += length;
    }
    /** Checks size and digest, then fsyncs and renames into place. On mismatch the partial is deleted. */
    async commit() {
        const { size, digest } = this.descriptor;
        const hex = this.hash.digest('hex');
        if (this.position !== size || hex !== (0,oci_digest/* digestHex */.sU)(digest)) {
            await this.discard();
            throw new errors/* DigestMismatchError */.h(this.position !== size
                ? `blob ${(0,oci_digest/* shortDigest */.VK)(digest)} truncated: ${this.position} of ${size} bytes`
                : `blob ${(0,oci_digest/* shortDigest */.VK)(digest)} digest mismatch: got ${(0,oci_digest/* digestAlgorithm */.g4)(digest)}:${hex.slice(0, 12)}…`);
        }
        await this.fh.sync();
        await this.fh.close();
        await (0,promises_.rename)(this.partial, this.final);
        await (0,atomic/* syncDir */.ty)(external_node_path_.dirname(this.final));
    }
    /** Stops writing and keeps the partial file so the next run resumes it. */
    async close() {
        await this.fh.sync().catch(() => { });
        await this.fh.close().catch(() => { });
    }
    /** Stops writing and deletes the partial file. */
    async discard() {
        await this.fh.close().catch(() => { });
        await (0,promises_.unlink)(this.partial).catch(() => { });
    }
}
/** Hashes the first `length` bytes of `fh` (fewer when it is shorter); returns how many it read. */
async function hashPrefix(fh, hash, length) {
    if (length === 0)
        return 0;
    const buf = Buffer.allocUnsafe(Math.min(PREFIX_READ_BYTES, length));
    let offset = 0;
    while (offset < length) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - offset), offset);
        if (bytesRead === 0)
            break;
        hash.update(buf.subarray(0, bytesRead));
        offset += bytesRead;
    }
    return offset;
}

// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: ./lib/oci/mediatypes.js
var mediatypes = __webpack_require__(8152);
// EXTERNAL MODULE: ./lib/oci/descriptor.js
var descriptor = __webpack_require__(1260);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
;// CONCATENATED MODULE: ./lib/registry/rate-floor.js
/**
 * The slowest a response body may arrive. The idle timeout (bodyIdleMs) catches a registry that
 * stops sending, not one that sends a byte every few seconds: that body never ends, and the job
 * waits for it until the runner kills it. As curl's --speed-limit with --speed-time: a body that
 * brought less than `bytesPerSecond` over `windowMs` of waiting for it is a stall.
 */

/**
 * 1 kB/s is far below any link that can pull an image (a 60 MB layer would take 17 hours), and
 * 30 s of waiting is three idle timeouts: a slow start or a short stall does not trip it.
 */
const RATE_FLOOR_DEFAULTS = Object.freeze({
    bytesPerSecond: 1000,
    windowMs: 30_000,
});
/** A body slower than the floor. Its code lets networkMessage() and retries treat it as a network failure. */
class TooSlowError extends Error {
    name = 'TooSlowError';
    code = 'TOO_SLOW';
    constructor(bytes, waitedMs, floor) {
        super(`the registry sent ${bytes} bytes in ${(0,format/* formatDuration */.a3)(waitedMs)}, under ${(0,format/* formatRate */.CE)(floor.bytesPerSecond)}: a stalled or hostile server`);
    }
}
/**
 * The floor's clock for one body, for readers that take its chunks as they come (events, not an
 * iterator): `asking()` when the reader is ready for the next chunk, `arrived()` when one came.
 * Only the time between the two counts, so the reader's own time (writing, backpressure) never
 * counts against the registry.
 */
class FloorWatch {
    floor;
    now;
    #waited = 0;
    #bytes = 0;
    #asked;
    constructor(floor, now = () => performance.now()) {
        this.floor = floor;
        this.now = now;
        this.#asked = now();
    }
    /** The reader waits for the next chunk from now on. */
    asking() {
        this.#asked = this.now();
    }
    /**
     * A chunk of `bytes` came: the TooSlowError to throw once the reader has kept it, when the
     * window of waiting it closes brought less than the floor; undefined otherwise.
     */
    arrived(bytes) {
        this.#waited += this.now() - this.#asked;
        this.#bytes += bytes;
        const { windowMs, bytesPerSecond } = this.floor;
        if (this.#waited < windowMs)
            return undefined;
        const tooSlow = this.#bytes * 1000 < bytesPerSecond * this.#waited
            ? new TooSlowError(this.#bytes, this.#waited, this.floor)
            : undefined;
        [this.#waited, this.#bytes] = [0, 0];
        return tooSlow;
    }
}
/**
 * `body`'s chunks, timing only the waits for them, not what the caller does between them
 * (writing, hashing, its own backpressure); throws TooSlowError, after handing over the chunk
 * that ended it, once a window of waiting brought less than the floor. Leaving the loop (a
 * throw, a break) destroys the body.
 */
async function* floored(body, floor, now = () => performance.now()) {
    const watch = new FloorWatch(floor, now);
    for await (const chunk of body) {
        const tooSlow = watch.arrived(chunk.length);
        yield chunk; // the bytes that came are the caller's to keep, too slow or not
        if (tooSlow)
            throw tooSlow;
        watch.asking();
    }
}

;// CONCATENATED MODULE: ./lib/registry/errors.js



/** Error codes of the OCI distribution spec, plus the ones distribution and Docker Hub add. */
const OCI_ERROR_CODES = [
    'BLOB_UNKNOWN',
    'BLOB_UPLOAD_INVALID',
    'BLOB_UPLOAD_UNKNOWN',
    'DIGEST_INVALID',
    'MANIFEST_BLOB_UNKNOWN',
    'MANIFEST_INVALID',
    'MANIFEST_UNKNOWN',
    'MANIFEST_UNVERIFIED',
    'NAME_INVALID',
    'NAME_UNKNOWN',
    'SIZE_INVALID',
    'TAG_INVALID',
    'UNAUTHORIZED',
    'DENIED',
    'UNSUPPORTED',
    'TOOMANYREQUESTS',
    'RANGE_INVALID',
    'PAGINATION_NUMBER_INVALID',
    'UNAVAILABLE',
    'UNKNOWN',
];
const CODE_TEXT = {
    NAME_UNKNOWN: 'repository unknown',
    TOOMANYREQUESTS: 'too many requests',
    UNAVAILABLE: 'registry unavailable',
};
/** `manifest unknown` for MANIFEST_UNKNOWN. */
function codeText(code) {
    return CODE_TEXT[code] ?? code.toLowerCase().replaceAll('_', ' ');
}
/** Error bodies are read up to this many bytes, then cut. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** The status codes a retry may cure. */
function isTemporaryStatus(status) {
    return (status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504);
}
/** A registry answered with an error (or could not be reached). One-line message naming the image. */
class RegistryError extends errors/* GuardError */.U$ {
    name = 'RegistryError';
    status;
    code;
    /** True when trying again later may succeed (429, 5xx, network). */
    temporary;
    url;
    body;
    constructor(message, details = {}) {
        super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
        this.status = details.status;
        this.code = details.code;
        this.temporary = details.temporary ?? (details.status !== undefined && isTemporaryStatus(details.status));
        this.url = details.url;
        this.body = details.body;
    }
}
/**
 * A network failure in a few words: what timed out (and after how long, when `timeouts` are
 * given), a lost connection, else the error's first line with its code.
 */
function networkMessage(err, timeouts) {
    const e = err;
    switch (e.code) {
        case 'UND_ERR_CONNECT_TIMEOUT':
            return `connect timeout${timeouts ? ` after ${timeouts.connectMs / 1000}s` : ''}`;
        case 'UND_ERR_HEADERS_TIMEOUT':
            return `no response${timeouts ? ` within ${timeouts.headersMs / 1000}s` : ''}`;
        case 'UND_ERR_BODY_TIMEOUT':
            return `the registry stopped sending${timeouts ? ` for ${timeouts.bodyIdleMs / 1000}s` : ''} (body timeout)`;
        case 'TOO_SLOW':
            return e.message;
        case 'UND_ERR_SOCKET':
        case 'ECONNRESET':
            return `connection lost (${e.message})`;
        case 'UND_ERR_HEADERS_OVERFLOW':
            return `the response headers are larger than the ${external_node_http_.maxHeaderSize / 1024} KiB we accept`;
        case 'UND_ERR_REQ_RETRY':
            // Raised by the retry layer while resuming a body cut midway: say that it was cut.
            return `the connection was cut, and ${resumeFailure(e)}`;
        default: {
            const cause = e.cause;
            const code = e.code ?? cause?.code;
            const msg = (cause?.message ?? e.message ?? String(err)).split('\n')[0];
            return code && !msg?.includes(code) ? `${code} ${msg}` : msg || 'network error';
        }
    }
}
/** Why a transfer cut midway could not be resumed, from undici's RetryHandler. */
function resumeFailure(e) {
    if (/does not support the range header/.test(e.message))
        return `the server would not resume it (it answered the Range request with HTTP ${e.statusCode ?? '200'}, the whole body)`;
    if (/Content-Range mismatch/.test(e.message))
        return 'the server resumed it at other bytes than asked for (Content-Range mismatch)';
    if (/ETag mismatch/.test(e.message))
        return 'the blob changed on the server before it could resume (ETag mismatch)';
    return `resuming it failed${e.statusCode ? ` with HTTP ${e.statusCode}` : ''}`;
}
/** A manifest bigger than we are willing to read. */
class ManifestTooLargeError extends errors/* GuardError */.U$ {
    name = 'ManifestTooLargeError';
}
/** A manifest we will not handle: Docker schema 1, or a media type that is not an image. */
class UnsupportedManifestError extends errors/* GuardError */.U$ {
    name = 'UnsupportedManifestError';
}
/** A request our transport policy refuses: plain HTTP, a redirect downgrade, too many hops. */
class TransportPolicyError extends errors/* GuardError */.U$ {
    name = 'TransportPolicyError';
}
/** Credentials, helpers and token servers. */
class AuthError extends errors/* GuardError */.U$ {
    name = 'AuthError';
}
/** The `errors` array of an OCI error body; empty when the body is something else. */
function parseOciErrors(body) {
    try {
        const v = JSON.parse(body);
        if (typeof v !== 'object' || v === null || !Array.isArray(v.errors))
            return [];
        return (v.errors ?? []).flatMap((e) => {
            if (typeof e !== 'object' || e === null)
                return [];
            const { code, message } = e;
            if (typeof code !== 'string')
                return [];
            return [{ code, ...(typeof message === 'string' ? { message } : {}) }];
        });
    }
    catch {
        return [];
    }
}
function asCode(code) {
    const upper = code?.toUpperCase();
    return OCI_ERROR_CODES.includes(upper ?? '') ? upper : undefined;
}
function codeForStatus(status) {
    if (status === 401)
        return 'UNAUTHORIZED';
    if (status === 403)
        return 'DENIED';
    if (status === 429)
        return 'TOOMANYREQUESTS';
    if (status === 502 || status === 503 || status === 504)
        return 'UNAVAILABLE';
    return undefined;
}
/**
 * Closes a response body we will not read (further). An undici body destroyed before its end
 * emits an 'error' (aborted); nobody is listening for it, so it is swallowed here.
 */
function discard(body) {
    body.on('error', () => { });
    body.destroy();
}
/** Reads at most `cap` bytes of a body as text (what came before a stall, if it stalls), then discards the rest. */
async function readCapped(body, cap = MAX_ERROR_BODY_BYTES, floor = RATE_FLOOR_DEFAULTS) {
    const chunks = [];
    let size = 0;
    try {
        for await (const chunk of floored(body, floor)) {
            if (size < cap)
                chunks.push(chunk.subarray(0, cap - size));
            size += chunk.length;
            if (size >= cap)
                break;
        }
    }
    catch {
        // an error body that fails halfway still tells us the status
    }
    finally {
        discard(body);
    }
    return Buffer.concat(chunks).toString('utf8');
}
/** Drops user info and the values of query parameters (signed object-storage URLs carry secrets there). */
function redactUrl(url) {
    let u;
    try {
        u = new URL(String(url));
    }
    catch {
        return '<invalid URL>';
    }
    u.username = '';
    u.password = '';
    for (const key of [...new Set(u.searchParams.keys())]) {
        if (key !== 'scope' && key !== 'service')
            u.searchParams.set(key, 'REDACTED');
    }
    return u.toString().replaceAll('REDACTED', '…');
}
/**
 * The error for an unsuccessful response: `manifest unknown: 127.0.0.1:5000/test/img:nope`.
 * `subject` names what was asked for; `hint` adds what we know (e.g. which credentials were used).
 */
function errorFromResponse(args) {
    const entries = parseOciErrors(args.body);
    const first = entries[0];
    const code = asCode(first?.code) ?? codeForStatus(args.status);
    const text = code && code !== 'UNKNOWN' ? codeText(code) : `HTTP ${args.status}`;
    const extras = [];
    const serverMessage = first?.message?.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (serverMessage && serverMessage.toLowerCase() !== text)
        extras.push(serverMessage);
    if (args.hint)
        extras.push(args.hint);
    return new RegistryError(`${text}: ${args.subject}${extras.length ? ` (${extras.join('; ')})` : ''}`, {
        status: args.status,
        ...(code ? { code } : {}),
        url: redactUrl(args.url),
        body: args.body,
    });
}

// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(6752);
;// CONCATENATED MODULE: ./lib/registry/auth/challenge.js
/**
 * WWW-Authenticate (RFC 9110 §11.6.1): one or more challenges, each a scheme followed by
 * comma-separated `name=value` parameters whose values are tokens or quoted strings (which may
 * hold commas, spaces and backslash escapes). Several header lines are the same as one joined by ", ".
 */
const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
class Cursor {
    s;
    pos = 0;
    constructor(s) {
        this.s = s;
    }
    get done() {
        return this.pos >= this.s.length;
    }
    peek() {
        return this.s[this.pos] ?? '';
    }
    skipSpace() {
        while (this.peek() === ' ' || this.peek() === '\t')
            this.pos++;
    }
    skipSpaceAndCommas() {
        while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',')
            this.pos++;
    }
    token() {
        const start = this.pos;
        while (!this.done && TOKEN_CHAR.test(this.peek()))
            this.pos++;
        return this.s.slice(start, this.pos);
    }
    /** An unquoted value; lenient: anything up to a comma or space (unquoted URLs occur in the wild). */
    bare() {
        const start = this.pos;
        while (!this.done && !/[\s,]/.test(this.peek()))
            this.pos++;
        return this.s.slice(start, this.pos);
    }
    quoted() {
        // at the opening quote
        this.pos++;
        let out = '';
        while (!this.done) {
            const c = this.s[this.pos++];
            if (c === '"')
                return out;
            if (c === '\\' && !this.done)
                out += this.s[this.pos++];
            else
                out += c;
        }
        return out; // unterminated: take what there is
    }
}
/** Parses WWW-Authenticate header value(s); unknown syntax is skipped, never thrown. */
function parseWwwAuthenticate(header) {
    if (header === undefined)
        return [];
    const c = new Cursor(typeof header === 'string' ? header : header.join(', '));
    const challenges = [];
    let current;
    while (true) {
        c.skipSpaceAndCommas();
        if (c.done)
            break;
        const start = c.pos;
        const name = c.token();
        if (name === '') {
            c.pos++; // a character no grammar allows here
            continue;
        }
        c.skipSpace();
        if (current && c.peek() === '=') {
            // name=value parameter of the current challenge
            c.pos++;
            c.skipSpace();
            const value = c.peek() === '"' ? c.quoted() : c.bare();
            const key = name.toLowerCase();
            if (!Object.hasOwn(current.params, key))
                current.params[key] = value;
            continue;
        }
        if (!current && c.peek() === '=') {
            // parameters with no scheme before them: ignore up to the next comma
            c.pos = start;
            while (!c.done && c.peek() !== ',')
                c.pos++;
            continue;
        }
        // a new challenge: `Scheme` possibly followed by a token68 (`Negotiate abc==`) which we skip
        current = { scheme: name.toLowerCase(), params: {} };
        challenges.push(current);
        const afterScheme = c.pos;
        const maybeToken68 = c.token();
        c.skipSpace();
        if (maybeToken68 !== '' && c.peek() === '=') {
            let p = c.pos;
            while (c.s[p] === '=')
                p++;
            const rest = c.s.slice(p).trimStart();
            if (rest === '' || rest.startsWith(',')) {
                c.pos = p; // token68 ending in '='
                continue;
            }
        }
        c.pos = afterScheme;
    }
    return challenges;
}

// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(7030);
;// CONCATENATED MODULE: ./lib/registry/policy.js
/**
 * Transport policy: which URLs we talk to over what, where credentials may go, which redirects we follow.
 * HTTPS everywhere except loopback hosts and registries the user names insecure; credentials never go
 * over plain HTTP to a host that is not loopback; a redirect never downgrades to HTTP, never leaves a
 * public host for a loopback or link-local one, and never carries our Authorization to another host.
 */


/** `host` of `host[:port]` / `[v6]:port`, lowercased, without brackets. */
function hostname(hostport) {
    const h = hostport.toLowerCase();
    if (h.startsWith('['))
        return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
    const colon = h.lastIndexOf(':');
    return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}
function ipv4Octets(host) {
    if ((0,external_node_net_.isIP)(host) === 4)
        return host.split('.').map(Number);
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    return mapped && (0,external_node_net_.isIP)(mapped[1]) === 4 ? mapped[1].split('.').map(Number) : undefined;
}
/** localhost, 127.0.0.0/8, ::1 (and IPv4-mapped loopback). */
function isLoopbackHost(hostport) {
    const host = hostname(hostport);
    if (host === 'localhost' || host.endsWith('.localhost'))
        return true;
    if (host === '::1' || host === '0:0:0:0:0:0:0:1')
        return true;
    return ipv4Octets(host)?.[0] === 127;
}
/** Loopback, link-local (cloud metadata at 169.254.169.254), unspecified addresses. */
function isLocalHost(hostport) {
    if (isLoopbackHost(hostport))
        return true;
    const host = hostname(hostport);
    const v4 = ipv4Octets(host);
    if (v4)
        return (v4[0] === 169 && v4[1] === 254) || v4.every((o) => o === 0);
    if ((0,external_node_net_.isIP)(host) === 6)
        return host === '::' || /^fe[89ab][0-9a-f]:/.test(host);
    return false;
}
function namedInsecure(hostport, policy) {
    const hp = hostport.toLowerCase();
    const host = hostname(hp);
    return policy.insecureRegistries.some((r) => {
        const want = r
            .toLowerCase()
            .replace(/^[a-z]+:\/\//, '')
            .replace(/\/.*$/, '');
        return want === hp || want === host;
    });
}
/** True when plain HTTP may be used for `hostport`. */
function plainHttpAllowed(hostport, policy) {
    return isLoopbackHost(hostport) || namedInsecure(hostport, policy);
}
/** Credentials may be sent over HTTPS, or over plain HTTP to a loopback host only. */
function credentialsAllowed(url) {
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.host));
}
/** Throws when we may not make a request to `url` at all. */
function checkUrl(url, policy) {
    if (url.protocol === 'https:')
        return;
    if (url.protocol !== 'http:') {
        throw new TransportPolicyError(`refusing ${url.protocol} URL for ${url.host}: only https (and http for loopback)`);
    }
    if (!plainHttpAllowed(url.host, policy)) {
        throw new TransportPolicyError(`refusing plain HTTP to ${url.host}: use HTTPS, or name it with --insecure-registry ${url.host}`);
    }
}
/** Throws when a redirect from `from` to `to` must not be followed. */
function checkRedirect(from, to, policy) {
    if (from.protocol === 'https:' && to.protocol !== 'https:') {
        throw new TransportPolicyError(`refusing redirect from https://${from.host} to ${to.protocol}//${to.host}`);
    }
    if (isLocalHost(to.host) && !isLocalHost(from.host)) {
        throw new TransportPolicyError(`refusing redirect from ${from.host} to local address ${to.host}`);
    }
    checkUrl(to, policy);
}
/** Same scheme, host and port. */
function sameOrigin(a, b) {
    return a.origin === b.origin;
}

;// CONCATENATED MODULE: ./lib/registry/auth/authenticator.js


/** Who we are when asking a token server for an OAuth2 grant. */
const OAUTH_CLIENT_ID = 'oci-cache-guard';
/** Tokens without `expires_in` live this long (distribution's token spec). */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** Scopes asked for in one token request at most (the URL stays short). */
const MAX_SCOPES_PER_TOKEN = 32;
/** Parses a token server's JSON: `token` or `access_token`, `expires_in` (seconds). */
function parseTokenResponse(text, where) {
    let v;
    try {
        v = JSON.parse(text);
    }
    catch {
        throw new AuthError(`token server ${where} answered with something that is not JSON`);
    }
    const o = (typeof v === 'object' && v !== null ? v : {});
    const token = typeof o.token === 'string' && o.token ? o.token : o.access_token;
    if (typeof token !== 'string' || token === '') {
        throw new AuthError(`token server ${where} answered without a token`);
    }
    const expires = o.expires_in;
    const expiresInSeconds = typeof expires === 'number' && Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_TOKEN_SECONDS;
    return { token, expiresInSeconds };
}
/** When to stop using a token: a tenth of its life early (at most 30 s early), so it does not expire in flight. */
function expiry(now, seconds) {
    const ms = seconds * 1000;
    return now + ms - Math.min(ms / 10, 30_000);
}
/** `using the credentials given for ghcr.io`, `no credentials for docker.io`. */
function describe(cred, key) {
    return cred ? `using ${cred.source}` : `no credentials for ${key}`;
}
class Authenticator {
    #deps;
    #tokens = new Map();
    #inflight = new Map();
    /** Tokens asked for several scopes, and the endpoints (realm) where such a token was refused. */
    #shared = new WeakSet();
    #oneScopeOnly = new Set();
    constructor(deps) {
        this.#deps = deps;
    }
    /** What we would say about our credentials for an endpoint, for error messages. */
    async describeCredentials(ep) {
        return describe(await this.#deps.credentials.get(ep.credentialKey), ep.credentialKey);
    }
    /**
     * The Authorization header for a request to `ep` needing `scope` (`repository:x/y:pull`), or
     * undefined to go anonymous; `related` are the scopes the same run needs from this endpoint
     * (one token may cover them all). Throws when the only way in would send credentials over plain HTTP.
     */
    async authorization(ep, scope, related = []) {
        const header = await this.#header(ep, scope, false, related);
        if (header !== undefined && !credentialsAllowed(ep.base)) {
            throw new TransportPolicyError(`refusing to send credentials to ${ep.base.host} over plain HTTP (only loopback registries may use HTTP with credentials)`);
        }
        return header;
    }
    /**
     * After a 401 with `challenges`: remember them, drop the cached token, and return a fresh header,
     * or undefined when there is nothing new to try.
     */
    async refresh(ep, scope, challenges, rejected) {
        if (challenges.length > 0)
            ep.challenges = challenges;
        this.#forgetShared(rejected);
        const header = await this.#header(ep, scope, true, []);
        if (header === undefined || (header === rejected && !header.startsWith('Bearer ')))
            return undefined;
        if (!credentialsAllowed(ep.base)) {
            throw new TransportPolicyError(`refusing to send credentials to ${ep.base.host} over plain HTTP (only loopback registries may use HTTP with credentials)`);
        }
        return header;
    }
    async #header(ep, scope, fresh, related) {
        const cred = await this.#deps.credentials.get(ep.credentialKey);
        if (cred && 'registryToken' in cred)
            return `Bearer ${cred.registryToken}`;
        const bearer = ep.challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
        if (bearer) {
            const wanted = bearer.params.scope && fresh ? bearer.params.scope : scope;
            const also = this.#oneScopeOnly.has(this.#realmKey(ep, bearer)) ? [] : related;
            return `Bearer ${(await this.#token(ep, bearer, wanted, also, cred, fresh)).token}`;
        }
        const basic = ep.challenges.some((c) => c.scheme === 'basic');
        if (basic && cred && 'username' in cred) {
            return `Basic ${this.#deps.secrets.add(Buffer.from(`${cred.username}:${cred.password}`).toString('base64'))}`;
        }
        return undefined;
    }
    #realmKey(ep, challenge) {
        return [ep.credentialKey, challenge.params.realm, challenge.params.service ?? ''].join('|');
    }
    /** A token for `scope`: cached, else fetched, for `also` (the run's other scopes) too when given. */
    async #token(ep, challenge, scope, also, cred, fresh) {
        const realm = this.#realmKey(ep, challenge);
        const keyOf = (s) => `${realm}|${s}`;
        const valid = (t) => t !== undefined && t.expiresAt > this.#deps.now();
        const cached = this.#tokens.get(keyOf(scope));
        if (fresh)
            this.#tokens.delete(keyOf(scope));
        else if (valid(cached))
            return cached;
        const wanted = [
            scope,
            ...[...new Set(also)].filter((s) => s !== scope && !valid(this.#tokens.get(keyOf(s)))).sort(),
        ]
            .slice(0, MAX_SCOPES_PER_TOKEN)
            .sort();
        // Sorted, so that requests of the same run for different scopes share one fetch.
        const key = keyOf(wanted.join(' '));
        let p = this.#inflight.get(key);
        if (!p) {
            p = this.#fetchToken(ep, challenge, wanted, cred).finally(() => this.#inflight.delete(key));
            this.#inflight.set(key, p);
        }
        const got = await p;
        if (wanted.length > 1)
            this.#shared.add(got);
        for (const s of wanted)
            this.#tokens.set(keyOf(s), got);
        return got;
    }
    /**
     * A token asked for several scopes was refused: the server granted fewer. Forget it for every
     * scope it was kept for, and ask that token server for one scope at a time from now on.
     */
    #forgetShared(rejected) {
        for (const [key, t] of this.#tokens) {
            if (!this.#shared.has(t) || `Bearer ${t.token}` !== rejected)
                continue;
            this.#tokens.delete(key);
            this.#oneScopeOnly.add(key.slice(0, key.lastIndexOf('|')));
        }
    }
    async #fetchToken(ep, challenge, scopes, cred) {
        const scope = scopes.join(' ');
        const { secrets, logger, policy, now } = this.#deps;
        let realm;
        try {
            realm = new URL(challenge.params.realm);
        }
        catch {
            throw new AuthError(`registry ${ep.base.host} names an invalid token realm`);
        }
        checkUrl(realm, policy);
        const service = challenge.params.service;
        const withCreds = cred !== undefined && ('username' in cred || 'identityToken' in cred);
        if (withCreds && !credentialsAllowed(realm)) {
            throw new TransportPolicyError(`refusing to send credentials to token server ${realm.host} over plain HTTP`);
        }
        const where = `${realm.host} (scope ${scope}, ${describe(cred, ep.credentialKey)})`;
        let res;
        if (cred && 'identityToken' in cred) {
            const form = new URLSearchParams({
                grant_type: 'refresh_token',
                refresh_token: cred.identityToken,
                client_id: OAUTH_CLIENT_ID,
                scope,
                ...(service ? { service } : {}),
            });
            res = await this.#deps.request({
                method: 'POST',
                url: realm,
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: form.toString(),
            });
        }
        else {
            const url = new URL(realm);
            if (service)
                url.searchParams.set('service', service);
            for (const s of scopes)
                url.searchParams.append('scope', s);
            const headers = {};
            if (cred && 'username' in cred) {
                headers.authorization = `Basic ${secrets.add(Buffer.from(`${cred.username}:${cred.password}`).toString('base64'))}`;
            }
            res = await this.#deps.request({ method: 'GET', url, headers });
        }
        // One byte past the cap tells an answer that is too big from one that is not JSON.
        const text = await readCapped(res.body, MAX_TOKEN_RESPONSE_BYTES + 1, this.#deps.rateFloor);
        if (res.statusCode === 200 && Buffer.byteLength(text) > MAX_TOKEN_RESPONSE_BYTES)
            throw new AuthError(`token server ${where} answered with more than ${MAX_TOKEN_RESPONSE_BYTES / 1024 / 1024} MiB, more than a token answer may be: refusing it`);
        if (res.statusCode !== 200) {
            const detail = secrets.redact(text.replace(/\s+/g, ' ').trim()).slice(0, 200);
            throw new AuthError(`token server ${where} refused with HTTP ${res.statusCode}${detail ? `: ${detail}` : ''}`);
        }
        const parsed = parseTokenResponse(text, where);
        secrets.add(parsed.token);
        logger.debug(`registry ${ep.base.host}: token for ${scope} valid ${parsed.expiresInSeconds}s`);
        return { token: parsed.token, expiresAt: expiry(now(), parsed.expiresInSeconds) };
    }
}

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
;// CONCATENATED MODULE: ./lib/log.js
const silentLogger = { debug() { }, info() { }, warn() { } };

// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(8500);
;// CONCATENATED MODULE: ./lib/registry/retry.js
/**
 * Retry policy, applied once, as an undici interceptor around undici's own RetryHandler (which also
 * resumes a body cut mid-way with a Range request when the server allows it). We decide whether and
 * when to retry: network errors, 408/429/5xx; exponential backoff with full jitter; Retry-After
 * honoured; bounded in attempts, in total time, and for timeouts in the silence sat through
 * (SilenceBudget). Only GET and HEAD are retried.
 */



const RETRY_DEFAULTS = Object.freeze({
    maxAttempts: 5,
    baseDelayMs: 500,
    maxDelayMs: 20_000,
    maxElapsedMs: 120_000,
    maxRetryAfterMs: 60_000,
    sleep: (ms) => (0,external_node_timers_promises_.setTimeout)(ms).then(() => undefined),
    random: Math.random,
    now: Date.now,
});
/** Error codes of a connection that failed or stalled; worth another try. */
const RETRYABLE_ERROR_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'ETIMEDOUT',
    'EPIPE',
    'EAI_AGAIN',
    'ENETDOWN',
    'ENETUNREACH',
    'EHOSTDOWN',
    'EHOSTUNREACH',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_CLOSED',
]);
/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (relative to `now`).
 * Undefined when absent or unparseable; never negative.
 */
function parseRetryAfter(value, now = Date.now()) {
    const v = (Array.isArray(value) ? value[0] : value)?.trim();
    if (!v)
        return undefined;
    if (/^\d+$/.test(v))
        return Number(v) * 1000;
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
/** Full-jitter exponential backoff for the retry after failed attempt `attempt` (1-based). */
function backoffDelay(attempt, opts) {
    const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, attempt - 1));
    return Math.floor(opts.random() * ceiling);
}
/** Why `err` is worth a retry (`HTTP 503`, `ECONNRESET`), or undefined when it is not. */
function retryReason(err) {
    if (typeof err.statusCode === 'number' && err.code === 'UND_ERR_REQ_RETRY') {
        return isTemporaryStatus(err.statusCode) ? `HTTP ${err.statusCode}` : undefined;
    }
    const code = err.code ?? err.cause?.code;
    if (code && RETRYABLE_ERROR_CODES.has(code))
        return code;
    return undefined;
}
/**
 * The decision after failed attempt `attempt`, failures having begun at `startedAt`: how long to wait, or
 * undefined for "give up". `silentMs` is the length of the timeouts this request has hit, this
 * failure's included. Exported so tests can check the arithmetic without waiting.
 */
function retryDelay(err, attempt, startedAt, opts, silentMs = 0) {
    const reason = retryReason(err);
    const attempts = reason === 'ECONNREFUSED' && opts.maxRefusedAttempts !== undefined
        ? Math.min(opts.maxAttempts, opts.maxRefusedAttempts)
        : opts.maxAttempts;
    if (!reason || attempt >= attempts)
        return undefined;
    const now = opts.now();
    const retryAfterMs = err.statusCode !== undefined ? parseRetryAfter(err.headers?.['retry-after'], now) : undefined;
    let delayMs;
    if (retryAfterMs !== undefined) {
        if (retryAfterMs > opts.maxRetryAfterMs)
            return undefined;
        delayMs = retryAfterMs;
    }
    else {
        delayMs = backoffDelay(attempt, opts);
    }
    if (now + delayMs - startedAt > opts.maxElapsedMs)
        return undefined;
    if (opts.silence?.timeoutMs[reason] !== undefined && silentMs + delayMs >= opts.silence.budgetMs)
        return undefined;
    return { delayMs, reason, attempts, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}
const RETRIED_METHODS = new Set(['GET', 'HEAD']);
/** The interceptor: one RetryHandler per request, with our decision function and our clock. */
function retryInterceptor(base) {
    return (dispatch) => (opts, handler) => {
        const own = opts.retry;
        const policy = own ? { ...base, ...own } : base;
        if (!RETRIED_METHODS.has(opts.method) || policy.maxAttempts <= 1)
            return dispatch(opts, handler);
        // The time budget runs from the first failure: a long download that breaks late still gets its retries.
        let firstFailureAt;
        let attempt = 0;
        let silentMs = 0;
        const url = `${String(opts.origin ?? '')}${opts.path}`;
        return dispatch(opts, new undici/* RetryHandler */.Z$({
            ...opts,
            retryOptions: {
                throwOnError: true,
                statusCodes: [408, 429, 500, 502, 503, 504],
                retry(err, _context, callback) {
                    attempt += 1;
                    firstFailureAt ??= policy.now();
                    silentMs += policy.silence?.timeoutMs[retryReason(err) ?? ''] ?? 0;
                    const decision = retryDelay(err, attempt, firstFailureAt, policy, silentMs);
                    if (!decision) {
                        callback(err);
                        return;
                    }
                    policy.onRetry?.({ method: opts.method, url, attempt, ...decision });
                    policy.sleep(decision.delayMs).then(() => callback(null), (e) => callback(e instanceof Error ? e : err));
                },
            },
        }, { dispatch, handler }));
    };
}

;// CONCATENATED MODULE: ./lib/registry/options.js






/**
 * Ten seconds of silence is already far beyond a working registry (a handshake or a first
 * byte takes a few round trips), and leaves room for one retry within the 20 s after which
 * a registry that never answers is reported as such.
 */
const TIMEOUT_DEFAULTS = Object.freeze({
    connectMs: 10_000,
    headersMs: 10_000,
    bodyIdleMs: 10_000,
    unansweredMs: 20_000,
    noticeMs: 3_000,
});
const DEFAULTS = Object.freeze({
    credentials: {},
    dockerConfigDir: undefined,
    env: process.env,
    insecureRegistries: [],
    mirrors: {},
    userAgent: 'oci-cache-guard',
    logger: silentLogger,
    onSecret: undefined,
    retry: RETRY_DEFAULTS,
    timeouts: TIMEOUT_DEFAULTS,
    rateFloor: RATE_FLOOR_DEFAULTS,
    maxRedirects: 10,
    maxManifestBytes: mediatypes/* MAX_MANIFEST_BYTES */.ZJ,
    credentialHelperTimeoutMs: 30_000,
    ca: undefined,
    http2: true,
    dispatcher: undefined,
    connectionsPerHost: undefined,
});
/** Normalises the registry keys people write: `https://index.docker.io/v1/` and `index.docker.io` → `docker.io`. */
function registryKey(nameOrUrl) {
    const host = nameOrUrl
        .trim()
        .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
        .replace(/\/.*$/, '')
        .toLowerCase();
    return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB : host;
}
function positive(name, v, min = 0) {
    if (!Number.isFinite(v) || v < min)
        throw new errors/* UsageError */.eb(`registry option ${name} must be a number ≥ ${min}, got ${v}`);
    return v;
}
/** DEFAULTS merged with `input`; rejects values that cannot work. */
function resolveOptions(input = {}) {
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    const opts = {
        ...DEFAULTS,
        ...defined,
        retry: { ...DEFAULTS.retry, ...input.retry },
        timeouts: { ...DEFAULTS.timeouts, ...input.timeouts },
        rateFloor: { ...DEFAULTS.rateFloor, ...input.rateFloor },
        // The escape hatch for a proxy or registry whose HTTP/2 misbehaves, in the CLI and the Action alike.
        http2: input.http2 ?? (input.env ?? DEFAULTS.env).OCI_CACHE_GUARD_HTTP1 !== '1',
    };
    positive('retry.maxAttempts', opts.retry.maxAttempts, 1);
    positive('retry.baseDelayMs', opts.retry.baseDelayMs);
    positive('retry.maxDelayMs', opts.retry.maxDelayMs);
    positive('retry.maxElapsedMs', opts.retry.maxElapsedMs);
    positive('timeouts.connectMs', opts.timeouts.connectMs, 1);
    positive('timeouts.headersMs', opts.timeouts.headersMs, 1);
    positive('timeouts.bodyIdleMs', opts.timeouts.bodyIdleMs, 1);
    positive('timeouts.unansweredMs', opts.timeouts.unansweredMs, 1);
    positive('timeouts.noticeMs', opts.timeouts.noticeMs);
    positive('rateFloor.bytesPerSecond', opts.rateFloor.bytesPerSecond);
    positive('rateFloor.windowMs', opts.rateFloor.windowMs, 1);
    positive('maxRedirects', opts.maxRedirects);
    positive('maxManifestBytes', opts.maxManifestBytes, 1);
    if (opts.connectionsPerHost !== undefined)
        positive('connectionsPerHost', opts.connectionsPerHost, 1);
    const mirrors = {};
    for (const [registry, urls] of Object.entries(opts.mirrors)) {
        mirrors[registryKey(registry)] = urls.map((u) => {
            let url;
            try {
                url = new URL(u.includes('://') ? u : `https://${u}`);
            }
            catch {
                throw new errors/* UsageError */.eb(`invalid registry mirror ${JSON.stringify(u)} for ${registry}: not a URL`);
            }
            if (url.protocol !== 'https:' && url.protocol !== 'http:') {
                throw new errors/* UsageError */.eb(`invalid registry mirror ${JSON.stringify(u)} for ${registry}: must be http(s)`);
            }
            if (url.username || url.password || url.search || url.hash) {
                throw new errors/* UsageError */.eb(`invalid registry mirror ${JSON.stringify(url.host)} for ${registry}: give credentials separately, no query`);
            }
            return url.toString().replace(/\/+$/, '');
        });
    }
    opts.mirrors = mirrors;
    opts.credentials = Object.fromEntries(Object.entries(opts.credentials).map(([k, v]) => [registryKey(k), v]));
    return opts;
}

;// CONCATENATED MODULE: ./lib/registry/auth/credentials.js
/**
 * Where credentials come from, first match wins:
 *   1. explicit, per registry (flags, Action inputs);
 *   2. `DOCKER_AUTH_CONFIG` in the environment: a config.json document (GitLab CI's convention);
 *   3. docker's config.json (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`), what
 *      `docker login` and `docker/login-action` leave behind: `credHelpers[host]`, then `credsStore`,
 *      then `auths[host]` (`auth` = base64 `user:password`, or `username`/`password`, or `identitytoken`,
 *      or `registrytoken`). Docker Hub is stored under `https://index.docker.io/v1/`.
 * Helpers are run as `docker-credential-<name> get` with the server URL on stdin and answer JSON
 * `{ "ServerURL", "Username", "Secret" }`; a Username of `<token>` means Secret is an identity token.
 * Every secret found is registered with Secrets before it is used.
 */







/** The string a credential helper gets on stdin, and the key docker writes into `auths`. */
function dockerServerAddress(registry) {
    return registryKey(registry) === DOCKER_HUB ? DOCKER_HUB_CONFIG_KEY : registry;
}
/** Parses a config.json document; throws AuthError naming `where` on malformed input. */
function parseDockerConfig(text, where) {
    let v;
    try {
        v = JSON.parse(text);
    }
    catch (err) {
        // Not err.message: V8 quotes the text around the error, which may be an `auth` value.
        const at = /at position (\d+)/.exec(err.message)?.[1];
        throw new AuthError(`cannot parse docker config ${where}: not valid JSON${at ? ` (at position ${at})` : ''}; fix or remove it`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new AuthError(`cannot parse docker config ${where}: not a JSON object`);
    }
    const o = v;
    const out = {};
    if (typeof o.auths === 'object' && o.auths !== null) {
        out.auths = {};
        for (const [k, e] of Object.entries(o.auths)) {
            if (typeof e !== 'object' || e === null)
                continue;
            const entry = {};
            for (const f of ['auth', 'username', 'password', 'identitytoken', 'registrytoken']) {
                const val = e[f];
                if (typeof val === 'string' && val !== '')
                    entry[f] = val;
            }
            out.auths[k] = entry;
        }
    }
    if (typeof o.credHelpers === 'object' && o.credHelpers !== null) {
        out.credHelpers = Object.fromEntries(Object.entries(o.credHelpers).filter((kv) => typeof kv[1] === 'string'));
    }
    if (typeof o.credsStore === 'string' && o.credsStore !== '')
        out.credsStore = o.credsStore;
    return out;
}
/** An `auths` entry as a credential; throws AuthError (without the secret) when `auth` is malformed. */
function credentialFromAuthEntry(entry, source, secrets) {
    if (entry.identitytoken)
        return { identityToken: secrets.add(entry.identitytoken), source };
    if (entry.registrytoken)
        return { registryToken: secrets.add(entry.registrytoken), source };
    if (entry.auth) {
        secrets.add(entry.auth);
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0)
            throw new AuthError(`${source}: "auth" is not base64 of user:password`);
        return { username: decoded.slice(0, colon), password: secrets.add(decoded.slice(colon + 1)), source };
    }
    if (entry.username && entry.password) {
        return { username: entry.username, password: secrets.add(entry.password), source };
    }
    return undefined;
}
/** Finds the `auths` / `credHelpers` key for a registry, matching docker's loose key forms. */
function lookup(map, registry) {
    if (!map)
        return undefined;
    const want = registryKey(registry);
    const exact = Object.entries(map).find(([k]) => k === registry || k === dockerServerAddress(registry));
    return exact ?? Object.entries(map).find(([k]) => registryKey(k) === want);
}
/**
 * Runs `docker-credential-<helper> get` for `serverAddress`. Undefined when the helper has no
 * credentials for it; AuthError when the helper is missing or fails.
 */
async function runCredentialHelper(helper, serverAddress, secrets, opts) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
        throw new AuthError(`invalid credential helper name ${JSON.stringify(helper)} in docker config`);
    }
    const program = `docker-credential-${helper}`;
    const source = `${program} (for ${serverAddress})`;
    const { code, stdout, stderr, error } = await new Promise((resolve) => {
        const child = (0,external_node_child_process_.spawn)(program, ['get'], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
        const out = [];
        const err = [];
        let outSize = 0;
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
        child.stdout.on('data', (b) => {
            outSize += b.length;
            if (outSize <= 1024 * 1024)
                out.push(b);
        });
        child.stderr.on('data', (b) => {
            if (err.length < 64)
                err.push(b);
        });
        child.on('error', (e) => {
            clearTimeout(timer);
            resolve({ code: null, stdout: '', stderr: '', error: e });
        });
        child.on('close', (c, signal) => {
            clearTimeout(timer);
            resolve({
                code: signal ? null : c,
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
                ...(signal ? { error: new Error(`killed by ${signal} after ${opts.timeoutMs} ms`) } : {}),
            });
        });
        child.stdin.on('error', () => { });
        child.stdin.end(serverAddress);
    });
    if (error) {
        const missing = error.code === 'ENOENT';
        throw new AuthError(missing
            ? `credential helper ${program} not found on PATH (named in docker config for ${serverAddress})`
            : `credential helper ${program} failed for ${serverAddress}: ${error.message}`);
    }
    const said = `${stdout} ${stderr}`.trim();
    if (code !== 0) {
        if (/credentials not found/i.test(said))
            return undefined;
        const firstLine = secrets.redact(said.split('\n')[0] ?? '').slice(0, 200);
        throw new AuthError(`credential helper ${program} failed for ${serverAddress} (exit ${code}): ${firstLine}`);
    }
    let parsed;
    try {
        parsed = JSON.parse(stdout);
    }
    catch {
        throw new AuthError(`credential helper ${program} printed something that is not JSON for ${serverAddress}`);
    }
    const { Username, Secret } = (parsed ?? {});
    if (typeof Secret !== 'string' || Secret === '')
        return undefined;
    secrets.add(Secret);
    if (Username === '<token>')
        return { identityToken: Secret, source };
    if (typeof Username !== 'string' || Username === '') {
        throw new AuthError(`credential helper ${program} returned a secret without a username for ${serverAddress}`);
    }
    return { username: Username, password: Secret, source };
}
/** Credentials from one config.json document (file or `DOCKER_AUTH_CONFIG`). */
async function credentialFromDockerConfig(config, where, registry, secrets, helper) {
    const server = dockerServerAddress(registry);
    const named = lookup(config.credHelpers, registry);
    const helperName = named?.[1] ?? config.credsStore;
    if (helperName) {
        const found = await runCredentialHelper(helperName, server, secrets, helper);
        if (found)
            return found;
    }
    const entry = lookup(config.auths, registry);
    return entry ? credentialFromAuthEntry(entry[1], `${where} auths["${entry[0]}"]`, secrets) : undefined;
}
/** The docker config directory: the option, else `$DOCKER_CONFIG`, else `~/.docker`. */
function dockerConfigDir(opt, env) {
    return opt ?? (env.DOCKER_CONFIG || (0,external_node_path_.join)(env.HOME || (0,external_node_os_.homedir)(), '.docker'));
}
/**
 * The store: explicit, then DOCKER_AUTH_CONFIG, then config.json. Lookups are cached per registry,
 * so a helper runs at most once per registry per client. A broken source is reported once through
 * the logger and skipped (an anonymous pull of a public image should not fail because of it); a
 * registry that then demands credentials says so in its own error.
 */
function createCredentialStore(opts) {
    const cache = new Map();
    let configPromise;
    const helper = { env: opts.env, timeoutMs: opts.helperTimeoutMs };
    const explicit = Object.fromEntries(Object.entries(opts.explicit).map(([k, v]) => [registryKey(k), v]));
    for (const c of Object.values(explicit)) {
        if ('password' in c)
            opts.secrets.add(c.password);
        if ('identityToken' in c)
            opts.secrets.add(c.identityToken);
        if ('registryToken' in c)
            opts.secrets.add(c.registryToken);
    }
    async function loadConfigs() {
        if (opts.dockerConfigDir === false)
            return [];
        const docs = [];
        const fromEnv = opts.env.DOCKER_AUTH_CONFIG;
        if (fromEnv) {
            opts.secrets.add(fromEnv);
            try {
                docs.push({ doc: parseDockerConfig(fromEnv, 'DOCKER_AUTH_CONFIG'), where: 'DOCKER_AUTH_CONFIG' });
            }
            catch (err) {
                opts.logger.warn(opts.secrets.redact(err.message));
            }
        }
        const file = (0,external_node_path_.join)(dockerConfigDir(opts.dockerConfigDir, opts.env), 'config.json');
        let text;
        try {
            text = await (0,promises_.readFile)(file, 'utf8');
        }
        catch (err) {
            if (err.code !== 'ENOENT') {
                opts.logger.warn(`cannot read docker config ${file}: ${err.message}`);
            }
        }
        if (text !== undefined) {
            try {
                docs.push({ doc: parseDockerConfig(text, file), where: file });
            }
            catch (err) {
                opts.logger.warn(err.message);
            }
        }
        return docs;
    }
    async function find(registry) {
        const key = registryKey(registry);
        const given = explicit[key];
        if (given)
            return { ...given, source: `the credentials given for ${key}` };
        configPromise ??= loadConfigs();
        for (const { doc, where } of await configPromise) {
            try {
                const found = await credentialFromDockerConfig(doc, where, registry, opts.secrets, helper);
                if (found) {
                    opts.logger.debug(`registry ${key}: using ${found.source}`);
                    return found;
                }
            }
            catch (err) {
                opts.logger.warn(`registry ${key}: ${opts.secrets.redact(err.message)}; continuing without`);
            }
        }
        return undefined;
    }
    return {
        get(registry) {
            const key = registryKey(registry);
            let p = cache.get(key);
            if (!p) {
                p = find(registry);
                cache.set(key, p);
            }
            return p;
        },
    };
}

// EXTERNAL MODULE: external "node:tls"
var external_node_tls_ = __webpack_require__(1692);
;// CONCATENATED MODULE: ./lib/registry/dispatcher.js
/**
 * The one undici stack every registry request goes through:
 *
 *   http.ts send():  redirect policy → auth (challenge, token, 401 refresh)      (per request, ours)
 *   dispatcher:      retry (RetryHandler, our policy) → user agent → Agent       (undici interceptors)
 *
 * Redirects and auth sit above the dispatcher because each hop is checked and authorised on its own
 * (credentials never follow a redirect to another host); retry sits below them so that a 503 is
 * retried on the same URL with the same Authorization.
 *
 * Two Agents share that stack. Bulk requests (a blob's bytes) take HTTP/1.1 connections of their
 * own: a path's per-connection rate (a window over the round trip, a CDN's cap) is what several
 * connections add up. Latency-bound requests (manifests, small blobs) to an origin that chose
 * HTTP/2 at its TLS handshake share one connection, as streams served side by side: a manifest
 * then costs one round trip, not a turn on a connection that a range holds.
 */



/** Sets User-Agent on every request that has none. */
function userAgentInterceptor(userAgent) {
    return (dispatch) => (opts, handler) => {
        const headers = (opts.headers ?? {});
        if (Array.isArray(opts.headers) || Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent')) {
            return dispatch(opts, handler);
        }
        return dispatch({ ...opts, headers: { ...headers, 'user-agent': userAgent } }, handler);
    };
}
/**
 * Requests open at once on an HTTP/2 connection: a run's manifests and small blobs all at once
 * (12 images' are ~70), within what servers grant (Go's default is 250, nginx's 128). An origin
 * that chose HTTP/1.1 gets nothing on it but the one probe (`learn`), so none is pipelined.
 */
const STREAMS_PER_CONNECTION = 100;
function createDispatcher(opts) {
    const compose = (base) => 
    // compose() wraps in order, so the last interceptor is the outermost.
    base.compose(userAgentInterceptor(opts.userAgent), retryInterceptor(opts.retry));
    const http1 = (dispatcher, close) => ({
        dispatcher,
        streams: dispatcher,
        learn: () => { },
        multiplexes: () => false,
        close,
    });
    if (opts.dispatcher)
        return http1(compose(opts.dispatcher), async () => { });
    // One context for every connection: built per connection, it costs ~8 ms of CPU a handshake
    // (~50 ms with a CA list to parse), as much as the handshake's own crypto many times over.
    const tls = {
        secureContext: (0,external_node_tls_.createSecureContext)(opts.ca?.length ? { ca: [...external_node_tls_.rootCertificates, ...opts.ca] } : {}),
    };
    const timeouts = {
        headersTimeout: opts.timeouts.headersMs,
        bodyTimeout: opts.timeouts.bodyIdleMs,
    };
    const bulk = new undici/* Agent */.g6({
        connect: { timeout: opts.timeouts.connectMs, ...tls },
        ...timeouts,
        ...(opts.connectionsPerHost ? { connections: opts.connectionsPerHost } : {}),
    });
    if (opts.http2 === false)
        return http1(compose(bulk), () => bulk.close());
    const h2 = new Set();
    const asked = new Set();
    const learning = new AbortController();
    const connector = (0,undici/* buildConnector */.gU)({ timeout: opts.timeouts.connectMs, allowH2: true, ...tls });
    const multiplexed = new undici/* Agent */.g6({
        allowH2: true,
        connections: 1,
        // undici sends an HTTP/2 connection's requests one at a time unless told how many may be open.
        pipelining: STREAMS_PER_CONNECTION,
        ...timeouts,
        connect: (options, callback) => connector(options, (err, socket) => {
            // The handshake's choice is the origin's: every later connection to it makes the same.
            if (socket && socket.alpnProtocol === 'h2')
                h2.add(`${options.protocol}//${options.host}`);
            callback(err, socket);
        }),
    });
    return {
        dispatcher: compose(bulk),
        streams: compose(multiplexed),
        learn(url) {
            if (url.protocol !== 'https:' || asked.has(url.origin))
                return;
            asked.add(url.origin);
            multiplexed
                .request({
                origin: url.origin,
                path: url.pathname,
                method: 'GET',
                headers: { 'user-agent': opts.userAgent },
                signal: learning.signal,
            })
                .then((res) => res.body.dump(), () => { });
        },
        multiplexes: (origin) => h2.has(origin),
        async close() {
            learning.abort(); // An Agent's close waits for its requests: a probe left unanswered would hold it.
            await Promise.all([bulk.close(), multiplexed.close()]);
        },
    };
}

;// CONCATENATED MODULE: ./lib/registry/http.js











const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/**
 * A first contact refused (nothing listens there: a wrong port, a mirror that is down) is tried
 * once more, for a server that is just restarting, not with every retry a busy registry gets.
 */
const FIRST_CONTACT_REFUSED_ATTEMPTS = 2;
function header(headers, name) {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
}
/** `100;w=21600` → { value: 100, window: 21600 }. */
function parseRateLimitHeader(v) {
    const m = v ? /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(v) : null;
    if (!m)
        return undefined;
    return { value: Number(m[1]), ...(m[2] ? { window: Number(m[2]) } : {}) };
}
function rateLimitFrom(headers, host, at = new Date()) {
    const limit = parseRateLimitHeader(header(headers, 'ratelimit-limit'));
    const remaining = parseRateLimitHeader(header(headers, 'ratelimit-remaining'));
    if (!limit || !remaining)
        return undefined;
    const source = header(headers, 'docker-ratelimit-source');
    const windowSeconds = remaining.window ?? limit.window;
    return {
        host,
        limit: limit.value,
        remaining: remaining.value,
        ...(windowSeconds !== undefined ? { windowSeconds } : {}),
        ...(source ? { source } : {}),
        at,
    };
}
/** A response whose body we already read (so that we could decide), handed on with that body. */
function replayed(res, text) {
    return { ...res, body: external_node_stream_.Readable.from([Buffer.from(text)]) };
}
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** True for a failure that is a timeout (a RegistryError wrapping one included). */
function isTimeout(err) {
    let e = err;
    for (let depth = 0; e && depth < 5; depth++, e = e.cause) {
        if (e.code && TIMEOUT_CODES.has(e.code))
            return true;
    }
    return false;
}
class Transport {
    #opts;
    #secrets;
    #log;
    #http;
    #policy;
    #auth;
    #endpoints = new Map();
    /** Per credential key (`docker.io`), the scopes the run announced: one token may serve them all. */
    #expected = new Map();
    #rateLimit;
    constructor(opts, secrets) {
        this.#opts = opts;
        this.#secrets = secrets;
        this.#log = opts.logger;
        this.#policy = { insecureRegistries: opts.insecureRegistries };
        this.#http = createDispatcher({
            retry: {
                ...opts.retry,
                silence: {
                    budgetMs: opts.timeouts.unansweredMs,
                    timeoutMs: {
                        UND_ERR_CONNECT_TIMEOUT: opts.timeouts.connectMs,
                        UND_ERR_HEADERS_TIMEOUT: opts.timeouts.headersMs,
                        UND_ERR_BODY_TIMEOUT: opts.timeouts.bodyIdleMs,
                    },
                },
                onRetry: (e) => {
                    opts.retry.onRetry?.(e);
                    this.#log.info(`retrying ${e.method} ${redactUrl(e.url)} in ${(e.delayMs / 1000).toFixed(1)}s (${e.reason}, attempt ${e.attempt} of ${e.attempts})`);
                },
            },
            timeouts: opts.timeouts,
            userAgent: opts.userAgent,
            dispatcher: opts.dispatcher,
            ca: opts.ca,
            http2: opts.http2,
            connectionsPerHost: opts.connectionsPerHost,
        });
        this.#auth = new Authenticator({
            request: (init) => this.raw(init),
            credentials: createCredentialStore({
                explicit: opts.credentials,
                dockerConfigDir: opts.dockerConfigDir,
                env: opts.env,
                helperTimeoutMs: opts.credentialHelperTimeoutMs,
                secrets,
                logger: opts.logger,
            }),
            secrets,
            logger: opts.logger,
            policy: this.#policy,
            now: opts.retry.now,
            rateFloor: opts.rateFloor,
        });
    }
    get rateLimit() {
        return this.#rateLimit;
    }
    get policy() {
        return this.#policy;
    }
    async close() {
        await this.#http.close();
    }
    /** Whether `origin` (`https://host:port`) chose HTTP/2 at first contact. */
    multiplexes(origin) {
        return this.#http.multiplexes(origin);
    }
    /** One request; network failures and exhausted retries become RegistryError. */
    async raw(init) {
        checkUrl(init.url, this.#policy);
        const subject = init.subject ?? init.url.host;
        this.#log.debug(`${init.method} ${redactUrl(init.url)}`);
        const shared = init.url.protocol === 'https:' && !init.bulk && this.#http.multiplexes(init.url.origin);
        let res;
        try {
            res = await (0,undici/* request */.Em)(init.url, {
                dispatcher: shared ? this.#http.streams : this.#http.dispatcher,
                method: init.method,
                headers: init.headers ?? {},
                ...(init.body !== undefined ? { body: init.body } : {}),
                ...(init.signal ? { signal: init.signal } : {}),
                headersTimeout: this.#opts.timeouts.headersMs,
                bodyTimeout: this.#opts.timeouts.bodyIdleMs,
                ...(init.retry ? { retry: init.retry } : {}),
            });
        }
        catch (err) {
            if (init.signal?.aborted)
                throw err;
            if (err instanceof undici/* errors */.sO.RequestRetryError) {
                const status = err.statusCode;
                const code = status === 429 ? 'TOOMANYREQUESTS' : status >= 500 && status !== 501 ? 'UNAVAILABLE' : undefined;
                const headers = (err.headers ?? {});
                const limit = rateLimitFrom(headers, init.url.host);
                if (limit)
                    this.#rateLimit = limit;
                throw new RegistryError(`${code ? codeText(code) : `HTTP ${status}`}: ${subject} (HTTP ${status} from ${init.url.host}, gave up after ${err.data?.count ?? 1} attempts)`, { status, ...(code ? { code } : {}), temporary: true, url: redactUrl(init.url), cause: err });
            }
            if (err instanceof TransportPolicyError)
                throw err;
            if (err.code === 'UND_ERR_HEADERS_OVERFLOW')
                throw new RegistryError(`${init.url.host} answered ${subject} badly: ${networkMessage(err)}`, {
                    temporary: false,
                    url: redactUrl(init.url),
                    cause: err,
                });
            throw new RegistryError(`cannot reach ${init.url.host}${subject === init.url.host ? '' : ` for ${subject}`}: ${this.#secrets.redact(networkMessage(err, this.#opts.timeouts))}`, { temporary: true, url: redactUrl(init.url), cause: err });
        }
        const limit = rateLimitFrom(res.headers, init.url.host);
        if (limit)
            this.#rateLimit = limit;
        this.#log.debug(`${init.method} ${redactUrl(init.url)} → ${res.statusCode}`);
        return { statusCode: res.statusCode, headers: res.headers, body: res.body, url: init.url };
    }
    /** Announces auth scopes a run will need from a registry, so its first token can cover them all. */
    expectScopes(registry, scopes) {
        const key = registryKey(registry);
        const set = this.#expected.get(key) ?? new Set();
        for (const s of scopes)
            set.add(s);
        this.#expected.set(key, set);
    }
    /**
     * The endpoint of a registry (`docker.io` → https://registry-1.docker.io), pinged once. The
     * verdict is kept, a failure too: every image of a registry that does not answer shares one
     * wait instead of each paying its own.
     */
    registryEndpoint(registry) {
        const host = registryApiHost(registry);
        const key = `registry ${host}`;
        let p = this.#endpoints.get(key);
        if (!p) {
            p = this.#firstContact(host, (signal) => this.#discover(host, registryKey(registry), signal));
            this.#endpoints.set(key, p);
        }
        return p;
    }
    /** The endpoint of a mirror base URL, pinged once; a mirror that failed stays failed for this client. */
    mirrorEndpoint(mirror) {
        const key = `mirror ${mirror}`;
        let p = this.#endpoints.get(key);
        if (!p) {
            const base = new URL(mirror.endsWith('/') ? mirror : `${mirror}/`);
            p = this.#firstContact(base.host, async (signal) => {
                checkUrl(base, this.#policy);
                return this.#ping(base, registryKey(base.host), `mirror ${base.host}`, {}, signal);
            });
            this.#endpoints.set(key, p);
        }
        return p;
    }
    /**
     * A first contact with `host`, bounded by timeouts.unansweredMs whatever the schemes and retries
     * it takes; after timeouts.noticeMs without an answer, says what it is waiting for.
     */
    async #firstContact(host, ping) {
        const { unansweredMs, noticeMs } = this.#opts.timeouts;
        const started = Date.now();
        const deadline = new AbortController();
        const timer = setTimeout(() => deadline.abort(), unansweredMs);
        const notice = setTimeout(() => this.#log.info(`waiting for ${host} to answer (up to ${(0,format/* formatDuration */.a3)(unansweredMs)})…`), noticeMs);
        try {
            return await ping(deadline.signal);
        }
        catch (err) {
            if (!deadline.signal.aborted && !isTimeout(err))
                throw err;
            throw new RegistryError(`${host} did not answer within ${(0,format/* formatDuration */.a3)(Date.now() - started)}: check that a registry is serving at ${host} and that nothing in between holds the connection`, { temporary: true, cause: err });
        }
        finally {
            clearTimeout(timer);
            clearTimeout(notice);
        }
    }
    /**
     * HTTPS, and for loopback or a registry named insecure, plain HTTP asked at the same time and
     * used when HTTPS gets no answer. A plain HTTP server answers a TLS handshake at once (with an
     * error); both share one deadline.
     */
    async #discover(host, credentialKey, signal) {
        const https = new URL(`https://${host}/`);
        if (!plainHttpAllowed(host, this.#policy))
            return this.#ping(https, credentialKey, host, {}, signal);
        // Both at once: one after the other, a plain HTTP registry cost two round trips more.
        const unneeded = new AbortController();
        const plain = this.#ping(new URL(`http://${host}/`), credentialKey, host, {}, AbortSignal.any([signal, unneeded.signal]));
        plain.catch(() => { }); // Read below when HTTPS fails; dropped when it answers.
        try {
            const ep = await this.#ping(https, credentialKey, host, { maxAttempts: 1 }, signal);
            unneeded.abort();
            return ep;
        }
        catch (err) {
            if (!(err instanceof RegistryError) || err.status !== undefined) {
                unneeded.abort();
                throw err;
            }
            this.#log.debug(`${host}: no HTTPS (${err.message}); using plain HTTP`);
            return plain;
        }
    }
    async #ping(base, credentialKey, label, retry, signal) {
        const url = new URL('v2/', base);
        this.#http.learn(url);
        const res = await this.raw({
            method: 'GET',
            url,
            retry: { maxRefusedAttempts: FIRST_CONTACT_REFUSED_ATTEMPTS, ...retry },
            subject: base.host,
            signal,
        });
        const text = await readCapped(res.body, MAX_ERROR_BODY_BYTES, this.#opts.rateFloor);
        const challenges = res.statusCode === 401 ? parseWwwAuthenticate(res.headers['www-authenticate']) : [];
        if (res.statusCode !== 200 && res.statusCode !== 401) {
            if (res.statusCode >= 500)
                throw errorFromResponse({ status: res.statusCode, body: text, url, subject: label });
            this.#log.debug(`${label}: /v2/ answered ${res.statusCode}; continuing without a challenge`);
        }
        this.#log.debug(`${label}: API at ${base.origin}${challenges.length ? `, auth ${challenges.map((c) => c.scheme).join(', ')}` : ', anonymous'}`);
        return { base, credentialKey, challenges, label };
    }
    /**
     * A request to an endpoint: Authorization for the endpoint's origin only, one refresh after a 401,
     * redirects followed under the policy. Returns the final response, whatever its status.
     */
    async send(ep, init) {
        let url = new URL(init.path.replace(/^\//, ''), ep.base);
        let auth = await this.#auth.authorization(ep, init.scope, [
            ...(this.#expected.get(ep.credentialKey) ?? []),
        ]);
        let refreshed = false;
        let hops = 0;
        for (;;) {
            const onOrigin = sameOrigin(url, ep.base);
            const headers = { ...init.headers, ...(onOrigin && auth ? { authorization: auth } : {}) };
            const res = await this.raw({
                method: init.method,
                url,
                headers,
                signal: init.signal,
                subject: init.subject,
                ...(init.bulk ? { bulk: true } : {}),
            });
            if (res.statusCode === 401 && onOrigin && !refreshed) {
                refreshed = true;
                const text = await readCapped(res.body, MAX_ERROR_BODY_BYTES, this.#opts.rateFloor);
                const next = await this.#auth.refresh(ep, init.scope, parseWwwAuthenticate(res.headers['www-authenticate']), auth);
                if (next !== undefined) {
                    auth = next;
                    continue;
                }
                return replayed(res, text);
            }
            if (REDIRECTS.has(res.statusCode) && header(res.headers, 'location')) {
                discard(res.body);
                hops += 1;
                if (hops > this.#opts.maxRedirects) {
                    throw new TransportPolicyError(`too many redirects for ${init.subject} (more than ${this.#opts.maxRedirects}, last at ${url.host})`);
                }
                let next;
                try {
                    next = new URL(header(res.headers, 'location'), url);
                }
                catch {
                    throw new TransportPolicyError(`${url.host} redirected ${init.subject} to an invalid location`);
                }
                checkRedirect(url, next, this.#policy);
                this.#log.debug(`${init.subject}: redirected to ${redactUrl(next)}`);
                url = next;
                continue;
            }
            return res;
        }
    }
    /** The RegistryError for an unsuccessful response, naming `subject` (reads and closes the body). */
    async errorFor(ep, res, subject) {
        const body = this.#secrets.redact(await readCapped(res.body, MAX_ERROR_BODY_BYTES, this.#opts.rateFloor));
        let hint;
        if (res.statusCode === 401 || res.statusCode === 403)
            hint = await this.#auth.describeCredentials(ep);
        return errorFromResponse({
            status: res.statusCode,
            body,
            url: res.url,
            subject,
            ...(hint ? { hint } : {}),
        });
    }
}

;// CONCATENATED MODULE: ./lib/registry/secrets.js
/**
 * Every secret the registry client handles (passwords, identity tokens, `auth` strings, the Basic
 * header values built from them, bearer tokens it received) is registered here, so that the Action
 * can mask it (`onSecret` → `core.setSecret`) and so that no message of ours carries it.
 */
class Secrets {
    #values = new Set();
    #onSecret;
    constructor(onSecret) {
        this.#onSecret = onSecret;
    }
    /** Registers a secret; returns it for convenience. Empty and very short strings are ignored. */
    add(secret) {
        if (secret && secret.length >= 4 && !this.#values.has(secret)) {
            this.#values.add(secret);
            this.#onSecret?.(secret);
        }
        return secret;
    }
    list() {
        return [...this.#values];
    }
    /** `text` with every known secret replaced by `***`. */
    redact(text) {
        let out = text;
        for (const s of [...this.#values].sort((a, b) => b.length - a.length))
            out = out.split(s).join('***');
        return out;
    }
}

;// CONCATENATED MODULE: ./lib/registry/client.js
/**
 * The registry client the pull module builds on: resolve a reference to its root manifest, fetch
 * manifests by digest, stream blobs (optionally from an offset). Manifests are size-capped and
 * hashed here; blob bodies are cut off at the descriptor's size (the caller hashes them).
 */













/**
 * Blobs this small are latency-bound: their round trip costs more than their bytes (25 MB/s
 * moves 64 KiB in under 3 ms). A request for more is bulk: a connection of its own.
 */
const LATENCY_BOUND_BYTES = 64 * 1024;
/** What we accept for manifests; schema 1 is deliberately absent. */
const MANIFEST_ACCEPT = [
    mediatypes/* MediaType */.zu.OciIndex,
    mediatypes/* MediaType */.zu.OciManifest,
    mediatypes/* MediaType */.zu.DockerManifestList,
    mediatypes/* MediaType */.zu.DockerManifest,
].join(', ');
function hash(algorithm, bytes) {
    return (0,oci_digest/* makeDigest */.Lm)(algorithm, (0,external_node_crypto_.createHash)(algorithm).update(bytes).digest('hex'));
}
function mib(n) {
    const [unit, value] = n >= 1024 * 1024 ? ['MiB', n / 1024 / 1024] : n >= 1024 ? ['KiB', n / 1024] : ['bytes', n];
    return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
/** Reads a body up to `max` bytes; throws ManifestTooLargeError beyond, a RegistryError when it stalls. */
async function readLimited(body, max, subject, floor) {
    const chunks = [];
    let size = 0;
    try {
        for await (const chunk of floored(body, floor)) {
            size += chunk.length;
            if (size > max) {
                throw new ManifestTooLargeError(`manifest ${subject} is larger than ${mib(max)}: refusing to read it`);
            }
            chunks.push(chunk);
        }
    }
    catch (err) {
        if (!(err instanceof TooSlowError))
            throw err;
        throw new RegistryError(`manifest ${subject}: ${err.message}`, { temporary: true, cause: err });
    }
    finally {
        discard(body);
    }
    return Buffer.concat(chunks, size);
}
/** The media type to record: Content-Type when it names a manifest, else the document's own. */
function manifestMediaType(contentType, doc, subject) {
    const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
    const schema1 = (t) => (0,mediatypes/* isSchema1MediaType */.H)(t);
    if (schema1(contentType) || schema1(declared) || doc.schemaVersion === 1) {
        throw new UnsupportedManifestError(`unsupported: ${subject} is a Docker schema 1 manifest; push it again with a current docker, buildx or skopeo`);
    }
    for (const t of [contentType, declared]) {
        if ((0,mediatypes/* isIndexMediaType */.$$)(t) || (0,mediatypes/* isManifestMediaType */.CM)(t))
            return t;
    }
    if (declared === undefined && (contentType === undefined || /json/.test(contentType))) {
        if (Array.isArray(doc.manifests))
            return mediatypes/* MediaType */.zu.OciIndex;
        if (typeof doc.config === 'object' && doc.config !== null)
            return mediatypes/* MediaType */.zu.OciManifest;
    }
    throw new UnsupportedManifestError(`unsupported: ${subject} has media type ${declared ?? contentType ?? 'none'}, not an image index or manifest`);
}
/** Counts a body through; errors when it runs past `length` bytes or ends short of them. */
class LengthLimit extends external_node_stream_.Transform {
    length;
    start;
    total;
    subject;
    #seen = 0;
    constructor(length, start, total, subject) {
        super();
        this.length = length;
        this.start = start;
        this.total = total;
        this.subject = subject;
    }
    _transform(chunk, _enc, done) {
        this.#seen += chunk.length;
        if (this.#seen > this.length) {
            done(new errors/* DigestMismatchError */.h(`blob ${this.subject}: the registry sent more than the ${this.total} bytes its descriptor declares`));
            return;
        }
        done(null, chunk);
    }
    _flush(done) {
        if (this.#seen < this.length) {
            done(new errors/* DigestMismatchError */.h(`blob ${this.subject}: truncated: ${this.start + this.#seen} of ${this.total} bytes`));
            return;
        }
        done();
    }
}
function contentLength(res) {
    const v = res.headers['content-length'];
    const s = Array.isArray(v) ? v[0] : v;
    return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}
/** `bytes 100-199/200` → { start: 100, end: 199, total: 200 } (total undefined for `*`). */
function parseContentRange(v) {
    const m = v ? /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(v) : null;
    if (!m)
        return undefined;
    return { start: Number(m[1]), end: Number(m[2]), ...(m[3] !== '*' ? { total: Number(m[3]) } : {}) };
}
/**
 * Errors that do not say which image they are about (a registry that cannot be reached, a token
 * server that refused) get `subject: ` in front, keeping their class and details.
 */
function naming(err, subject) {
    if (!(err instanceof errors/* GuardError */.U$) || err.message.includes(subject))
        return err;
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
    const Kind = err.constructor;
    return new Kind(message, { cause: err });
}
function createRegistryClient(input = {}) {
    const opts = resolveOptions(input);
    const secrets = new Secrets(opts.onSecret);
    const transport = new Transport(opts, secrets);
    const log = opts.logger;
    /** Per registry, the quickest manifest answer so far (see roundTripMs). */
    const roundTrips = new Map();
    /** Mirrors whose first contact failed: skipped, without a word, for the rest of the run. */
    const deadMirrors = new Set();
    /**
     * Each mirror of the registry in turn, then the registry; a mirror's failure falls through.
     * A mirror that failed its first contact is not tried again (as a registry that failed its
     * first contact is not): said once, not once per blob.
     */
    async function onEndpoints(registry, what, fn) {
        for (const mirror of opts.mirrors[registryKey(registry)] ?? []) {
            if (deadMirrors.has(mirror))
                continue;
            let ep;
            try {
                ep = await transport.mirrorEndpoint(mirror);
            }
            catch (err) {
                if (err instanceof Error && err.name === 'AbortError')
                    throw err;
                if (!deadMirrors.has(mirror)) {
                    deadMirrors.add(mirror);
                    log.info(`mirror ${new URL(mirror).host} failed first contact (${err.message}); not trying it again in this run`);
                }
                continue;
            }
            try {
                return await fn(ep);
            }
            catch (err) {
                if (err instanceof Error && err.name === 'AbortError')
                    throw err;
                log.info(`mirror ${new URL(mirror).host} failed for ${what} (${err.message}); trying the next source`);
            }
        }
        try {
            return await fn(await transport.registryEndpoint(registry));
        }
        catch (err) {
            throw naming(err, what);
        }
    }
    async function fetchManifest(ep, repo, target, subject, expected, signal) {
        if (expected.size !== undefined && expected.size > opts.maxManifestBytes) {
            throw new ManifestTooLargeError(`manifest ${subject} is ${expected.size} bytes, more than the ${mib(opts.maxManifestBytes)} we accept`);
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
        if (res.statusCode !== 200)
            throw await transport.errorFor(ep, res, subject);
        const took = performance.now() - asked;
        roundTrips.set(repo.registry, Math.min(took, roundTrips.get(repo.registry) ?? Infinity));
        const declared = contentLength(res);
        if (declared !== undefined && declared > opts.maxManifestBytes) {
            discard(res.body);
            throw new ManifestTooLargeError(`manifest ${subject} is ${declared} bytes, more than the ${mib(opts.maxManifestBytes)} we accept`);
        }
        const bytes = await readLimited(res.body, opts.maxManifestBytes, subject, opts.rateFloor);
        if (expected.size !== undefined && bytes.length !== expected.size) {
            throw new errors/* DigestMismatchError */.h(`manifest ${subject}: ${bytes.length} bytes received, its descriptor declares ${expected.size}`);
        }
        let doc;
        try {
            doc = JSON.parse(bytes.toString('utf8'));
        }
        catch (err) {
            throw new descriptor/* InvalidDocumentError */.FK(`manifest ${subject}: not valid JSON (${err.message})`);
        }
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
            throw new descriptor/* InvalidDocumentError */.FK(`manifest ${subject}: not a JSON object`);
        }
        const contentType = res.headers['content-type']?.split(';')[0]?.trim();
        const mediaType = manifestMediaType(contentType || undefined, doc, subject);
        const algorithm = expected.digest ? (0,oci_digest/* digestAlgorithm */.g4)(expected.digest) : 'sha256';
        const digest = hash(algorithm, bytes);
        if (expected.digest && digest !== expected.digest) {
            throw new errors/* DigestMismatchError */.h(`manifest ${subject}: its bytes hash to ${digest}, not ${expected.digest}`);
        }
        const dcd = res.headers['docker-content-digest'];
        const served = Array.isArray(dcd) ? dcd[0] : dcd;
        if (served !== undefined) {
            if (!(0,oci_digest/* isDigest */.Bc)(served)) {
                log.debug(`manifest ${subject}: ignoring malformed Docker-Content-Digest ${JSON.stringify(served.slice(0, 80))}`);
            }
            else {
                const ours = (0,oci_digest/* digestAlgorithm */.g4)(served) === algorithm ? digest : hash((0,oci_digest/* digestAlgorithm */.g4)(served), bytes);
                if (ours !== served) {
                    throw new errors/* DigestMismatchError */.h(`manifest ${subject}: its bytes hash to ${ours}, but the registry's Docker-Content-Digest says ${served}`);
                }
            }
        }
        return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
    }
    return {
        async resolve(ref, requestOpts = {}) {
            const subject = ref.name;
            return onEndpoints(ref.registry, subject, (ep) => fetchManifest(ep, ref, manifestTarget(ref), subject, { digest: ref.digest }, requestOpts.signal));
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
                if (res.statusCode !== 200)
                    throw await transport.errorFor(ep, res, subject);
                discard(res.body);
                const dcd = res.headers['docker-content-digest'];
                const served = Array.isArray(dcd) ? dcd[0] : dcd;
                if (served === undefined || (0,oci_digest/* isDigest */.Bc)(served))
                    return served;
                log.debug(`manifest ${subject}: ignoring malformed Docker-Content-Digest on HEAD`);
                return undefined;
            });
        },
        async manifest(repo, descriptor, requestOpts = {}) {
            const subject = `${repo.registry}/${repo.repository}@${descriptor.digest}`;
            const got = await onEndpoints(repo.registry, subject, (ep) => fetchManifest(ep, repo, descriptor.digest, subject, { digest: descriptor.digest, size: descriptor.size }, requestOpts.signal));
            return got.bytes;
        },
        async blob(repo, descriptor, request = {}) {
            const subject = `${repo.registry}/${repo.repository}@${descriptor.digest}`;
            const offset = request.offset ?? 0;
            if (!Number.isSafeInteger(offset) || offset < 0 || (offset > 0 && offset >= descriptor.size)) {
                throw new errors/* UsageError */.eb(`blob ${subject}: offset ${offset} is outside its ${descriptor.size} bytes`);
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
                let start;
                if (res.statusCode === 200) {
                    start = 0;
                }
                else if (res.statusCode === 206) {
                    const range = parseContentRange(res.headers['content-range']);
                    if (!range ||
                        range.start !== offset ||
                        range.end !== descriptor.size - 1 ||
                        (range.total !== undefined && range.total !== descriptor.size)) {
                        discard(res.body);
                        throw new RegistryError(`blob ${subject}: asked for bytes ${offset}- of ${descriptor.size}, got Content-Range ${JSON.stringify(res.headers['content-range'] ?? null)}`, { status: 206, code: 'RANGE_INVALID', temporary: false, url: redactUrl(res.url) });
                    }
                    start = offset;
                }
                else {
                    throw await transport.errorFor(ep, res, `blob ${subject}`);
                }
                const length = descriptor.size - start;
                const declared = contentLength(res);
                if (declared !== undefined && declared !== length) {
                    discard(res.body);
                    throw new errors/* DigestMismatchError */.h(`blob ${subject}: the registry announces ${declared} bytes from offset ${start}, its descriptor declares ${length} (of ${descriptor.size})`);
                }
                const limit = new LengthLimit(length, start, descriptor.size, subject);
                const body = (0,external_node_stream_.pipeline)(res.body, limit, () => { });
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
            if (!Number.isSafeInteger(start) ||
                !Number.isSafeInteger(end) ||
                start < 0 ||
                end <= start ||
                end > descriptor.size) {
                throw new errors/* UsageError */.eb(`blob ${subject}: range ${start}-${end} is outside its ${descriptor.size} bytes`);
            }
            const headers = { range: `bytes=${start}-${end - 1}` };
            const interpret = (res, location) => {
                const contentRange = res.headers['content-range'];
                const range = parseContentRange(contentRange);
                const exact = res.statusCode === 206 &&
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
                    throw new errors/* DigestMismatchError */.h(`blob ${subject}: the registry announces ${declared} bytes from offset ${from}, expected ${length} (of ${descriptor.size})`);
                }
                const body = (0,external_node_stream_.pipeline)(res.body, new LengthLimit(length, from, descriptor.size, subject), () => { });
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
                if (res.statusCode === 200 || res.statusCode === 206)
                    return interpret(res, request.location);
                discard(res.body);
                // An expired or revoked presigned URL: the registry hands out a fresh one.
                log.debug(`${subject}: ${redactUrl(request.location.url)} answered ${res.statusCode}; asking the registry again`);
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
            for (const repo of repos)
                transport.expectScopes(repo.registry, [`repository:${repo.repository}:pull`]);
        },
        rateFloor: opts.rateFloor,
        roundTripMs: (registry) => roundTrips.get(registry),
        // Every source still in use (the mirrors that answered first contact, then the registry).
        multiplexes: (registry) => [
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

// EXTERNAL MODULE: ./lib/hash/hash-pool.js + 1 modules
var hash_pool = __webpack_require__(5585);
;// CONCATENATED MODULE: ./lib/pull/budget.js
/**
 * The connection budget of a pull: at most `perHost` requests in flight to each registry host,
 * whatever they are for (a manifest, a small blob, one range of a big blob). Waiting work starts
 * by priority, highest first (the scheduler gives a blob its size, so big blobs start first and
 * the tail of the run is short), in arrival order among equals.
 *
 * Bulk work (the ranges of big blobs, through the view `bulk()` returns) is bandwidth-bound and
 * holds a connection for long; latency-bound work (manifests, small blobs) costs a round trip
 * each and unlocks more work. While a host's lane is open (see openLane), bulk work holds at
 * most `perHost - lane` connections, so latency-bound work always finds one free within a
 * request's time instead of waiting behind every range.
 */
/**
 * Connections per registry host unless told otherwise: a per-connection cap (a CDN's, or the
 * window over a 30 ms path) of ~25 MB/s times 8 is ~200 MB/s, about what a hosted runner's link
 * carries; more connections add load on the registry and little speed (see the README's
 * benchmark section).
 */
const DEFAULT_CONNECTIONS = 8;
/** Connections kept from bulk work while a lane is open: a quarter of the budget, one at least, none with one connection. */
function laneFor(perHost) {
    return perHost < 2 ? 0 : Math.max(1, Math.floor(perHost / 4));
}
/** How a bulk view shares its budget's queues (module-private: not an option callers pass). */
const SHARED = Symbol('shared');
class ConnectionBudget {
    perHost;
    /** Connections kept for latency-bound work while a host's lane is open. */
    lane;
    #hosts;
    #bulk;
    constructor(perHost, options = {}) {
        if (!Number.isInteger(perHost) || perHost < 1)
            throw new RangeError(`connections per host must be a whole number ≥ 1, got ${perHost}`);
        const lane = options.lane ?? 0;
        if (!Number.isInteger(lane) || lane < 0 || (lane > 0 && lane >= perHost))
            throw new RangeError(`a lane must be a whole number of connections below ${perHost}, got ${lane}`);
        this.perHost = perHost;
        this.lane = lane;
        this.#hosts = options[SHARED]?.hosts ?? new Map();
        this.#bulk = options[SHARED]?.bulk ?? false;
    }
    /** The same budget for bulk work: its run() holds no lane connection while the lane is open. */
    bulk() {
        return new ConnectionBudget(this.perHost, {
            lane: this.lane,
            [SHARED]: { hosts: this.#hosts, bulk: true },
        });
    }
    /** Runs `fn` holding one of `host`'s connections. */
    run(host, priority, fn) {
        return this.#queue(host).run(priority, this.#bulk, fn);
    }
    /**
     * Opens `host`'s lane until the returned function is called (again, harmlessly): while any
     * opener holds it, bulk work leaves `lane` connections to other work.
     */
    openLane(host) {
        const q = this.#queue(host);
        q.lanes++;
        let open = true;
        return () => {
            if (!open)
                return;
            open = false;
            q.lanes--;
            q.next();
        };
    }
    /**
     * Connections to `host` free now with nothing waiting for them: what splitting a blob could
     * use (for a bulk view, those bulk work may take).
     */
    idle(host) {
        const q = this.#hosts.get(host);
        if (!q)
            return this.perHost;
        const free = this.perHost - q.active - q.waiting;
        return Math.max(0, this.#bulk ? Math.min(free, q.bulkRoom()) : free);
    }
    /** Connections to `host` held now. */
    busy(host) {
        return this.#hosts.get(host)?.active ?? 0;
    }
    /** The most connections `host` held at once so far (0 when never used). */
    peak(host) {
        return this.#hosts.get(host)?.peak ?? 0;
    }
    #queue(host) {
        let q = this.#hosts.get(host);
        if (!q)
            this.#hosts.set(host, (q = new HostQueue(this.perHost, this.lane)));
        return q;
    }
}
class HostQueue {
    limit;
    lane;
    active = 0;
    bulkActive = 0;
    peak = 0;
    /** Openers of the lane (see ConnectionBudget.openLane). */
    lanes = 0;
    /** Sorted: highest priority first, then first come. */
    #waiting = [];
    #bulkWaiting = 0;
    constructor(limit, lane) {
        this.limit = limit;
        this.lane = lane;
    }
    run(priority, bulk, fn) {
        return new Promise((resolve, reject) => {
            const w = {
                priority,
                bulk,
                start: () => {
                    this.active++;
                    if (bulk)
                        this.bulkActive++;
                    this.peak = Math.max(this.peak, this.active);
                    Promise.resolve()
                        .then(fn)
                        .then(resolve, reject)
                        .finally(() => {
                        this.active--;
                        if (bulk)
                            this.bulkActive--;
                        this.next();
                    });
                },
            };
            let i = this.#waiting.length;
            while (i > 0 && this.#waiting[i - 1].priority < priority)
                i--;
            this.#waiting.splice(i, 0, w);
            if (bulk)
                this.#bulkWaiting++;
            this.next();
        });
    }
    get waiting() {
        return this.#waiting.length;
    }
    /** Connections bulk work may still take: all but the lane's while the lane is open. */
    bulkRoom() {
        return Math.max(0, this.limit - (this.lanes > 0 ? this.lane : 0) - this.bulkActive - this.#bulkWaiting);
    }
    /** Starts waiting work while connections are free: the first in order that may run (bulk work only outside the lane). */
    next() {
        while (this.active < this.limit) {
            const bulkMay = this.bulkActive < this.limit - (this.lanes > 0 ? this.lane : 0);
            const i = this.#waiting.findIndex((w) => bulkMay || !w.bulk);
            if (i < 0)
                return;
            const [w] = this.#waiting.splice(i, 1);
            if (w.bulk)
                this.#bulkWaiting--;
            w.start();
        }
    }
}

;// CONCATENATED MODULE: ./lib/pull/download.js








/**
 * Bytes gathered from the network before they go to disk in one writev(): while one batch is
 * being written the next one fills, so the socket and the disk work at the same time, and at
 * most two batches per download are held in memory. Each write is a round trip to libuv's
 * thread pool (and, for ranges, a record update): 1 MiB took 8-19% less main-thread CPU per
 * byte than 256 KiB on loopback; 2 and 4 MiB no less than 1 MiB.
 */
const WRITE_BATCH_BYTES = 1024 * 1024;
/**
 * A batch that is not full goes to disk this long after its first byte came, even when no
 * byte follows (a stalled connection): what arrived is on disk for a resume, whatever happens
 * to the process next.
 */
const WRITE_BATCH_MAX_MS = 100;
/**
 * Makes `descriptor`'s blob present and valid in the layout: reuses it when it is already
 * there and verified, else downloads it into `<hex>.download` (resuming an earlier partial with
 * a Range request), hashing as it streams, and renames it into place only when it matches.
 * Wrong bytes (a digest or size mismatch, after a resume or not) are deleted and the download
 * starts over from zero once; a transfer that breaks keeps what arrived for the next run.
 */
async function ensureBlob(layout, client, repo, descriptor, options) {
    return underBlobLock(layout, descriptor, options.valid, async () => {
        // The lock may have been a long wait: the image that wanted the blob may have failed since.
        options.signal?.throwIfAborted();
        let fetched = 0;
        let resumed = 0;
        for (let attempt = 0;; attempt++) {
            let writer = await BlobWriter.open(layout, descriptor, { resume: attempt === 0 });
            try {
                if (writer.complete) {
                    // Every byte is here already: renamed when it matches, else (DigestMismatchError) fetched again.
                    await writer.commit();
                    options.valid.add(descriptor.digest);
                    return { fetched: 0, cached: false, resumed: writer.offset };
                }
                const response = await client.blob(repo, descriptor, {
                    ...(writer.offset > 0 ? { offset: writer.offset } : {}),
                    ...(options.signal ? { signal: options.signal } : {}),
                });
                if (response.start !== writer.offset) {
                    // The server ignored the Range request: start over with the whole body.
                    await writer.discard();
                    writer = await BlobWriter.open(layout, descriptor, { resume: false });
                }
                else
                    resumed = writer.offset;
                await copyInBatches(response.body, client.rateFloor, (chunks) => writer.writev(chunks), {
                    onChunk: (n) => {
                        fetched += n;
                        options.onBytes?.(n);
                    },
                });
                await writer.commit();
                options.valid.add(descriptor.digest);
                return { fetched, cached: false, resumed };
            }
            catch (err) {
                if (err instanceof errors/* DigestMismatchError */.h) {
                    // Proven wrong (a corrupted transfer, a bad partial, a registry sending too much):
                    // never kept, and worth one fresh download.
                    await writer.discard();
                    if (attempt === 0)
                        continue;
                    throw err;
                }
                // Keep the partial for the next run: its bytes are checked by the final digest.
                await writer.close();
                throw transferFailure(err, repo, descriptor, writer.written, options.signal);
            }
        }
    });
}
/**
 * What every download starts with: a blob known valid in this run needs nothing; otherwise,
 * under the blob's download lock (another process may be fetching it), one already present and
 * valid is reused, and only a blob still missing is handed to `fetch`.
 */
async function underBlobLock(layout, descriptor, valid, fetch, onLockBusy) {
    if (valid.has(descriptor.digest))
        return { fetched: 0, cached: true, resumed: 0 };
    const lock = await layout.lockBlob(descriptor.digest, onLockBusy ? { onBusy: onLockBusy } : {});
    try {
        const hashed = !valid.has(descriptor.digest);
        if (await isPresentAndValid(layout, descriptor, valid))
            return { fetched: 0, cached: true, resumed: 0, hashed };
        return await fetch();
    }
    finally {
        await lock.release();
    }
}
/**
 * Streams `body`, through the rate floor, to `write` in batches of about WRITE_BATCH_BYTES (or
 * what arrived within `maxWaitMs`, so a slow connection's bytes do not wait long), one write in
 * flight while the next batch fills, so the socket and the disk work at the same time. When the
 * body fails halfway, everything that did arrive is still written (the next run resumes right
 * after it), then the error is thrown. `onChunk` hears of each chunk as it arrives.
 *
 * A Readable (a response body) is read by its events, paused while a full batch waits for the
 * write before it: no promise per chunk, only per batch. Any other iterable is iterated.
 */
async function copyInBatches(body, floor, write, options = {}) {
    const batches = new Batches(write, options.maxWaitMs ?? WRITE_BATCH_MAX_MS);
    let readError;
    try {
        if (body instanceof external_node_stream_.Readable)
            await readByEvents(body, floor, batches, options.onChunk);
        else {
            for await (const chunk of floored(body, floor)) {
                options.onChunk?.(chunk.length);
                if (batches.add(chunk))
                    await batches.send();
            }
        }
    }
    catch (err) {
        readError = err;
    }
    await batches.finish();
    if (readError !== undefined)
        throw readError;
}
/** Chunks gathered into batches, each written after the one before it (one write at a time). */
class Batches {
    write;
    maxWaitMs;
    #chunks = [];
    #bytes = 0;
    #started = 0;
    /** Sends the batch once it waited maxWaitMs, when no chunk came to send it. */
    #timer;
    /** The last write started; a failed write fails every later one too (they never run). */
    #tail = Promise.resolve();
    constructor(write, maxWaitMs) {
        this.write = write;
        this.maxWaitMs = maxWaitMs;
    }
    /** Adds a chunk; true when the batch should go (full, or its first byte waited long enough). */
    add(chunk) {
        if (this.#bytes === 0) {
            this.#started = performance.now();
            this.#timer = setTimeout(() => void this.send(), this.maxWaitMs);
            this.#timer.unref();
        }
        this.#chunks.push(chunk);
        this.#bytes += chunk.length;
        return this.#bytes >= WRITE_BATCH_BYTES || performance.now() - this.#started >= this.maxWaitMs;
    }
    /**
     * Queues the batch behind the write in flight; resolves once that earlier write is done
     * (rejects with its failure), so at most two batches are held.
     */
    send() {
        clearTimeout(this.#timer);
        const before = this.#tail;
        if (this.#bytes === 0)
            return before;
        const [chunks, bytes] = [this.#chunks, this.#bytes];
        this.#chunks = [];
        this.#bytes = 0;
        this.#tail = before.then(() => this.write(chunks, bytes));
        // Awaited by finish(); a failure must not count as unhandled meanwhile.
        this.#tail.catch(() => { });
        return before;
    }
    /** Writes what is left and waits for every write; throws the first write's failure. */
    async finish() {
        if (this.#bytes > 0)
            void this.send();
        await this.#tail;
    }
}
/**
 * Feeds `body`'s chunks to `batches` as its 'data' events come, pausing it while a full batch
 * waits for the write before it; resolves at its end, rejects (destroying it) on its error, a
 * write's failure, or the rate floor.
 */
function readByEvents(body, floor, batches, onChunk) {
    return new Promise((resolve, reject) => {
        const watch = new FloorWatch(floor);
        let held = false;
        let done = false;
        const stop = (err) => {
            if (done)
                return;
            done = true;
            body.off('data', onData);
            untrack();
            if (err === undefined)
                return resolve();
            body.destroy();
            reject(err);
        };
        const onData = (chunk) => {
            const tooSlow = watch.arrived(chunk.length); // the chunk is kept all the same
            onChunk?.(chunk.length);
            if (batches.add(chunk) && !held) {
                held = true;
                body.pause();
                batches.send().then(() => {
                    held = false;
                    if (done)
                        return;
                    watch.asking();
                    body.resume();
                }, stop);
            }
            if (tooSlow)
                return stop(tooSlow);
            if (!held)
                watch.asking();
        };
        const untrack = (0,external_node_stream_.finished)(body, (err) => stop(err ?? undefined));
        body.on('data', onData);
    });
}
/** What the disk said, in words, by errno code: these are failures of the cache, not of the network. */
const DISK_ERRORS = {
    EISDIR: 'a directory is in the way',
    ENOTDIR: 'a file is in the way of a directory',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENAMETOOLONG: 'the path is too long',
};
/**
 * A blob that could not be written or put in place because of the disk (a directory sitting at
 * the blob's name, a full disk): one line naming the blob, the path and what to do; undefined
 * for anything else. Raw errno text (`EISDIR: illegal operation on a directory, rename …`)
 * would read as a network failure with its "kept for the next pull".
 */
function diskFailure(err, repo, descriptor) {
    const e = err;
    const what = typeof e?.code === 'string' ? DISK_ERRORS[e.code] : undefined;
    if (!what || typeof e.syscall !== 'string')
        return undefined;
    const at = e.code === 'EISDIR' && e.dest ? e.dest : e.path;
    return new errors/* GuardError */.U$(`${blobSubject(repo, descriptor)}: cannot write it into the cache: ${what}${at ? ` at ${at}` : ''} (${e.code} on ${e.syscall}); fix that and pull again`, { cause: err });
}
/** `blob registry/repository@digest`: how download messages name a blob. */
function blobSubject(repo, descriptor) {
    return `blob ${repo.registry}/${repo.repository}@${descriptor.digest}`;
}
/**
 * A blob transfer that broke, as one line: the blob, what went wrong, and how many of its
 * bytes are kept for the next pull to resume. Whole-blob and ranged downloads both say it so.
 * A GuardError (already one line) and anything after an abort are returned as they are.
 */
function transferFailure(err, repo, descriptor, kept, signal) {
    if (signal?.aborted || err instanceof errors/* GuardError */.U$)
        return err;
    const disk = diskFailure(err, repo, descriptor);
    if (disk)
        return disk;
    const message = `${blobSubject(repo, descriptor)}: ${networkMessage(err)}; ${kept} of ${descriptor.size} bytes kept for the next pull`;
    return new RegistryError(message, { temporary: true, cause: err });
}
/**
 * A blob already under its final name is reused only after hashing proves it. Only a file
 * proven wrong (it hashes to another digest) is deleted. A valid blob of another size than
 * the descriptor declares (the descriptor is what is wrong), or a file longer than declared
 * (not hashed to its end), is kept: a download renames over it only bytes that match.
 */
async function isPresentAndValid(layout, descriptor, valid) {
    if (valid.has(descriptor.digest))
        return true;
    const path = layout.blobPath(descriptor.digest);
    const result = await (0,hash_pool/* hashFileInline */.ap)(path, (0,oci_digest/* digestAlgorithm */.g4)(descriptor.digest), {
        maxBytes: descriptor.size,
    });
    if (!result.ok)
        return false;
    if (result.hex !== (0,oci_digest/* digestHex */.sU)(descriptor.digest)) {
        await (0,promises_.unlink)(path).catch(() => { }); // proven wrong: it must not stay under this name
        return false;
    }
    if (result.size !== descriptor.size)
        return false;
    valid.add(descriptor.digest);
    return true;
}

// EXTERNAL MODULE: external "node:events"
var external_node_events_ = __webpack_require__(8474);
;// CONCATENATED MODULE: ./lib/layout/intervals.js
/** `list` with `[start, end)` added (merged with what it overlaps or touches). */
function addInterval(list, start, end) {
    if (end <= start)
        return list;
    const out = [];
    let s = start;
    let e = end;
    let placed = false;
    for (const [a, b] of list) {
        if (b < s)
            out.push([a, b]);
        else if (a > e) {
            if (!placed) {
                out.push([s, e]);
                placed = true;
            }
            out.push([a, b]);
        }
        else {
            s = Math.min(s, a);
            e = Math.max(e, b);
        }
    }
    if (!placed)
        out.push([s, e]);
    return out;
}
/** The gaps of `list` within `[0, size)`. */
function gaps(list, size) {
    const out = [];
    let at = 0;
    for (const [a, b] of list) {
        if (a > at)
            out.push([at, Math.min(a, size)]);
        at = Math.max(at, b);
        if (at >= size)
            break;
    }
    if (at < size)
        out.push([at, size]);
    return out;
}
/** Where the run of covered bytes that contains `from` ends (`from` itself when it is not covered). */
function coveredFrom(list, from) {
    for (const [a, b] of list)
        if (a <= from && from < b)
            return b;
    return from;
}
/** Bytes covered. */
function coveredBytes(list) {
    return list.reduce((n, [a, b]) => n + (b - a), 0);
}
/**
 * Parses what JSON gave us as intervals within `[0, size)`: whole numbers, each non-empty,
 * in order, not touching. Undefined when it is anything else.
 */
function parseIntervals(v, size) {
    if (!Array.isArray(v))
        return undefined;
    let at = -1;
    const out = [];
    for (const pair of v) {
        if (!Array.isArray(pair) || pair.length !== 2)
            return undefined;
        const [a, b] = pair;
        if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b))
            return undefined;
        const [s, e] = [a, b];
        if (s <= at || e <= s || e > size)
            return undefined;
        out.push([s, e]);
        at = e;
    }
    return out;
}

;// CONCATENATED MODULE: ./lib/layout/ranged-writer.js










/** Read size when hashing bytes back from disk. */
const READ_BYTES = 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
/**
 * Written bytes that start a flush to disk in the background, so the fsync before the rename
 * has little left to write (that wait would otherwise be the whole blob's, after its last byte).
 */
const EARLY_FLUSH_BYTES = 16 * 1024 * 1024;
/**
 * Writes one blob whose bytes arrive out of order (ranges fetched in parallel) so that no wrong
 * byte ever appears under its final name. Bytes go to `<hex>.download` at their offsets; a small
 * record beside it, `<hex>.download.ranges` (JSON), lists the byte intervals written, so a
 * killed pull resumes only what is missing. It is rewritten after every write (one at a time,
 * the next one covering all that landed meanwhile, each one positional write), so a kill loses
 * only what was still in flight. Neither the partial nor the record is fsynced: a killed
 * process loses nothing the kernel took, and what a crashed machine lost is caught by the digest
 * check before the rename (the blob is then fetched again), so the promise holds without paying
 * for a disk flush per record. (The partial is flushed in the background every
 * EARLY_FLUSH_BYTES, for speed only.) A partial without a record (one of BlobWriter's, written
 * in order) counts as a prefix.
 *
 * Hashing follows the contiguous prefix as it grows: bytes written right at its end are hashed
 * from memory; bytes that landed ahead of it are read back from disk (the page cache) once the
 * prefix reaches them, so no second pass is needed after the last range. After a resume the
 * prefix already on disk is hashed once from disk. The file is renamed to `<hex>` only when its
 * size and digest match. The caller holds the blob's lock (`layout.lockBlob`).
 */
class RangedWriter {
    descriptor;
    /** Bytes on disk from an earlier run, when opened. */
    resumed;
    #fh;
    #partial;
    #recordPath;
    #record;
    #final;
    #hash;
    /** Bytes [0, #hashed) are hashed. */
    #hashed = 0;
    #landed;
    #catchingUp;
    #hashError;
    #readBuffer;
    #recording = Promise.resolve();
    #recordQueued = false;
    #recordError;
    /** Bytes written since the last early flush started; the one under way. */
    #unflushed = 0;
    #flushing;
    constructor(layout, descriptor, fh, record, landed) {
        this.descriptor = descriptor;
        this.#fh = fh;
        this.#record = record;
        this.#partial = layout.partialPath(descriptor.digest);
        this.#recordPath = layout.rangesPath(descriptor.digest);
        this.#final = layout.blobPath(descriptor.digest);
        this.#hash = (0,external_node_crypto_.createHash)((0,oci_digest/* digestAlgorithm */.g4)(descriptor.digest));
        this.#landed = landed;
        this.resumed = coveredBytes(landed);
        this.#kick();
    }
    /** Opens the partial, resuming what an earlier run left when its record (or order) vouches for it. */
    static async open(layout, descriptor) {
        const landed = await resumable(layout, descriptor);
        // The record exists before any byte lands out of order: a partial with holes always has one.
        // A write the permissions refuse is one line (cannotWrite), as everywhere in the layout.
        const recordPath = layout.rangesPath(descriptor.digest);
        const record = await RangeRecord.create(recordPath, descriptor.size, landed).catch((err) => {
            throw (0,layout_layout/* cannotWrite */.zz)(err);
        });
        const flags = external_node_fs_.constants.O_RDWR | external_node_fs_.constants.O_CREAT | external_node_fs_.constants.O_NOFOLLOW;
        const fh = await (0,promises_.open)(layout.partialPath(descriptor.digest), flags, 0o644).catch(async (err) => {
            await record.close();
            throw (0,layout_layout/* cannotWrite */.zz)(err);
        });
        if (landed.length === 0)
            await (0,atomic/* closingOnError */.$X)(() => fh.truncate(0), fh, record);
        return new RangedWriter(layout, descriptor, fh, record, landed);
    }
    /** The byte intervals still to fetch. */
    missing() {
        return gaps(this.#landed, this.descriptor.size);
    }
    /** Bytes on disk so far (resumed and new). */
    get landed() {
        return coveredBytes(this.#landed);
    }
    /** Writes `chunks` at `position` (all of them: short writes are continued), then hashes what it can. */
    async write(position, chunks) {
        let length = 0;
        for (const c of chunks)
            length += c.length;
        if (position < 0 || position + length > this.descriptor.size) {
            throw new errors/* DigestMismatchError */.h(`blob ${(0,oci_digest/* shortDigest */.VK)(this.descriptor.digest)}: bytes ${position}-${position + length} lie outside its ${this.descriptor.size} bytes`);
        }
        await writevAll(this.#fh, chunks, position, this.#partial);
        if (!this.#catchingUp && position === this.#hashed) {
            for (const c of chunks)
                this.#hash.update(c);
            this.#hashed += length;
        }
        this.#landed = addInterval(this.#landed, position, position + length);
        this.#kick();
        this.#saveRecord();
        this.#flushEarly(length);
    }
    /**
     * Forgets everything on disk and starts over from byte 0 (the server does not do ranges:
     * its bytes come as one stream, never mixed with ranges fetched before).
     */
    async restart() {
        await this.#idle();
        this.#landed = [];
        this.#hash = (0,external_node_crypto_.createHash)((0,oci_digest/* digestAlgorithm */.g4)(this.descriptor.digest));
        this.#hashed = 0;
        this.#hashError = undefined;
        await this.#recording;
        await this.#record.write([]);
        await this.#fh.truncate(0);
    }
    /**
     * Checks size and digest, fsyncs and renames into place and removes the record. On a
     * mismatch the partial and its record are deleted and DigestMismatchError thrown; on any
     * other failure (reading back, the flush) the writer is closed, keeping what landed.
     */
    async commit() {
        try {
            await this.#check();
        }
        catch (err) {
            // Proven wrong bytes go; any other failure keeps what landed for the next run.
            await (err instanceof errors/* DigestMismatchError */.h ? this.discard() : this.close());
            throw err;
        }
        await this.#fh.close();
        await this.#record.close();
        await (0,promises_.rename)(this.#partial, this.#final);
        await (0,promises_.unlink)(this.#recordPath).catch(() => { });
        await (0,atomic/* syncDir */.ty)(external_node_path_.dirname(this.#final));
    }
    /** Size and digest match, and the partial is on disk: what commit needs before the rename. */
    async #check() {
        const { size, digest } = this.descriptor;
        // The flush to disk runs while the hash catches up with the ranges that landed ahead of the
        // prefix (most of the blob when its ranges finish together): the two take about as long.
        const [flushed, caughtUp] = await Promise.allSettled([
            this.#fh.sync(),
            this.#idle().then(() => this.#recording),
        ]);
        if (caughtUp.status === 'rejected')
            throw caughtUp.reason;
        const stat = await this.#fh.stat();
        const complete = this.#hashed === size && stat.size === size;
        const hex = complete ? this.#hash.digest('hex') : undefined;
        if (hex !== (0,oci_digest/* digestHex */.sU)(digest)) {
            throw new errors/* DigestMismatchError */.h(hex === undefined
                ? `blob ${(0,oci_digest/* shortDigest */.VK)(digest)} incomplete: ${this.landed} of ${size} bytes`
                : `blob ${(0,oci_digest/* shortDigest */.VK)(digest)} digest mismatch: got ${(0,oci_digest/* digestAlgorithm */.g4)(digest)}:${hex.slice(0, 12)}…`);
        }
        if (flushed.status === 'rejected')
            throw flushed.reason;
    }
    /** Stops writing and records everything that landed, so the next run resumes it. */
    async close() {
        await this.#idle().catch(() => { });
        this.#saveRecord();
        await this.#recording.catch(() => { });
        await this.#record.close().catch(() => { });
        await this.#fh.close().catch(() => { });
    }
    /** Stops writing and deletes the partial and its record. */
    async discard() {
        await this.#idle().catch(() => { });
        await this.#recording.catch(() => { });
        await this.#record.close().catch(() => { });
        await this.#fh.close().catch(() => { });
        await (0,promises_.unlink)(this.#partial).catch(() => { });
        await (0,promises_.unlink)(this.#recordPath).catch(() => { });
    }
    /** Waits until the hash has caught up with what landed and no early flush runs; throws when reading back failed. */
    async #idle() {
        while (this.#catchingUp)
            await this.#catchingUp;
        await this.#flushing;
        if (this.#hashError !== undefined)
            throw this.#hashError;
        if (this.#recordError !== undefined)
            throw this.#recordError;
    }
    /** Starts hashing landed bytes beyond the prefix from disk, unless that is under way. */
    #kick() {
        if (this.#catchingUp || this.#hashError !== undefined)
            return;
        if (coveredFrom(this.#landed, this.#hashed) <= this.#hashed)
            return;
        this.#catchingUp = this.#catchUp()
            .catch((err) => {
            this.#hashError = err;
        })
            .finally(() => {
            this.#catchingUp = undefined;
            this.#kick();
        });
    }
    async #catchUp() {
        const buf = (this.#readBuffer ??= Buffer.allocUnsafe(READ_BYTES));
        for (;;) {
            const end = coveredFrom(this.#landed, this.#hashed);
            if (end <= this.#hashed)
                return;
            const want = Math.min(buf.length, end - this.#hashed);
            const { bytesRead } = await this.#fh.read(buf, 0, want, this.#hashed);
            if (bytesRead === 0)
                throw new Error(`${this.#partial} is shorter than what was written to it`);
            this.#hash.update(buf.subarray(0, bytesRead));
            this.#hashed += bytesRead;
        }
    }
    /** Starts a background flush once EARLY_FLUSH_BYTES were written since the last (its failure is the final fsync's to report). */
    #flushEarly(written) {
        this.#unflushed += written;
        if (this.#unflushed < EARLY_FLUSH_BYTES || this.#flushing)
            return;
        this.#unflushed = 0;
        const done = () => (this.#flushing = undefined);
        this.#flushing = this.#fh.datasync().then(done, done);
    }
    /**
     * Queues a record of what has landed (one at most waits behind the one being written; it
     * looks at what landed when its turn comes).
     */
    #saveRecord() {
        if (this.#recordQueued)
            return;
        this.#recordQueued = true;
        this.#recording = this.#recording
            .then(async () => {
            this.#recordQueued = false;
            await this.#record.write(this.#landed);
        })
            .catch((err) => {
            this.#recordError ??= err;
        });
    }
}
/**
 * What an earlier run left that can be trusted: the intervals its record lists (within the
 * partial's size), or a partial without a record as a prefix. A record that does not parse,
 * or a partial longer than the blob, is deleted with its partial.
 */
async function resumable(layout, descriptor) {
    const partialPath = layout.partialPath(descriptor.digest);
    const recordPath = layout.rangesPath(descriptor.digest);
    const partial = await (0,promises_.lstat)(partialPath).catch(() => undefined);
    const text = await layout.readSmallFile(recordPath, MAX_RECORD_BYTES).catch(() => undefined);
    const forget = async () => {
        if (partial)
            await (0,promises_.unlink)(partialPath).catch(() => { }); // a symlink itself, never its target
        return [];
    };
    if (!partial?.isFile() || partial.size > descriptor.size)
        return forget();
    if (text === undefined)
        return partial.size > 0 ? [[0, partial.size]] : [];
    let doc;
    try {
        doc = JSON.parse(text);
    }
    catch {
        return forget();
    }
    const done = doc.size === descriptor.size ? parseIntervals(doc.done, descriptor.size) : undefined;
    if (!done)
        return forget();
    return done.filter(([, end]) => end <= partial.size);
}
/**
 * A `<hex>.download.ranges` record: created whole (written to a temp name, then renamed), then
 * rewritten in place by one positional write of all its text, padded with spaces to the longest
 * it has been, so a killed process leaves the old text or the new one, never a mix. (A machine
 * that crashes may tear it: a record that does not parse drops its partial.)
 */
class RangeRecord {
    fh;
    size;
    #length;
    constructor(fh, size, length) {
        this.fh = fh;
        this.size = size;
        this.#length = length;
    }
    static async create(target, size, done) {
        const text = recordText(size, done);
        const tmp = `${target}.tmp`;
        const flags = external_node_fs_.constants.O_WRONLY | external_node_fs_.constants.O_CREAT | external_node_fs_.constants.O_TRUNC | external_node_fs_.constants.O_NOFOLLOW;
        const created = await (0,promises_.open)(tmp, flags, 0o644);
        try {
            try {
                await created.writeFile(text);
            }
            finally {
                await created.close();
            }
            await (0,promises_.rename)(tmp, target);
        }
        catch (err) {
            await (0,promises_.unlink)(tmp).catch(() => { });
            throw err;
        }
        const fh = await (0,promises_.open)(target, external_node_fs_.constants.O_WRONLY | external_node_fs_.constants.O_NOFOLLOW);
        return new RangeRecord(fh, size, Buffer.byteLength(text));
    }
    async write(done) {
        const text = recordText(this.size, done);
        const bytes = Buffer.from(`${text.slice(0, -1).padEnd(this.#length - 1)}\n`);
        this.#length = bytes.length;
        const { bytesWritten } = await this.fh.write(bytes, 0, bytes.length, 0);
        if (bytesWritten !== bytes.length)
            throw new Error(`short write to a download record (${bytesWritten} of ${bytes.length} bytes)`);
    }
    close() {
        return this.fh.close();
    }
}
const recordText = (size, done) => `${JSON.stringify({ size, done })}\n`;

;// CONCATENATED MODULE: ./lib/pull/split.js
/**
 * Whether the rest of a blob goes in ranges: decided from what its first request shows (the
 * rate one connection gets, the round trip before its first byte) and from the connections of
 * the budget, never from size alone. A pure function of those figures.
 *
 * The model: the request under way (the lead) keeps streaming; `k` more connections each start
 * a range one round trip later at the same rate. With R bytes left at rate r, whole takes R/r;
 * split takes T = (R/r + k·rtt) / (k + 1), the lead's share about r·T bytes (an estimate: the
 * download lets lead and ranges meet wherever their rates put them). Splitting pays
 * when it saves at least `minGainMs`. A connection already faster than `fastBytesPerSecond` is
 * not capped in a way more connections fix (next to a mirror, on loopback: the CPU is the
 * limit there, and ranges cost CPU), so it stays whole.
 *
 * `k` is every other connection of the budget, busy or not: the ranges queue for them with the
 * blob's priority, each taking its piece only once it holds a connection, so a range that waits
 * costs nothing and one that starts late finds what the lead has not reached yet.
 */

const MiB = 1024 * 1024;
/** See docs/benchmarks.md ("Which way a blob goes") for the reasons behind these. */
const SPLIT_DEFAULTS = Object.freeze({
    speculateAfterMs: 25,
    farRoundTripMs: 25,
    // Not less: a late timer or a coalesced read hands over a few hundred kB at once, which over a
    // short window reads as a fast connection (a capped 60 MB layer then went whole, 2.4 s, in the
    // WAN bench). 4 MiB come in 4 ms at loopback speed and outlast such a burst.
    windowBytes: 4 * MiB,
    windowMs: 50,
    fastBytesPerSecond: 100_000_000,
    minGainMs: 150,
    minRangeBytes: 2 * MiB,
});
function decideSplit(f, rule = SPLIT_DEFAULTS) {
    if (f.received <= 0 || (f.received < rule.windowBytes && f.elapsedMs < rule.windowMs))
        return { kind: 'wait' };
    if (f.elapsedMs <= 0)
        return { kind: 'whole', reason: () => `${(0,format/* formatBytes */.z3)(f.received)} came at once: not capped` };
    const rate = (f.received * 1000) / f.elapsedMs;
    if (rate >= rule.fastBytesPerSecond) {
        return {
            kind: 'whole',
            reason: () => `one connection gets ${(0,format/* formatRate */.CE)(rate)}, at least ${(0,format/* formatRate */.CE)(rule.fastBytesPerSecond)}: not capped`,
        };
    }
    const wholeMs = (f.remaining * 1000) / rate;
    const left = () => `${(0,format/* formatBytes */.z3)(f.remaining)} left at ${(0,format/* formatRate */.CE)(rate)} take ${(0,format/* formatDuration */.a3)(wholeMs)}`;
    const k = f.others;
    if (k < 1)
        return { kind: 'whole', reason: () => 'one connection per registry' };
    // While the rest of the run keeps every connection busy longer than this blob takes, ranges
    // would only queue behind it and cost requests: asked again with later bytes, it splits once
    // it is the tail.
    const othersMs = f.othersMs;
    if (othersMs !== undefined && othersMs > 0 && wholeMs <= othersMs)
        return {
            kind: 'wait',
            reason: () => `${left()}; the run's other downloads take ${(0,format/* formatDuration */.a3)(othersMs)}: ranges would only wait behind them`,
        };
    const rtt = Math.max(0, f.firstByteMs);
    const splitMs = (wholeMs + k * rtt) / (k + 1);
    const leadBytes = Math.ceil((rate * splitMs) / 1000);
    if (wholeMs - splitMs < rule.minGainMs ||
        f.remaining < 2 * rule.minRangeBytes ||
        f.remaining - leadBytes < rule.minRangeBytes) {
        return {
            kind: 'whole',
            reason: () => `${left()}; over ${k + 1} connections about ${(0,format/* formatDuration */.a3)(splitMs)}: ranges would save too little`,
        };
    }
    return {
        kind: 'split',
        leadBytes,
        connections: k,
        reason: () => `${left()} on one connection, about ${(0,format/* formatDuration */.a3)(splitMs)} over ${k + 1}`,
    };
}

;// CONCATENATED MODULE: ./lib/pull/ranged.js
/**
 * Big blobs in parallel ranges: the network side of RangedWriter. One connection is capped
 * (by a CDN, by the window over a long path); a blob split into ranges fetched at once rides
 * several, inside the run's connection budget.
 */








const ranged_MiB = 1024 * 1024;
/** See the README's benchmark section for the measurements behind these. */
const RANGED_DEFAULTS = Object.freeze({
    thresholdBytes: 16 * ranged_MiB,
    split: 'when-it-pays',
    minRangeBytes: 2 * ranged_MiB,
    maxRangeBytes: 16 * ranged_MiB,
});
/**
 * Bytes that arrived wait at most this long before they are written and recorded: what a kill
 * can lose of a connection's bytes. A connection this short of filling a batch (WRITE_BATCH_BYTES)
 * in that time (under 100 MB/s: a capped or distant one) writes smaller batches: at 25 MB/s
 * about 250 kB, so a kill loses well under 1 MB per connection.
 */
const BATCH_MAX_MS = 10;
/** Tries per range (a cut, a wrong Content-Range, a network error) before the blob's download gives up. */
const RANGE_ATTEMPTS = 3;
/**
 * Whether a blob goes through ensureBigBlob (which may split it): big enough, and more than one
 * connection to share; or a ranged partial to resume.
 */
async function wantsRanges(layout, descriptor, ctx) {
    if (bigEnoughForRanges(descriptor, ctx))
        return true;
    return (await (0,promises_.lstat)(layout.rangesPath(descriptor.digest)).catch(() => undefined)) !== undefined;
}
/** Big enough to go in ranges, with more than one connection to share. */
function bigEnoughForRanges(descriptor, ctx) {
    return descriptor.size >= ctx.ranged.thresholdBytes && ctx.budget.perHost > 1;
}
/** Why a blob that ensureBigBlob does not take goes whole (for verbose output). */
function wholeReason(descriptor, ctx) {
    if (ctx.budget.perHost <= 1)
        return 'one connection per registry';
    return `${(0,format/* formatBytes */.z3)(descriptor.size)}, under ${(0,format/* formatBytes */.z3)(ctx.ranged.thresholdBytes)}`;
}
/** Bytes per range for a blob: its share of the connections, within [min, max]. */
function rangeSize(size, connections, o) {
    return Math.min(o.maxRangeBytes, Math.max(o.minRangeBytes, Math.ceil(size / connections)));
}
/**
 * ensureBlob's counterpart for big blobs: reuses the blob when it is already there and valid,
 * else fetches what is missing of it (resuming an earlier run's) as one request that splits
 * into ranges when that pays (see RangedDownload), and renames it into place only when size and
 * digest match. A whole-blob digest cannot say which range was wrong, so a mismatch starts the
 * blob over once. A transfer that fails keeps what landed for the next run. Holds no
 * connection while it waits for the blob's lock.
 */
async function ensureBigBlob(layout, client, repo, descriptor, ctx) {
    const fetching = underBlobLock(layout, descriptor, ctx.valid, async () => {
        let fetched = 0;
        const onBytes = (n) => {
            fetched += n;
            ctx.onBytes?.(n);
        };
        for (let attempt = 0;; attempt++) {
            const writer = await RangedWriter.open(layout, descriptor);
            try {
                await new RangedDownload(client, repo, descriptor, writer, { ...ctx, onBytes }).run();
            }
            catch (err) {
                await writer.close();
                throw transferFailure(err, repo, descriptor, writer.landed, ctx.signal);
            }
            try {
                await writer.commit();
            }
            catch (err) {
                if (err instanceof errors/* DigestMismatchError */.h && attempt === 0) {
                    ctx.logger?.info(`${blobSubject(repo, descriptor)}: ${err.message}; fetching it again`);
                    continue;
                }
                throw diskFailure(err, repo, descriptor) ?? err;
            }
            ctx.valid.add(descriptor.digest);
            return { fetched, cached: false, resumed: writer.resumed };
        }
    }, ctx.onQueued);
    return fetching.finally(() => ctx.onQueued?.());
}
/** A range answered with other bytes than asked for: worth asking again. */
class RangeRefused extends RegistryError {
}
/** One pass over what a RangedWriter is missing. */
class RangedDownload {
    client;
    repo;
    descriptor;
    writer;
    ctx;
    #location;
    /** Resolves true once a range came back as asked for. */
    #rangesConfirmed;
    #confirmRanges;
    #abort = new AbortController();
    #signal;
    #subject;
    constructor(client, repo, descriptor, writer, ctx) {
        this.client = client;
        this.repo = repo;
        this.descriptor = descriptor;
        this.writer = writer;
        this.ctx = ctx;
        this.#signal = ctx.signal ? AbortSignal.any([ctx.signal, this.#abort.signal]) : this.#abort.signal;
        // Every range in flight listens to it.
        (0,external_node_events_.setMaxListeners)(ctx.budget.perHost + 8, this.#signal);
        this.#subject = blobSubject(repo, descriptor);
        this.#rangesConfirmed = new Promise((resolve) => (this.#confirmRanges = () => resolve(true)));
    }
    async run() {
        const missing = this.writer.missing();
        const [gap] = missing;
        if (!gap)
            return;
        // One gap up to the end (a fresh blob, or one an earlier whole download left a prefix of):
        // one request first, ranges only if it pays. Holes an earlier ranged pull left: in ranges.
        if (this.ctx.ranged.split === 'always')
            return this.#inRanges(missing, 'always split');
        if (missing.length > 1 || gap[1] !== this.descriptor.size)
            return this.#inRanges(missing, 'resuming the ranges an earlier pull left');
        return this.#leadFirst(gap[0]);
    }
    /** Everything missing in ranges at once, the first one probing whether the server does ranges. */
    async #inRanges(missing, why) {
        const { budget, ranged } = this.ctx;
        const size = rangeSize(this.descriptor.size, budget.perHost, ranged);
        const todo = [];
        for (const [a, b] of missing)
            for (let s = a; s < b; s += size)
                todo.push([s, Math.min(b, s + size)]);
        const first = todo.shift();
        if (!first)
            return;
        this.ctx.logger?.debug(`${this.#subject}: ranged (${why}): ${todo.length + 1} ranges of up to ${size} bytes${this.writer.resumed ? ` (${this.writer.resumed} bytes resumed)` : ''}`);
        // The first range is the probe: its answer tells whether the server does ranges at all.
        // The other ranges queue for their connections at once and, holding them, wait for that
        // answer: a connection left to a small blob for the probe's round trip would be held for
        // that blob's whole transfer, and the big blob would get its connections one by one.
        let failure;
        const fail = (err) => {
            failure ??= err;
            this.#abort.abort();
        };
        const probe = this.#fetch(first, true);
        const ranges = Promise.race([
            this.#rangesConfirmed,
            probe.then((kind) => kind === 'range', () => false),
        ]);
        const worker = async () => {
            for (let r = todo.shift(); r && failure === undefined; r = todo.shift())
                if ((await this.#fetch(r, false, ranges).catch(fail)) === 'skipped')
                    return;
        };
        const workers = Math.min(budget.perHost - 1, todo.length);
        const all = Promise.all([probe.catch(fail), ...Array.from({ length: Math.max(1, workers) }, worker)]);
        this.ctx.onQueued?.(); // every range above is in the budget's queue now
        await all;
        if (failure !== undefined)
            throw failure;
    }
    /**
     * One request for everything from `from` (the lead). Once its first bytes show the rate and
     * decideSplit says splitting pays, what lies beyond is cut into pieces: ranges over the other
     * connections take them from the back, the lead goes on taking them from the front, so the
     * two meet wherever the rates put them (no estimate of the rate fixes the boundary).
     * Otherwise the lead brings the whole blob. When the lead has no answer within
     * `speculateAfterMs` (a far registry), ranges on the idle connections start on the last
     * pieces at once, while the rate is being learnt; a whole decision then only stops them
     * taking more, and the lead takes what they left.
     */
    async #leadFirst(from) {
        const { budget, ranged } = this.ctx;
        const size = this.descriptor.size;
        let failure;
        const fail = (err) => {
            failure ??= err;
            this.#abort.abort();
        };
        const workers = [];
        let running = 0;
        /** Sorted, not overlapping: the lead shifts from the front, ranges pop from the back. */
        const pieces = [];
        /** Ranges take no more pieces (the lead takes them). */
        let closed = false;
        /** One per piece a range took, settled when that range is done with it. */
        const taken = [];
        /** A piece a speculative range could not fetch (the server ignored Range): back, for the lead. */
        const giveBack = (piece) => {
            closed = true;
            pieces.push(piece);
            pieces.sort((a, b) => a[0] - b[0]);
        };
        // A range takes its piece only once it holds a connection: one still waiting for a
        // connection holds nothing away from the lead, and finds nothing left if the lead got there.
        const worker = async (speculative) => {
            running++;
            while (failure === undefined) {
                let done = () => { };
                const take = () => {
                    const piece = failure === undefined && !closed ? pieces.pop() : undefined;
                    if (piece)
                        taken.push(new Promise((resolve) => (done = resolve)));
                    return piece;
                };
                const got = await this.#fetch(take, false, undefined, speculative ? giveBack : undefined).catch(fail);
                done();
                if (got !== 'range')
                    break;
            }
            running--;
        };
        const start = (n, speculative) => {
            for (let i = 0; i < n; i++)
                workers.push(worker(speculative));
        };
        const lead = {
            speculate: (leadEnd, why) => {
                const idle = budget.idle(this.ctx.host);
                const piece = rangeSize(size - from, budget.perHost, ranged);
                const n = Math.min(idle, Math.floor((leadEnd - from) / piece) - 1);
                if (n < 1 || pieces.length > 0)
                    return leadEnd;
                const first = size - n * piece;
                for (let s = first; s < size; s += piece)
                    pieces.push([s, Math.min(size, s + piece)]);
                this.ctx.logger?.debug(`${this.#subject}: ${why}: ${n} ranges of ${piece} bytes start on the blob's last ${(0,format/* formatBytes */.z3)(size - first)} while its rate is learnt`);
                start(n, true);
                return first;
            },
            split: (boundary, leadEnd, connections) => {
                const cut = [];
                const step = rangeSize(size - boundary, connections + 1, ranged);
                for (let s = boundary; s < leadEnd; s += step)
                    cut.push([s, Math.min(leadEnd, s + step)]);
                pieces.unshift(...cut);
                this.ctx.logger?.debug(`${this.#subject}: ${pieces.length} pieces of up to ${step} bytes from byte ${boundary}: ranges take them from the back, the first request from the front`);
                start(Math.min(connections - running, pieces.length), false);
            },
            whole: () => {
                closed = true;
            },
            claim: (end) => {
                if (pieces[0]?.[0] !== end)
                    return undefined;
                return pieces.shift()[1];
            },
            quiesce: async () => {
                closed = true;
                await Promise.all(taken);
                pieces.length = 0;
            },
        };
        const leading = this.#lead(from, lead).catch(fail);
        this.ctx.onQueued?.(); // the lead is in the budget's queue now
        await leading;
        // Pieces left (the lead stopped at its end after a retry): ranges take them. None left:
        // only the ranges that took one matter; those still queued will find nothing.
        if (pieces.length > 0 && failure === undefined) {
            closed = false;
            start(Math.min(budget.perHost - 1, pieces.length), false);
            await Promise.all(workers);
        }
        await Promise.all(taken);
        if (failure !== undefined)
            throw failure;
    }
    /**
     * How long the run's other downloads take if every connection in use to the host goes at
     * `rate` (the lead's); undefined when the run says nothing of them.
     */
    #othersMs(remaining, rate) {
        const pending = this.ctx.pending?.();
        if (pending === undefined || !(rate > 0))
            return undefined;
        const busy = Math.max(1, this.ctx.budget.busy(this.ctx.host));
        return (Math.max(0, pending - remaining) * 1000) / (rate * busy);
    }
    /** The lead request (see #leadFirst), resuming after a failure from where it got to. */
    async #lead(from, hooks) {
        const { budget, host } = this.ctx;
        const size = this.descriptor.size;
        const rule = {
            ...SPLIT_DEFAULTS,
            minRangeBytes: this.ctx.ranged.minRangeBytes,
            ...this.ctx.ranged.rule,
        };
        /** Where the lead stops: the blob's end until ranges take pieces; then the end of the pieces it claimed. */
        let end = size;
        let splitAt;
        let settled = false;
        let reason = () => 'finished before its rate was known';
        let at = from;
        for (let attempt = 1;; attempt++) {
            try {
                await budget.run(host, this.ctx.priority ?? size, async () => {
                    const asked = performance.now();
                    /** Past `end` the lead claims pieces only while its body goes on to the blob's end. */
                    const open = end === size;
                    // A registry known far (its manifests were slow to answer) gets them with this request.
                    const roundTrip = this.client.roundTripMs?.(this.repo.registry);
                    const far = roundTrip !== undefined && roundTrip >= rule.farRoundTripMs;
                    const why = far ? `far (its manifests answered in ${Math.round(roundTrip)} ms)` : 'no answer yet';
                    const wait = far ? 0 : rule.speculateAfterMs;
                    const early = attempt === 1 && Number.isFinite(wait)
                        ? setTimeout(() => (end = hooks.speculate(end, why)), wait)
                        : undefined;
                    let res;
                    try {
                        res = await this.client.blobRange(this.repo, this.descriptor, {
                            start: at,
                            end,
                            location: this.#location,
                            signal: this.#signal,
                        });
                    }
                    finally {
                        clearTimeout(early);
                    }
                    this.#location = res.location;
                    if (res.kind !== 'range') {
                        if (!open || at !== from) {
                            if (res.kind === 'whole')
                                res.body.destroy();
                            throw new RangeRefused(`${this.#subject}: ${res.kind === 'whole' ? 'the server sent the whole blob for a range' : res.detail}`, { temporary: true });
                        }
                        settled = true;
                        const detail = res.kind === 'whole' ? 'the server ignores Range (HTTP 200)' : res.detail;
                        reason = () => detail;
                        await hooks.quiesce();
                        await this.#oneStream(res);
                        return;
                    }
                    this.#confirmRanges();
                    let received = at;
                    let firstAt;
                    let firstByteMs = 0;
                    let sinceFirst = 0;
                    /** Once the rest of the run outlasts the blob, the rule is asked again only this far on. */
                    let askAgainAt = 0;
                    const watch = (n) => {
                        received += n;
                        if (settled || received < askAgainAt)
                            return;
                        const now = performance.now();
                        if (firstAt === undefined) {
                            firstAt = now;
                            firstByteMs = now - asked;
                            return;
                        }
                        sinceFirst += n;
                        const elapsedMs = now - firstAt;
                        const remaining = end - received;
                        const d = decideSplit({
                            remaining,
                            received: sinceFirst,
                            elapsedMs,
                            firstByteMs,
                            others: budget.perHost - 1,
                            othersMs: this.#othersMs(remaining, (sinceFirst * 1000) / elapsedMs),
                        }, rule);
                        if (d.kind === 'wait') {
                            // Not the tail yet: the figures move little within a window's bytes.
                            if (d.reason) {
                                reason = d.reason;
                                askAgainAt = received + rule.windowBytes;
                            }
                            return;
                        }
                        reason = d.reason;
                        settled = true;
                        if (d.kind === 'whole')
                            return hooks.whole();
                        const leadEnd = end;
                        splitAt = end = received;
                        this.ctx.logger?.debug(`${this.#subject}: ranged after ${(0,format/* formatBytes */.z3)(received - from)}: ${reason()}`);
                        hooks.split(received, leadEnd, d.connections);
                    };
                    /** Past `end`, the next piece when it is still free. */
                    const more = () => {
                        const next = open ? hooks.claim(end) : undefined;
                        if (next !== undefined)
                            end = next;
                        return next !== undefined;
                    };
                    /** The body up to `end` (a split moves it while the bytes come). */
                    async function* upToEnd(body, pos) {
                        if (pos >= end && !more())
                            return;
                        for await (const chunk of body) {
                            let part = chunk;
                            while (part.length > 0) {
                                const take = part.length > end - pos ? part.subarray(0, end - pos) : part;
                                pos += take.length;
                                if (take.length > 0)
                                    yield take;
                                part = part.subarray(take.length);
                                if (pos >= end && !more())
                                    return;
                            }
                        }
                    }
                    await this.#copy(upToEnd(res.body, at), at, (n) => (at += n), watch);
                });
                if (splitAt === undefined)
                    this.ctx.logger?.debug(`${this.#subject}: whole: ${reason()}`);
                return;
            }
            catch (err) {
                if (this.#signal.aborted || attempt >= RANGE_ATTEMPTS || !retryable(err))
                    throw err;
                this.ctx.logger?.debug(`${this.#subject}: bytes ${at}-${end - 1}: ${(0,errors/* errorMessage */.gJ)(err)}; asking again (${attempt} of ${RANGE_ATTEMPTS})`);
            }
        }
    }
    /** The server does not do ranges: one stream from byte 0, never mixed with what came in ranges. */
    async #oneStream(res) {
        this.ctx.logger?.debug(`${this.#subject}: no ranges (${res.kind === 'whole' ? 'HTTP 200' : res.detail}); one stream`);
        await this.writer.restart();
        const body = res.kind === 'whole'
            ? res.body
            : (await this.client.blob(this.repo, this.descriptor, { signal: this.#signal })).body;
        await this.#copy(body, 0, () => { });
    }
    /**
     * Fetches one range into the writer, resuming inside it after a failure; `stream` when the
     * server sent the whole blob instead; `skipped` when `ranges` (awaited holding the connection)
     * says the server does not do ranges, or when `piece`, asked once a connection is held, gives
     * no range.
     */
    async #fetch(piece, probe, ranges, refused) {
        let range = typeof piece === 'function' ? undefined : piece;
        let [start, end] = range ?? [0, 0];
        let at = start;
        for (let attempt = 1;; attempt++) {
            try {
                return await this.ctx.budget.run(this.ctx.host, this.ctx.priority ?? this.descriptor.size, async () => {
                    if (ranges && !(await ranges))
                        return 'skipped';
                    if (!range && typeof piece === 'function') {
                        if (!(range = piece()))
                            return 'skipped';
                        [start, end] = range;
                        at = start;
                    }
                    const res = await this.client.blobRange(this.repo, this.descriptor, {
                        start: at,
                        end,
                        location: this.#location,
                        signal: this.#signal,
                    });
                    this.#location = res.location;
                    if (res.kind === 'range') {
                        this.#confirmRanges();
                        await this.#copy(res.body, at, (n) => (at += n));
                        return 'range';
                    }
                    if (refused && at === start) {
                        // Asked before the lead's answer said whether the server does ranges: not an error.
                        if (res.kind === 'whole')
                            res.body.destroy();
                        refused(range);
                        return 'skipped';
                    }
                    if (!probe || at !== start) {
                        if (res.kind === 'whole')
                            res.body.destroy();
                        throw new RangeRefused(`${this.#subject}: ${res.kind === 'whole' ? 'the server sent the whole blob for a range' : res.detail}`, { temporary: true });
                    }
                    await this.#oneStream(res);
                    return 'stream';
                });
            }
            catch (err) {
                if (this.#signal.aborted || attempt >= RANGE_ATTEMPTS || !retryable(err))
                    throw err;
                this.ctx.logger?.debug(`${this.#subject}: bytes ${at}-${end - 1}: ${(0,errors/* errorMessage */.gJ)(err)}; asking again (${attempt} of ${RANGE_ATTEMPTS})`);
            }
        }
    }
    /**
     * Writes a body at `position` (see copyInBatches), telling `advanced` of every batch written
     * and `onChunk` of every chunk received.
     */
    async #copy(body, position, advanced, onChunk) {
        let at = position;
        await copyInBatches(body, this.client.rateFloor, async (chunks, n) => {
            const from = at;
            at += n;
            await this.writer.write(from, chunks);
            advanced(n);
            this.ctx.onBytes(n);
        }, { maxWaitMs: BATCH_MAX_MS, ...(onChunk ? { onChunk } : {}) });
    }
}
/** Network trouble, a cut, a refused or wrong range: another try may do. A policy refusal or a 4xx will not. */
function retryable(err) {
    if (err instanceof RegistryError)
        return err.temporary;
    if (err instanceof errors/* GuardError */.U$)
        return err instanceof errors/* DigestMismatchError */.h;
    return true;
}

;// CONCATENATED MODULE: ./lib/pull/refresh.js

const REFRESH_MODES = ['never', 'head', 'always'];
/**
 * refresh: head: the digest the tag names now, from one HEAD; when the registry sends no
 * Docker-Content-Digest, from a GET, whose manifest the pull then uses. Undefined (keep the
 * cached image) when the registry cannot be asked.
 */
async function currentRoot(client, ref, ctx) {
    const opts = ctx.signal ? { signal: ctx.signal } : {};
    try {
        const digest = await client.headDigest(ref, opts);
        if (digest)
            return { digest };
        ctx.logger?.debug(`${ref.name}: no Docker-Content-Digest on HEAD: resolving the tag with GET`);
        const resolved = await client.resolve(ref, opts);
        return { digest: resolved.descriptor.digest, resolved };
    }
    catch (err) {
        if (ctx.signal?.aborted)
            throw err;
        ctx.logger?.warn(`${ref.name}: could not check whether its tag moved (${(0,errors/* errorMessage */.gJ)(err)}): using the cached image`);
        return undefined;
    }
}

// EXTERNAL MODULE: ./lib/verify/walk.js
var walk = __webpack_require__(9820);
;// CONCATENATED MODULE: ./lib/pull/ledger.js



/**
 * Every descriptor one image's documents list, by digest. The verifier judges each against the
 * one blob of that digest, so two listings of a digest with different sizes, or one as an index
 * and one as a manifest, cannot both pass: pull refuses the image at its manifests instead of
 * caching what validate would call broken (and the Action would drop on every run).
 */
class DescriptorLedger {
    subject;
    #first = new Map();
    constructor(
    /** The image, for the message. */
    subject) {
        this.subject = subject;
    }
    /** Notes `descriptor`, listed at `where`; throws the one-line refusal when an earlier listing contradicts it. */
    note(descriptor, role, where) {
        const listing = { descriptor, role, where };
        const first = this.#first.get(descriptor.digest);
        if (!first) {
            this.#first.set(descriptor.digest, listing);
            return;
        }
        const conflict = contradiction(first, listing);
        if (conflict)
            throw new errors/* GuardError */.U$(`${this.subject}: ${(0,oci_digest/* shortDigest */.VK)(descriptor.digest)} is listed ${conflict}: ${ledger_describe(first)} and ${ledger_describe(listing)}; its blob can match only one, so validate would call the image broken`);
    }
}
/** Why two listings of one digest cannot both be right, or undefined. */
function contradiction(a, b) {
    if (a.descriptor.size !== b.descriptor.size)
        return 'with two sizes';
    if (a.role === 'document' && b.role === 'document') {
        const aIndex = (0,mediatypes/* isIndexMediaType */.$$)(a.descriptor.mediaType);
        if (aIndex !== (0,mediatypes/* isIndexMediaType */.$$)(b.descriptor.mediaType))
            return 'as an index and as a manifest';
    }
    return undefined;
}
function ledger_describe({ descriptor, where }) {
    return `${where} (${descriptor.mediaType}, ${descriptor.size} bytes)`;
}

;// CONCATENATED MODULE: ./lib/pull/plan.js



/** Picks what to pull from an index for the wanted platforms; a descriptor listed again is picked once. */
function selectFromIndex(index, wanted) {
    const picked = new Set();
    const once = (m) => {
        const key = `${m.mediaType} ${m.digest}`;
        if (picked.has(key))
            return false;
        picked.add(key);
        return true;
    };
    const candidates = index.manifests.filter((m) => !(0,walk/* isAttestation */.H3)(m));
    const nested = candidates.filter((m) => (0,mediatypes/* isIndexMediaType */.$$)(m.mediaType));
    const manifests = [];
    const unavailable = [];
    if (wanted === 'all') {
        for (const m of candidates)
            if (once(m))
                manifests.push(m);
    }
    else {
        for (const platform of wanted) {
            const match = candidates.find((m) => m.platform && (0,oci_platform/* platformSatisfies */.jU)(m.platform, platform));
            if (match) {
                if (once(match))
                    manifests.push(match);
            }
            else
                unavailable.push(platform);
        }
        // Nested indexes carry no platform of their own: follow them all.
        for (const m of nested)
            if (once(m))
                manifests.push(m);
    }
    const chosen = new Set(manifests.map((m) => m.digest));
    const attestations = index.manifests.filter((m) => (0,walk/* isAttestation */.H3)(m) && chosen.has(m.annotations?.[mediatypes/* Annotation */.YH.DockerReferenceDigest]) && once(m));
    return { manifests, attestations, unavailable };
}
function describePlatforms(index) {
    return index.manifests
        .filter((m) => !(0,walk/* isAttestation */.H3)(m) && m.platform)
        .map((m) => (0,oci_platform/* formatPlatform */.Bq)(m.platform))
        .join(', ');
}

;// CONCATENATED MODULE: ./lib/pull/closure.js










/**
 * What one image needs for the wanted platforms, said once for the pull (from the registry or
 * from the cache) and for the Actions-cache entries (stage and import): they cannot disagree.
 */
/** Why an image's blobs are not what it needs: one line, naming the blob. */
class ClosureError extends errors/* GuardError */.U$ {
    name = 'ClosureError';
}
/**
 * Walks image `name` from its root: for the wanted platforms, the platform manifests (nested
 * indexes held to the same platforms), the attestation manifests that describe them, and every
 * config and layer under those. Siblings are read at once (each may be a round trip), walked in
 * order. Iterative, so no input depth reaches the stack. Refuses (ClosureError) an image whose
 * documents contradict each other (DescriptorLedger), that lists itself (a cycle), where no
 * index offers a wanted platform, or whose config is bigger than a config may be.
 */
async function walkImage(name, root, rootBytes, platforms, read) {
    const closure = { manifests: [], blobs: [], skipped: [] };
    const ledger = new DescriptorLedger(name);
    const seen = new Set();
    const path = [];
    const onPath = new Map();
    const offered = new Set();
    const listed = new Set();
    const refuse = (message) => {
        throw new ClosureError(message);
    };
    /** One document's step of the walk: what it lists, checked; its children, being read. */
    const step = (desc, bytes, wanted) => {
        closure.manifests.push(desc);
        const here = `${(0,mediatypes/* isIndexMediaType */.$$)(desc.mediaType) ? 'index' : 'manifest'} ${(0,oci_digest/* shortDigest */.VK)(desc.digest)}`;
        if (!(0,mediatypes/* isIndexMediaType */.$$)(desc.mediaType)) {
            const manifest = (0,descriptor/* parseManifest */.Ng)(bytes, `manifest ${desc.digest}`);
            const { config } = manifest;
            ledger.note(config, 'blob', `the config of ${here}`);
            if (config.size > mediatypes/* MAX_CONFIG_BYTES */.GW)
                refuse(`${name}: config ${config.digest} of ${here} is ${config.size} bytes, more than the ${mediatypes/* MAX_CONFIG_BYTES */.GW / (1024 * 1024)} MiB a config may be: refusing it before fetching it`);
            closure.blobs.push(config);
            manifest.layers.forEach((layer, i) => {
                ledger.note(layer, 'blob', `layers[${i}] of ${here}`);
                // Non-distributable: never fetched, so never needed.
                if (layer.urls?.length)
                    closure.skipped.push(layer.digest);
                else
                    closure.blobs.push(layer);
            });
            return [];
        }
        const index = (0,descriptor/* parseIndex */.A1)(bytes, `index ${desc.digest}`);
        index.manifests.forEach((m, i) => ledger.note(m, 'document', `manifests[${i}] of ${here}`));
        const selection = selectFromIndex(index, wanted);
        const offers = describePlatforms(index);
        if (offers)
            for (const p of offers.split(', '))
                listed.add(p);
        if (wanted !== 'all') {
            for (const p of wanted)
                if (!selection.unavailable.includes(p))
                    offered.add((0,oci_platform/* formatPlatform */.Bq)(p));
            const nested = selection.manifests.some((m) => (0,mediatypes/* isIndexMediaType */.$$)(m.mediaType));
            // No nested index can offer what this one lacks: say so before reading anything below it.
            if (path.length === 0 && !nested && selection.unavailable.length > 0)
                refuse(`${name} has no ${selection.unavailable.map(oci_platform/* formatPlatform */.Bq).join(', ')} image (it offers: ${offers || 'none'})`);
        }
        onPath.set(desc.digest, path.length);
        path.push(desc.digest);
        const attestations = new Set(selection.attestations);
        const children = [];
        for (const child of [...selection.manifests, ...selection.attestations]) {
            const isIndex = (0,mediatypes/* isIndexMediaType */.$$)(child.mediaType);
            const above = isIndex ? onPath.get(child.digest) : undefined;
            if (above !== undefined)
                refuse(`${name}: ${(0,walk/* describeCycle */.aR)(path, above)}`);
            const key = `${isIndex ? 'index' : 'manifest'} ${child.digest}`;
            if (seen.has(key))
                continue;
            seen.add(key);
            const reading = read(child);
            reading.catch(() => { }); // awaited in its turn; an earlier failure ends the walk
            // A nested index is held to the same platforms; an attestation describes what was chosen.
            children.push({ visit: child, bytes: reading, wanted: attestations.has(child) ? 'all' : wanted });
        }
        // Depth first, in the order listed: the children, then leaving this index.
        return [{ leave: desc.digest }, ...children.reverse()];
    };
    ledger.note(root, 'document', 'the root');
    const stack = [{ visit: root, bytes: Promise.resolve(rootBytes), wanted: platforms }];
    for (let frame = stack.pop(); frame; frame = stack.pop()) {
        if ('leave' in frame) {
            path.pop();
            onPath.delete(frame.leave);
            continue;
        }
        const bytes = await frame.bytes;
        try {
            stack.push(...step(frame.visit, bytes, frame.wanted));
        }
        catch (err) {
            // The image's own documents are at fault (unparseable, contradicting): the closure's error.
            if (err instanceof errors/* GuardError */.U$ && !(err instanceof ClosureError))
                throw new ClosureError(err.message, { cause: err });
            throw err;
        }
    }
    if (platforms !== 'all' && (0,mediatypes/* isIndexMediaType */.$$)(root.mediaType)) {
        const missing = platforms.filter((p) => !offered.has((0,oci_platform/* formatPlatform */.Bq)(p)));
        if (missing.length > 0)
            refuse(`${name} has no ${missing.map(oci_platform/* formatPlatform */.Bq).join(', ')} image (it offers: ${[...listed].join(', ') || 'none'})`);
    }
    return closure;
}
/**
 * What image `name` (index.json entry `root`) needs from `layout` for `platforms`, read from
 * the layout alone: its documents are read (capped at MAX_MANIFEST_BYTES), verified (unless
 * `valid` has them) and walked (walkImage); a single-platform image's config must name a wanted
 * platform. Configs and layers are listed, not checked: see checkBlobs. Throws ClosureError.
 */
async function cachedClosure(layout, name, root, platforms, valid) {
    const read = (d) => readDocument(layout, d, valid);
    const rootBytes = await read(root);
    const closure = await walkImage(name, root, rootBytes, platforms, read);
    const single = singlePlatformConfig(root, rootBytes, platforms);
    if (single) {
        const mismatch = await platformMismatch(layout, name, single.config, single.wanted);
        if (mismatch)
            throw new ClosureError(mismatch);
    }
    return closure;
}
/** A document of the layout, verified unless `valid` has it already (then it joins `valid`). */
async function readDocument(layout, d, valid) {
    if (d.size > mediatypes/* MAX_MANIFEST_BYTES */.ZJ)
        throw new ClosureError(`manifest ${(0,oci_digest/* shortDigest */.VK)(d.digest)} declares ${d.size} bytes, more than the ${mediatypes/* MAX_MANIFEST_BYTES */.ZJ} allowed`);
    const r = await cachedDocument(layout, d, valid);
    if ('problem' in r)
        throw new ClosureError(`blob ${(0,oci_digest/* shortDigest */.VK)(d.digest)}${r.problem}`);
    return r.bytes;
}
/**
 * The layout's copy of a document (index or manifest; the caller caps its size): read when
 * `valid` has it already, else hashed up to its declared size and then noted in `valid`. Or why
 * the copy will not do (` is missing`, `: content differs`), to follow the blob's name.
 */
async function cachedDocument(layout, d, valid) {
    if (valid.has(d.digest)) {
        // Hashed already in this run (by the verifier or by us): read it, do not hash it again.
        const bytes = await layout.readBlob(d.digest, d.size).catch(() => undefined);
        if (bytes?.length === d.size)
            return { bytes };
    }
    const r = await (0,hash_pool/* hashFileInline */.ap)(layout.blobPath(d.digest), (0,oci_digest/* digestAlgorithm */.g4)(d.digest), {
        maxBytes: d.size,
        keepBytes: true,
    });
    if (!r.ok)
        return { problem: ` ${failureText(r.code, r.message, d)}` };
    if (r.size !== d.size)
        return { problem: ` has ${r.size} of ${d.size} bytes` };
    if (r.hex !== (0,oci_digest/* digestHex */.sU)(d.digest))
        return { problem: ': content differs' };
    valid.add(d.digest);
    return { bytes: r.bytes };
}
/**
 * Checks that every config and layer of a closure is in `layout` and valid, each digest once.
 * Returns how many were hashed. Throws ClosureError naming the first blob that is not.
 */
async function checkBlobs(layout, blobs, check) {
    const distinct = [...new Map(blobs.map((b) => [b.digest, b])).values()];
    const todo = check.hasher ? distinct.filter((b) => !check.valid.has(b.digest)) : [];
    const hashing = new Set(todo);
    for (const d of distinct) {
        if (hashing.has(d))
            continue;
        const s = await (0,promises_.lstat)(layout.blobPath(d.digest)).catch(() => undefined);
        if (!s?.isFile())
            throw new ClosureError(`blob ${(0,oci_digest/* shortDigest */.VK)(d.digest)} is missing`);
        if (s.size !== d.size)
            throw new ClosureError(`blob ${(0,oci_digest/* shortDigest */.VK)(d.digest)} has ${s.size} of ${d.size} bytes`);
    }
    if (todo.length === 0)
        return 0;
    const results = await check.hasher.hashFiles(todo.map((d) => ({
        path: layout.blobPath(d.digest),
        algorithm: (0,oci_digest/* digestAlgorithm */.g4)(d.digest),
        size: d.size,
        maxBytes: d.size,
    })));
    // Every blob found valid is noted, even when another is not: a pull fetching the image then
    // does not hash them again.
    let wrong;
    for (const [i, r] of results.entries()) {
        const d = todo[i];
        let problem;
        if (!r.ok)
            problem = ` ${failureText(r.code, r.message, d)}`;
        else if (r.size !== d.size)
            problem = ` has ${r.size} of ${d.size} bytes`;
        else if (r.hex !== (0,oci_digest/* digestHex */.sU)(d.digest))
            problem = ': content differs';
        if (problem === undefined)
            check.valid.add(d.digest);
        else
            wrong ??= `blob ${(0,oci_digest/* shortDigest */.VK)(d.digest)}${problem}`;
    }
    if (wrong !== undefined)
        throw new ClosureError(wrong);
    return todo.length;
}
function failureText(code, message, d) {
    if (code === 'ENOENT')
        return 'is missing';
    if (code === 'TOO_LARGE')
        return `is over its ${d.size} bytes`;
    return `cannot be read (${message})`;
}
/** The config of a single-platform image (a manifest, no index) when platforms are wanted. */
function singlePlatformConfig(root, bytes, wanted) {
    if (wanted === 'all' || (0,mediatypes/* isIndexMediaType */.$$)(root.mediaType))
        return undefined;
    return { config: (0,descriptor/* parseManifest */.Ng)(bytes, `manifest ${root.digest}`).config, wanted };
}
/**
 * A single-platform image says its platform in its config, where an index says it beside each
 * manifest; the same rule applies: every wanted platform must be there. Returns the one-line
 * error when one is not (or the config says none), undefined when all are.
 */
async function platformMismatch(layout, name, config, wanted) {
    const lacking = `${name} has no ${wanted.map(oci_platform/* formatPlatform */.Bq).join(', ')} image`;
    // Never silently skipped: a config unparseable or naming no platform is not an image for the
    // wanted platforms (walkImage refuses configs over MAX_CONFIG_BYTES before any of this).
    let doc;
    try {
        doc = JSON.parse((await layout.readBlob(config.digest, config.size)).toString('utf8'));
    }
    catch (err) {
        return `${lacking} (its config ${(0,oci_digest/* shortDigest */.VK)(config.digest)} cannot be read as JSON: ${(0,errors/* errorMessage */.gJ)(err)})`;
    }
    const { os, architecture, variant } = (typeof doc === 'object' && doc !== null ? doc : {});
    if (typeof os !== 'string' || typeof architecture !== 'string' || !os || !architecture)
        return `${lacking} (its config names no platform; --platform all takes it as it is)`;
    const have = (0,oci_platform/* normalizePlatform */.FL)({
        os,
        architecture,
        ...(typeof variant === 'string' && variant ? { variant } : {}),
    });
    const missing = wanted.filter((w) => !(0,oci_platform/* platformSatisfies */.jU)(have, w));
    if (missing.length === 0)
        return undefined;
    return `${name} has no ${missing.map(oci_platform/* formatPlatform */.Bq).join(', ')} image (it is a single-platform ${(0,oci_platform/* formatPlatform */.Bq)(have)} image)`;
}

;// CONCATENATED MODULE: ./lib/pull/pull.js














/**
 * Pulls each reference into the layout: the root manifest or index, and for the wanted
 * platforms each manifest, config, layer and attestation (with its blobs). The images go at
 * once, each from its manifests straight on to its blobs, all sharing the connection budget:
 * manifests first, then latency-bound blobs (LATENCY_BOUND_BYTES), then the others biggest first,
 * big ones in ranges, leaving the lane to latency-bound requests while any image still has some. An image's
 * index.json entry is written last, only when everything under it is present and verified, so
 * an interrupted pull never leaves an entry linuxkit would trust.
 */
async function pullImages(layout, client, refs, options) {
    await layout.init();
    await layout.checkDirectories();
    if (options.valid)
        options.logger?.debug(`pull: trusting ${options.valid.size} blobs the verifier accepted${options.validMode === 'size' ? ' by size alone (verify: size)' : ''}`);
    client.prepare(refs);
    const running = await layout.registerPull();
    // Checks images already in the cache; its workers start only when a blob needs hashing.
    const hasher = hash_pool/* HashPool */.vO.create();
    const budget = new ConnectionBudget(options.concurrency, { lane: laneFor(options.concurrency) });
    const run = {
        ...options,
        valid: options.valid ?? new Set(),
        budget,
        bulk: budget.bulk(),
        ranged: { ...RANGED_DEFAULTS, ...options.ranged },
        progress: { bytes: 0, total: 0 },
        started: Date.now(),
        hasher,
        entries: await cachedEntries(layout),
        downloads: { byKey: new Map(), started: [], bigQueued: Promise.resolve() },
    };
    /** Registries said to multiplex (in verbose output, once each). */
    const multiplexed = new Set();
    try {
        // Each image goes on from its manifests to its blobs at once: none waits for another's
        // manifests, and its latency-bound requests keep the lane open beside the big blobs' ranges.
        return await Promise.all(refs.map(async (ref) => {
            const closeLane = budget.openLane(ref.registry);
            try {
                const plan = await planImage(layout, client, ref, run);
                // Its latency-bound requests share an HTTP/2 connection: no connection need be kept for them.
                if (plan.root && client.multiplexes?.(ref.registry)) {
                    closeLane();
                    if (!multiplexed.has(ref.registry))
                        options.logger?.debug(`${ref.registry}: HTTP/2: manifests and small blobs share one connection; blobs' bytes take up to ${options.concurrency} others`);
                    multiplexed.add(ref.registry);
                }
                const small = scheduleBlobs(layout, client, plan, run);
                void Promise.allSettled(small.map((d) => d.result)).then(closeLane);
                return await finishImage(layout, client, plan, run);
            }
            finally {
                closeLane();
            }
        }));
    }
    finally {
        // No work outlives the call: what failed images alone needed was aborted and ends now.
        await Promise.allSettled(run.downloads.started.map((d) => d.result));
        await hasher.close();
        await running.release();
    }
}
/**
 * Downloads are keyed by size and digest: two images listing one digest with two sizes cannot
 * both be right, and the wrong one must not ride on the other's download.
 */
function blobKey(d) {
    return `${d.size} ${d.digest}`;
}
/** Manifests go ahead of every blob: they decide what the blobs are. */
const MANIFEST_PRIORITY = Number.MAX_SAFE_INTEGER;
/**
 * Latency-bound blobs (LATENCY_BOUND_BYTES: configs, attestations, small layers) go right after
 * the manifests, ahead of the big blobs and without waiting for them to queue; a bigger whole
 * blob is bandwidth-bound and takes its connection as ranges do (ConnectionBudget.bulk), leaving
 * the lane to latency-bound work. On a registry that multiplexes, latency-bound requests take no
 * connection of the budget at all.
 */
const LATENCY_BOUND_PRIORITY = MANIFEST_PRIORITY - 1;
/** Whether `blob` is latency-bound (or needs no request at all). */
function latencyBound(blob, run) {
    return run.valid.has(blob.digest) || blob.size <= LATENCY_BOUND_BYTES;
}
/** How `ref`'s manifest requests take their connections: ahead of every blob's. */
function manifestLimit(client, run, ref) {
    return (fn) => client.multiplexes?.(ref.registry) ? fn() : run.budget.run(ref.registry, MANIFEST_PRIORITY, fn);
}
/** Resolves an image and fetches its manifests, or finds it complete in the cache. */
async function planImage(layout, client, ref, run) {
    const limit = manifestLimit(client, run, ref);
    const result = {
        name: ref.name,
        reference: ref.original,
        status: 'pulled',
        bytes: 0,
        fetchedBlobs: 0,
        cachedBlobs: 0,
        resumedBytes: 0,
        hashedBlobs: 0,
        skipped: [],
        ms: 0,
        connections: 0,
    };
    const plan = { ref, result, blobs: [], owned: new Set(), manifests: [] };
    try {
        let resolved;
        const cached = run.refresh !== 'always' ? await completeInCache(layout, ref, run, result) : undefined;
        if (cached) {
            const now = run.refresh === 'head' && !ref.digest ? await limit(() => currentRoot(client, ref, run)) : undefined;
            if (!now || now.digest === result.digest) {
                result.status = 'cached';
                return Object.assign(plan, cached);
            }
            resolved = now.resolved;
        }
        const previous = run.entries.get(ref.name)?.digest;
        if (previous !== undefined)
            plan.previous = previous;
        const { descriptor: root, bytes } = resolved ?? (await limit(() => client.resolve(ref, run.signal ? { signal: run.signal } : {})));
        result.digest = root.digest;
        // The walk fetches and stores each manifest under the root not in the cache. The root is
        // stored meanwhile (the disk holds no connection), settled before anything is said of the image.
        const [walked, stored] = await Promise.allSettled([
            walkImage(ref.name, root, bytes, run.platforms, (d) => fetchManifest(layout, { client, limit }, ref, d, run.valid)),
            storeManifest(layout, ref, root, bytes, run.valid),
        ]);
        if (walked.status === 'rejected')
            throw walked.reason;
        if (stored.status === 'rejected')
            throw stored.reason;
        plan.manifests = walked.value.manifests;
        plan.blobs = walked.value.blobs;
        result.skipped.push(...walked.value.skipped);
        const single = singlePlatformConfig(root, bytes, run.platforms);
        if (single) {
            // The config first: an image built for another platform costs no layer download.
            await want(layout, client, plan, single.config, run).result;
            const mismatch = await platformMismatch(layout, ref.name, single.config, single.wanted);
            if (mismatch)
                throw new errors/* GuardError */.U$(mismatch);
        }
        plan.root = root;
        plan.entry = root;
    }
    catch (err) {
        giveUp(plan, run.downloads);
        failed(result, err, run.logger);
    }
    return plan;
}
/**
 * Starts the downloads of an image's blobs that no other image has started, biggest first, each
 * credited to this image; returns the downloads of its latency-bound blobs (the lane stays open
 * for the image until they settle: they start at once, ahead of every other blob). The others take
 * turns at queueing: a big blob queues its ranges once every big blob started before it has
 * queued theirs (biggest first within an image, then in the order images come), and a whole one
 * once every big blob started before it has. One that started sooner would take the connections
 * first: a whole blob holds its connection for its whole transfer, and a smaller big blob that
 * opened its partial first would take them all. Queued, they leave the lane to latency-bound
 * blobs and manifests (ConnectionBudget.bulk).
 */
function scheduleBlobs(layout, client, plan, run) {
    if (!plan.root)
        return [];
    const small = [];
    const blobs = [...new Map(plan.blobs.map((b) => [blobKey(b), b])).values()].sort((a, b) => b.size - a.size);
    for (const blob of blobs) {
        const download = want(layout, client, plan, blob, run);
        if (latencyBound(blob, run))
            small.push(download);
    }
    return small;
}
/**
 * The run's download of `blob` for `plan`: the one another image started, or a new one credited
 * to `plan` (also when every image that wanted the earlier one failed and it was aborted).
 */
function want(layout, client, plan, blob, run) {
    const { downloads } = run;
    const key = blobKey(blob);
    let download = downloads.byKey.get(key);
    if (!download || (download.wanting.size === 0 && download.abort.signal.aborted)) {
        download = startBlob(layout, client, plan, blob, run);
        downloads.byKey.set(key, download);
        downloads.started.push(download);
        plan.owned.add(key);
        if (!run.valid.has(blob.digest))
            run.progress.total += blob.size;
    }
    download.wanting.add(plan);
    return download;
}
/** Starts a blob's download once its turn at queueing comes (see scheduleBlobs). */
function startBlob(layout, client, plan, blob, run) {
    if (latencyBound(blob, run))
        return startFetch(run, (signal) => fetchBlob(layout, client, plan, blob, run, signal));
    const turn = run.downloads.bigQueued;
    if (!bigEnoughForRanges(blob, run))
        return startFetch(run, (signal) => turn.then(() => fetchBlob(layout, client, plan, blob, run, signal)));
    let queued;
    run.downloads.bigQueued = new Promise((resolve) => (queued = resolve));
    return startFetch(run, (signal) => turn.then(() => fetchBlob(layout, client, plan, blob, run, signal, queued)).finally(queued));
}
/** A download with its own abort, which the run's signal (an interrupt) also aborts. */
function startFetch(run, fetch) {
    const abort = new AbortController();
    const signal = run.signal ? AbortSignal.any([run.signal, abort.signal]) : abort.signal;
    const result = fetch(signal);
    result.catch(() => { }); // awaited by every image that needs it
    return { result, abort, wanting: new Set() };
}
/** A failed image gives up its blobs: those no other standing image needs stop now. */
function giveUp(plan, downloads) {
    for (const blob of plan.blobs) {
        const download = downloads.byKey.get(blobKey(blob));
        if (!download?.wanting.delete(plan))
            continue;
        if (download.wanting.size === 0)
            download.abort.abort();
    }
}
/**
 * Fetches `blob` for `owner` (nothing when the run knows it valid): a latency-bound one whole,
 * just behind manifests; a big one in ranges and another whole through the bulk view of the
 * budget, queued at its size, so bigger blobs take connections first.
 */
async function fetchBlob(layout, client, owner, blob, run, 
/** Aborted when no image needs the blob any more (or the run is interrupted). */
signal, 
/** A big blob's: says when its ranges are queued (see BigBlobContext.onQueued). */
onQueued) {
    const onBytes = (n) => {
        owner.result.bytes += n;
        run.progress.bytes += n;
        run.onProgress?.(run.progress);
    };
    const { ref } = owner;
    signal.throwIfAborted();
    if (run.valid.has(blob.digest))
        return { fetched: 0, cached: true, resumed: 0 };
    if (await wantsRanges(layout, blob, run)) {
        return ensureBigBlob(layout, client, ref, blob, {
            budget: run.bulk,
            priority: blob.size,
            host: ref.registry,
            ranged: run.ranged,
            valid: run.valid,
            onBytes,
            pending: () => run.progress.total - run.progress.bytes,
            logger: run.logger,
            signal,
            ...(onQueued ? { onQueued } : {}),
        });
    }
    run.logger?.debug(`${blobSubject(ref, blob)}: whole: ${wholeReason(blob, run)}`);
    let settled;
    const done = new Promise((resolve) => (settled = resolve));
    const small = latencyBound(blob, run);
    // A latency-bound request to a registry that multiplexes takes no connection of the budget.
    const budgeted = small && client.multiplexes?.(ref.registry)
        ? client
        : connectionPerRequest(client, small ? run.budget : run.bulk, ref.registry, small ? LATENCY_BOUND_PRIORITY : blob.size, signal, done);
    return ensureBlob(layout, budgeted, ref, blob, { valid: run.valid, onBytes, signal }).finally(settled);
}
/**
 * The client as a whole-blob download uses it: each blob request holds one of the host's
 * connections of the budget from its start to its body's end (or `done`), and no longer: the
 * blob's lock, its temp file and its commit (an fsync) hold none. A request that fails holds its
 * connection until the download settles (or asks again): the failure must reach the images that
 * need the blob, and abort what they alone wanted, before the queue moves on.
 */
function connectionPerRequest(client, budget, host, priority, signal, done) {
    let held;
    const blob = (repo, descriptor, opts) => {
        held?.();
        return new Promise((resolve, reject) => {
            budget
                .run(host, priority, async () => {
                // Queued behind other work: the image that wanted it may have failed meanwhile.
                signal.throwIfAborted();
                let response;
                try {
                    response = await client.blob(repo, descriptor, opts);
                }
                catch (err) {
                    reject(err);
                    await Promise.race([new Promise((release) => (held = release)), done]);
                    return;
                }
                resolve(response);
                const read = new Promise((ended) => (0,external_node_stream_.finished)(response.body, () => ended()));
                await Promise.race([read, done]);
            })
                .catch(reject);
        });
    };
    return new Proxy(client, {
        get(target, key) {
            if (key === 'blob')
                return blob;
            const value = Reflect.get(target, key, target);
            return typeof value === 'function' ? value.bind(target) : value;
        },
    });
}
/** Waits for an image's blobs, then writes its index.json entry (or confirms a cached one's). */
async function finishImage(layout, client, plan, run) {
    const { result, root, ref } = plan;
    const { downloads } = run;
    if (root) {
        try {
            const keys = [...new Set(plan.blobs.map(blobKey))];
            const outcomes = await Promise.all(keys.map((k) => downloads.byKey.get(k).result));
            await checkSizes(layout, ref, plan.blobs);
            outcomes.forEach((r, i) => {
                const mine = plan.owned.has(keys[i]);
                if (mine && r.hashed)
                    result.hashedBlobs++;
                if (r.cached || !mine)
                    result.cachedBlobs++;
                else {
                    result.fetchedBlobs++;
                    result.resumedBytes += r.resumed;
                }
            });
            await commitEntry(layout, client, plan, run);
            if (result.fetchedBlobs === 0 && result.bytes === 0)
                result.status = 'cached';
            if (plan.previous !== undefined && plan.previous !== root.digest) {
                result.status = 'updated';
                result.previousDigest = plan.previous;
            }
        }
        catch (err) {
            giveUp(plan, downloads);
            failed(result, err, run.logger);
        }
    }
    else if (result.status === 'cached') {
        try {
            await commitEntry(layout, client, plan, run);
            if (result.bytes > 0)
                result.status = 'pulled'; // a blob removed meanwhile was fetched again
        }
        catch (err) {
            failed(result, err, run.logger);
        }
    }
    result.ms = Date.now() - run.started;
    result.connections = run.budget.peak(ref.registry);
    return result;
}
/** Commits tried before a pull gives up on blobs that other processes keep removing. */
const COMMIT_ATTEMPTS = 3;
/**
 * The step that makes exit 0 mean "complete in the cache now": under the cache lock, every
 * blob of the image is checked to be in place and only then is its entry written (or, for an
 * image found cached, confirmed, and written again if a repair removed it meanwhile). A blob
 * that a concurrent prune or repair removed since it was fetched or found is fetched again.
 */
async function commitEntry(layout, client, plan, run) {
    const { ref, entry } = plan;
    if (!entry)
        return;
    const manifests = new Set(plan.manifests.map((d) => d.digest));
    for (let attempt = 1;; attempt++) {
        try {
            // The index write may wait for linuxkit's lock: the logger says so.
            await layout.setEntry(entry, ref.name, {
                needs: [...plan.manifests, ...plan.blobs],
                keepSameDigest: !plan.root,
                ...(run.logger ? { logger: run.logger } : {}),
            });
            return;
        }
        catch (err) {
            if (!(err instanceof layout_layout/* BlobsMissingError */.VK))
                throw err;
            if (attempt === COMMIT_ATTEMPTS)
                throw new errors/* GuardError */.U$(`${err.message} (${COMMIT_ATTEMPTS} times): run the pull again once the other process has finished`);
            run.logger?.debug(`${err.message}: fetching them again`);
            const limit = manifestLimit(client, run, ref);
            for (const blob of err.missing)
                run.valid.delete(blob.digest);
            const signal = run.signal ?? new AbortController().signal;
            await Promise.all(err.missing.map((blob) => manifests.has(blob.digest)
                ? fetchManifest(layout, { client, limit }, ref, blob, run.valid)
                : fetchBlob(layout, client, plan, blob, run, signal)));
        }
    }
}
function failed(result, err, logger) {
    result.status = 'failed';
    result.error = (0,errors/* errorMessage */.gJ)(err);
    logger?.debug(`pull ${result.reference} failed: ${err instanceof Error ? err.stack : String(err)}`);
}
/** index.json's entries by name (the first of a name), read once per run. */
async function cachedEntries(layout) {
    const read = await layout.readIndex();
    const entries = new Map();
    if (read.state === 'ok')
        for (const e of read.doc.entries)
            if (e.name !== undefined && e.descriptor && !entries.has(e.name))
                entries.set(e.name, e.descriptor);
    return entries;
}
/**
 * linuxkit's rule: an image whose index.json entry exists is cached. We also require every
 * blob for the wanted platforms to be present and verified (cachedClosure, which the cache's
 * entries also stage and import by); then no request is made at all. Blobs not yet verified in
 * this run are hashed on the worker pool, all at once.
 */
async function completeInCache(layout, ref, run, result) {
    const root = run.entries.get(ref.name);
    if (!root)
        return undefined;
    try {
        const { manifests, blobs, skipped } = await cachedClosure(layout, ref.name, root, run.platforms, run.valid);
        const unverified = new Set(blobs.filter((b) => !run.valid.has(b.digest)).map((b) => b.digest));
        result.hashedBlobs += unverified.size; // hashed now, whatever they turn out to be
        await checkBlobs(layout, blobs, { valid: run.valid, hasher: run.hasher });
        result.digest = root.digest;
        result.skipped.push(...skipped);
        result.cachedBlobs = new Set(blobs.map((b) => b.digest)).size;
        return { entry: root, manifests, blobs };
    }
    catch (err) {
        // Anything short of a complete, valid closure in the cache: ask the registry.
        run.logger?.debug(`${ref.name}: cache entry unusable: ${(0,errors/* errorMessage */.gJ)(err)}`);
        return undefined;
    }
}
/**
 * Blobs shared with another image, or accepted by the verifier, are known valid by digest; the
 * size this image lists must still be theirs (another image's manifest may list the same digest
 * with its true size), or validate would call this image broken.
 */
async function checkSizes(layout, ref, blobs) {
    const checked = new Set();
    for (const blob of blobs) {
        const key = blobKey(blob);
        if (checked.has(key))
            continue;
        checked.add(key);
        const actual = (await (0,promises_.lstat)(layout.blobPath(blob.digest)).catch(() => undefined))?.size;
        if (actual === undefined)
            throw new errors/* GuardError */.U$(`${ref.name}: blob ${blob.digest} left the cache while it was being pulled`);
        if (actual !== blob.size)
            throw new errors/* GuardError */.U$(`${ref.name}: ${(0,oci_digest/* shortDigest */.VK)(blob.digest)} is listed as ${blob.size} bytes, but the valid blob of that digest is ${actual} bytes`);
    }
}
/**
 * A manifest from the cache when present and valid, else from the registry, asked holding one of
 * the budget's connections (through `limit`), then stored without it.
 */
async function fetchManifest(layout, registry, ref, desc, valid) {
    if (desc.size > mediatypes/* MAX_MANIFEST_BYTES */.ZJ)
        throw new errors/* GuardError */.U$(`manifest ${desc.digest} of ${ref.name} is ${desc.size} bytes, more than the ${mediatypes/* MAX_MANIFEST_BYTES */.ZJ} allowed`);
    const cached = await cachedDocument(layout, desc, valid);
    if ('bytes' in cached)
        return cached.bytes;
    const bytes = await registry.limit(() => registry.client.manifest(ref, desc));
    await storeManifest(layout, ref, desc, bytes, valid);
    return bytes;
}
/** Writes manifest bytes (already checked against the digest by the client) atomically. */
async function storeManifest(layout, ref, desc, bytes, valid) {
    if (valid.has(desc.digest))
        return;
    const lock = await layout.lockBlob(desc.digest);
    try {
        const writer = await BlobWriter.open(layout, desc, { resume: false });
        try {
            await writer.write(bytes);
            await writer.commit();
        }
        catch (err) {
            await writer.discard();
            throw diskFailure(err, ref, desc) ?? err;
        }
        valid.add(desc.digest);
    }
    finally {
        await lock.release();
    }
}

;// CONCATENATED MODULE: ./lib/pull/result.js

/** Fetched from a registry in this run: new, or a tag that moved. */
function isPulled(result) {
    return result.status === 'pulled' || result.status === 'updated';
}
/** "REF: why", naming the image once: most errors from the registry client already name it. */
function pullFailure(result) {
    return (0,format/* naming */.b7)(result.reference, result.error ?? 'failed', [result.reference, result.name]);
}

;// CONCATENATED MODULE: ./lib/registry/credentials-input.js

/**
 * Parses `host=user:password` lines (the Action's `registry-auth` input and the CLI's
 * `OCI_CACHE_GUARD_REGISTRY_AUTH` variable). Errors name the line number, never its secret.
 */
function parseRegistryAuth(text, source) {
    const out = {};
    text.split(/\r?\n/).forEach((raw, i) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            return;
        const eq = line.indexOf('=');
        const colon = line.indexOf(':', eq + 1);
        const host = line.slice(0, Math.max(eq, 0)).trim();
        if (eq <= 0 || colon < 0 || host === '' || /\s/.test(host)) {
            throw new errors/* UsageError */.eb(`${source} line ${i + 1}: expected host=user:password (e.g. ghcr.io=octocat:TOKEN)`);
        }
        out[host] = { username: line.slice(eq + 1, colon), password: line.slice(colon + 1) };
    });
    return out;
}
/** Parses `registry=https://mirror` entries (`--registry-mirror`, the `registry-mirrors` input). */
function parseMirrors(entries, source) {
    const out = {};
    for (const entry of entries
        .flatMap((e) => e.split(/\r?\n/))
        .map((e) => e.trim())
        .filter(Boolean)) {
        const eq = entry.indexOf('=');
        if (eq <= 0)
            throw new errors/* UsageError */.eb(`${source} ${JSON.stringify(entry)}: expected registry=URL (e.g. docker.io=https://mirror.gcr.io)`);
        (out[entry.slice(0, eq).trim()] ??= []).push(entry.slice(eq + 1).trim());
    }
    return out;
}

;// CONCATENATED MODULE: ./lib/registry/index.js





// EXTERNAL MODULE: ./lib/cli/args.js
var args = __webpack_require__(2453);
// EXTERNAL MODULE: ./lib/cli/cache.js
var cache = __webpack_require__(7512);
;// CONCATENATED MODULE: ./lib/pull/speed.js

/** Bytes per second of `bytes` over `ms` (0 for no time). */
function bytesPerSecond(bytes, ms) {
    return ms > 0 ? (bytes * 1000) / ms : 0;
}
function runSpeed(results) {
    return {
        bytes: results.reduce((n, r) => n + r.bytes, 0),
        ms: results.reduce((n, r) => Math.max(n, r.ms), 0),
        connections: results.reduce((n, r) => Math.max(n, r.connections), 0),
    };
}
/** `117 MB in 3.4 s (34.4 MB/s) over 8 connections`, or `nothing downloaded`. */
function describeSpeed(results) {
    const s = runSpeed(results);
    if (s.bytes === 0)
        return 'nothing downloaded';
    const over = `over ${s.connections} connection${s.connections === 1 ? '' : 's'}`;
    return `${(0,format/* formatBytes */.z3)(s.bytes)} in ${(0,format/* formatDuration */.a3)(s.ms)} (${(0,format/* formatRate */.CE)(bytesPerSecond(s.bytes, s.ms))}) ${over}`;
}

// EXTERNAL MODULE: ./lib/cli/progress.js
var cli_progress = __webpack_require__(9095);
;// CONCATENATED MODULE: ./lib/cli/commands/pull.js















const PULL_HELP = `Usage: oci-cache-guard pull [options] REF...

Pulls images into the cache, atomically: every blob is downloaded to <hex>.download, hashed
while it streams and renamed into place only when size and sha256 match; the index.json
entry (named as linuxkit names it: redis -> docker.io/library/redis) is written last. An
image already complete in the cache is not fetched again; an interrupted download resumes.

Options:
  --platform OS/ARCH       platform to pull (repeatable; default the host's; "all" for every one)
  --concurrency N          connections per registry host, shared by all downloads (default 8)
  --insecure-registry H    allow plain HTTP to host H (loopback registries always may)
  --registry-mirror R=URL  try URL before registry R, e.g. docker.io=https://mirror.gcr.io (repeatable)
  --refresh MODE           images already complete in the cache: never (default) use them as
                           they are; head: ask with one HEAD whether the tag moved (not a pull
                           on Docker Hub) and pull it only if it did; always: ask with GET
  --json                   print the results as JSON
  --cache DIR              the layout (default $LINUXKIT_CACHE, else ~/.linuxkit/cache)

Credentials come from docker's config.json ($DOCKER_CONFIG or ~/.docker: auths, credHelpers,
credsStore), and from OCI_CACHE_GUARD_REGISTRY_AUTH: lines of host=user:password.

Over HTTPS, manifests and small blobs share one HTTP/2 connection where the registry offers it;
OCI_CACHE_GUARD_HTTP1=1 keeps every request on HTTP/1.1.

Exit status: 0 every image complete, 1 some image failed, 2 usage error.`;
async function pullCommand(argv, ctx) {
    const { values, positionals } = (0,args/* parseCommand */.RM)('pull', argv, {
        ...args/* COMMON_OPTIONS */.DT,
        platform: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true },
        'registry-mirror': { type: 'string', multiple: true },
        refresh: { type: 'string', default: 'never' },
    }, true);
    if (values.help)
        return (ctx.out(PULL_HELP), 0);
    if (positionals.length === 0)
        throw new errors/* UsageError */.eb('name at least one image reference (see oci-cache-guard pull --help)');
    const settings = (0,args/* commonSettings */.JC)(values, ctx.env);
    const layout = await (0,cache/* openCache */.b)(settings.cache, ctx, { create: true });
    const refs = positionals.map((p) => parseReference(p));
    const platforms = values.platform?.includes('all')
        ? 'all'
        : (0,args/* parsePlatforms */.qA)(values.platform);
    const refresh = REFRESH_MODES.find((m) => m === values.refresh);
    if (!refresh)
        throw new errors/* UsageError */.eb(`invalid --refresh ${JSON.stringify(values.refresh)}: expected ${REFRESH_MODES.join(', ')}`);
    const concurrency = Number(values.concurrency ?? DEFAULT_CONNECTIONS);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
        throw new errors/* UsageError */.eb(`invalid --concurrency ${JSON.stringify(values.concurrency)}: expected a whole number from 1 to 64`);
    }
    const client = createRegistryClient({
        insecureRegistries: values['insecure-registry'] ?? [],
        mirrors: parseMirrors(values['registry-mirror'] ?? [], '--registry-mirror'),
        credentials: parseRegistryAuth(ctx.env.OCI_CACHE_GUARD_REGISTRY_AUTH ?? '', 'OCI_CACHE_GUARD_REGISTRY_AUTH'),
        env: ctx.env,
        logger: ctx.logger,
        connectionsPerHost: concurrency,
    });
    const progress = (0,cli_progress/* createProgress */.m)({ label: 'pulling', stream: ctx.stderr });
    let results;
    try {
        results = await pullImages(layout, client, refs, {
            platforms: Array.isArray(platforms) && platforms.length === 0 ? [(0,oci_platform/* hostPlatform */.ol)()] : platforms,
            concurrency,
            logger: ctx.logger,
            refresh,
            onProgress: (p) => progress.update(p.bytes, p.total),
        });
    }
    finally {
        progress.done();
        await client.close();
    }
    if (settings.json)
        ctx.out((0,format/* printableJson */.et)({ results, rateLimit: client.rateLimit ?? null }));
    else {
        for (const r of results)
            ctx.out((0,format/* printable */.g$)(describeResult(r)));
        if (results.some(isPulled))
            ctx.out(`${results.length} image${results.length === 1 ? '' : 's'}: ${describeSpeed(results)}`);
    }
    for (const r of results)
        if (r.status === 'failed' && !settings.json)
            ctx.stderr.write(`oci-cache-guard pull: ${(0,format/* printable */.g$)(pullFailure(r))}\n`);
    if (client.rateLimit && !settings.json)
        ctx.out((0,format/* formatPullsLeft */.Lc)(client.rateLimit));
    return results.every((r) => r.status !== 'failed') ? 0 : 1;
}
function describeResult(r) {
    if (r.status === 'failed')
        return `${r.name}: failed`;
    const digest = r.digest ? ` ${(0,oci_digest/* shortDigest */.VK)(r.digest)}` : '';
    if (r.status === 'cached')
        return `${r.name}${digest}: cached (${r.cachedBlobs} blobs verified)`;
    const resumed = r.resumedBytes > 0 ? `, ${(0,format/* formatBytes */.z3)(r.resumedBytes)} resumed` : '';
    const speed = (0,format/* formatRate */.CE)(bytesPerSecond(r.bytes, r.ms));
    if (r.status === 'updated')
        return `${r.name}: updated ${(0,oci_digest/* shortDigest */.VK)(r.previousDigest)} → ${(0,oci_digest/* shortDigest */.VK)(r.digest)}: pulled ${(0,format/* formatBytes */.z3)(r.bytes)} in ${r.fetchedBlobs} blobs (${r.cachedBlobs} already cached${resumed}) in ${(0,format/* formatDuration */.a3)(r.ms)}, ${speed}`;
    return `${r.name}${digest}: pulled ${(0,format/* formatBytes */.z3)(r.bytes)} in ${r.fetchedBlobs} blobs (${r.cachedBlobs} already cached${resumed}) in ${(0,format/* formatDuration */.a3)(r.ms)}, ${speed}`;
}


/***/ }),

/***/ 9095:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   m: () => (/* binding */ createProgress)
/* harmony export */ });
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2016);

function createProgress(options) {
    const stream = options.stream ?? process.stderr;
    const tty = Boolean(stream.isTTY);
    const start = Date.now();
    const quietMs = options.quietMs ?? 1000;
    const intervalMs = options.intervalMs ?? (tty ? 100 : 5000);
    const fmt = options.unit === 'count' ? String : _format_js__WEBPACK_IMPORTED_MODULE_0__/* .formatBytes */ .z3;
    let last = 0;
    let drawn = false;
    if (options.enabled === false)
        return { update() { }, done() { } };
    return {
        update(done, total, extra) {
            const now = Date.now();
            if (now - start < quietMs || now - last < intervalMs)
                return;
            last = now;
            const secs = (now - start) / 1000;
            const rate = done / secs;
            const pct = total > 0 ? ` ${Math.floor((done / total) * 100)}%` : '';
            const eta = total > done && rate > 0 ? `, ETA ${(0,_format_js__WEBPACK_IMPORTED_MODULE_0__/* .formatDuration */ .a3)(((total - done) / rate) * 1000)}` : '';
            const speed = options.unit === 'count' ? '' : `, ${(0,_format_js__WEBPACK_IMPORTED_MODULE_0__/* .formatRate */ .CE)(rate)}`;
            const line = `${options.label}: ${fmt(done)} of ${fmt(total)}${pct}${speed}${eta}${extra ? ` ${extra}` : ''}`;
            if (tty) {
                stream.write(`\r\x1b[K${line}`);
                drawn = true;
            }
            else
                stream.write(`${line}\n`);
        },
        done() {
            if (drawn)
                stream.write('\r\x1b[K');
        },
    };
}


/***/ })

};
