#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 518:
/***/ ((__webpack_module__, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(__webpack_module__, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(248);

process.exitCode = await (0,_main_js__WEBPACK_IMPORTED_MODULE_0__/* .runCli */ .ak)(process.argv.slice(2));

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 248:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  ak: () => (/* binding */ runCli)
});

// UNUSED EXPORTS: EXIT, consoleContext

;// CONCATENATED MODULE: ./lib/errors.js
/**
 * One error policy: every expected failure is a GuardError whose message is one line naming
 * what is at fault and what to do. Entry points print `message` (plus `cause` with --verbose)
 * and never a stack trace for these.
 */
class GuardError extends Error {
    name = 'GuardError';
    constructor(message, options) {
        super(message, options);
    }
}
/** Bad input from the user: a flag, an input, a reference, a file they named. CLI exit 2. */
class errors_UsageError extends GuardError {
    name = 'UsageError';
}
/** A digest string that is not `<algorithm>:<hex>` of the right length. */
class InvalidDigestError extends GuardError {
    name = 'InvalidDigestError';
}
/** Bytes whose size or digest is not what their descriptor promised. */
class DigestMismatchError extends (/* unused pure expression or super */ null && (GuardError)) {
    name = 'DigestMismatchError';
}
/** A lock held by another process for longer than we would wait. */
class LockTimeoutError extends GuardError {
    name = 'LockTimeoutError';
}
/** Message for any thrown value, without a stack trace. */
function errorMessage(err) {
    if (err instanceof Error)
        return err.message;
    return String(err);
}

;// CONCATENATED MODULE: ./lib/version.js
/** Kept equal to package.json's version by a test. */
const VERSION = '0.1.0';

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: ./lib/oci/digest.js

const HEX_LENGTH = { sha256: 64, sha512: 128 };
function isAlgorithm(value) {
    return Object.hasOwn(HEX_LENGTH, value);
}
/** True when `hex` is lowercase hex of the exact length for `algorithm`. */
function isValidHex(algorithm, hex) {
    return hex.length === HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(hex);
}
function isDigest(value) {
    if (typeof value !== 'string')
        return false;
    const colon = value.indexOf(':');
    const algorithm = value.slice(0, colon);
    return colon > 0 && isAlgorithm(algorithm) && isValidHex(algorithm, value.slice(colon + 1));
}
/** Checks `value` and brands it; throws InvalidDigestError naming the value otherwise. */
function parseDigest(value, what = 'digest') {
    if (isDigest(value))
        return value;
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : String(value);
    throw new InvalidDigestError(`invalid ${what} ${shown}: expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`);
}
function digest_makeDigest(algorithm, hex) {
    return parseDigest(`${algorithm}:${hex}`);
}
function digestAlgorithm(digest) {
    return digest.slice(0, digest.indexOf(':'));
}
function digestHex(digest) {
    return digest.slice(digest.indexOf(':') + 1);
}
/** `sha256:ab12cd34ef56…` for messages. */
function shortDigest(digest) {
    return `${digest.slice(0, digest.indexOf(':') + 13)}…`;
}

;// CONCATENATED MODULE: ./lib/oci/mediatypes.js
const mediatypes_MediaType = {
    OciIndex: 'application/vnd.oci.image.index.v1+json',
    OciManifest: 'application/vnd.oci.image.manifest.v1+json',
    OciConfig: 'application/vnd.oci.image.config.v1+json',
    DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
    DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
    DockerManifestSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
    DockerManifestSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
    DockerConfig: 'application/vnd.docker.container.image.v1+json',
};
function isIndexMediaType(mediaType) {
    return mediaType === mediatypes_MediaType.OciIndex || mediaType === mediatypes_MediaType.DockerManifestList;
}
function isManifestMediaType(mediaType) {
    return mediaType === mediatypes_MediaType.OciManifest || mediaType === mediatypes_MediaType.DockerManifest;
}
function isSchema1MediaType(mediaType) {
    return mediaType === mediatypes_MediaType.DockerManifestSchema1 || mediaType === mediatypes_MediaType.DockerManifestSchema1Signed;
}
/** Manifests and indexes are JSON documents we parse; cap what we are willing to read. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Annotations that carry meaning for a cache. */
const Annotation = {
    RefName: 'org.opencontainers.image.ref.name',
    /** On a buildkit attestation manifest: the digest of the platform manifest it describes. */
    DockerReferenceDigest: 'vnd.docker.reference.digest',
    DockerReferenceType: 'vnd.docker.reference.type',
};

;// CONCATENATED MODULE: ./lib/oci/platform.js

/** buildkit marks attestation manifests with this platform. */
const UNKNOWN_PLATFORM = { os: 'unknown', architecture: 'unknown' };
/** Parses `os/arch[/variant]`; throws a UsageError naming the value otherwise. */
function parsePlatform(value) {
    const parts = value.trim().split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
        throw new errors_UsageError(`invalid platform ${JSON.stringify(value)}: expected os/arch[/variant], e.g. linux/amd64`);
    }
    const [os, architecture, variant] = parts;
    return normalizePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}
/** Same defaults as containerd: arm64 has variant v8 implied, arm defaults to v7. */
function normalizePlatform(p) {
    const os = p.os.toLowerCase();
    let architecture = p.architecture.toLowerCase();
    let variant = p.variant?.toLowerCase();
    if (architecture === 'aarch64')
        architecture = 'arm64';
    if (architecture === 'x86_64' || architecture === 'x86-64')
        architecture = 'amd64';
    if (architecture === 'arm64' && variant === 'v8')
        variant = undefined;
    if (architecture === 'arm' && !variant)
        variant = 'v7';
    return { os, architecture, ...(variant ? { variant } : {}) };
}
function formatPlatform(p) {
    return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
/** True when an image for `have` runs where `want` is asked for. */
function platformSatisfies(have, want) {
    const a = normalizePlatform(have);
    const b = normalizePlatform(want);
    return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}
function isUnknownPlatform(p) {
    return p?.os === 'unknown' && p.architecture === 'unknown';
}
/** The platform of the machine we run on, in OCI terms. */
function hostPlatform() {
    return normalizePlatform({
        os: process.platform === 'win32' ? 'windows' : process.platform,
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    });
}

;// CONCATENATED MODULE: ./lib/oci/descriptor.js




/** A manifest, index or index.json that is not what its media type says it is. */
class InvalidDocumentError extends GuardError {
    name = 'InvalidDocumentError';
}
function isRecord(v) {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function stringMap(v, where) {
    if (v === undefined || v === null)
        return undefined;
    if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw new InvalidDocumentError(`${where}: annotations must map strings to strings`);
    }
    return v;
}
/** Validates one descriptor; the digest is checked before anything can use it as a path. */
function parseDescriptor(v, where = 'descriptor') {
    if (!isRecord(v))
        throw new InvalidDocumentError(`${where}: not an object`);
    if (typeof v.mediaType !== 'string' || v.mediaType === '') {
        throw new InvalidDocumentError(`${where}: mediaType missing`);
    }
    const size = v.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw new InvalidDocumentError(`${where}: size ${JSON.stringify(size)} is not a non-negative integer`);
    }
    let digest;
    try {
        digest = parseDigest(v.digest, `${where} digest`);
    }
    catch (err) {
        throw new InvalidDocumentError(err.message);
    }
    const d = { mediaType: v.mediaType, digest, size };
    if (Array.isArray(v.urls))
        d.urls = v.urls.filter((u) => typeof u === 'string');
    const annotations = stringMap(v.annotations, where);
    if (annotations)
        d.annotations = annotations;
    if (isRecord(v.platform)) {
        const { os, architecture, variant } = v.platform;
        if (typeof os !== 'string' || typeof architecture !== 'string') {
            throw new InvalidDocumentError(`${where}: platform needs os and architecture`);
        }
        d.platform = normalizePlatform({ os, architecture, ...(typeof variant === 'string' ? { variant } : {}) });
    }
    if (typeof v.artifactType === 'string')
        d.artifactType = v.artifactType;
    return d;
}
function parseJson(bytes, where) {
    let v;
    try {
        v = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
    }
    catch (err) {
        throw new InvalidDocumentError(`${where}: not valid JSON (${err.message})`);
    }
    if (!isRecord(v))
        throw new InvalidDocumentError(`${where}: not a JSON object`);
    return v;
}
/** Parses an OCI index, a Docker manifest list, or an image layout's index.json. */
function parseIndex(bytes, where = 'index') {
    const v = parseJson(bytes, where);
    if (v.schemaVersion !== 2)
        throw new InvalidDocumentError(`${where}: schemaVersion must be 2`);
    if (!Array.isArray(v.manifests))
        throw new InvalidDocumentError(`${where}: manifests must be an array`);
    if (typeof v.mediaType === 'string' && !isIndexMediaType(v.mediaType)) {
        throw new InvalidDocumentError(`${where}: mediaType ${v.mediaType} is not an index`);
    }
    return {
        schemaVersion: 2,
        ...(typeof v.mediaType === 'string' ? { mediaType: v.mediaType } : {}),
        manifests: v.manifests.map((m, i) => parseDescriptor(m, `${where} manifests[${i}]`)),
        ...(stringMap(v.annotations, where) ? { annotations: stringMap(v.annotations, where) } : {}),
    };
}
/** Parses an OCI image manifest or a Docker schema 2 manifest. */
function parseManifest(bytes, where = 'manifest') {
    const v = parseJson(bytes, where);
    if (v.schemaVersion !== 2)
        throw new InvalidDocumentError(`${where}: schemaVersion must be 2`);
    if (typeof v.mediaType === 'string' && !isManifestMediaType(v.mediaType)) {
        throw new InvalidDocumentError(`${where}: mediaType ${v.mediaType} is not an image manifest`);
    }
    if (!Array.isArray(v.layers))
        throw new InvalidDocumentError(`${where}: layers must be an array`);
    const m = {
        schemaVersion: 2,
        config: parseDescriptor(v.config, `${where} config`),
        layers: v.layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`)),
    };
    if (typeof v.mediaType === 'string')
        m.mediaType = v.mediaType;
    if (v.subject !== undefined)
        m.subject = parseDescriptor(v.subject, `${where} subject`);
    const annotations = stringMap(v.annotations, where);
    if (annotations)
        m.annotations = annotations;
    return m;
}
/** The descriptor to write for an index.json of our own making. */
function emptyIndex() {
    return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
}

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: ./lib/layout/atomic.js



/** A temp name beside `target`, unique to this process and call. */
function tempPathFor(target) {
    return `${target}.tmp-${process.pid}-${(0,external_node_crypto_namespaceObject.randomBytes)(4).toString('hex')}`;
}
/** fsync a directory so a rename inside it survives a crash. */
async function syncDir(dir) {
    const fh = await (0,promises_namespaceObject.open)(dir, 'r');
    try {
        await fh.sync();
    }
    finally {
        await fh.close();
    }
}
/**
 * Writes `data` to `target` so that readers see either the old file or the whole new one:
 * temp file in the same directory, fsync, rename, fsync the directory.
 */
async function writeFileAtomic(target, data) {
    const tmp = tempPathFor(target);
    const fh = await (0,promises_namespaceObject.open)(tmp, 'wx', 0o644);
    try {
        await fh.writeFile(data);
        await fh.sync();
    }
    catch (err) {
        await fh.close();
        await (0,promises_namespaceObject.unlink)(tmp).catch(() => { });
        throw err;
    }
    await fh.close();
    try {
        await (0,promises_namespaceObject.rename)(tmp, target);
    }
    catch (err) {
        await (0,promises_namespaceObject.unlink)(tmp).catch(() => { });
        throw err;
    }
    await syncDir(external_node_path_namespaceObject.dirname(target));
}

;// CONCATENATED MODULE: ./lib/layout/lock.js



const DEFAULTS = { timeoutMs: 10 * 60_000, pollMs: 20, what: 'cache' };
function isAlive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (err) {
        return err.code === 'EPERM';
    }
}
/** The holder recorded in a lock file is gone (same host, process no longer exists). */
function isStale(content) {
    const [pid, host] = content.split('\n');
    const n = Number(pid);
    if (!Number.isInteger(n) || n <= 0)
        return true; // not a lock of ours: garbage left behind
    return host === (0,external_node_os_namespaceObject.hostname)() && !isAlive(n);
}
/**
 * An exclusive lock between processes: a file created with O_EXCL holding our pid and host.
 * A lock left by a killed process on this host is taken over; any other holder is waited for.
 */
async function acquireLock(lockPath, options = {}) {
    const opts = { ...DEFAULTS, ...options };
    const me = `${process.pid}\n${(0,external_node_os_namespaceObject.hostname)()}\n${new Date().toISOString()}\n`;
    const deadline = Date.now() + opts.timeoutMs;
    let wait = opts.pollMs;
    let told = false;
    for (;;) {
        try {
            const fh = await (0,promises_namespaceObject.open)(lockPath, 'wx', 0o644);
            await fh.writeFile(me);
            await fh.close();
            return {
                async release() {
                    // Only remove the lock if it is still ours.
                    const now = await (0,promises_namespaceObject.readFile)(lockPath, 'utf8').catch(() => '');
                    if (now === me)
                        await (0,promises_namespaceObject.unlink)(lockPath).catch(() => { });
                },
            };
        }
        catch (err) {
            if (err.code !== 'EEXIST')
                throw err;
        }
        const holder = await (0,promises_namespaceObject.readFile)(lockPath, 'utf8').catch(() => undefined);
        if (holder === undefined)
            continue; // released between our open and read
        if (holder !== '' && isStale(holder)) {
            // Move it aside atomically so only one waiter takes a stale lock over.
            const aside = `${lockPath}.stale-${process.pid}`;
            try {
                await (0,promises_namespaceObject.rename)(lockPath, aside);
                await (0,promises_namespaceObject.unlink)(aside);
                opts.logger?.debug(`took over a stale ${opts.what} lock left by pid ${holder.split('\n')[0]}`);
            }
            catch {
                /* someone else took it over first */
            }
            continue;
        }
        if (Date.now() >= deadline) {
            const pid = holder.split('\n')[0] || 'unknown';
            throw new LockTimeoutError(`${opts.what} is locked by process ${pid} (${lockPath}): wait for it to finish, or delete the lock file if that process is gone`);
        }
        if (!told && Date.now() + 2000 < deadline) {
            told = true;
            opts.logger?.info(`waiting for the ${opts.what} lock held by process ${holder.split('\n')[0]}`);
        }
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 1000);
    }
}
async function withLock(lockPath, fn, options = {}) {
    const lock = await acquireLock(lockPath, options);
    try {
        return await fn();
    }
    finally {
        await lock.release();
    }
}

;// CONCATENATED MODULE: ./lib/layout/layout.js










const LAYOUT_FILE = 'oci-layout';
const INDEX_FILE = 'index.json';
const BLOBS_DIR = 'blobs';
/** Our own lock between processes; linuxkit's `.lock` is never touched. */
const LOCK_FILE = '.oci-cache-guard.lock';
/** Per-blob download locks live here, outside blobs/ so the scan never sees them. */
const LOCKS_DIR = '.oci-cache-guard.locks';
/** `<hex>.download`: a partial download of ours, resumed by the next pull. */
const PARTIAL_SUFFIX = '.download';
/** linuxkit's fcntl lock file and buildkit-style ingest dir: never saved. */
const LINUXKIT_LOCK_FILE = '.lock';
const INGEST_DIR = 'ingest';
const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';
/** linuxkit's cache: `$LINUXKIT_CACHE`, else `~/.linuxkit/cache`. */
function defaultCacheDir(env = process.env) {
    return env.LINUXKIT_CACHE || external_node_path_namespaceObject.join((0,external_node_os_namespaceObject.homedir)(), '.linuxkit', 'cache');
}
function entryName(raw) {
    const annotations = raw?.annotations;
    const name = annotations?.[Annotation.RefName];
    return typeof name === 'string' ? name : undefined;
}
function parseIndexDocument(text) {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new Error('not a JSON object');
    const { manifests, ...fields } = v;
    if (fields.schemaVersion !== 2)
        throw new Error('schemaVersion is not 2');
    if (manifests !== undefined && !Array.isArray(manifests))
        throw new Error('manifests is not an array');
    const entries = (manifests ?? []).map((raw, i) => {
        const name = entryName(raw);
        try {
            return {
                raw,
                descriptor: parseDescriptor(raw, `index.json manifests[${i}]`),
                ...(name ? { name } : {}),
            };
        }
        catch (err) {
            return { raw, error: err.message, ...(name ? { name } : {}) };
        }
    });
    return { fields, entries };
}
function serializeIndex(doc) {
    return `${JSON.stringify({ ...doc.fields, manifests: doc.entries.map((e) => e.raw) }, null, 2)}\n`;
}
/**
 * An OCI image layout on disk. Every path under it is built here, every blob path from a
 * checked Digest, so nothing read from a registry or a file can name a path outside it.
 */
class Layout {
    root;
    constructor(root) {
        this.root = root;
    }
    static at(dir) {
        return new Layout(external_node_path_namespaceObject.resolve(dir));
    }
    path(...parts) {
        const p = external_node_path_namespaceObject.join(this.root, ...parts);
        if (p !== this.root && !p.startsWith(this.root + external_node_path_namespaceObject.sep)) {
            throw new GuardError(`refusing path ${JSON.stringify(parts.join('/'))}: outside the cache ${this.root}`);
        }
        return p;
    }
    get indexPath() {
        return this.path(INDEX_FILE);
    }
    get layoutFilePath() {
        return this.path(LAYOUT_FILE);
    }
    get blobsDir() {
        return this.path(BLOBS_DIR);
    }
    blobDir(algorithm) {
        return this.path(BLOBS_DIR, algorithm);
    }
    blobPath(digest) {
        return this.path(BLOBS_DIR, digestAlgorithm(digest), digestHex(digest));
    }
    partialPath(digest) {
        return this.blobPath(digest) + PARTIAL_SUFFIX;
    }
    /** A path relative to the root, with forward slashes, for reports. */
    relative(p) {
        return external_node_path_namespaceObject.relative(this.root, p).split(external_node_path_namespaceObject.sep).join('/');
    }
    async exists() {
        return (0,promises_namespaceObject.stat)(this.root).then((s) => s.isDirectory(), () => false);
    }
    /** Creates the directory, `oci-layout`, `blobs/sha256` and an empty `index.json` where missing. */
    async init() {
        await (0,promises_namespaceObject.mkdir)(this.blobDir('sha256'), { recursive: true });
        if (!(await (0,promises_namespaceObject.stat)(this.layoutFilePath).catch(() => undefined))) {
            await writeFileAtomic(this.layoutFilePath, OCI_LAYOUT_CONTENT);
        }
        if (!(await (0,promises_namespaceObject.stat)(this.indexPath).catch(() => undefined))) {
            await this.writeIndex({ fields: { schemaVersion: 2, mediaType: mediatypes_MediaType.OciIndex }, entries: [] });
        }
    }
    async readIndex() {
        let text;
        try {
            text = await this.readSmallFile(this.indexPath);
        }
        catch (err) {
            if (err.code === 'ENOENT')
                return { state: 'missing' };
            return { state: 'corrupt', detail: err.message };
        }
        try {
            return { state: 'ok', doc: parseIndexDocument(text) };
        }
        catch (err) {
            return { state: 'corrupt', detail: `unparseable: ${err.message}` };
        }
    }
    async writeIndex(doc) {
        await writeFileAtomic(this.indexPath, serializeIndex(doc));
    }
    /** Moves an unparseable index.json aside (never deleted) and returns the new name. */
    async moveIndexAside(now = new Date()) {
        const stamp = now.toISOString().replace(/[:.]/g, '-');
        const aside = this.path(`${INDEX_FILE}.corrupt-${stamp}`);
        await (0,promises_namespaceObject.rename)(this.indexPath, aside);
        return aside;
    }
    /**
     * Adds or replaces the entry named `name` (linuxkit's rule: one entry per name) with the
     * descriptor as served, under the cache lock so concurrent writers keep every entry.
     */
    async setEntry(descriptor, name, lockOptions) {
        await this.withLock(async () => {
            await this.init();
            const read = await this.readIndex();
            if (read.state !== 'ok') {
                throw new GuardError(`${this.indexPath} is ${read.state === 'missing' ? 'missing' : 'corrupt'}: run oci-cache-guard validate --repair`);
            }
            const raw = {
                mediaType: descriptor.mediaType,
                digest: descriptor.digest,
                size: descriptor.size,
                ...(descriptor.platform ? { platform: descriptor.platform } : {}),
                annotations: { ...descriptor.annotations, [Annotation.RefName]: name },
            };
            const entries = read.doc.entries.filter((e) => e.name !== name);
            entries.push({
                raw,
                descriptor: { ...descriptor, annotations: raw.annotations },
                name,
            });
            await this.writeIndex({ fields: read.doc.fields, entries });
        }, lockOptions);
    }
    /** Exclusive lock on the layout for index.json changes, repair and prune. */
    withLock(fn, options) {
        return withLock(this.path(LOCK_FILE), fn, { what: `cache ${this.root}`, ...options });
    }
    /** Lock for downloading one blob, so two processes never write the same partial file. */
    async lockBlob(digest, options) {
        await (0,promises_namespaceObject.mkdir)(this.path(LOCKS_DIR), { recursive: true });
        return acquireLock(this.path(LOCKS_DIR, `${digestAlgorithm(digest)}-${digestHex(digest)}`), {
            what: `download of ${digest}`,
            ...options,
        });
    }
    /** Opens a blob for reading: symlinks and non-regular files are refused, never followed. */
    async openBlob(digest) {
        return openRegularNoFollow(this.blobPath(digest));
    }
    /** Reads a whole blob of at most `maxBytes` (manifests, configs). */
    async readBlob(digest, maxBytes) {
        const fh = await this.openBlob(digest);
        try {
            const { size } = await fh.stat();
            if (size > maxBytes)
                throw new GuardError(`blob ${digest} is ${size} bytes, more than the ${maxBytes} allowed`);
            return await fh.readFile();
        }
        finally {
            await fh.close();
        }
    }
    /** Reads a small file of the layout (index.json, oci-layout) without following a symlink. */
    async readSmallFile(p, maxBytes = 64 * 1024 * 1024) {
        const fh = await openRegularNoFollow(p);
        try {
            const { size } = await fh.stat();
            if (size > maxBytes)
                throw new GuardError(`${p} is ${size} bytes, more than the ${maxBytes} allowed`);
            return (await fh.readFile()).toString('utf8');
        }
        finally {
            await fh.close();
        }
    }
}
/** open(O_RDONLY|O_NOFOLLOW) and fstat: a symlink fails with ELOOP, a directory or device is refused. */
async function openRegularNoFollow(p) {
    const fh = await (0,promises_namespaceObject.open)(p, external_node_fs_namespaceObject.constants.O_RDONLY | external_node_fs_namespaceObject.constants.O_NOFOLLOW);
    const s = await fh.stat();
    if (!s.isFile()) {
        await fh.close();
        const err = new Error(`${p} is not a regular file`);
        err.code = 'ENOTREG';
        throw err;
    }
    return fh;
}

;// CONCATENATED MODULE: ./lib/cli/cache.js



/** The layout named by --cache (or the default), which must be an existing directory. */
async function openExistingCache(dir) {
    const s = await (0,promises_namespaceObject.stat)(dir).catch(() => undefined);
    if (!s)
        throw new errors_UsageError(`cache directory ${dir} does not exist: pass --cache DIR or set LINUXKIT_CACHE`);
    if (!s.isDirectory())
        throw new errors_UsageError(`cache ${dir} is not a directory: pass --cache DIR`);
    return Layout.at(dir);
}

;// CONCATENATED MODULE: external "node:util"
const external_node_util_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");
;// CONCATENATED MODULE: ./lib/cli/args.js




const COMMON_OPTIONS = {
    cache: { type: 'string' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
};
/** parseArgs with one-line usage errors instead of Node's multi-line ones. */
function parseCommand(command, argv, options, allowPositionals = false) {
    try {
        return (0,external_node_util_namespaceObject.parseArgs)({ args: argv, options, allowPositionals, strict: true });
    }
    catch (err) {
        const message = err.message.split('\n')[0].replace(/^TypeError \[\w+\]: /, '');
        throw new errors_UsageError(`${command}: ${message} (see oci-cache-guard ${command} --help)`);
    }
}
function commonSettings(values) {
    return {
        cache: values.cache ?? defaultCacheDir(),
        json: values.json ?? false,
        verbose: values.verbose ?? false,
    };
}
function parseMode(value) {
    if (value === undefined || value === 'full' || value === 'size')
        return value ?? 'full';
    throw new errors_UsageError(`invalid --mode ${JSON.stringify(value)}: expected full or size`);
}
function parsePlatforms(values) {
    return (values ?? []).map((v) => parsePlatform(v));
}

;// CONCATENATED MODULE: ./lib/cli/progress.js
function formatBytes(n) {
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    let v = n;
    while (v >= 1000 && i < units.length - 1) {
        v /= 1000;
        i++;
    }
    return `${i === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
function formatDuration(ms) {
    if (ms < 1000)
        return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    if (s < 60)
        return `${s.toFixed(1)} s`;
    return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
function createProgress(options) {
    const stream = options.stream ?? process.stderr;
    const tty = Boolean(stream.isTTY);
    const start = Date.now();
    const quietMs = options.quietMs ?? 1000;
    const intervalMs = options.intervalMs ?? (tty ? 100 : 5000);
    const fmt = options.unit === 'count' ? String : formatBytes;
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
            const eta = total > done && rate > 0 ? `, ETA ${formatDuration(((total - done) / rate) * 1000)}` : '';
            const speed = options.unit === 'count' ? '' : `, ${formatBytes(rate)}/s`;
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

;// CONCATENATED MODULE: external "node:worker_threads"
const external_node_worker_threads_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");
;// CONCATENATED MODULE: ./lib/verify/hash-worker-source.js
/**
 * The hash worker's program, as a string run with `new Worker(HASH_WORKER_SOURCE, { eval: true })`.
 *
 * Why a string: ncc bundles each entry point into one `dist/<entry>/index.js`, so there is no
 * worker file on disk to point `new Worker(path)` at. An eval worker runs this text as a
 * CommonJS script (`require` works) whatever the main bundle's module format is. Keep it plain
 * ES2020 JavaScript with `node:` built-ins only: nothing here is compiled or bundled.
 *
 * Protocol (one job at a time per worker; the pool never sends a second before the reply):
 *   in:  { id, path, algorithm, maxBytes }           maxBytes: number | null
 *   out: { id, progress: bytesSoFar }                  every workerData.progressInterval bytes
 *        { id, ok: true, size, hex }
 *        { id, ok: false, code, errno, message, size } code: HashErrorCode in hash-pool.ts
 *
 * Must stay in step with `hashFileInline()` in hash-pool.ts (same checks, same codes); the
 * tests run one table of cases against both.
 */
const HASH_WORKER_SOURCE = String.raw `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');

const C = fs.constants;
// O_NOFOLLOW: a symlink as the last path component fails with ELOOP instead of being followed.
// O_NONBLOCK: opening a FIFO planted in blobs/ returns at once (then fstat refuses it) instead
// of waiting forever for a writer; it changes nothing for regular files.
const NOFOLLOW = C.O_NOFOLLOW;
const FLAGS = C.O_RDONLY | (NOFOLLOW || 0) | (C.O_NONBLOCK || 0);
const buffer = Buffer.allocUnsafeSlow(workerData.readSize);
const progressInterval = workerData.progressInterval;

function fail(id, code, message, errno, size) {
  return { id, ok: false, code, message, errno: errno || null, size: size === undefined ? null : size };
}

function kindOf(st) {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a special file';
}

function fromError(id, path, err) {
  const errno = err && typeof err.code === 'string' ? err.code : 'EUNKNOWN';
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return fail(id, 'ENOENT', path + ': no such file', errno);
  if (errno === 'ELOOP' || errno === 'EMLINK') {
    return fail(id, 'ELOOP', path + ': is a symbolic link (refused, not followed)', errno);
  }
  const detail = err && err.message ? String(err.message).split('\n')[0] : String(err);
  return fail(id, 'IO', path + ': ' + detail, errno);
}

function hash(job) {
  const id = job.id;
  const path = job.path;
  let fd = -1;
  try {
    // Platforms without O_NOFOLLOW (Windows): refuse a symlink by lstat, then make sure the
    // file we opened is the one we looked at.
    const seen = NOFOLLOW === undefined ? fs.lstatSync(path, { bigint: true }) : null;
    if (seen && seen.isSymbolicLink()) return fail(id, 'ELOOP', path + ': is a symbolic link (refused, not followed)', 'ELOOP');
    fd = fs.openSync(path, FLAGS);
    const st = fs.fstatSync(fd, { bigint: seen !== null });
    if (!st.isFile()) return fail(id, 'NOT_REGULAR', path + ': is ' + kindOf(st) + ', not a regular file', null);
    if (seen && (seen.ino !== st.ino || seen.dev !== st.dev)) {
      return fail(id, 'IO', path + ': changed while being opened', null);
    }
    const statSize = Number(st.size);
    const max = job.maxBytes === null ? Infinity : job.maxBytes;
    if (statSize > max) return fail(id, 'TOO_LARGE', path + ': ' + statSize + ' bytes, more than ' + max, null, statSize);

    const h = crypto.createHash(job.algorithm);
    let size = 0;
    let reported = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      size += n;
      // The file grew after fstat: stop reading, never hash past the cap.
      if (size > max) return fail(id, 'TOO_LARGE', path + ': more than ' + max + ' bytes', null, size);
      h.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      if (size - reported >= progressInterval) {
        reported = size;
        parentPort.postMessage({ id, progress: size });
      }
    }
    return { id, ok: true, size, hex: h.digest('hex') };
  } catch (err) {
    return fromError(id, path, err);
  } finally {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        // Nothing useful to do: the result is already decided.
      }
    }
  }
}

parentPort.on('message', (job) => {
  parentPort.postMessage(hash(job));
});
`;

;// CONCATENATED MODULE: ./lib/verify/hash-pool.js
/**
 * Parallel file hashing for the verifier: a pool of worker threads, one file per worker at a
 * time, each worker streaming its file through one reused buffer into `crypto.createHash`.
 * Memory stays flat whatever the file size (workers × readSize plus the threads themselves).
 *
 * Every open refuses to follow a symlink (`O_NOFOLLOW`) and checks with fstat, on the fd it
 * opened, that the file is a regular file. A file that cannot be hashed is a result, not an
 * exception: `{ ok: false, code: 'ELOOP' | 'NOT_REGULAR' | 'ENOENT' | 'TOO_LARGE' | 'IO' }`.
 * Only misuse (bad options, a closed pool) and a crashed worker reject.
 *
 * `O_NOFOLLOW` covers the last path component only: callers pass paths built by the layout
 * module under a directory they have already checked.
 */








const MiB = 1024 * 1024;
const HASH_POOL_DEFAULTS = Object.freeze({
    readSize: 1 * MiB,
    progressInterval: 16 * MiB,
});
function checkInteger(name, value, min, max) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
        throw new errors_UsageError(`hash pool: invalid ${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`);
    }
    return value;
}
function resolveOptions(options = {}) {
    const merged = { ...HASH_POOL_DEFAULTS, workers: (0,external_node_os_namespaceObject.availableParallelism)(), ...options };
    return {
        workers: checkInteger('workers', merged.workers, 1, 256),
        readSize: checkInteger('readSize', merged.readSize, 4096, 64 * MiB),
        progressInterval: checkInteger('progressInterval', merged.progressInterval, 1, Number.MAX_SAFE_INTEGER),
    };
}
function checkMaxBytes(maxBytes) {
    if (maxBytes === undefined)
        return null;
    return checkInteger('maxBytes', maxBytes, 0, Number.MAX_SAFE_INTEGER);
}
function checkAlgorithm(algorithm) {
    if (typeof algorithm === 'string' && isAlgorithm(algorithm))
        return algorithm;
    throw new errors_UsageError(`hash pool: invalid algorithm ${JSON.stringify(algorithm)}: expected sha256 or sha512`);
}
/** The pool was closed before this file was hashed. */
class HashPoolClosedError extends GuardError {
    name = 'HashPoolClosedError';
}
/** A worker thread died while hashing (out of memory, killed): not a fact about the file. */
class HashWorkerError extends GuardError {
    name = 'HashWorkerError';
}
function toResult(job, reply) {
    if (reply.ok) {
        return {
            ok: true,
            path: job.path,
            algorithm: job.algorithm,
            size: reply.size,
            hex: reply.hex,
            digest: digest_makeDigest(job.algorithm, reply.hex),
        };
    }
    return {
        ok: false,
        path: job.path,
        code: reply.code,
        message: reply.message,
        ...(reply.errno !== null ? { errno: reply.errno } : {}),
        ...(reply.size !== null ? { size: reply.size } : {}),
    };
}
/**
 * Worker threads hashing files. Workers start on demand, up to `workers`, and are unref'd
 * whenever idle, so an unclosed pool never keeps the process alive; `close()` ends them at once.
 */
class HashPool {
    options;
    #slots = [];
    #queue = [];
    #queueHead = 0;
    #nextId = 1;
    #closed = false;
    constructor(options) {
        this.options = Object.freeze(options);
    }
    static create(options = {}) {
        return new HashPool(resolveOptions(options));
    }
    /** Hashes one file on the next free worker. Resolves with a result for every file problem. */
    hashFile(path, algorithm, options = {}) {
        try {
            return this.#enqueue(path, checkAlgorithm(algorithm), checkMaxBytes(options.maxBytes), options.onProgress);
        }
        catch (err) {
            return Promise.reject(err);
        }
    }
    /**
     * Hashes a batch, largest file first (so one big blob does not finish last), and resolves
     * with the results in the order of `items`.
     */
    async hashFiles(items, options = {}) {
        const checked = items.map((item) => ({
            path: item.path,
            algorithm: checkAlgorithm(item.algorithm),
            maxBytes: checkMaxBytes(item.maxBytes),
        }));
        if (this.#closed)
            throw new HashPoolClosedError('hash pool is closed');
        const sizes = await Promise.all(items.map(async (item) => {
            if (item.size !== undefined)
                return item.size;
            // Only for ordering; the worker does the real (no-follow) checks.
            return (0,promises_namespaceObject.lstat)(item.path).then((st) => (st.isFile() ? st.size : 0), () => 0);
        }));
        const order = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b);
        const progress = {
            bytes: 0,
            totalBytes: sizes.reduce((sum, s) => sum + s, 0),
            files: 0,
            totalFiles: items.length,
        };
        const { onProgress, onResult } = options;
        const results = new Array(items.length);
        for (const i of order) {
            const { path, algorithm, maxBytes } = checked[i];
            let counted = 0;
            const account = (bytes) => {
                progress.bytes += bytes - counted;
                counted = bytes;
            };
            const job = this.#enqueue(path, algorithm, maxBytes, onProgress &&
                ((bytes) => {
                    account(bytes);
                    onProgress({ ...progress });
                }));
            results[i] = job.then((result) => {
                account(result.ok ? result.size : counted);
                progress.files += 1;
                onResult?.(i, result);
                onProgress?.({ ...progress });
                return result;
            });
        }
        return Promise.all(results);
    }
    /** Ends every worker now. Files not yet hashed reject with HashPoolClosedError. Idempotent. */
    async close() {
        if (this.#closed)
            return;
        this.#closed = true;
        const closed = new HashPoolClosedError('hash pool closed before the file was hashed');
        for (let i = this.#queueHead; i < this.#queue.length; i++)
            this.#queue[i].reject(closed);
        this.#queue.length = 0;
        this.#queueHead = 0;
        const slots = this.#slots.splice(0);
        for (const slot of slots)
            slot.job?.reject(closed);
        await Promise.all(slots.map((slot) => slot.worker.terminate()));
    }
    #enqueue(path, algorithm, maxBytes, onProgress) {
        if (this.#closed)
            return Promise.reject(new HashPoolClosedError('hash pool is closed'));
        return new Promise((resolve, reject) => {
            this.#queue.push({ id: this.#nextId++, path, algorithm, maxBytes, onProgress, resolve, reject });
            this.#dispatch();
        });
    }
    #dispatch() {
        while (this.#queueHead < this.#queue.length) {
            const slot = this.#slots.find((s) => s.job === undefined) ?? this.#spawn();
            if (!slot)
                return;
            const job = this.#queue[this.#queueHead];
            this.#queue[this.#queueHead++] = undefined;
            if (this.#queueHead === this.#queue.length) {
                this.#queue.length = 0;
                this.#queueHead = 0;
            }
            slot.job = job;
            slot.worker.ref();
            slot.worker.postMessage({
                id: job.id,
                path: job.path,
                algorithm: job.algorithm,
                maxBytes: job.maxBytes,
            });
        }
    }
    #spawn() {
        if (this.#slots.length >= this.options.workers)
            return undefined;
        const worker = new external_node_worker_threads_namespaceObject.Worker(HASH_WORKER_SOURCE, {
            eval: true,
            workerData: { readSize: this.options.readSize, progressInterval: this.options.progressInterval },
            stdout: false,
            stderr: false,
        });
        worker.unref();
        const slot = { worker, job: undefined, error: undefined };
        worker.on('message', (reply) => this.#onReply(slot, reply));
        worker.on('error', (err) => {
            slot.error = err;
        });
        worker.on('exit', (code) => this.#onExit(slot, code));
        this.#slots.push(slot);
        return slot;
    }
    #onReply(slot, reply) {
        const job = slot.job;
        if (!job || job.id !== reply.id)
            return;
        if ('progress' in reply) {
            if (job.onProgress && !job.callbackError) {
                try {
                    job.onProgress(reply.progress);
                }
                catch (error) {
                    job.callbackError = { error };
                }
            }
            return;
        }
        slot.job = undefined;
        slot.worker.unref();
        if (job.callbackError)
            job.reject(job.callbackError.error);
        else
            job.resolve(toResult(job, reply));
        this.#dispatch();
    }
    #onExit(slot, code) {
        const at = this.#slots.indexOf(slot);
        if (at < 0)
            return; // closed by us
        this.#slots.splice(at, 1);
        if (slot.job) {
            const why = slot.error instanceof Error ? slot.error.message : `exit code ${code}`;
            slot.job.reject(new HashWorkerError(`hash worker died while hashing ${slot.job.path}: ${why}`, { cause: slot.error }));
        }
        this.#dispatch();
    }
}
// ---------------------------------------------------------------------------------------------
// Main-thread hashing for single small files, where a worker round-trip costs more than it saves.
const O_NOFOLLOW = external_node_fs_namespaceObject.constants.O_NOFOLLOW;
const OPEN_FLAGS = external_node_fs_namespaceObject.constants.O_RDONLY | (O_NOFOLLOW ?? 0) | (external_node_fs_namespaceObject.constants.O_NONBLOCK ?? 0);
const INLINE_MIN_READ = (/* unused pure expression or super */ null && (64 * 1024));
function kindOf(st) {
    if (st.isDirectory())
        return 'a directory';
    if (st.isFIFO())
        return 'a FIFO';
    if (st.isSocket())
        return 'a socket';
    if (st.isCharacterDevice() || st.isBlockDevice())
        return 'a device';
    return 'a special file';
}
function failure(path, code, message, errno, size) {
    return {
        ok: false,
        path,
        code,
        message: `${path}: ${message}`,
        ...(errno !== undefined ? { errno } : {}),
        ...(size !== undefined ? { size } : {}),
    };
}
function fromError(path, err) {
    const errno = typeof err?.code === 'string' ? err.code : 'EUNKNOWN';
    if (errno === 'ENOENT' || errno === 'ENOTDIR')
        return failure(path, 'ENOENT', 'no such file', errno);
    if (errno === 'ELOOP' || errno === 'EMLINK') {
        return failure(path, 'ELOOP', 'is a symbolic link (refused, not followed)', errno);
    }
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return failure(path, 'IO', detail, errno);
}
async function hashFileInline(path, algorithm, options = {}) {
    const alg = checkAlgorithm(algorithm);
    const maxBytes = checkMaxBytes(options.maxBytes);
    if (options.keepBytes && maxBytes === null) {
        throw new UsageError('hashFileInline: keepBytes needs maxBytes, so memory stays bounded');
    }
    const max = maxBytes ?? Infinity;
    let fh;
    try {
        // Without O_NOFOLLOW (Windows): refuse a symlink by lstat, then check we opened that file.
        const seen = O_NOFOLLOW === undefined ? await lstat(path, { bigint: true }) : undefined;
        if (seen?.isSymbolicLink())
            return failure(path, 'ELOOP', 'is a symbolic link (refused, not followed)', 'ELOOP');
        fh = await open(path, OPEN_FLAGS);
        const st = seen ? await fh.stat({ bigint: true }) : await fh.stat();
        if (!st.isFile())
            return failure(path, 'NOT_REGULAR', `is ${kindOf(st)}, not a regular file`);
        if (seen && (seen.ino !== st.ino || seen.dev !== st.dev))
            return failure(path, 'IO', 'changed while being opened');
        const statSize = Number(st.size);
        if (statSize > max)
            return failure(path, 'TOO_LARGE', `${statSize} bytes, more than ${max}`, undefined, statSize);
        const hash = createHash(alg);
        const chunkSize = Math.min(HASH_POOL_DEFAULTS.readSize, Math.max(statSize + 1, INLINE_MIN_READ));
        const chunks = [];
        let buffer = Buffer.allocUnsafe(chunkSize);
        let size = 0;
        for (;;) {
            const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
            if (bytesRead === 0)
                break;
            size += bytesRead;
            if (size > max)
                return failure(path, 'TOO_LARGE', `more than ${max} bytes`, undefined, size);
            const data = buffer.subarray(0, bytesRead);
            hash.update(data);
            if (options.keepBytes) {
                chunks.push(data);
                buffer = Buffer.allocUnsafe(chunkSize);
            }
        }
        const hex = hash.digest('hex');
        const result = { ok: true, path, algorithm: alg, size, hex, digest: makeDigest(alg, hex) };
        return options.keepBytes ? { ...result, bytes: Buffer.concat(chunks, size) } : result;
    }
    catch (err) {
        return fromError(path, err);
    }
    finally {
        await fh?.close().catch(() => undefined);
    }
}

;// CONCATENATED MODULE: ./lib/verify/findings.js
/** Kinds that make a cache inconsistent; partial and unreferenced are informational. */
const PROBLEM_KINDS = new Set(['corrupt', 'missing', 'stray', 'index']);
function isProblem(f) {
    return PROBLEM_KINDS.has(f.kind) && f.action === 'kept';
}
/** "truncated: 1104 of 5678 bytes" — the words users see for a size mismatch. */
function sizeDetail(actual, expected) {
    if (actual === 0)
        return `empty: 0 of ${expected} bytes`;
    return actual < expected
        ? `truncated: ${actual} of ${expected} bytes`
        : `too long: ${actual} bytes, ${expected} expected`;
}

;// CONCATENATED MODULE: ./lib/verify/scan.js




function scan_kindOf(s) {
    if (s.isSymbolicLink())
        return 'symbolic link (never followed)';
    if (s.isDirectory())
        return 'directory';
    if (!s.isFile())
        return 'not a regular file';
    return undefined;
}
/**
 * Lists blobs/ without following symlinks, classifies every entry, and hashes the blobs in
 * parallel when asked. Changes nothing.
 */
async function scanBlobs(layout, options) {
    const result = { blobs: new Map(), partials: [], strays: [] };
    const blobsDir = layout.blobsDir;
    const top = await (0,promises_namespaceObject.lstat)(blobsDir).catch(() => undefined);
    if (!top)
        return result;
    if (!top.isDirectory()) {
        result.strays.push({
            path: blobsDir,
            size: top.size,
            detail: `${scan_kindOf(top) ?? 'file'} where the blobs directory should be`,
            isDirectory: false,
        });
        return result;
    }
    for (const algName of await (0,promises_namespaceObject.readdir)(blobsDir)) {
        const algPath = external_node_path_namespaceObject.join(blobsDir, algName);
        const s = await (0,promises_namespaceObject.lstat)(algPath);
        if (!isAlgorithm(algName) || !s.isDirectory()) {
            const what = scan_kindOf(s) ?? 'file';
            result.strays.push({
                path: algPath,
                size: s.size,
                detail: isAlgorithm(algName)
                    ? `${what} where a directory should be`
                    : `${what} in ${BLOBS_DIR}/: not a digest algorithm`,
                isDirectory: s.isDirectory(),
            });
            continue;
        }
        await scanAlgorithmDir(algName, algPath, result);
    }
    if (options.hash)
        await hashAll(result, options);
    return result;
}
async function scanAlgorithmDir(algorithm, dir, result) {
    for (const name of await (0,promises_namespaceObject.readdir)(dir)) {
        const p = external_node_path_namespaceObject.join(dir, name);
        const s = await (0,promises_namespaceObject.lstat)(p);
        const notFile = scan_kindOf(s);
        const stray = (detail, digest) => result.strays.push({
            path: p,
            size: s.size,
            detail,
            isDirectory: s.isDirectory(),
            ...(digest ? { digest } : {}),
        });
        if (isValidHex(algorithm, name)) {
            const digest = digest_makeDigest(algorithm, name);
            if (notFile)
                stray(notFile, digest);
            else
                result.blobs.set(digest, { digest, path: p, size: s.size });
            continue;
        }
        const hex = name.endsWith(PARTIAL_SUFFIX) ? name.slice(0, -PARTIAL_SUFFIX.length) : undefined;
        if (hex !== undefined && isValidHex(algorithm, hex) && !notFile) {
            result.partials.push({
                path: p,
                size: s.size,
                detail: `${s.size} bytes downloaded`,
                digest: digest_makeDigest(algorithm, hex),
                isDirectory: false,
            });
            continue;
        }
        stray(notFile ?? strayNameDetail(algorithm, name));
    }
}
function strayNameDetail(algorithm, name) {
    if (/^[0-9a-f]{64}\d+$/.test(name))
        return 'temporary file of an interrupted write (not a blob)';
    if (/^[0-9a-fA-F]+$/.test(name) && name !== name.toLowerCase())
        return `name is not a ${algorithm} digest: upper-case hex`;
    return `name is not a ${algorithm} digest`;
}
async function hashAll(result, options) {
    const files = [...result.blobs.values()];
    const outcomes = await options.hasher.hashFiles(files.map((f) => ({ path: f.path, algorithm: digestAlgorithm(f.digest), size: f.size })), options.onProgress ? { onProgress: options.onProgress } : {});
    outcomes.forEach((outcome, i) => applyHash(result, files[i], outcome));
}
/** Records a hash result on a scanned blob; a file that vanished or is no longer a file leaves the blob list. */
function applyHash(result, file, outcome) {
    if (!outcome.ok) {
        result.blobs.delete(file.digest);
        if (outcome.code !== 'ENOENT') {
            result.strays.push({
                path: file.path,
                size: file.size,
                detail: outcome.message,
                digest: file.digest,
                isDirectory: false,
            });
        }
        return;
    }
    file.size = outcome.size;
    file.hashOk = outcome.hex === digestHex(file.digest);
    if (!file.hashOk)
        file.actualHex = outcome.hex;
}

;// CONCATENATED MODULE: ./lib/verify/walk.js





/**
 * Walks the graph from index.json entries over a scan of blobs/: checks every descriptor
 * against the blob it names, parses manifests and indexes, and tells per image and platform
 * whether linuxkit could build from it. Records findings; changes nothing.
 */
class GraphWalker {
    layout;
    scan;
    hasher;
    findings = new Map();
    reachable = new Set();
    verdicts = new Map();
    documents = new Map();
    constructor(layout, scan, hasher) {
        this.layout = layout;
        this.scan = scan;
        this.hasher = hasher;
    }
    /** Status of one index.json entry. `bad` is true when any present part of it is wrong. */
    async walkImage(name, root) {
        const ctx = { name, bytes: new Set(), bad: false, problems: [] };
        const platforms = {};
        const rootVerdict = await this.check(root, ctx, 'index.json');
        if (rootVerdict !== 'ok') {
            ctx.bad = true;
            ctx.problems.push(`${isIndexMediaType(root.mediaType) ? 'index' : 'manifest'} blob ${rootVerdict}`);
        }
        else if (isIndexMediaType(root.mediaType)) {
            await this.walkIndex(root, ctx, platforms);
        }
        else {
            const ok = await this.walkManifest(root, ctx);
            if (!ok)
                ctx.bad = true;
            const platform = (await this.configPlatform(root)) ?? root.platform;
            platforms[platform ? formatPlatform(platform) : 'unknown'] = ok ? 'complete' : 'broken';
        }
        const size = [...ctx.bytes].reduce((sum, d) => sum + (this.scan.blobs.get(d)?.size ?? 0), 0);
        return {
            status: {
                name,
                digest: root.digest,
                mediaType: root.mediaType,
                platforms,
                size,
                ...(ctx.problems.length ? { problem: ctx.problems.join('; ') } : {}),
            },
            bad: ctx.bad,
        };
    }
    /** Platform manifests of an index (recursing into nested indexes), each with its attestations. */
    async walkIndex(desc, ctx, platforms) {
        const index = (await this.document(desc));
        const attestations = index.manifests.filter(isAttestation);
        for (const child of index.manifests) {
            if (isAttestation(child))
                continue;
            if (isIndexMediaType(child.mediaType)) {
                if ((await this.check(child, ctx, `index ${shortDigest(desc.digest)}`)) === 'ok') {
                    await this.walkIndex(child, ctx, platforms);
                }
                else
                    ctx.bad = true;
                continue;
            }
            const key = child.platform ? formatPlatform(child.platform) : `unknown ${shortDigest(child.digest)}`;
            if (!this.scan.blobs.has(child.digest)) {
                platforms[key] ??= 'absent';
                continue;
            }
            let ok = await this.walkManifest(child, ctx);
            for (const att of attestations.filter((a) => a.annotations?.[Annotation.DockerReferenceDigest] === child.digest)) {
                ok = (await this.walkManifest(att, ctx)) && ok;
            }
            if (!ok)
                ctx.bad = true;
            platforms[key] = ok ? 'complete' : 'broken';
        }
        // Attestations whose platform is not cached: walked only when present, so that what we
        // keep is whole; a broken one makes the entry unusable.
        for (const att of attestations) {
            const ref = att.annotations?.[Annotation.DockerReferenceDigest];
            const subjectPresent = index.manifests.some((m) => m.digest === ref && this.scan.blobs.has(m.digest));
            if (subjectPresent || !this.scan.blobs.has(att.digest))
                continue;
            if (!(await this.walkManifest(att, ctx))) {
                ctx.bad = true;
                ctx.problems.push(`attestation ${shortDigest(att.digest)} broken`);
            }
        }
    }
    /** A manifest, its config and layers. Absent non-distributable layers (with `urls`) are allowed. */
    async walkManifest(desc, ctx) {
        if ((await this.check(desc, ctx, 'index')) !== 'ok')
            return false;
        if (isIndexMediaType(desc.mediaType)) {
            const nested = {};
            await this.walkIndex(desc, ctx, nested);
            return Object.values(nested).every((s) => s !== 'broken');
        }
        const manifest = (await this.document(desc));
        let ok = (await this.check(manifest.config, ctx, `manifest ${shortDigest(desc.digest)}`)) === 'ok';
        for (const layer of manifest.layers) {
            if (layer.urls?.length && !this.scan.blobs.has(layer.digest))
                continue;
            ok = (await this.check(layer, ctx, `manifest ${shortDigest(desc.digest)}`)) === 'ok' && ok;
        }
        return ok;
    }
    /** Checks one descriptor against its blob, once per digest; parses it if it is a manifest or index. */
    async check(desc, ctx, parent) {
        let verdict = this.verdicts.get(desc.digest);
        if (verdict === undefined) {
            verdict = await this.judge(desc, parent);
            this.verdicts.set(desc.digest, verdict);
        }
        if (verdict === 'ok') {
            this.reachable.add(desc.digest);
            ctx.bytes.add(desc.digest);
        }
        else {
            const f = this.findings.get(`blob:${desc.digest}`);
            if (f && !f.images?.includes(ctx.name))
                (f.images ??= []).push(ctx.name);
        }
        return verdict;
    }
    async judge(desc, parent) {
        const blob = this.scan.blobs.get(desc.digest);
        const path = this.layout.relative(this.layout.blobPath(desc.digest));
        const record = (kind, detail) => {
            this.findings.set(`blob:${desc.digest}`, { kind, digest: desc.digest, path, detail, action: 'kept' });
        };
        if (!blob) {
            record('missing', `missing: ${desc.size} bytes referenced by ${parent}`);
            return 'missing';
        }
        if (blob.size !== desc.size && blob.hashOk === undefined)
            await this.hashOne(blob);
        if (blob.hashOk === false) {
            record('corrupt', blob.size !== desc.size
                ? sizeDetail(blob.size, desc.size)
                : `same size, content differs (hashes to sha256:${blob.actualHex?.slice(0, 12)}…)`);
            return 'corrupt';
        }
        if (blob.size !== desc.size) {
            // The blob is what its name says; the descriptor pointing at it is what is wrong.
            record('corrupt', `valid blob of ${blob.size} bytes, but ${parent} declares ${desc.size}`);
            return 'corrupt';
        }
        if (isIndexMediaType(desc.mediaType) || isManifestMediaType(desc.mediaType)) {
            const doc = await this.document(desc);
            if (doc instanceof Error) {
                if (blob.hashOk === undefined)
                    await this.hashOne(blob);
                record('corrupt', hashMismatch(blob)
                    ? `unparseable: ${doc.message} (content does not match its digest)`
                    : `valid blob, but not a usable ${isIndexMediaType(desc.mediaType) ? 'index' : 'manifest'}: ${doc.message}`);
                return 'corrupt';
            }
        }
        return 'ok';
    }
    /** In `size` mode, a blob is hashed before we call it wrong: only proven-wrong blobs are deleted. */
    async hashOne(blob) {
        const [outcome] = await this.hasher.hashFiles([
            { path: blob.path, algorithm: digestAlgorithm(blob.digest), size: blob.size },
        ]);
        if (outcome?.ok) {
            blob.hashOk = outcome.hex === digestHex(blob.digest);
            if (!blob.hashOk)
                blob.actualHex = outcome.hex;
        }
    }
    async document(desc) {
        let doc = this.documents.get(desc.digest);
        if (!doc) {
            try {
                const bytes = await this.layout.readBlob(desc.digest, MAX_MANIFEST_BYTES);
                doc = isIndexMediaType(desc.mediaType)
                    ? parseIndex(bytes, 'index')
                    : parseManifest(bytes, 'manifest');
            }
            catch (err) {
                doc = err instanceof Error ? err : new Error(String(err));
            }
            this.documents.set(desc.digest, doc);
        }
        return doc;
    }
    /** os/architecture/variant from an image config, when it parses. */
    async configPlatform(desc) {
        const manifest = await this.document(desc);
        if (manifest instanceof Error || !('config' in manifest))
            return undefined;
        try {
            const config = JSON.parse((await this.layout.readBlob(manifest.config.digest, MAX_MANIFEST_BYTES)).toString('utf8'));
            if (typeof config.os !== 'string' || typeof config.architecture !== 'string')
                return undefined;
            const variant = typeof config.variant === 'string' ? config.variant : undefined;
            return normalizePlatform({
                os: config.os,
                architecture: config.architecture,
                ...(variant ? { variant } : {}),
            });
        }
        catch {
            return undefined;
        }
    }
}
/** Read through a function so the compiler does not carry narrowing across awaits that hash. */
function hashMismatch(blob) {
    return blob.hashOk === false;
}
/** A buildkit attestation manifest: platform unknown/unknown, pointing at the manifest it describes. */
function isAttestation(d) {
    return (d.annotations?.[Annotation.DockerReferenceType] === 'attestation-manifest' ||
        (isUnknownPlatform(d.platform) && d.annotations?.[Annotation.DockerReferenceDigest] !== undefined));
}

;// CONCATENATED MODULE: ./lib/verify/verify.js







const FINDING_ORDER = ['index', 'corrupt', 'missing', 'stray', 'partial', 'unreferenced'];
/**
 * Checks a layout: scans blobs/ (hashing them in `full` mode), walks every index.json entry,
 * and collects every finding. Changes nothing. `scan` reuses an earlier scan (after repair).
 */
async function verifyLayout(layout, options, scan) {
    scan ??= await scanBlobs(layout, {
        hash: options.mode === 'full',
        hasher: options.hasher,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const findings = [];
    const layoutFile = await checkLayoutFile(layout);
    if (layoutFile !== 'ok') {
        findings.push({
            kind: 'index',
            path: LAYOUT_FILE,
            detail: layoutFile === 'missing' ? 'missing' : 'not {"imageLayoutVersion": "1.0.0"}',
            action: 'kept',
        });
    }
    const index = await layout.readIndex();
    if (index.state === 'missing')
        findings.push({ kind: 'index', path: INDEX_FILE, detail: 'missing', action: 'kept' });
    if (index.state === 'corrupt')
        findings.push({ kind: 'index', path: INDEX_FILE, detail: index.detail, action: 'kept' });
    const walker = new GraphWalker(layout, scan, options.hasher);
    const images = [];
    const badEntries = new Set();
    const entryProblems = new Map();
    const entries = index.state === 'ok' ? index.doc.entries : [];
    for (const [i, entry] of entries.entries()) {
        const name = entry.name ?? `(unnamed entry ${i})`;
        if (!entry.descriptor) {
            findings.push({
                kind: 'index',
                path: INDEX_FILE,
                detail: `entry ${name}: ${entry.error}`,
                action: 'kept',
                images: [name],
            });
            badEntries.add(i);
            entryProblems.set(i, 'invalid entry');
            images.push({ name, platforms: {}, size: 0, problem: entry.error ?? 'invalid entry' });
            continue;
        }
        const { status, bad } = await walker.walkImage(name, entry.descriptor);
        images.push(status);
        if (bad) {
            badEntries.add(i);
            const broken = Object.entries(status.platforms)
                .filter(([, s]) => s === 'broken')
                .map(([p]) => p);
            entryProblems.set(i, status.problem ?? `platform ${broken.join(', ')} broken`);
        }
        if (isIndexMediaType(entry.descriptor.mediaType)) {
            for (const want of options.platforms) {
                const key = formatPlatform(want);
                const state = status.platforms[key];
                if (state === 'complete' || state === 'broken' || status.problem)
                    continue;
                findings.push({
                    kind: 'missing',
                    path: INDEX_FILE,
                    detail: state === 'absent'
                        ? `platform ${key} of ${name} is not in the cache`
                        : `${name} has no ${key} image`,
                    action: 'kept',
                    images: [name],
                });
            }
        }
    }
    findings.push(...walker.findings.values());
    for (const blob of scan.blobs.values()) {
        if (walker.reachable.has(blob.digest) || walker.findings.has(`blob:${blob.digest}`))
            continue;
        const path = layout.relative(blob.path);
        findings.push(blob.hashOk === false
            ? {
                kind: 'corrupt',
                digest: blob.digest,
                path,
                detail: `content does not match its name (hashes to sha256:${blob.actualHex?.slice(0, 12)}…)`,
                action: 'kept',
            }
            : {
                kind: 'unreferenced',
                digest: blob.digest,
                path,
                detail: `${blob.size} bytes, not reachable from index.json`,
                action: 'kept',
            });
    }
    for (const p of scan.partials)
        findings.push({
            kind: 'partial',
            ...(p.digest ? { digest: p.digest } : {}),
            path: layout.relative(p.path),
            detail: p.detail,
            action: 'kept',
        });
    for (const s of scan.strays)
        findings.push({
            kind: 'stray',
            ...(s.digest ? { digest: s.digest } : {}),
            path: layout.relative(s.path),
            detail: s.detail,
            action: 'kept',
        });
    findings.sort((a, b) => FINDING_ORDER.indexOf(a.kind) - FINDING_ORDER.indexOf(b.kind) || a.path.localeCompare(b.path));
    const checked = [...scan.blobs.values()];
    const report = {
        ok: !findings.some(isProblem),
        cache: layout.root,
        mode: options.mode,
        blobs: { checked: checked.length, bytes: checked.reduce((sum, b) => sum + b.size, 0) },
        findings,
        images,
    };
    options.logger?.debug(`verified ${checked.length} blobs in ${layout.root}: ${findings.length} findings`);
    return { report, scan, index, badEntries, entryProblems, layoutFile };
}
async function checkLayoutFile(layout) {
    try {
        const v = JSON.parse(await layout.readSmallFile(layout.layoutFilePath));
        return typeof v.imageLayoutVersion === 'string' ? 'ok' : 'invalid';
    }
    catch (err) {
        return err.code === 'ENOENT' ? 'missing' : 'invalid';
    }
}
/** "blobs/sha256/ab12cd34ef56… truncated: 1104 of 5678 bytes — removed" */
function describeFinding(f, action = f.action) {
    const isBlob = f.digest && f.path.startsWith('blobs/') && !f.path.endsWith('.download') && f.kind !== 'stray';
    const where = isBlob
        ? `${f.path.slice(0, f.path.lastIndexOf('/') + 1)}${shortDigest(f.digest).split(':')[1]}`
        : f.path;
    const what = f.kind === 'stray' || f.kind === 'partial' || f.kind === 'unreferenced'
        ? `${f.kind}: ${f.detail}`
        : f.detail;
    // "kept" is news only for a blob that looks wrong but was proven valid.
    const suffix = action === 'kept' && !f.detail.startsWith('valid blob') ? '' : ` — ${action}`;
    return `${where} ${what}${suffix}`;
}

;// CONCATENATED MODULE: ./lib/verify/prune.js



const PRUNABLE = new Set(['unreferenced', 'partial', 'stray']);
/**
 * Mark from index.json, sweep the rest: deletes valid blobs nothing references, partial
 * downloads and strays, under the cache lock. A partial whose download is running (its blob
 * lock is held) is left alone. Blobs of any index.json entry are kept, even a broken one.
 */
async function pruneLayout(layout, options) {
    return layout.withLock(async () => {
        const { report } = await verifyLayout(layout, options);
        const removed = [];
        let bytes = 0;
        for (const f of report.findings) {
            if (!PRUNABLE.has(f.kind))
                continue;
            const p = external_node_path_namespaceObject.join(layout.root, f.path);
            if (!p.startsWith(layout.blobsDir + external_node_path_namespaceObject.sep))
                continue;
            if (f.kind === 'partial' && f.digest && (await downloadRunning(layout, f)))
                continue;
            const s = await (0,promises_namespaceObject.lstat)(p).catch(() => undefined);
            if (!s)
                continue;
            if (!options.dryRun) {
                if (s.isDirectory())
                    await (0,promises_namespaceObject.rm)(p, { recursive: true, force: true });
                else
                    await (0,promises_namespaceObject.unlink)(p);
            }
            bytes += s.isDirectory() ? 0 : s.size;
            removed.push({ ...f, action: options.dryRun ? 'kept' : 'removed' });
        }
        return { removed, bytes, dryRun: options.dryRun };
    });
}
async function downloadRunning(layout, f) {
    try {
        const lock = await layout.lockBlob(f.digest, { timeoutMs: 0 });
        await lock.release();
        return false;
    }
    catch {
        return true;
    }
}

;// CONCATENATED MODULE: ./lib/verify/repair.js






/**
 * Acts on a verification, under the cache lock: deletes blobs proven wrong and strays,
 * removes index.json entries linuxkit must not use (so it re-pulls instead of building an
 * image with files silently missing), moves an unparseable index.json aside, recreates
 * oci-layout. Never deletes a valid blob, never follows a symlink, never leaves the cache.
 * Returns the report with each finding's action, `ok` judged by walking the result again.
 */
async function repairLayout(layout, verification, options) {
    return layout.withLock(async () => {
        const { report, scan } = verification;
        const findings = report.findings.map((f) => ({ ...f }));
        const done = [];
        if (verification.layoutFile !== 'ok') {
            await writeFileAtomic(layout.layoutFilePath, OCI_LAYOUT_CONTENT);
            for (const f of findings)
                if (f.path === 'oci-layout')
                    f.action = 'recreated';
        }
        await repairIndex(layout, verification, findings, done);
        for (const f of findings) {
            if (f.kind === 'stray' ||
                (f.kind === 'corrupt' && f.digest && scan.blobs.get(f.digest)?.hashOk === false)) {
                if (await removeInside(layout, external_node_path_namespaceObject.join(layout.root, f.path)))
                    f.action = 'removed';
            }
        }
        const after = afterRemoval(scan, findings, layout);
        const again = await verifyLayout(layout, options, after);
        // Keep what we did; add anything the second walk sees that the first did not (blobs of
        // removed entries are now unreferenced).
        const seen = new Set(findings.map((f) => `${f.kind}:${f.path}`));
        const fresh = again.report.findings.filter((f) => !seen.has(`${f.kind}:${f.path}`) && f.kind !== 'unreferenced');
        return { ...again.report, findings: [...done, ...findings, ...fresh] };
    });
}
async function repairIndex(layout, v, findings, done) {
    const indexFinding = findings.find((f) => f.kind === 'index' && f.path === INDEX_FILE && !f.images);
    if (v.index.state === 'corrupt') {
        const aside = await layout.moveIndexAside();
        await layout.writeIndex({ fields: { schemaVersion: 2, mediaType: mediatypes_MediaType.OciIndex }, entries: [] });
        if (indexFinding) {
            indexFinding.action = 'moved';
            indexFinding.detail += ` (moved to ${external_node_path_namespaceObject.basename(aside)}, started an empty one)`;
        }
        return;
    }
    if (v.index.state === 'missing') {
        await layout.writeIndex({ fields: { schemaVersion: 2, mediaType: mediatypes_MediaType.OciIndex }, entries: [] });
        if (indexFinding)
            indexFinding.action = 'recreated';
        return;
    }
    if (v.badEntries.size === 0)
        return;
    // Re-read under the lock: another process may have added entries since we verified.
    const current = await layout.readIndex();
    if (current.state !== 'ok')
        return;
    const bad = [...v.badEntries].map((i) => ({
        entry: v.index.state === 'ok' ? v.index.doc.entries[i] : undefined,
        why: v.entryProblems.get(i),
    }));
    const isBad = (raw) => bad.find((b) => JSON.stringify(b.entry?.raw) === JSON.stringify(raw));
    const keep = current.doc.entries.filter((e) => !isBad(e.raw));
    await layout.writeIndex({ fields: current.doc.fields, entries: keep });
    for (const e of current.doc.entries) {
        const b = isBad(e.raw);
        if (!b)
            continue;
        const name = e.name ?? '(unnamed entry)';
        done.push({
            kind: 'index',
            path: INDEX_FILE,
            detail: `entry ${name}: ${b.why}; the next pull fetches it again`,
            action: 'removed',
            images: [name],
        });
        for (const f of findings)
            if (f.kind === 'index' && f.images?.includes(name) && f.path === INDEX_FILE)
                f.action = 'removed';
    }
}
/** Deletes a file, symlink (the link itself) or directory that lies inside the cache. */
async function removeInside(layout, p) {
    const resolved = external_node_path_namespaceObject.resolve(p);
    if (!resolved.startsWith(external_node_path_namespaceObject.join(layout.root, 'blobs') + external_node_path_namespaceObject.sep))
        return false;
    const s = await (0,promises_namespaceObject.lstat)(resolved).catch(() => undefined);
    if (!s)
        return true;
    // rm never follows symlinks, at the top or inside a directory.
    if (s.isDirectory())
        await (0,promises_namespaceObject.rm)(resolved, { recursive: true, force: true });
    else
        await (0,promises_namespaceObject.unlink)(resolved);
    return true;
}
function afterRemoval(scan, findings, layout) {
    const removed = new Set(findings.filter((f) => f.action === 'removed').map((f) => external_node_path_namespaceObject.join(layout.root, f.path)));
    return {
        blobs: new Map([...scan.blobs].filter(([, b]) => !removed.has(b.path))),
        partials: scan.partials.filter((p) => !removed.has(p.path)),
        strays: scan.strays.filter((s) => !removed.has(s.path)),
    };
}

;// CONCATENATED MODULE: ./lib/verify/index.js




/** Verify a layout and, when asked, repair it: the one call the CLI and the Action make. */
async function checkLayout(layout, options) {
    const pool = HashPool.create();
    try {
        const verifyOptions = {
            mode: options.mode,
            platforms: options.platforms,
            hasher: pool,
            ...(options.logger ? { logger: options.logger } : {}),
        };
        const scanHooks = options.onProgress ? { onProgress: options.onProgress } : {};
        const verification = await verifyLayout(layout, { ...verifyOptions, ...scanHooks });
        if (!options.repair)
            return verification.report;
        return await repairLayout(layout, verification, verifyOptions);
    }
    finally {
        await pool.close();
    }
}
async function pruneUnreferenced(layout, options) {
    const pool = HashPool.create();
    try {
        return await pruneLayout(layout, {
            mode: 'size',
            platforms: [],
            hasher: pool,
            dryRun: options.dryRun,
            ...(options.logger ? { logger: options.logger } : {}),
        });
    }
    finally {
        await pool.close();
    }
}


;// CONCATENATED MODULE: ./lib/cli/commands/ls.js





const LS_HELP = `Usage: oci-cache-guard ls [--json] [--cache DIR]

Lists the images in the cache: name, digest, platforms with their completeness
(complete, absent: not pulled, broken: something under it is missing or corrupt) and size.
Checks sizes only; run validate for a full sha256 check.`;
async function lsCommand(argv, ctx) {
    const { values } = parseCommand('ls', argv, COMMON_OPTIONS);
    if (values.help)
        return (ctx.out(LS_HELP), 0);
    const settings = commonSettings(values);
    const layout = await openExistingCache(settings.cache);
    const report = await checkLayout(layout, {
        mode: 'size',
        platforms: [],
        repair: false,
        logger: ctx.logger,
    });
    if (settings.json)
        ctx.out(JSON.stringify(report.images, null, 2));
    else if (report.images.length === 0)
        ctx.out(`no images in ${layout.root}`);
    else
        printImages(report.images, ctx);
    return 0;
}
function printImages(images, ctx) {
    if (images.length === 0)
        return;
    const rows = images.map((img) => [
        img.name,
        img.digest ? shortDigest(img.digest) : '-',
        img.problem ??
            (Object.entries(img.platforms)
                .map(([p, s]) => `${p} ${s}`)
                .join(', ') ||
                '-'),
        formatBytes(img.size),
    ]);
    const header = ['IMAGE', 'DIGEST', 'PLATFORMS', 'SIZE'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [header, ...rows])
        ctx.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '));
}

;// CONCATENATED MODULE: ./lib/cli/commands/prune.js




const PRUNE_HELP = `Usage: oci-cache-guard prune [--dry-run] [--json] [--cache DIR]

Deletes what no image in index.json needs: unreferenced blobs, partial downloads (unless a
pull is resuming them right now) and strays. Blobs of every index.json entry are kept.

Options:
  --dry-run    list what would be deleted, delete nothing`;
async function pruneCommand(argv, ctx) {
    const { values } = parseCommand('prune', argv, {
        ...COMMON_OPTIONS,
        'dry-run': { type: 'boolean', default: false },
    });
    if (values.help)
        return (ctx.out(PRUNE_HELP), 0);
    const settings = commonSettings(values);
    const layout = await openExistingCache(settings.cache);
    const result = await pruneUnreferenced(layout, { dryRun: values['dry-run'], logger: ctx.logger });
    if (settings.json) {
        ctx.out(JSON.stringify(result, null, 2));
        return 0;
    }
    for (const f of result.removed)
        ctx.out(`  ${describeFinding(f, result.dryRun ? 'would be removed' : 'removed')}`);
    const verb = result.dryRun ? 'would delete' : 'deleted';
    ctx.out(`${verb} ${result.removed.length} file${result.removed.length === 1 ? '' : 's'}, ${formatBytes(result.bytes)} ${result.dryRun ? 'to free' : 'freed'}`);
    return 0;
}

;// CONCATENATED MODULE: ./lib/cli/commands/validate.js






const VALIDATE_HELP = `Usage: oci-cache-guard validate [--repair] [--mode full|size] [--platform OS/ARCH]... [--json] [--cache DIR]

Checks every blob of an OCI image layout (linuxkit's cache by default): its size and sha256
against its name and against every descriptor that points at it; walks every image from
index.json and tells, per platform, whether it is complete.

Options:
  --repair             delete corrupt blobs and strays, drop index.json entries that are
                       broken (linuxkit then pulls them again), move an unparseable
                       index.json aside. Valid blobs are never deleted.
  --mode full|size     full (default) hashes every blob; size only compares sizes
  --platform OS/ARCH   a platform every multi-platform image must have complete (repeatable)
  --json               print one JSON object (see README: "validate --json")
  --cache DIR          the layout (default $LINUXKIT_CACHE, else ~/.linuxkit/cache)
  -v, --verbose        list unreferenced blobs and partial downloads too

Exit status: 0 the cache is (now) consistent, 1 problems remain, 2 usage error.`;
async function validateCommand(argv, ctx) {
    const { values } = parseCommand('validate', argv, {
        ...COMMON_OPTIONS,
        repair: { type: 'boolean', default: false },
        mode: { type: 'string' },
        platform: { type: 'string', multiple: true },
    });
    if (values.help)
        return (ctx.out(VALIDATE_HELP), 0);
    const settings = commonSettings(values);
    const mode = parseMode(values.mode);
    const platforms = parsePlatforms(values.platform);
    const layout = await openExistingCache(settings.cache);
    const started = Date.now();
    const progress = createProgress({
        label: 'hashing',
        stream: ctx.stderr,
        enabled: !settings.json || !ctx.stderr.isTTY,
    });
    const report = await checkLayout(layout, {
        mode,
        platforms,
        repair: values.repair,
        logger: ctx.logger,
        onProgress: (p) => progress.update(p.bytes, p.totalBytes, `(${p.files}/${p.totalFiles} blobs)`),
    });
    progress.done();
    if (settings.json)
        ctx.out(JSON.stringify(report, null, 2));
    else
        printReport(report, { verbose: settings.verbose, repaired: values.repair, ms: Date.now() - started }, ctx);
    return report.ok ? 0 : 1;
}
function printReport(report, opts, ctx) {
    const shown = report.findings.filter((f) => opts.verbose || (f.kind !== 'unreferenced' && f.kind !== 'partial'));
    ctx.out(`${report.cache} (${report.mode === 'full' ? 'sizes and sha256' : 'sizes only'})`);
    for (const f of shown)
        ctx.out(`  ${describeFinding(f)}`);
    const quiet = report.findings.filter((f) => !shown.includes(f));
    for (const kind of ['unreferenced', 'partial']) {
        const list = quiet.filter((f) => f.kind === kind);
        if (list.length === 0)
            continue;
        const bytes = list.reduce((sum, f) => sum + (Number(/(\d+) bytes/.exec(f.detail)?.[1]) || 0), 0);
        const what = kind === 'unreferenced' ? 'unreferenced blob' : 'partial download';
        ctx.out(`  ${list.length} ${what}${list.length === 1 ? '' : 's'} (${formatBytes(bytes)}): oci-cache-guard prune deletes them`);
    }
    printImages(report.images, ctx);
    const problems = report.findings.filter(isProblem).length;
    const fixed = report.findings.filter((f) => f.action !== 'kept').length;
    const summary = [
        `checked ${report.blobs.checked} blobs (${formatBytes(report.blobs.bytes)}) in ${formatDuration(opts.ms)}`,
    ];
    if (opts.repaired)
        summary.push(`${fixed} repaired`);
    summary.push(report.ok
        ? 'cache is consistent'
        : `${problems} problem${problems === 1 ? '' : 's'} remain${problems === 1 ? 's' : ''}${opts.repaired ? '' : ': run with --repair'}`);
    ctx.out(summary.join(', '));
}

;// CONCATENATED MODULE: ./lib/cli/main.js





const COMMANDS = {
    validate: {
        run: validateCommand,
        help: VALIDATE_HELP,
        summary: 'check every blob and image; --repair fixes what is wrong',
    },
    ls: { run: lsCommand, help: LS_HELP, summary: 'list cached images, their platforms and completeness' },
    prune: {
        run: pruneCommand,
        help: PRUNE_HELP,
        summary: 'delete unreferenced blobs, partial downloads and strays',
    },
};
const EXIT = { ok: 0, problems: 1, usage: 2 };
function usage() {
    const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
    return [
        `oci-cache-guard ${VERSION}: keep an OCI image cache (linuxkit's ~/.linuxkit/cache or any OCI layout) trustworthy`,
        '',
        'Usage: oci-cache-guard <command> [options]',
        '',
        'Commands:',
        ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
        '',
        'Every command takes --cache DIR (default $LINUXKIT_CACHE, else ~/.linuxkit/cache), --json and --verbose.',
        "Run 'oci-cache-guard <command> --help' for its options.",
    ].join('\n');
}
function consoleContext(verbose) {
    const logger = {
        debug: (m) => verbose && process.stderr.write(`debug: ${m}\n`),
        info: (m) => process.stderr.write(`${m}\n`),
        warn: (m) => process.stderr.write(`warning: ${m}\n`),
    };
    return {
        out: (line) => process.stdout.write(`${line}\n`),
        stderr: process.stderr,
        logger,
        env: process.env,
    };
}
/** Runs one CLI invocation and returns its exit status; never throws. */
async function runCli(argv, ctx = consoleContext(argv.includes('--verbose') || argv.includes('-v'))) {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
        const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
        ctx.out(topic ? topic.help : usage());
        return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === 'version') {
        ctx.out(VERSION);
        return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (!command) {
        ctx.stderr.write(`oci-cache-guard: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')} (see --help)\n`);
        return EXIT.usage;
    }
    const verbose = rest.includes('--verbose') || rest.includes('-v');
    try {
        return await command.run(rest, ctx);
    }
    catch (err) {
        ctx.stderr.write(`oci-cache-guard ${name}: ${errorMessage(err)}\n`);
        if (verbose && err instanceof Error) {
            if (err.cause)
                ctx.stderr.write(`  caused by: ${errorMessage(err.cause)}\n`);
            if (!(err instanceof GuardError))
                ctx.stderr.write(`${err.stack}\n`);
        }
        return err instanceof errors_UsageError ? EXIT.usage : EXIT.problems;
    }
}


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(518);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
