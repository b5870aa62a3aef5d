export const id = 497;
export const ids = [497];
export const modules = {

/***/ 2453:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   DT: () => (/* binding */ COMMON_OPTIONS),
/* harmony export */   JC: () => (/* binding */ commonSettings),
/* harmony export */   RM: () => (/* binding */ parseCommand),
/* harmony export */   Zx: () => (/* binding */ parseMode),
/* harmony export */   qA: () => (/* binding */ parsePlatforms)
/* harmony export */ });
/* harmony import */ var node_util__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7975);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(452);
/* harmony import */ var _layout_layout_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4323);
/* harmony import */ var _oci_platform_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7122);




const COMMON_OPTIONS = {
    cache: { type: 'string' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
};
/**
 * parseArgs with one-line usage errors instead of Node's multi-line ones. A value that starts
 * with a dash (`--concurrency -1`) is taken as the value, to be judged by the option's own
 * check; an option followed by nothing or by another option (`--cache --json`) is missing
 * its value, and that is what the error says.
 */
function parseCommand(command, argv, options, allowPositionals = false) {
    const see = `(see oci-cache-guard ${command} --help)`;
    const args = attachDashValues(argv, options, see);
    try {
        return (0,node_util__WEBPACK_IMPORTED_MODULE_0__.parseArgs)({ args, options, allowPositionals, strict: true });
    }
    catch (err) {
        const message = err.message.split('\n')[0].replace(/^TypeError \[\w+\]: /, '');
        // runCli prefixes "oci-cache-guard <command>: ".
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb(`${message} ${see}`);
    }
}
function attachDashValues(argv, options, see) {
    const byShort = new Map(Object.entries(options).flatMap(([n, o]) => (o.short ? [[o.short, n]] : [])));
    const optionName = (token) => {
        if (token.startsWith('--'))
            return token.slice(2).split('=')[0];
        return token.length === 2 && token.startsWith('-') ? byShort.get(token[1]) : undefined;
    };
    const isOption = (token) => {
        if (token === '--')
            return true;
        if (token.startsWith('--'))
            return optionName(token) in options;
        return token.startsWith('-') && [...token.slice(1)].every((c) => byShort.has(c));
    };
    const out = [];
    for (let i = 0; i < argv.length; i++) {
        const token = argv[i];
        if (token === '--')
            return out.concat(argv.slice(i));
        out.push(token);
        const name = token.includes('=') ? undefined : optionName(token);
        if (name === undefined || options[name]?.type !== 'string')
            continue;
        const next = argv[i + 1];
        if (next === undefined)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb(`${token} needs a value ${see}`);
        if (isOption(next))
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb(`${token} needs a value; ${next} after it is an option ${see}`);
        if (next.startsWith('-')) {
            out[out.length - 1] = `--${name}=${next}`;
            i++;
        }
    }
    return out;
}
/** `env` is the command's (CliContext.env), for the default cache directory. */
function commonSettings(values, env = process.env) {
    return {
        cache: values.cache ?? (0,_layout_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .defaultCacheDir */ .$g)(env),
        json: values.json ?? false,
        verbose: values.verbose ?? false,
    };
}
function parseMode(value) {
    if (value === undefined || value === 'full' || value === 'size')
        return value ?? 'full';
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb(`invalid --mode ${JSON.stringify(value)}: expected full or size`);
}
function parsePlatforms(values) {
    return (values ?? []).map((v) => (0,_oci_platform_js__WEBPACK_IMPORTED_MODULE_3__/* .parseWantedPlatform */ .Gc)(v));
}


/***/ }),

/***/ 7512:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   b: () => (/* binding */ openCache)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(452);
/* harmony import */ var _layout_layout_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4323);



/**
 * The layout named by --cache (or the default), checked the same way for every command: an
 * empty name or something that is not a directory is a usage error. `create` (pull) accepts a
 * directory that does not exist yet; the others need it to exist.
 */
async function openCache(dir, ctx, options = {}) {
    if (dir.trim() === '')
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb('--cache is empty: name the cache directory');
    const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.stat)(dir).catch((err) => err);
    if (s instanceof Error) {
        if (s.code === 'ENOTDIR')
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb(`cache ${dir} is not a directory: pass --cache DIR`);
        if (s.code !== 'ENOENT')
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .GuardError */ .U$(`cannot use cache ${dir}: ${s.message}`, { cause: s });
        if (!options.create)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb(`cache directory ${dir} does not exist: pass --cache DIR or set LINUXKIT_CACHE`);
    }
    else if (!s.isDirectory()) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .UsageError */ .eb(`cache ${dir} is not a directory: pass --cache DIR`);
    }
    // Layout.open refuses a directory that is not an OCI layout, before anything is written.
    const layout = await _layout_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .Layout */ .PE.open(dir, { create: options.create ?? false });
    ctx.usingCache?.(layout.root);
    return layout;
}


/***/ }),

/***/ 5585:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  vO: () => (/* binding */ HashPool),
  ap: () => (/* binding */ hashFileInline)
});

// UNUSED EXPORTS: HASH_POOL_DEFAULTS, HashPoolClosedError, HashWorkerError, resolveOptions

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:worker_threads"
var external_node_worker_threads_ = __webpack_require__(5919);
// EXTERNAL MODULE: ./lib/errors.js
var errors = __webpack_require__(452);
// EXTERNAL MODULE: ./lib/oci/digest.js
var digest = __webpack_require__(9501);
;// CONCATENATED MODULE: ./lib/hash/hash-worker-source.js
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

;// CONCATENATED MODULE: ./lib/hash/hash-pool.js
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
        throw new errors/* UsageError */.eb(`hash pool: invalid ${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`);
    }
    return value;
}
function resolveOptions(options = {}) {
    const merged = { ...HASH_POOL_DEFAULTS, workers: (0,external_node_os_.availableParallelism)(), ...options };
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
    if (typeof algorithm === 'string' && (0,digest/* isAlgorithm */.Kx)(algorithm))
        return algorithm;
    throw new errors/* UsageError */.eb(`hash pool: invalid algorithm ${JSON.stringify(algorithm)}: expected sha256 or sha512`);
}
/** The pool was closed before this file was hashed. */
class HashPoolClosedError extends errors/* GuardError */.U$ {
    name = 'HashPoolClosedError';
}
/** A worker thread died while hashing (out of memory, killed): not a fact about the file. */
class HashWorkerError extends errors/* GuardError */.U$ {
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
            digest: (0,digest/* makeDigest */.Lm)(job.algorithm, reply.hex),
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
            return (0,promises_.lstat)(item.path).then((st) => (st.isFile() ? st.size : 0), () => 0);
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
        const worker = new external_node_worker_threads_.Worker(HASH_WORKER_SOURCE, {
            eval: true,
            workerData: { readSize: this.options.readSize, progressInterval: this.options.progressInterval },
            // Not the parent's flags: under tsx or vitest those would load a TypeScript loader into
            // every worker, for a program that is plain JavaScript with built-ins only.
            execArgv: [],
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
const O_NOFOLLOW = external_node_fs_.constants.O_NOFOLLOW;
const OPEN_FLAGS = external_node_fs_.constants.O_RDONLY | (O_NOFOLLOW ?? 0) | (external_node_fs_.constants.O_NONBLOCK ?? 0);
const INLINE_MIN_READ = 64 * 1024;
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
        throw new errors/* UsageError */.eb('hashFileInline: keepBytes needs maxBytes, so memory stays bounded');
    }
    const max = maxBytes ?? Infinity;
    let fh;
    try {
        // Without O_NOFOLLOW (Windows): refuse a symlink by lstat, then check we opened that file.
        const seen = O_NOFOLLOW === undefined ? await (0,promises_.lstat)(path, { bigint: true }) : undefined;
        if (seen?.isSymbolicLink())
            return failure(path, 'ELOOP', 'is a symbolic link (refused, not followed)', 'ELOOP');
        fh = await (0,promises_.open)(path, OPEN_FLAGS);
        const st = seen ? await fh.stat({ bigint: true }) : await fh.stat();
        if (!st.isFile())
            return failure(path, 'NOT_REGULAR', `is ${kindOf(st)}, not a regular file`);
        if (seen && (seen.ino !== st.ino || seen.dev !== st.dev))
            return failure(path, 'IO', 'changed while being opened');
        const statSize = Number(st.size);
        if (statSize > max)
            return failure(path, 'TOO_LARGE', `${statSize} bytes, more than ${max}`, undefined, statSize);
        const hash = (0,external_node_crypto_.createHash)(alg);
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
        const result = { ok: true, path, algorithm: alg, size, hex, digest: (0,digest/* makeDigest */.Lm)(alg, hex) };
        return options.keepBytes ? { ...result, bytes: Buffer.concat(chunks, size) } : result;
    }
    catch (err) {
        return fromError(path, err);
    }
    finally {
        await fh?.close().catch(() => undefined);
    }
}


/***/ }),

/***/ 3859:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   AN: () => (/* binding */ isProblem),
/* harmony export */   TN: () => (/* binding */ oneLine),
/* harmony export */   Xb: () => (/* binding */ sizeDetail)
/* harmony export */ });
/* unused harmony exports PROBLEM_KINDS, isDamage */
/** Kinds that make a cache inconsistent; partial and unreferenced are informational. */
const PROBLEM_KINDS = new Set(['corrupt', 'missing', 'stray', 'index']);
function isProblem(f) {
    return PROBLEM_KINDS.has(f.kind) && f.action === 'kept';
}
/** Something in the cache was wrong, not merely absent: what the Action warns about. */
function isDamage(f) {
    return f.kind === 'corrupt' || f.kind === 'stray' || f.kind === 'index';
}
/**
 * A detail on one line: control characters (a newline quoted by JSON.parse from the bad
 * bytes, say) are written as JSON escapes, so a report line never breaks.
 */
function oneLine(text) {
    // eslint-disable-next-line no-control-regex
    return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
/** "truncated: 1104 of 5678 bytes" — the words users see for a size mismatch. */
function sizeDetail(actual, expected) {
    if (actual === 0)
        return `empty: 0 of ${expected} bytes`;
    return actual < expected
        ? `truncated: ${actual} of ${expected} bytes`
        : `too long: ${actual} bytes, ${expected} expected`;
}


/***/ }),

/***/ 9820:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   H3: () => (/* binding */ isAttestation),
/* harmony export */   aR: () => (/* binding */ describeCycle),
/* harmony export */   fx: () => (/* binding */ GraphWalker)
/* harmony export */ });
/* unused harmony export SIZE_PROBE_STEPS */
/* harmony import */ var _oci_digest_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9501);
/* harmony import */ var _oci_descriptor_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1260);
/* harmony import */ var _oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8152);
/* harmony import */ var _oci_platform_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7122);
/* harmony import */ var _findings_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3859);





const OK = { ok: true };
/**
 * Walks the graph from index.json entries over a scan of blobs/ and tells per image and
 * platform whether linuxkit could build from it. Records findings; changes nothing.
 *
 * Hostile caches shape it: each (digest, role) is walked once however many paths lead to it
 * (nested indexes listing a child ten times are not exponential), an index listing one being
 * walked above it is a cycle finding (never a loop), and a blob's bytes are judged once while
 * each descriptor naming it is judged on its own (one digest may be named as a manifest and as
 * an index). First the graph is gathered, then judged, so that a blob proven wrong late in the
 * walk counts everywhere it is named; the judging is iterative, whatever the depth.
 */
class GraphWalker {
    layout;
    scan;
    hasher;
    /** Findings that some index.json entry reaches, with the entries' names. */
    findings = new Map();
    /** Digests that descriptors reached from index.json name: prune keeps these. */
    referenced = new Set();
    work = {
        documents: 0,
        checks: 0,
        edges: 0,
        nodes: 0,
        summaryEdges: 0,
        merged: 0,
        sizeSteps: 0,
    };
    candidates = new Map();
    names = new Map();
    checks = new Map();
    nodes = new Map();
    json = new Map();
    views = new Map();
    /** Indexes being walked, in order, with their position: a cycle closes on one of them. */
    path = [];
    onPath = new Map();
    /** Every index on the path from this position down has been hashed (so cycles hash each once). */
    hashedFrom = 0;
    /** Why a blob was hashed when it was (a cycle), for the words of its finding. */
    suspicions = new Map();
    okNodes = new Map();
    summaries = new Map();
    nodeSummaries = new Map();
    constructor(layout, scan, hasher) {
        this.layout = layout;
        this.scan = scan;
        this.hasher = hasher;
    }
    /** Status of each index.json entry, in order. `bad` is true when any present part of it is wrong. */
    async walk(entries) {
        const roots = [];
        for (const { root } of entries) {
            const role = (0,_oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .isIndexMediaType */ .$$)(root.mediaType) ? 'index' : 'manifest';
            const edge = await this.follow(root, role, 'index.json');
            if (edge.node?.role === 'manifest' && edge.node.configPlatform === undefined)
                edge.node.configPlatform = (await this.readConfigPlatform(root.digest)) ?? null;
            roots.push(edge);
        }
        const results = entries.map(({ name, root }, i) => this.summarize(name, root, roots[i]));
        for (const [key, names] of this.names) {
            const f = this.candidates.get(key);
            if (f)
                this.findings.set(key, { ...f, images: [...names] });
        }
        return results;
    }
    // ---------------------------------------------------------------------------------------
    // Gathering: each descriptor checked once, each document parsed once, each node walked once.
    async follow(desc, role, parent) {
        this.work.edges++;
        const check = await this.check(desc, role, parent);
        const edge = { check };
        if (role === 'blob' || !this.verdict(check).ok)
            return edge;
        if (role === 'index' && this.onPath.has(desc.digest))
            edge.cycle = await this.cycle(desc.digest);
        else
            edge.node = await this.node(desc.digest, role);
        return edge;
    }
    async check(desc, role, parent) {
        const key = `${role} ${desc.size} ${desc.digest}`;
        const known = this.checks.get(key);
        if (known)
            return known;
        this.work.checks++;
        const check = { digest: desc.digest, role };
        this.checks.set(key, check);
        const blob = this.scan.blobs.get(desc.digest);
        if (!blob) {
            this.candidate(`blob ${desc.digest}`, 'missing', desc.digest, `missing: ${desc.size} bytes referenced by ${parent}`);
            return check;
        }
        // Shorter than declared: hashed (fewer bytes than declared) to prove it wrong, so repair
        // may delete it. Longer: never read past the declared size, so not hashed in size mode;
        // the size alone shows that this blob and this descriptor cannot go together.
        if (blob.size < desc.size)
            await this.hashOnce(blob);
        if (blob.hashOk === false) {
            this.wrongBytes(blob, blob.size !== desc.size ? (0,_findings_js__WEBPACK_IMPORTED_MODULE_4__/* .sizeDetail */ .Xb)(blob.size, desc.size) : undefined);
            return check;
        }
        if (blob.size !== desc.size) {
            check.problem = this.candidate(`size ${desc.size} ${desc.digest}`, 'corrupt', desc.digest, blob.hashOk
                ? // The blob is what its name says; the descriptor pointing at it is what is wrong.
                    `valid blob of ${blob.size} bytes, but ${parent} declares ${desc.size}`
                : `${(0,_findings_js__WEBPACK_IMPORTED_MODULE_4__/* .sizeDetail */ .Xb)(blob.size, desc.size)} (declared by ${parent}; not hashed in size mode)`);
            return check;
        }
        if (role === 'blob')
            return check;
        const view = await this.view(desc.digest, role);
        if (!(view instanceof Error))
            return check;
        await this.hashOnce(blob);
        if (provenWrong(blob))
            this.wrongBytes(blob, `unparseable: ${view.message} (content does not match its digest)`);
        else
            check.problem = this.candidate(`${role} ${desc.digest}`, 'corrupt', desc.digest, `valid blob, but not a usable ${role}: ${view.message}`);
        return check;
    }
    async node(digest, role) {
        const key = `${role} ${digest}`;
        const known = this.nodes.get(key);
        if (known)
            return known;
        this.work.nodes++;
        // The check that led here parsed it as `role` without error.
        const view = await this.view(digest, role);
        let node;
        if (role === 'manifest')
            node = await this.manifestNode(digest, view);
        else {
            this.onPath.set(digest, this.path.length);
            this.path.push(digest);
            if (this.scan.blobs.get(digest)?.hashOk === undefined)
                this.hashedFrom = this.path.length;
            try {
                node = await this.indexNode(digest, view);
            }
            finally {
                this.path.pop();
                this.onPath.delete(digest);
                this.hashedFrom = Math.min(this.hashedFrom, this.path.length);
            }
        }
        this.nodes.set(key, node);
        return node;
    }
    /** Platform manifests (nested indexes merged in), each with the attestations that describe it. */
    async indexNode(digest, index) {
        const node = { role: 'index', edges: [], platforms: [], orphans: [] };
        const here = `index ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .shortDigest */ .VK)(digest)}`;
        const children = [];
        const attestationsOf = new Map();
        const seen = new Set();
        for (const d of index.manifests) {
            // A descriptor listed again adds nothing: walking it once keeps the work linear.
            const id = JSON.stringify(d);
            if (seen.has(id))
                continue;
            seen.add(id);
            if (!isAttestation(d))
                children.push(d);
            else {
                const subject = d.annotations?.[_oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .Annotation */ .YH.DockerReferenceDigest] ?? '';
                const list = attestationsOf.get(subject);
                if (list)
                    list.push(d);
                else
                    attestationsOf.set(subject, [d]);
            }
        }
        // Present platform manifests, each with its attestations' edges (followed once per index).
        const subjects = new Map();
        for (const child of children) {
            if ((0,_oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .isIndexMediaType */ .$$)(child.mediaType)) {
                const edge = await this.follow(child, 'index', here);
                edge.nested = true;
                node.edges.push(edge);
                continue;
            }
            const key = child.platform ? (0,_oci_platform_js__WEBPACK_IMPORTED_MODULE_3__/* .formatPlatform */ .Bq)(child.platform) : `unknown ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .shortDigest */ .VK)(child.digest)}`;
            if (!this.scan.blobs.has(child.digest)) {
                node.platforms.push({ key });
                continue;
            }
            const manifest = await this.follow(child, 'manifest', here);
            node.edges.push(manifest);
            let attestations = subjects.get(child.digest);
            if (!attestations) {
                attestations = [];
                subjects.set(child.digest, attestations);
                for (const att of attestationsOf.get(child.digest) ?? []) {
                    const edge = await this.follow(att, roleOf(att), here);
                    attestations.push(edge);
                    node.edges.push(edge);
                }
            }
            node.platforms.push({ key, manifest, attestations });
        }
        // Attestations whose platform is not cached: walked only when present, so that what we
        // keep is whole; a broken one makes the entry unusable.
        for (const [subject, attestations] of attestationsOf) {
            if (subjects.has(subject))
                continue;
            for (const att of attestations) {
                if (!this.scan.blobs.has(att.digest))
                    continue;
                const edge = await this.follow(att, roleOf(att), here);
                node.edges.push(edge);
                node.orphans.push(edge);
            }
        }
        return node;
    }
    /** A manifest, its config and layers. Absent non-distributable layers (with `urls`) are allowed. */
    async manifestNode(digest, manifest) {
        const node = { role: 'manifest', edges: [], platforms: [], orphans: [] };
        const here = `manifest ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .shortDigest */ .VK)(digest)}`;
        node.edges.push(await this.follow(manifest.config, 'blob', here));
        for (const layer of manifest.layers) {
            if (layer.urls?.length && !this.scan.blobs.has(layer.digest))
                continue;
            node.edges.push(await this.follow(layer, 'blob', here));
        }
        return node;
    }
    /**
     * `digest` is listed by an index walked below it. sha256 has no fixed points, so some blob on
     * the cycle cannot be what its name says: in `size` mode, hash them to find it.
     */
    async cycle(digest) {
        const from = this.onPath.get(digest);
        const detail = describeCycle(this.path, from);
        for (let i = Math.min(this.hashedFrom, this.path.length) - 1; i >= from; i--) {
            const blob = this.scan.blobs.get(this.path[i]);
            if (!blob || blob.hashOk !== undefined)
                continue;
            this.suspicions.set(blob.digest, detail);
            await this.hashOnce(blob);
            if (provenWrong(blob))
                this.wrongBytes(blob);
        }
        this.hashedFrom = Math.min(this.hashedFrom, from);
        // Judged as a cycle only where no wrong blob on it is met first, walking from an entry.
        const key = `cycle ${digest}`;
        this.candidate(key, 'corrupt', digest, detail);
        return { key, detail };
    }
    /** The blob's JSON, parsed once, read as an index or a manifest (each once). */
    async view(digest, role) {
        const key = `${role} ${digest}`;
        let view = this.views.get(key);
        if (view)
            return view;
        const json = await this.readJson(digest);
        try {
            if ('syntax' in json)
                throw new Error(`${role}: not valid JSON (${json.syntax})`);
            if ('failure' in json)
                throw new Error(json.failure);
            view = role === 'index' ? (0,_oci_descriptor_js__WEBPACK_IMPORTED_MODULE_1__/* .indexFromJson */ .FG)(json.value, role) : (0,_oci_descriptor_js__WEBPACK_IMPORTED_MODULE_1__/* .manifestFromJson */ .I0)(json.value, role);
        }
        catch (err) {
            view = err instanceof Error ? err : new Error(String(err));
        }
        this.views.set(key, view);
        return view;
    }
    async readJson(digest) {
        let json = this.json.get(digest);
        if (json)
            return json;
        this.work.documents++;
        try {
            // Read only once a descriptor declared the size the scan saw: never more than that.
            const declared = this.scan.blobs.get(digest)?.size ?? 0;
            const bytes = await this.layout.readBlob(digest, Math.min(declared, _oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .MAX_MANIFEST_BYTES */ .ZJ));
            const text = bytes.toString('utf8');
            try {
                json = { value: JSON.parse(text) };
            }
            catch (err) {
                json = { syntax: err.message };
            }
        }
        catch (err) {
            json = { failure: err instanceof Error ? err.message : String(err) };
        }
        this.json.set(digest, json);
        return json;
    }
    /** In `size` mode, a blob is hashed before we call it wrong: only proven-wrong blobs are deleted. */
    async hashOnce(blob) {
        if (blob.hashOk !== undefined)
            return;
        const [outcome] = await this.hasher.hashFiles([
            // Never past the size scanned (at most the declared size): a file grown since is not read on.
            {
                path: blob.path,
                algorithm: (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .digestAlgorithm */ .g4)(blob.digest),
                size: blob.size,
                maxBytes: blob.size,
                stat: blob.stat,
            },
        ]);
        if (outcome?.ok) {
            blob.hashOk = outcome.hex === (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .digestHex */ .sU)(blob.digest);
            if (!blob.hashOk)
                blob.actualHex = outcome.hex;
        }
    }
    /** The finding about a blob whose bytes do not match its name (the first words found stay). */
    wrongBytes(blob, detail) {
        const differs = `same size, content differs (hashes to ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .digestAlgorithm */ .g4)(blob.digest)}:${blob.actualHex?.slice(0, 12)}…)`;
        const why = this.suspicions.get(blob.digest);
        this.candidate(`blob ${blob.digest}`, 'corrupt', blob.digest, detail ?? (why ? `${why}; ${differs}` : differs));
    }
    candidate(key, kind, digest, detail) {
        if (!this.candidates.has(key)) {
            const path = this.layout.relative(this.layout.blobPath(digest));
            this.candidates.set(key, { kind, digest, path, detail, action: 'kept' });
        }
        return key;
    }
    /** os/architecture/variant from an image config, when it parses. */
    async readConfigPlatform(digest) {
        const manifest = await this.view(digest, 'manifest');
        if (manifest instanceof Error || !('config' in manifest))
            return undefined;
        // Never more than the config declares (readBlob refuses a larger file unread), capped as a manifest is.
        const { digest: configDigest, size } = manifest.config;
        if (size > _oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .MAX_MANIFEST_BYTES */ .ZJ)
            return undefined;
        try {
            const config = JSON.parse((await this.layout.readBlob(configDigest, size)).toString('utf8'));
            if (typeof config.os !== 'string' || typeof config.architecture !== 'string')
                return undefined;
            const variant = typeof config.variant === 'string' ? config.variant : undefined;
            return (0,_oci_platform_js__WEBPACK_IMPORTED_MODULE_3__/* .normalizePlatform */ .FL)({
                os: config.os,
                architecture: config.architecture,
                ...(variant ? { variant } : {}),
            });
        }
        catch {
            return undefined;
        }
    }
    // ---------------------------------------------------------------------------------------
    // Judging, once everything is known. Iterative: a deep chain of indexes never overflows the stack.
    verdict(check) {
        const blob = this.scan.blobs.get(check.digest);
        if (!blob)
            return { ok: false, kind: 'missing', key: `blob ${check.digest}` };
        if (blob.hashOk === false)
            return { ok: false, kind: 'corrupt', key: `blob ${check.digest}` };
        if (check.problem)
            return { ok: false, kind: 'corrupt', key: check.problem };
        return OK;
    }
    edgeVerdict(edge) {
        const verdict = this.verdict(edge.check);
        if (!verdict.ok || !edge.cycle)
            return verdict;
        return { ok: false, kind: 'corrupt', key: edge.cycle.key };
    }
    edgeOk(edge) {
        return this.edgeVerdict(edge).ok && (!edge.node || this.nodeOk(edge.node));
    }
    /** A node is whole when every edge it needs is, all the way down. */
    nodeOk(start) {
        return this.postOrder(start, this.okNodes, (node) => node.edges.every((e) => this.edgeVerdict(e).ok && (!e.node || this.okNodes.get(e.node) === true)));
    }
    /**
     * `compute(node)` for `start` and every node below its ok edges, children first, each once
     * (memoised in `done`); a stack, not recursion, so a deep chain never overflows. The node
     * graph has no cycles (they are cut while gathering).
     */
    postOrder(start, done, compute) {
        const expanded = new Set();
        const stack = [start];
        while (stack.length > 0) {
            const node = stack[stack.length - 1];
            if (done.has(node)) {
                stack.pop();
                continue;
            }
            if (!expanded.has(node)) {
                expanded.add(node);
                const before = stack.length;
                for (const edge of node.edges)
                    if (edge.node && !done.has(edge.node) && !expanded.has(edge.node) && this.edgeVerdict(edge).ok)
                        stack.push(edge.node);
                if (stack.length > before)
                    continue;
            }
            done.set(node, compute(node));
            stack.pop();
        }
        return done.get(start);
    }
    /** One entry's status, from its root's node summary; entries with the same root share it. */
    summarize(name, root, edge) {
        const key = `${edge.check.role} ${root.size} ${root.digest} ${root.platform ? (0,_oci_platform_js__WEBPACK_IMPORTED_MODULE_3__/* .formatPlatform */ .Bq)(root.platform) : ''}`;
        let summary = this.summaries.get(key);
        if (!summary) {
            summary = this.rootSummary(root, edge);
            this.summaries.set(key, summary);
        }
        // Each finding the entry reaches gets its name: work in proportion to what is reported.
        for (const f of summary.findings) {
            const names = this.names.get(f);
            if (names)
                names.add(name);
            else
                this.names.set(f, new Set([name]));
        }
        return {
            status: {
                name,
                digest: root.digest,
                mediaType: root.mediaType,
                platforms: Object.fromEntries(summary.platforms),
                size: summary.size,
                ...(summary.problems.size ? { problem: [...summary.problems].join('; ') } : {}),
            },
            bad: summary.bad,
        };
    }
    rootSummary(root, rootEdge) {
        this.work.summaryEdges++;
        this.referenced.add(rootEdge.check.digest);
        const bad = !this.edgeOk(rootEdge);
        const verdict = this.edgeVerdict(rootEdge);
        if (!verdict.ok)
            return {
                platforms: new Map(),
                size: 0,
                problems: new Set([`${rootEdge.check.role} blob ${verdict.kind}`]),
                findings: new Set([verdict.key]),
                bad,
            };
        const blobSize = this.scan.blobs.get(rootEdge.check.digest)?.size ?? 0;
        const node = rootEdge.node && this.nodeSummary(rootEdge.node);
        const probed = node && !node.exact ? undefined : this.exactSize([rootEdge]);
        const size = probed ?? addSizes(blobSize, node?.size ?? 0);
        let platforms = node?.platforms ?? new Map();
        if (rootEdge.node?.role === 'manifest') {
            const platform = rootEdge.node.configPlatform ?? root.platform;
            platforms = new Map([[platform ? (0,_oci_platform_js__WEBPACK_IMPORTED_MODULE_3__/* .formatPlatform */ .Bq)(platform) : 'unknown', bad ? 'broken' : 'complete']]);
        }
        return {
            platforms,
            size,
            problems: node?.problems ?? new Set(),
            findings: node?.findings ?? new Set(),
            bad,
        };
    }
    /**
     * What a node contributes to every entry above it, computed once per node from its
     * children's summaries (post-order, no recursion: a deep chain never overflows the stack).
     */
    nodeSummary(start) {
        return this.postOrder(start, this.nodeSummaries, (node) => this.combine(node));
    }
    /**
     * A node's summary from its own edges and its children's summaries. Items come in the order
     * a depth-first walk from the node meets them (its own first, then its edges last to first),
     * so that entries read as the per-entry walk this replaces wrote them.
     */
    combine(node) {
        const own = new Map();
        const whole = new Map();
        for (const { key, manifest, attestations = [] } of node.platforms) {
            this.work.summaryEdges++;
            if (!manifest) {
                raise(own, key, 'absent');
                continue;
            }
            if (!whole.has(attestations))
                whole.set(attestations, attestations.every((e) => this.edgeOk(e)));
            raise(own, key, this.edgeOk(manifest) && whole.get(attestations) ? 'complete' : 'broken');
        }
        const ownProblems = [];
        for (const orphan of node.orphans)
            if (!this.edgeOk(orphan))
                ownProblems.push(`attestation ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .shortDigest */ .VK)(orphan.check.digest)} broken`);
        const ownFindings = [];
        const platforms = [own];
        const problems = [ownProblems];
        const findings = [ownFindings];
        for (let i = node.edges.length - 1; i >= 0; i--) {
            const edge = node.edges[i];
            this.work.summaryEdges++;
            this.referenced.add(edge.check.digest);
            const verdict = this.edgeVerdict(edge);
            if (!verdict.ok) {
                ownFindings.push(verdict.key);
                if (edge.cycle)
                    problems.push([edge.cycle.detail]);
                else if (edge.nested)
                    problems.push([`nested index ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .shortDigest */ .VK)(edge.check.digest)} ${verdict.kind}`]);
                continue;
            }
            if (!edge.node)
                continue;
            const child = this.nodeSummaries.get(edge.node);
            if (edge.nested)
                platforms.push(child.platforms);
            problems.push(child.problems);
            findings.push(child.findings);
        }
        return {
            platforms: this.mergePlatforms(platforms),
            problems: this.union(problems),
            findings: this.union(findings),
            ...this.sizeOf(node),
        };
    }
    /**
     * The union of sets, in order. A node that adds nothing to one child's set shares that
     * set, so a chain or a fan of nodes over one shared subtree copies nothing.
     */
    union(parts) {
        const sets = new Set();
        for (const p of parts)
            if (p instanceof Set ? p.size > 0 : p.length > 0)
                sets.add(p);
        if (sets.size === 0)
            return EMPTY;
        const [first] = sets;
        if (sets.size === 1 && first instanceof Set)
            return first;
        const out = new Set();
        for (const p of sets)
            for (const x of p) {
                this.work.merged++;
                out.add(x);
            }
        return out;
    }
    /** Platforms merged worst-first (a platform listed twice is as bad as its worst listing); shared as union() does. */
    mergePlatforms(maps) {
        const nonEmpty = new Set(maps.filter((m) => m.size > 0));
        if (nonEmpty.size === 0)
            return maps[0];
        if (nonEmpty.size === 1)
            return [...nonEmpty][0];
        const out = new Map();
        for (const m of nonEmpty)
            for (const [key, status] of m) {
                this.work.merged++;
                raise(out, key, status);
            }
        return out;
    }
    /** A probe from a node over a child whose probe gave up would give up too: it is not tried. */
    sizeOf(node) {
        const giveUp = node.edges.some((e) => e.node && this.edgeVerdict(e).ok && !this.nodeSummaries.get(e.node).exact);
        const probed = giveUp ? undefined : this.exactSize(node.edges);
        return probed === undefined
            ? { size: this.summedSize(node), exact: false }
            : { size: probed, exact: true };
    }
    /**
     * Bytes of the distinct blobs below `edges` (through edges whose blob is good), or undefined
     * when that takes more than SIZE_PROBE_STEPS steps: then the caller sums its children's sizes.
     */
    exactSize(edges) {
        const digests = new Set();
        const nodes = new Set();
        const stack = [...edges];
        let size = 0;
        for (let steps = 0; stack.length > 0; steps++) {
            if (steps >= SIZE_PROBE_STEPS)
                return undefined;
            this.work.sizeSteps++;
            const edge = stack.pop();
            if (!this.edgeVerdict(edge).ok)
                continue;
            if (!digests.has(edge.check.digest)) {
                digests.add(edge.check.digest);
                size = addSizes(size, this.scan.blobs.get(edge.check.digest)?.size ?? 0);
            }
            if (edge.node && !nodes.has(edge.node)) {
                nodes.add(edge.node);
                for (const e of edge.node.edges)
                    stack.push(e);
            }
        }
        return size;
    }
    /** The size rule past the probe: each distinct good blob it lists, plus each distinct child's size. */
    summedSize(node) {
        const digests = new Set();
        const children = new Set();
        let size = 0;
        for (const edge of node.edges) {
            if (!this.edgeVerdict(edge).ok)
                continue;
            if (!digests.has(edge.check.digest)) {
                digests.add(edge.check.digest);
                size = addSizes(size, this.scan.blobs.get(edge.check.digest)?.size ?? 0);
            }
            if (edge.node && !children.has(edge.node)) {
                children.add(edge.node);
                size = addSizes(size, this.nodeSummaries.get(edge.node).size);
            }
        }
        return size;
    }
}
const EMPTY = new Set();
/**
 * An entry's size is the bytes of the distinct blobs it reaches when finding them takes at most
 * this many steps from a node; past that, the node adds up its children's sizes, so a blob
 * under two of its children (a layer two platforms share) counts twice. Exact distinct bytes
 * per entry over shared subtrees has no linear algorithm; this keeps the walk linear.
 */
const SIZE_PROBE_STEPS = 256;
/** Sizes added up past 2^53 stay at 2^53 - 1: huge, and still an integer. */
function addSizes(a, b) {
    return Math.min(a + b, Number.MAX_SAFE_INTEGER);
}
/** Read through a function so the compiler does not carry narrowing across awaits that hash. */
function provenWrong(blob) {
    return blob.hashOk === false;
}
const RANK = { absent: 0, complete: 1, broken: 2 };
/** A platform listed twice is as bad as its worst listing. */
function raise(platforms, key, status) {
    const was = platforms.get(key);
    if (was === undefined || RANK[status] > RANK[was])
        platforms.set(key, status);
}
function roleOf(d) {
    return (0,_oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .isIndexMediaType */ .$$)(d.mediaType) ? 'index' : 'manifest';
}
/**
 * "index cycle: sha256:ab… lists itself via sha256:cd… → sha256:ef…": the cycle on `path` from
 * `from` (the index listed again) to its end (the one listing it). Reads a few digests, whatever its length.
 */
function describeCycle(path, from = 0) {
    const via = path.length - from - 1;
    const at = (i) => (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .shortDigest */ .VK)(path[from + 1 + i]);
    const shown = via > 4
        ? [at(0), at(1), `… ${via - 3} more …`, at(via - 1)]
        : Array.from({ length: via }, (_, i) => at(i));
    return `index cycle: ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_0__/* .shortDigest */ .VK)(path[from])} lists itself${shown.length ? ` via ${shown.join(' → ')}` : ''}`;
}
/** A buildkit attestation manifest: platform unknown/unknown, pointing at the manifest it describes. */
function isAttestation(d) {
    return (d.annotations?.[_oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .Annotation */ .YH.DockerReferenceType] === 'attestation-manifest' ||
        ((0,_oci_platform_js__WEBPACK_IMPORTED_MODULE_3__/* .isUnknownPlatform */ ._H)(d.platform) && d.annotations?.[_oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .Annotation */ .YH.DockerReferenceDigest] !== undefined));
}


/***/ })

};
