export const id = 529;
export const ids = [529];
export const modules = {

/***/ 529:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  runCli: () => (/* binding */ runCli)
});

// UNUSED EXPORTS: EXIT, consoleContext

// EXTERNAL MODULE: ./lib/errors.js
var errors = __webpack_require__(452);
// EXTERNAL MODULE: ./lib/format.js
var format = __webpack_require__(2016);
;// CONCATENATED MODULE: ./lib/version.js
/** Kept equal to package.json's version by a test. */
const VERSION = '0.1.0';

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./lib/layout/layout.js + 1 modules
var layout = __webpack_require__(4323);
// EXTERNAL MODULE: ./lib/layout/lock.js
var lock = __webpack_require__(4115);
;// CONCATENATED MODULE: ./lib/cli/interrupt.js





const SIGNALS = { SIGINT: 130, SIGTERM: 143 };
function watchInterrupts(command, stderr) {
    let cache;
    const handler = (signal) => {
        if (cache)
            releaseLocksOf(process.pid, cache);
        // On a terminal, start from a clean line: the live progress line has no newline.
        const clear = stderr.isTTY ? '\r\x1b[K' : '';
        stderr.write(`${clear}oci-cache-guard ${command}: ${interruptedLine(cache)}\n`);
        process.exit(SIGNALS[signal]);
    };
    for (const s of Object.keys(SIGNALS))
        process.once(s, handler);
    return {
        usingCache(root) {
            cache = root;
        },
    };
}
/** "interrupted: 3 partial downloads kept in /c; the next pull resumes them". */
function interruptedLine(cache) {
    if (!cache)
        return 'interrupted';
    const where = (0,format/* printable */.g$)(cache);
    const partials = partialDownloads(cache);
    if (partials === 0)
        return `interrupted: every change to ${where} so far is complete (each is an atomic rename); run it again to finish`;
    return `interrupted: ${partials} partial download${partials === 1 ? '' : 's'} kept in ${where}; the next pull resumes them`;
}
function partialDownloads(cache) {
    let n = 0;
    for (const name of listSync(external_node_path_.join(cache, layout/* BLOBS_DIR */.xl, 'sha256')))
        if (name.endsWith(layout/* PARTIAL_SUFFIX */.oG))
            n++;
    return n;
}
/**
 * Deletes the lock files that `pid` on this host holds in `cache` (those that begin with its
 * lockHolder): the cache lock, per-blob download locks and the running-pull marker.
 * Synchronous, so nothing else runs between the release and the exit.
 */
function releaseLocksOf(pid, cache) {
    const mine = (0,lock/* lockHolder */.ms)(pid);
    const locksDir = external_node_path_.join(cache, layout/* LOCKS_DIR */.TU);
    const files = [external_node_path_.join(cache, layout/* LOCK_FILE */.FI), ...listSync(locksDir).map((name) => external_node_path_.join(locksDir, name))];
    for (const file of files) {
        if (startOf(file, mine.length) !== mine)
            continue;
        try {
            (0,external_node_fs_.unlinkSync)(file);
        }
        catch {
            // Left behind, the next run finds its holder dead and takes it over.
        }
    }
}
/** The first bytes of a regular file; never follows a symlink or blocks on a FIFO planted there. */
function startOf(file, bytes) {
    let fd;
    try {
        fd = (0,external_node_fs_.openSync)(file, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NOFOLLOW | external_node_fs_.constants.O_NONBLOCK);
        if (!(0,external_node_fs_.fstatSync)(fd).isFile())
            return undefined;
        const buf = Buffer.alloc(bytes);
        return buf.toString('utf8', 0, (0,external_node_fs_.readSync)(fd, buf, 0, bytes, 0));
    }
    catch {
        return undefined; // gone already, or not ours to read: nothing to release
    }
    finally {
        if (fd !== undefined)
            (0,external_node_fs_.closeSync)(fd);
    }
}
function listSync(dir) {
    try {
        return (0,external_node_fs_.readdirSync)(dir);
    }
    catch {
        return [];
    }
}

;// CONCATENATED MODULE: ./lib/cli/output.js
/** Lines are joined into writes of about this many characters (fewer system calls). */
const CHUNK = 64 * 1024;
function guardedOutput(stream) {
    let buffer = '';
    let blocked = false;
    let scheduled = false;
    let stopped;
    let wake;
    const flush = () => {
        scheduled = false;
        if (stopped || blocked || buffer === '')
            return;
        const chunk = buffer;
        buffer = '';
        if (!stream.write(chunk))
            blocked = true;
    };
    stream.on('error', (err) => {
        stopped ??= err.code === 'EPIPE' ? 'closed' : err;
        buffer = '';
        wake?.();
    });
    stream.on('drain', () => {
        blocked = false;
        flush();
        wake?.();
    });
    return {
        flush,
        line(text) {
            if (stopped)
                return;
            buffer += `${text}\n`;
            if (buffer.length >= CHUNK)
                flush();
            else if (!scheduled) {
                scheduled = true;
                setImmediate(flush);
            }
        },
        async end() {
            flush();
            while (!stopped && (blocked || buffer !== ''))
                await new Promise((r) => (wake = r));
            // A write to a file or a Linux pipe fails synchronously, but its error is emitted later.
            await new Promise((r) => setImmediate(r));
            return stopped instanceof Error ? stopped : undefined;
        },
    };
}
/** "no space left on device (ENOSPC)" from Node's "ENOSPC: no space left on device, write". */
function describeWriteError(err) {
    const code = err.code;
    const text = /^E[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
    return code && !text.includes(code) ? `${text} (${code})` : text;
}

;// CONCATENATED MODULE: ./lib/cli/main.js





// Each command's module is loaded only when it runs: validate, ls and prune never load the
// registry stack (most of the bundle's bytes), and --help loads no command at all.
const COMMANDS = {
    validate: {
        load: async () => {
            const m = await Promise.all(/* import() */[__webpack_require__.e(497), __webpack_require__.e(355), __webpack_require__.e(295)]).then(__webpack_require__.bind(__webpack_require__, 295));
            return { run: m.validateCommand, help: m.VALIDATE_HELP };
        },
        summary: 'check every blob and image; --repair fixes what is wrong',
    },
    pull: {
        load: async () => {
            const m = await Promise.all(/* import() */[__webpack_require__.e(752), __webpack_require__.e(497), __webpack_require__.e(986)]).then(__webpack_require__.bind(__webpack_require__, 7986));
            return { run: m.pullCommand, help: m.PULL_HELP };
        },
        summary: 'pull images into the cache atomically, resuming interrupted downloads',
    },
    ls: {
        load: async () => {
            const m = await Promise.all(/* import() */[__webpack_require__.e(497), __webpack_require__.e(355), __webpack_require__.e(444)]).then(__webpack_require__.bind(__webpack_require__, 1444));
            return { run: m.lsCommand, help: m.LS_HELP };
        },
        summary: 'list cached images, their platforms and completeness',
    },
    prune: {
        load: async () => {
            const m = await Promise.all(/* import() */[__webpack_require__.e(497), __webpack_require__.e(355), __webpack_require__.e(205)]).then(__webpack_require__.bind(__webpack_require__, 205));
            return { run: m.pruneCommand, help: m.PRUNE_HELP };
        },
        summary: 'delete unreferenced blobs, partial downloads and strays',
    },
};
/** Own keys only: `toString` is not a command. */
function commandNamed(name) {
    return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}
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
/** The context of the real process: guarded stdout, stderr, Ctrl-C handling. */
function consoleContext(argv) {
    const verbose = argv.includes('--verbose') || argv.includes('-v');
    // stderr is where problems are told: if it is closed too, there is nobody left to tell.
    process.stderr.on('error', () => { });
    const output = guardedOutput(process.stdout);
    const interrupts = watchInterrupts(argv[0] ?? '', process.stderr);
    const stderr = flushingFirst(process.stderr, output);
    const logger = {
        debug: (m) => verbose && stderr.write(`debug: ${(0,format/* printable */.g$)(m)}\n`),
        info: (m) => stderr.write(`${(0,format/* printable */.g$)(m)}\n`),
        warn: (m) => stderr.write(`warning: ${(0,format/* printable */.g$)(m)}\n`),
    };
    return {
        out: (line) => output.line(line),
        stderr,
        logger,
        env: process.env,
        usingCache: (root) => interrupts.usingCache(root),
        end: () => output.end(),
    };
}
/**
 * stderr that lets the lines stdout has batched out first, so the two streams keep their
 * order on a terminal and in `> log 2>&1`.
 */
function flushingFirst(stream, output) {
    const write = (...args) => {
        output.flush();
        return stream.write.apply(stream, args);
    };
    return new Proxy(stream, {
        get(target, key) {
            if (key === 'write')
                return write;
            const value = Reflect.get(target, key, target);
            return typeof value === 'function' ? value.bind(target) : value;
        },
    });
}
/** Runs one CLI invocation and returns its exit status; never throws. */
async function runCli(argv, ctx = consoleContext(argv)) {
    const code = await dispatch(argv, ctx);
    const failure = await ctx.end?.();
    if (!failure)
        return code;
    const prefix = commandNamed(argv[0]) ? `oci-cache-guard ${argv[0]}` : 'oci-cache-guard';
    ctx.stderr.write(`${prefix}: cannot write the output to stdout: ${describeWriteError(failure)}\n`);
    return EXIT.problems;
}
async function dispatch(argv, ctx) {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
        const topic = name === 'help' ? commandNamed(rest[0]) : undefined;
        ctx.out(topic ? (await topic.load()).help : usage());
        return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === 'version') {
        ctx.out(VERSION);
        return EXIT.ok;
    }
    const command = commandNamed(name);
    if (!command) {
        ctx.stderr.write(`oci-cache-guard: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')} (see --help)\n`);
        return EXIT.usage;
    }
    const verbose = rest.includes('--verbose') || rest.includes('-v');
    try {
        return await (await command.load()).run(rest, ctx);
    }
    catch (err) {
        ctx.stderr.write(`oci-cache-guard ${name}: ${(0,format/* printable */.g$)((0,errors/* errorMessage */.gJ)(err))}\n`);
        if (verbose && err instanceof Error) {
            if (err.cause)
                ctx.stderr.write(`  caused by: ${(0,format/* printable */.g$)((0,errors/* errorMessage */.gJ)(err.cause))}\n`);
            if (!(err instanceof errors/* GuardError */.U$))
                ctx.stderr.write(`${err.stack}\n`);
        }
        return err instanceof errors/* UsageError */.eb ? EXIT.usage : EXIT.problems;
    }
}


/***/ }),

/***/ 452:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   U$: () => (/* binding */ GuardError),
/* harmony export */   XB: () => (/* binding */ LockTimeoutError),
/* harmony export */   eb: () => (/* binding */ UsageError),
/* harmony export */   gJ: () => (/* binding */ errorMessage),
/* harmony export */   h: () => (/* binding */ DigestMismatchError),
/* harmony export */   uH: () => (/* binding */ InvalidDigestError)
/* harmony export */ });
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
class UsageError extends GuardError {
    name = 'UsageError';
}
/** A digest string that is not `<algorithm>:<hex>` of the right length. */
class InvalidDigestError extends GuardError {
    name = 'InvalidDigestError';
}
/** Bytes whose size or digest is not what their descriptor promised. */
class DigestMismatchError extends GuardError {
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


/***/ }),

/***/ 2016:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CE: () => (/* binding */ formatRate),
/* harmony export */   Lc: () => (/* binding */ formatPullsLeft),
/* harmony export */   a3: () => (/* binding */ formatDuration),
/* harmony export */   b7: () => (/* binding */ naming),
/* harmony export */   et: () => (/* binding */ printableJson),
/* harmony export */   g$: () => (/* binding */ printable),
/* harmony export */   o_: () => (/* binding */ quoteAscii),
/* harmony export */   z3: () => (/* binding */ formatBytes)
/* harmony export */ });
/* harmony import */ var _oci_json_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3931);
/** Sizes, rates and durations as people read them, for the CLI, the job summary and the report. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
/** "512 B", "1.2 kB", "205 kB", "17.2 MB": whole bytes, then three significant digits at most. */
function formatBytes(n) {
    if (!Number.isFinite(n) || n < 0)
        return '? B';
    let i = 0;
    let v = Math.round(n);
    // Round before choosing the unit, so 999.96 kB reads "1.0 MB", not "1000.0 kB".
    while (i < UNITS.length - 1 && roundFor(v) >= 1000) {
        v /= 1000;
        i++;
    }
    return `${i === 0 ? v : v.toFixed(v >= 99.95 ? 0 : 1)} ${UNITS[i]}`;
}
function roundFor(v) {
    return v >= 99.95 ? Math.round(v) : Math.round(v * 10) / 10;
}
/** "52 B/s", "24.8 MB/s". */
function formatRate(bytesPerSecond) {
    return `${formatBytes(bytesPerSecond)}/s`;
}
/** "840 ms", "12.3 s", "4m05s", "1h02m". */
function formatDuration(ms) {
    if (!Number.isFinite(ms) || ms < 0)
        return '?';
    if (Math.round(ms) < 1000)
        return `${Math.round(ms)} ms`;
    const tenths = Math.round(ms / 100);
    if (tenths < 600)
        return `${(tenths / 10).toFixed(1)} s`;
    const s = Math.round(ms / 1000);
    if (s < 3600)
        return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
    const m = Math.round(s / 60);
    return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
/**
 * Characters a reader cannot see or tell apart from a plain one: controls (C0, DEL, C1), which
 * can drive a terminal; format characters (zero-width spaces and joiners, the byte order mark,
 * bidirectional overrides, which can reorder a line, soft hyphens, tag characters); other
 * default-ignorable code points (variation selectors, Hangul fillers); line and paragraph
 * separators; spaces other than U+0020 (a no-break space passes for one); lone surrogates.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/gu;
/** The same, less what JSON.stringify escapes itself (C0 controls) and the newlines of its indentation. */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/gu;
/**
 * Every UTF-16 unit UNPRINTABLE may match, and a few more: a plain character class, tried on
 * the few characters of a line outside printable ASCII, so that most lines skip the Unicode
 * property classes, which cost ten times more (a test checks every code point).
 */
/* eslint-disable no-control-regex, no-misleading-character-class -- controls and lone marks are the point */
const MAYBE_UNPRINTABLE = /[\u0000-\u001f\u007f-\u00a0\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ud800-\udfff]/;
/* eslint-enable no-control-regex, no-misleading-character-class */
const OUTSIDE_PRINTABLE_ASCII = /[^\u0020-\u007e]/g;
function mayBeUnprintable(text) {
    OUTSIDE_PRINTABLE_ASCII.lastIndex = 0;
    for (let m = OUTSIDE_PRINTABLE_ASCII.exec(text); m; m = OUTSIDE_PRINTABLE_ASCII.exec(text))
        if (MAYBE_UNPRINTABLE.test(m[0]))
            return true;
    return false;
}
/** `\uXXXX` per UTF-16 unit (a character beyond U+FFFF as its surrogate pair, as JSON writes it). */
function unicodeEscape(c) {
    let escaped = '';
    for (let i = 0; i < c.length; i++)
        escaped += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return escaped;
}
/**
 * Text from a cache or a registry (an index.json name, a file name, an error body), safe to
 * print on a terminal: control characters, line and paragraph separators, bidirectional
 * overrides and characters one cannot see (zero-width, a byte order mark, odd spaces) are
 * written as escapes (`\u001b`, `\n`, `\u200b`), so a name can neither send terminal escape
 * sequences, break or reorder a line, nor hide a character. Other text is unchanged.
 */
function printable(text) {
    if (!mayBeUnprintable(text))
        return text; // the common case
    return text.replace(UNPRINTABLE, (c) => {
        const json = c.length === 1 ? JSON.stringify(c).slice(1, -1) : '';
        return json.startsWith('\\') ? json : unicodeEscape(c);
    });
}
/** JSON.stringify, indented, with the characters it leaves raw that a terminal would act on escaped too. */
function printableJson(value) {
    return (0,_oci_json_js__WEBPACK_IMPORTED_MODULE_0__/* .stringifyJson */ .sd)(value, 2).replace(UNPRINTABLE_IN_JSON, unicodeEscape);
}
/**
 * A string quoted as JSON with every character outside printable ASCII escaped: for text that
 * must be ASCII to be valid (an image reference), where a look-alike letter (Cyrillic `е` for
 * `e`, a fullwidth `ｒ`) is the fault to show.
 */
function quoteAscii(text) {
    return JSON.stringify(text).replace(/[^\u0020-\u007e]/g, unicodeEscape);
}
/** `message`, prefixed with `subject: ` unless it already names one of `names`. */
function naming(subject, message, names = [subject]) {
    return names.some((n) => n && message.includes(n)) ? message : `${subject}: ${message}`;
}
/** Docker Hub's pull allowance from its RateLimit headers: "Docker Hub pulls left: 76 of 100 per 6 h". */
function formatPullsLeft(r) {
    const w = r.windowSeconds;
    const window = w ? ` per ${w % 3600 === 0 ? `${w / 3600} h` : `${w} s`}` : '';
    return `Docker Hub pulls left: ${r.remaining} of ${r.limit}${window}`;
}


/***/ }),

/***/ 3849:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $X: () => (/* binding */ closingOnError),
/* harmony export */   U8: () => (/* binding */ TEMP_INFIX),
/* harmony export */   Zf: () => (/* binding */ writeFileAtomic),
/* harmony export */   ty: () => (/* binding */ syncDir)
/* harmony export */ });
/* unused harmony export tempPathFor */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);



/** What tempPathFor puts between the target's name and the unique part. */
const TEMP_INFIX = '.tmp-';
/** A temp name beside `target`, unique to this process and call. */
function tempPathFor(target) {
    return `${target}${TEMP_INFIX}${process.pid}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(4).toString('hex')}`;
}
/** `work`'s result; when it fails, `handles` are closed first (their own errors ignored), so none is left open. */
async function closingOnError(work, ...handles) {
    try {
        return await work();
    }
    catch (err) {
        await Promise.allSettled(handles.map((h) => h.close()));
        throw err;
    }
}
/** fsync a directory so a rename inside it survives a crash. */
async function syncDir(dir) {
    const fh = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.open)(dir, 'r');
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
    const fh = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.open)(tmp, 'wx', 0o644);
    try {
        await fh.writeFile(data);
        await fh.sync();
    }
    catch (err) {
        await fh.close();
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.unlink)(tmp).catch(() => { });
        throw err;
    }
    await fh.close();
    try {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rename)(tmp, target);
    }
    catch (err) {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.unlink)(tmp).catch(() => { });
        throw err;
    }
    await syncDir(node_path__WEBPACK_IMPORTED_MODULE_2__.dirname(target));
}


/***/ }),

/***/ 5928:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   OK: () => (/* binding */ layoutFileProblem),
/* harmony export */   vK: () => (/* binding */ assertMayWrite),
/* harmony export */   wx: () => (/* binding */ identifyDirectory)
/* harmony export */ });
/* unused harmony export NotACacheError */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(452);
/* harmony import */ var _oci_digest_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(9501);
/* harmony import */ var _atomic_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3849);
/* harmony import */ var _names_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(9402);







/** A directory that is not an OCI layout and not empty: CLI exit 2, the Action's step fails. */
class NotACacheError extends _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .UsageError */ .eb {
    name = 'NotACacheError';
}
async function identifyDirectory(dir) {
    const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.stat)(dir).catch((err) => err);
    if (s instanceof Error) {
        if (s.code === 'ENOENT')
            return { state: 'absent' };
        if (s.code === 'ENOTDIR')
            return { state: 'not-a-directory' };
        throw s;
    }
    if (!s.isDirectory())
        return { state: 'not-a-directory' };
    const names = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(dir).catch((err) => {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .GuardError */ .U$(`cannot read ${dir}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`, {
            cause: err,
        });
    });
    names.sort();
    if (names.length === 0 || (await isBeingCreated(dir, names)))
        return { state: 'empty' };
    for (const part of LINKS_REFUSED) {
        const target = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readlink)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, part)).catch(() => undefined);
        if (target !== undefined)
            return { state: 'linked', part, target };
    }
    const layoutFile = await layoutFileProblem(dir);
    if (layoutFile === undefined)
        return { state: 'layout' };
    const shape = await linuxkitShapeProblem(dir, names);
    if (shape === undefined)
        return { state: 'layout' };
    const why = layoutFile.missing ? `no ${_names_js__WEBPACK_IMPORTED_MODULE_6__/* .LAYOUT_FILE */ .gI} file` : `${_names_js__WEBPACK_IMPORTED_MODULE_6__/* .LAYOUT_FILE */ .gI} ${layoutFile.detail}`;
    return { state: 'foreign', reason: `${why}; ${shape}` };
}
/**
 * Throws unless a layout may be written in `dir`: it is one, or it is empty or absent. The
 * message names the directory, what in it makes it no cache, and what to do.
 */
async function assertMayWrite(dir) {
    const found = await identifyDirectory(dir);
    if (found.state === 'not-a-directory')
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .UsageError */ .eb(`cache ${dir} is not a directory`);
    if (found.state === 'foreign') {
        throw new NotACacheError(`refusing to use ${dir} as a cache: it is not empty and not an OCI image layout (${found.reason}); nothing was changed: name an OCI image layout, or an empty or new directory`);
    }
    if (found.state === 'linked') {
        throw new NotACacheError(`refusing to use ${dir} as a cache: ${found.part} is a symbolic link (to ${found.target}), and links in a cache are never followed; nothing was changed: put the ${found.part === _names_js__WEBPACK_IMPORTED_MODULE_6__/* .INDEX_FILE */ .K$ ? 'file' : 'directory'} itself at ${node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, found.part)} (move it back, or bind-mount it)`);
    }
    return found;
}
/** Parts of a layout whose link would hide every blob or every entry (see CacheDirectory). */
const LINKS_REFUSED = [_names_js__WEBPACK_IMPORTED_MODULE_6__/* .BLOBS_DIR */ .xl, `${_names_js__WEBPACK_IMPORTED_MODULE_6__/* .BLOBS_DIR */ .xl}/sha256`, _names_js__WEBPACK_IMPORTED_MODULE_6__/* .INDEX_FILE */ .K$];
/**
 * Whether `dir` holds only what creating a layout puts there before its oci-layout is in
 * place (another process may be doing it right now): empty digest directories under blobs/,
 * temp files of oci-layout and index.json, our locks, linuxkit's lock. Nothing anyone could
 * lose, so it counts as empty.
 */
async function isBeingCreated(dir, names) {
    // blobs/ last: any other name settles it without listing a big blobs/sha256.
    for (const name of [...names.filter((n) => n !== _names_js__WEBPACK_IMPORTED_MODULE_6__/* .BLOBS_DIR */ .xl), ...names.filter((n) => n === _names_js__WEBPACK_IMPORTED_MODULE_6__/* .BLOBS_DIR */ .xl)]) {
        if (name.startsWith(_names_js__WEBPACK_IMPORTED_MODULE_6__/* .LOCK_FILE */ .FI) || name === _names_js__WEBPACK_IMPORTED_MODULE_6__/* .LINUXKIT_LOCK_FILE */ .se)
            continue; // LOCKS_DIR too
        if (name.startsWith(_names_js__WEBPACK_IMPORTED_MODULE_6__/* .LAYOUT_FILE */ .gI + _atomic_js__WEBPACK_IMPORTED_MODULE_5__/* .TEMP_INFIX */ .U8) || name.startsWith(_names_js__WEBPACK_IMPORTED_MODULE_6__/* .INDEX_FILE */ .K$ + _atomic_js__WEBPACK_IMPORTED_MODULE_5__/* .TEMP_INFIX */ .U8))
            continue;
        if (name !== _names_js__WEBPACK_IMPORTED_MODULE_6__/* .BLOBS_DIR */ .xl || !(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, name))).isDirectory())
            return false;
        for (const algorithm of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, name))) {
            const p = node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, name, algorithm);
            if (!(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_4__/* .isAlgorithm */ .Kx)(algorithm) || !(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(p)).isDirectory() || (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(p)).length > 0)
                return false;
        }
    }
    return true;
}
/** Longer than any oci-layout anyone writes: not read past. */
const MAX_LAYOUT_FILE_BYTES = 4096;
/**
 * Why the `oci-layout` of `dir` is not valid, or undefined when it is: a regular file (never
 * a symbolic link) of at most 4 KiB holding a JSON object with a string `imageLayoutVersion`.
 */
async function layoutFileProblem(dir) {
    const file = node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, _names_js__WEBPACK_IMPORTED_MODULE_6__/* .LAYOUT_FILE */ .gI);
    const invalid = (detail) => ({ missing: false, detail });
    const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(file).catch(() => undefined);
    if (!s)
        return { missing: true, detail: 'missing' };
    if (!s.isFile())
        return invalid(s.isSymbolicLink() ? 'is a symbolic link' : 'is not a file');
    if (s.size > MAX_LAYOUT_FILE_BYTES)
        return invalid('is not an OCI layout file');
    try {
        // No-follow and non-blocking: a symbolic link or FIFO put in its place since the lstat is refused.
        const flag = node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_RDONLY | node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_NOFOLLOW | node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.O_NONBLOCK;
        const v = JSON.parse(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readFile)(file, { encoding: 'utf8', flag }));
        if (typeof v?.imageLayoutVersion === 'string')
            return undefined;
    }
    catch {
        // not JSON: said below
    }
    return invalid('has no imageLayoutVersion');
}
/** Why `dir` does not have a linuxkit cache's shape (see CacheDirectory), or undefined. */
async function linuxkitShapeProblem(dir, names) {
    const blobs = node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, _names_js__WEBPACK_IMPORTED_MODULE_6__/* .BLOBS_DIR */ .xl);
    const top = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(blobs).catch(() => undefined);
    if (!top?.isDirectory())
        return `it holds ${sample(names)}`;
    const foreign = [];
    const algorithms = [];
    for (const name of (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(blobs)).sort()) {
        const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(blobs, name));
        if ((0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_4__/* .isAlgorithm */ .Kx)(name) && s.isDirectory())
            algorithms.push(name);
        else
            foreign.push(name);
    }
    for (const algorithm of algorithms) {
        const algDir = node_path__WEBPACK_IMPORTED_MODULE_2__.join(blobs, algorithm);
        for (const name of (await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(algDir)).sort()) {
            const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(algDir, name));
            if (!s.isFile() || !isBlobName(algorithm, name))
                foreign.push(`${algorithm}/${name}`);
        }
    }
    if (foreign.length > 0)
        return `blobs/ holds ${sample(foreign)}, which are not blobs`;
    if (!algorithms.includes('sha256'))
        return 'no blobs/sha256 directory';
    const index = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, _names_js__WEBPACK_IMPORTED_MODULE_6__/* .INDEX_FILE */ .K$)).catch(() => undefined);
    if (!index?.isFile())
        return 'no index.json';
    return undefined;
}
/** A blob's name, or the temp name a writer gives one: ours `<hex>.download`, go-containerregistry's `<hex><digits>`. */
function isBlobName(algorithm, name) {
    const length = _oci_digest_js__WEBPACK_IMPORTED_MODULE_4__/* .HEX_LENGTH */ .p1[algorithm];
    const rest = name.slice(length);
    return ((0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_4__/* .isValidHex */ .qt)(algorithm, name.slice(0, length)) &&
        (rest === '' || rest === _names_js__WEBPACK_IMPORTED_MODULE_6__/* .PARTIAL_SUFFIX */ .oG || /^\d+$/.test(rest)));
}
/** "a, b, c and 4 more" */
function sample(names) {
    const shown = names.slice(0, 3).map((n) => JSON.stringify(n).slice(1, -1));
    return names.length > 3 ? `${shown.join(', ')} and ${names.length - 3} more` : shown.join(', ');
}


/***/ }),

/***/ 4323:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  xl: () => (/* reexport */ names/* BLOBS_DIR */.xl),
  VK: () => (/* binding */ BlobsMissingError),
  K$: () => (/* reexport */ names/* INDEX_FILE */.K$),
  gI: () => (/* reexport */ names/* LAYOUT_FILE */.gI),
  CO: () => (/* binding */ LIVE_WRITER_NOTE),
  TU: () => (/* reexport */ names/* LOCKS_DIR */.TU),
  FI: () => (/* reexport */ names/* LOCK_FILE */.FI),
  PE: () => (/* binding */ Layout),
  vS: () => (/* binding */ OCI_LAYOUT_CONTENT),
  oG: () => (/* reexport */ names/* PARTIAL_SUFFIX */.oG),
  WR: () => (/* binding */ WRITER_GRACE_MS),
  zz: () => (/* binding */ cannotWrite),
  $g: () => (/* binding */ defaultCacheDir),
  k2: () => (/* reexport */ entryKey),
  Xw: () => (/* reexport */ formProblems),
  yS: () => (/* binding */ mayBeLiveWrite),
  nk: () => (/* reexport */ names/* partialHex */.nk)
});

// UNUSED EXPORTS: CLOCK_SKEW_MS, CannotWriteError, LINUXKIT_LOCK_FILE, RANGES_SUFFIX, entryName, openRegularNoFollow, parseIndexDocument, serializeIndex

// EXTERNAL MODULE: external "node:buffer"
var external_node_buffer_ = __webpack_require__(4573);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./lib/errors.js
var errors = __webpack_require__(452);
// EXTERNAL MODULE: ./lib/oci/digest.js
var oci_digest = __webpack_require__(9501);
// EXTERNAL MODULE: ./lib/oci/mediatypes.js
var mediatypes = __webpack_require__(8152);
// EXTERNAL MODULE: ./lib/layout/atomic.js
var atomic = __webpack_require__(3849);
// EXTERNAL MODULE: ./lib/layout/identify.js
var identify = __webpack_require__(5928);
// EXTERNAL MODULE: ./lib/oci/descriptor.js
var descriptor = __webpack_require__(1260);
// EXTERNAL MODULE: ./lib/oci/json.js
var json = __webpack_require__(3931);
;// CONCATENATED MODULE: ./lib/layout/index-json.js



/** U+FEFF, as an editor puts it before the first byte of a UTF-8 file. */
const BOM = '\ufeff';
function entryName(raw) {
    const annotations = raw?.annotations;
    const name = annotations?.[mediatypes/* Annotation */.YH.RefName];
    return typeof name === 'string' ? name : undefined;
}
/**
 * Parses index.json. Throws (the file is unusable: moved aside by repair) only when it is not
 * a JSON object of schemaVersion 2 with an array of manifests; anything narrower is kept on
 * the entry or field it concerns.
 */
function parseIndexDocument(text) {
    const bom = text.startsWith(BOM);
    const v = JSON.parse(bom ? text.slice(BOM.length) : text); // iterative in V8: any depth
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new Error('not a JSON object');
    const { manifests, ...fields } = v;
    if (fields.schemaVersion !== 2)
        throw new Error('schemaVersion is not 2');
    if (manifests !== undefined && !Array.isArray(manifests))
        throw new Error('manifests is not an array');
    const deepFields = new Map();
    for (const [key, value] of Object.entries(fields)) {
        const depth = 1 + (0,json/* jsonDepth */.QV)(value); // inside the top-level object
        if (depth > json/* MAX_JSON_DEPTH */.KX)
            deepFields.set(key, (0,json/* depthDetail */.lz)(depth));
    }
    const entries = (manifests ?? []).map((raw, i) => {
        const name = entryName(raw);
        const named = name ? { name } : {};
        const depth = 2 + (0,json/* jsonDepth */.QV)(raw); // inside the top-level object and its manifests array
        if (depth > json/* MAX_JSON_DEPTH */.KX)
            return { raw, error: (0,json/* depthDetail */.lz)(depth), ...named };
        try {
            return { raw, descriptor: (0,descriptor/* parseDescriptor */.BA)(raw, `index.json manifests[${i}]`), ...named };
        }
        catch (err) {
            return { raw, error: err.message, ...named };
        }
    });
    return { fields, entries, ...(bom ? { bom } : {}), ...(deepFields.size > 0 ? { deepFields } : {}) };
}
/** index.json as we write it: indented, no byte order mark, every entry and field as it was read. */
function serializeIndex(doc) {
    return `${(0,json/* stringifyJson */.sd)({ ...doc.fields, manifests: doc.entries.map((e) => e.raw) }, 2)}\n`;
}
/** An entry's identity across two reads of the file: its whole content, at any depth. */
function entryKey(entry) {
    return (0,json/* stringifyJson */.sd)(entry.raw) ?? 'undefined';
}
/** What is wrong with the file's form (not its entries) that linuxkit would refuse, in report words. */
function formProblems(doc) {
    const problems = [];
    if (doc.bom)
        problems.push('starts with a UTF-8 byte order mark (U+FEFF), which linuxkit cannot read');
    for (const [key, why] of doc.deepFields ?? [])
        problems.push(`field ${JSON.stringify(key)} ${why}`);
    return problems;
}

// EXTERNAL MODULE: ./lib/layout/names.js
var names = __webpack_require__(9402);
// EXTERNAL MODULE: ./lib/layout/lock.js
var lock = __webpack_require__(4115);
;// CONCATENATED MODULE: ./lib/layout/layout.js
















/**
 * index.json is read whole: up to the longest string V8 holds (~512 MiB), room for a million
 * entries; the 64 MiB other small files get would call a big but valid index.json corrupt.
 */
const MAX_INDEX_BYTES = external_node_buffer_.constants.MAX_STRING_LENGTH;
const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';
/**
 * A temp file, partial download or stray written to more recently than this may belong to a
 * writer still running, and is never deleted: linuxkit where its lock cannot be seen (not
 * Linux) or when it starts after we looked, skopeo or umoci, a pull of ours on another
 * machine sharing the directory. A live writer touches its file whenever the network hands
 * it bytes, so its longest silence is a stalled connection or a slow registry's first byte;
 * clients give up on those within minutes (ours after 60 s without a byte, Go's through TCP
 * keepalive in about two and a half). Ten minutes is well past that; the cost is only that
 * a dead writer's file goes on a later run.
 */
const WRITER_GRACE_MS = 10 * 60_000;
/**
 * How far ahead of our clock a file's time may be and still count as recent: clocks of two
 * machines sharing a directory drift by seconds. Further ahead, the time is wrong (an archive
 * made on a machine with a bad clock), says nothing of a live writer, and would otherwise keep
 * the file forever.
 */
const CLOCK_SKEW_MS = 60_000;
/**
 * A regular file written to within WRITER_GRACE_MS: it may belong to a live writer. A time
 * more than CLOCK_SKEW_MS in the future is not fresh: such a file is treated as old.
 */
function mayBeLiveWrite(s, now = Date.now()) {
    const age = now - s.mtimeMs;
    return s.isFile() && age < WRITER_GRACE_MS && age > -CLOCK_SKEW_MS;
}
/** Why a young file is kept, as reports say it. */
const LIVE_WRITER_NOTE = 'kept: may belong to a live writer';
/** linuxkit's cache: `$LINUXKIT_CACHE`, else `~/.linuxkit/cache`. */
function defaultCacheDir(env = process.env) {
    return env.LINUXKIT_CACHE || external_node_path_.join((0,external_node_os_.homedir)(), '.linuxkit', 'cache');
}
/** Blobs an entry needs were gone at its commit: another process removed them after they were put in place. */
class BlobsMissingError extends errors/* GuardError */.U$ {
    image;
    missing;
    name = 'BlobsMissingError';
    constructor(image, missing) {
        super(`${image}: ${missing.length} of its blobs (${missing.map((d) => (0,oci_digest/* shortDigest */.VK)(d.digest)).join(', ')}) left the cache before its index.json entry was written; another process removed them`);
        this.image = image;
        this.missing = missing;
    }
}
/**
 * An OCI image layout on disk. Every path under it is built here, every blob path from a
 * checked Digest, so nothing read from a registry or a file can name a path outside it.
 */
class Layout {
    root;
    /** Settles once the directory is known to be a layout, or empty, or absent (see mayWrite). */
    vetting;
    /** Entries waiting for the next index.json write (see setEntry), and the last write. */
    nextEntries;
    entriesWritten = Promise.resolve();
    constructor(root) {
        this.root = root;
    }
    /** A layout at `dir`, not looked at yet: its first write checks the directory (see mayWrite). */
    static at(dir) {
        return new Layout(external_node_path_.resolve(dir));
    }
    /**
     * Opens the cache at `dir` before anything is read or written: refuses a directory that is
     * not an OCI layout and not empty (NotACacheError, naming what it holds), and an absent
     * one unless `create` (the first write then creates it). Every command and the Action
     * open their cache this way.
     */
    static async open(dir, options) {
        if (dir === '')
            throw new errors/* UsageError */.eb('the cache directory is an empty string: name a directory');
        const layout = Layout.at(dir);
        const found = await (layout.vetting = (0,identify/* assertMayWrite */.vK)(layout.root));
        if (found.state === 'absent' && !options.create)
            throw new errors/* UsageError */.eb(`cache directory ${layout.root} does not exist`);
        return layout;
    }
    /**
     * Every method that writes, moves or deletes waits for this first, so no path (a command,
     * the Action, a test) can initialise, repair or prune a directory that is not a cache.
     */
    mayWrite() {
        return (this.vetting ??= (0,identify/* assertMayWrite */.vK)(this.root));
    }
    /** Runs a write once the directory is vetted; a write the permissions refuse becomes one line. */
    async writing(write) {
        await this.mayWrite();
        try {
            return await write();
        }
        catch (err) {
            throw cannotWrite(err);
        }
    }
    path(...parts) {
        const p = external_node_path_.join(this.root, ...parts);
        // Relative, not a prefix test: a root that ends in a separator (`/`, `C:\`) has no `root + sep`.
        const rel = external_node_path_.relative(this.root, p);
        if (rel === '..' || rel.startsWith(`..${external_node_path_.sep}`) || external_node_path_.isAbsolute(rel)) {
            throw new errors/* GuardError */.U$(`refusing path ${JSON.stringify(parts.join('/'))}: outside the cache ${this.root}`);
        }
        return p;
    }
    get indexPath() {
        return this.path(names/* INDEX_FILE */.K$);
    }
    get layoutFilePath() {
        return this.path(names/* LAYOUT_FILE */.gI);
    }
    get blobsDir() {
        return this.path(names/* BLOBS_DIR */.xl);
    }
    blobDir(algorithm) {
        return this.path(names/* BLOBS_DIR */.xl, algorithm);
    }
    blobPath(digest) {
        return this.path(names/* BLOBS_DIR */.xl, (0,oci_digest/* digestAlgorithm */.g4)(digest), (0,oci_digest/* digestHex */.sU)(digest));
    }
    partialPath(digest) {
        return this.blobPath(digest) + names/* PARTIAL_SUFFIX */.oG;
    }
    rangesPath(digest) {
        return this.blobPath(digest) + names/* RANGES_SUFFIX */.R_;
    }
    /** A path relative to the root, with forward slashes, for reports. */
    relative(p) {
        return external_node_path_.relative(this.root, p).split(external_node_path_.sep).join('/');
    }
    async exists() {
        return (0,promises_.stat)(this.root).then((s) => s.isDirectory(), () => false);
    }
    /** Creates the directory, `oci-layout`, `blobs/sha256` and an empty `index.json` where missing. */
    async init() {
        await this.writing(async () => {
            await (0,promises_.mkdir)(this.blobDir('sha256'), { recursive: true });
            if (!(await (0,promises_.stat)(this.layoutFilePath).catch(() => undefined))) {
                await (0,atomic/* writeFileAtomic */.Zf)(this.layoutFilePath, OCI_LAYOUT_CONTENT);
            }
            if (!(await (0,promises_.stat)(this.indexPath).catch(() => undefined)))
                await this.writeEmptyIndex();
        });
    }
    /**
     * Throws when `blobs/`, `blobs/sha256` or the locks directory is a symbolic link or not a
     * directory: reading, writing or deleting blobs through it could reach outside the cache.
     */
    async checkDirectories() {
        for (const [dir, fix] of [
            [this.blobsDir, 'run oci-cache-guard validate --repair'],
            [this.blobDir('sha256'), 'run oci-cache-guard validate --repair'],
            [this.path(names/* LOCKS_DIR */.TU), 'remove it'],
        ]) {
            const s = await (0,promises_.lstat)(dir).catch(() => undefined);
            if (s && !s.isDirectory()) {
                // A linked blobs directory holds the blobs: put it in place, never "repair" it away.
                const link = s.isSymbolicLink();
                throw new errors/* GuardError */.U$(`${dir} is ${link ? 'a symbolic link' : 'not a directory'}: refusing to use it (it could lead outside the cache); ${link && dir !== this.path(names/* LOCKS_DIR */.TU) ? 'put the directory itself there (move it back, or bind-mount it)' : fix}`);
            }
        }
    }
    async readIndex() {
        let text;
        try {
            text = await this.readSmallFile(this.indexPath, MAX_INDEX_BYTES);
        }
        catch (err) {
            const code = err.code;
            if (code === 'ENOENT')
                return { state: 'missing' };
            // Worded to follow the file's name, as for oci-layout: "index.json is a symbolic link".
            if (code === 'ELOOP')
                return { state: 'corrupt', detail: 'is a symbolic link (never followed)' };
            if (code === 'ENOTREG')
                return { state: 'corrupt', detail: 'is not a regular file' };
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
        await this.writing(() => (0,atomic/* writeFileAtomic */.Zf)(this.indexPath, serializeIndex(doc)));
    }
    /** An index.json with no entries, as init and repair start one. */
    async writeEmptyIndex() {
        await this.writeIndex({ fields: { schemaVersion: 2, mediaType: mediatypes/* MediaType */.zu.OciIndex }, entries: [] });
    }
    /** Moves an unparseable index.json aside (never deleted) and returns the new name. */
    async moveIndexAside(now = new Date()) {
        const stamp = now.toISOString().replace(/[:.]/g, '-');
        const aside = this.path(`${names/* INDEX_FILE */.K$}.corrupt-${stamp}`);
        await this.writing(() => (0,promises_.rename)(this.indexPath, aside));
        return aside;
    }
    /**
     * Adds or replaces the entry named `name` (linuxkit's rule: one entry per name) with the
     * descriptor as served, under the cache lock so concurrent writers keep every entry. Entries
     * set while a write is under way go together in the next one: images of a pull that finish
     * together cost one lock and one fsynced index.json write, not one each. A batch waits for
     * the lock with the options of the call that opened it (the calls of one pull share theirs).
     *
     * Under the lock, before the write, every blob in `needs` must be a file under its name:
     * repair and prune delete only under this lock, so an entry written after that check is
     * complete when the lock is released. When some are gone (another process removed them after
     * the caller put them in place), this entry is not written and BlobsMissingError lists them.
     */
    setEntry(descriptor, name, options = {}) {
        const { needs = [], keepSameDigest = false, ...lockOptions } = options;
        let batch = this.nextEntries;
        if (!batch) {
            const entries = new Map();
            const written = this.entriesWritten.then(() => {
                this.nextEntries = undefined; // what arrives from now on waits for the next write
                return this.writeEntries(entries, lockOptions);
            });
            this.entriesWritten = written.catch(() => { });
            batch = this.nextEntries = { entries, written };
        }
        batch.entries.delete(name); // the latest descriptor of a name, in the order they came
        batch.entries.set(name, { descriptor, needs, keepSameDigest });
        return batch.written.then((missing) => {
            const gone = missing.get(name);
            if (gone)
                throw new BlobsMissingError(name, gone);
        });
    }
    /** Writes a batch under the lock; returns, by name, the needed blobs that were gone (not written). */
    async writeEntries(named, lockOptions) {
        try {
            return await this.withLock(() => this.commitEntries(named), lockOptions);
        }
        catch (err) {
            // A cache this process may not write to (no lock file either): entries that only confirm
            // what is there are checked without the lock; one that must be written fails as it did.
            if (err instanceof CannotWriteError && [...named.values()].every((e) => e.keepSameDigest))
                return this.commitEntries(named);
            throw err;
        }
    }
    async commitEntries(named) {
        await this.init();
        const read = await this.readIndex();
        if (read.state !== 'ok') {
            throw new errors/* GuardError */.U$(`${this.indexPath} is ${read.state === 'missing' ? 'missing' : 'corrupt'}: run oci-cache-guard validate --repair`);
        }
        const missing = await this.missingBlobs(named);
        const present = new Set();
        for (const e of read.doc.entries)
            if (e.name !== undefined && e.descriptor)
                present.add(`${e.name} ${e.descriptor.digest}`);
        const writes = [...named].filter(([name, e]) => !missing.has(name) && !(e.keepSameDigest && present.has(`${name} ${e.descriptor.digest}`)));
        if (writes.length === 0)
            return missing;
        const replaced = new Set(writes.map(([name]) => name));
        const entries = read.doc.entries.filter((e) => e.name === undefined || !replaced.has(e.name));
        for (const [name, { descriptor }] of writes) {
            const raw = {
                mediaType: descriptor.mediaType,
                digest: descriptor.digest,
                size: descriptor.size,
                ...(descriptor.platform ? { platform: descriptor.platform } : {}),
                annotations: { ...descriptor.annotations, [mediatypes/* Annotation */.YH.RefName]: name },
            };
            entries.push({
                raw,
                descriptor: { ...descriptor, annotations: raw.annotations },
                name,
            });
        }
        await this.writeIndex({ fields: read.doc.fields, entries });
        return missing;
    }
    /**
     * The needed blobs of each pending entry that are not a regular file under their name. A
     * file there is taken as is: a blob gets its final name only by a rename after its digest and
     * size were checked, so what other processes can do to it meanwhile is delete it.
     */
    async missingBlobs(named) {
        const isFile = new Map();
        const check = (d) => {
            let known = isFile.get(d);
            if (!known) {
                known = (0,promises_.lstat)(this.blobPath(d)).then((s) => s.isFile(), () => false);
                isFile.set(d, known);
            }
            return known;
        };
        const missing = new Map();
        for (const [name, { needs }] of named) {
            const present = await Promise.all(needs.map((b) => check(b.digest)));
            const gone = needs.filter((_, i) => !present[i]);
            if (gone.length > 0)
                missing.set(name, gone);
        }
        return missing;
    }
    /**
     * Exclusive lock on the layout for index.json changes, repair and prune: ours, then, once
     * no process holds linuxkit's own lock (it writes blobs and index.json in place while it
     * holds it; seen through /proc/locks on Linux), `fn`. `waited` tells `fn` that linuxkit
     * was writing, so anything read before may have changed.
     */
    withLock(fn, options) {
        const opts = { what: `cache ${this.root}`, ...options };
        return this.writing(() => (0,lock/* withLock */.kK)(this.path(names/* LOCK_FILE */.FI), async () => fn({ waited: await (0,lock/* waitForForeignLock */.Ui)(this.path(names/* LINUXKIT_LOCK_FILE */.se), 'linuxkit', opts) }), opts));
    }
    /**
     * Marks a pull as running until released. Blobs a pull has put in place are unreferenced
     * until its index.json entry is written last, so prune keeps unreferenced blobs and partial
     * downloads while any pull is running.
     */
    async registerPull() {
        const marker = this.path(names/* LOCKS_DIR */.TU, `pull-${process.pid}-${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`);
        try {
            await this.writing(async () => {
                await (0,promises_.mkdir)(this.path(names/* LOCKS_DIR */.TU), { recursive: true });
                await (0,lock/* createExclusive */.H0)(marker, (0,lock/* lockContent */.Fl)());
            });
        }
        catch (err) {
            // A cache this process may not write to: a pull of images it already holds needs no
            // marker, and one that must write fails on its first write with a line that says why.
            if (err instanceof CannotWriteError)
                return { release: async () => { } };
            throw err;
        }
        return { release: () => (0,promises_.unlink)(marker).catch(() => { }) };
    }
    /** Pulls running now (markers of live processes); markers left by killed ones are removed. */
    async runningPulls() {
        const dir = this.path(names/* LOCKS_DIR */.TU);
        let running = 0;
        for (const name of await (0,promises_.readdir)(dir).catch(() => [])) {
            if (!name.startsWith('pull-'))
                continue;
            const content = await (0,promises_.readFile)(external_node_path_.join(dir, name), 'utf8').catch(() => undefined);
            if (content === undefined)
                continue;
            if ((0,lock/* isStale */.QO)(content))
                await (0,promises_.unlink)(external_node_path_.join(dir, name)).catch(() => { });
            else
                running++;
        }
        return running;
    }
    /** Lock for downloading one blob, so two processes never write the same partial file. */
    lockBlob(digest, options) {
        return this.writing(async () => {
            await (0,promises_.mkdir)(this.path(names/* LOCKS_DIR */.TU), { recursive: true });
            return (0,lock/* acquireLock */.IZ)(this.path(names/* LOCKS_DIR */.TU, `${(0,oci_digest/* digestAlgorithm */.g4)(digest)}-${(0,oci_digest/* digestHex */.sU)(digest)}`), {
                what: `download of ${digest}`,
                ...options,
            });
        });
    }
    /**
     * Deletes what a finding names under blobs/ (its path relative to the root): a file, a
     * symlink itself, or a directory (rm never follows symlinks inside it). Anything outside
     * blobs/ is refused. Returns the bytes of what was there, or undefined when nothing was.
     */
    async removeFromBlobs(relative, options = {}) {
        const p = external_node_path_.resolve(this.root, relative);
        if (!p.startsWith(this.blobsDir + external_node_path_.sep)) {
            throw new errors/* GuardError */.U$(`refusing to delete ${JSON.stringify(relative)}: not under ${this.blobsDir}`);
        }
        return this.writing(async () => {
            const s = await (0,promises_.lstat)(p).catch(() => undefined);
            if (!s)
                return undefined;
            if (!options.dryRun) {
                if (s.isDirectory())
                    await (0,promises_.rm)(p, { recursive: true, force: true });
                else
                    await (0,promises_.unlink)(p);
            }
            return s.isDirectory() ? 0 : s.size;
        });
    }
    /** Whether the file a finding names (relative to the root) may belong to a live writer. */
    async mayBelongToLiveWriter(relative) {
        const s = await (0,promises_.lstat)(external_node_path_.resolve(this.root, relative)).catch(() => undefined);
        return s !== undefined && mayBeLiveWrite(s);
    }
    /** Opens a blob for reading: symlinks and non-regular files are refused, never followed. */
    async openBlob(digest) {
        return openRegularNoFollow(this.blobPath(digest));
    }
    /**
     * Reads a whole blob of at most `maxBytes` (manifests, configs: their declared size). Reads
     * no more than one byte past the size fstat gives, so a file that grows meanwhile is refused
     * without being read on, and a larger one is refused unread.
     */
    async readBlob(digest, maxBytes) {
        const fh = await this.openBlob(digest);
        try {
            const { size } = await fh.stat();
            if (size > maxBytes)
                throw new errors/* GuardError */.U$(`blob ${digest} is ${size} bytes, more than the ${maxBytes} allowed`);
            const buf = Buffer.allocUnsafe(size + 1);
            let got = 0;
            while (got < buf.length) {
                const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
                if (bytesRead === 0)
                    break;
                got += bytesRead;
            }
            if (got > size)
                throw new errors/* GuardError */.U$(`blob ${digest} grew while being read; run the command again`);
            return buf.subarray(0, got);
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
                throw new errors/* GuardError */.U$(`${p} is ${size} bytes, more than the ${maxBytes} allowed`);
            return (await fh.readFile()).toString('utf8');
        }
        finally {
            await fh.close();
        }
    }
}
/** open(O_RDONLY|O_NOFOLLOW) and fstat: a symlink fails with ELOOP, a directory or device is refused. */
async function openRegularNoFollow(p) {
    // O_NONBLOCK: a FIFO planted in the cache is refused by the fstat below instead of blocking the open.
    const fh = await (0,promises_.open)(p, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NOFOLLOW | external_node_fs_.constants.O_NONBLOCK);
    const s = await (0,atomic/* closingOnError */.$X)(() => fh.stat(), fh);
    if (!s.isFile()) {
        await fh.close();
        const err = new Error(`${p} is not a regular file`);
        err.code = 'ENOTREG';
        throw err;
    }
    return fh;
}
/** A write the file system refuses (permissions, a read-only mount). */
class CannotWriteError extends errors/* GuardError */.U$ {
    name = 'CannotWriteError';
}
/**
 * EACCES, EPERM or EROFS as one line naming the directory that refused the write (the parent
 * of what was created, renamed or deleted); any other error unchanged.
 */
function cannotWrite(err) {
    const e = err;
    if (!(e instanceof Error) || !['EACCES', 'EPERM', 'EROFS'].includes(e.code ?? '') || !e.path)
        return err;
    const why = e.code === 'EROFS' ? 'read-only file system' : 'permission denied';
    return new CannotWriteError(`cannot write to ${external_node_path_.dirname(e.path)}: ${why}; make it writable for this user, or use another cache directory`, { cause: err });
}


/***/ }),

/***/ 4115:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Fl: () => (/* binding */ lockContent),
/* harmony export */   H0: () => (/* binding */ createExclusive),
/* harmony export */   IZ: () => (/* binding */ acquireLock),
/* harmony export */   QO: () => (/* binding */ isStale),
/* harmony export */   Ui: () => (/* binding */ waitForForeignLock),
/* harmony export */   kK: () => (/* binding */ withLock),
/* harmony export */   ms: () => (/* binding */ lockHolder)
/* harmony export */ });
/* unused harmony exports breakStale, lockHolders */
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8161);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7598);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(1455);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(452);





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
    return host === (0,node_os__WEBPACK_IMPORTED_MODULE_0__.hostname)() && !isAlive(n);
}
/** How every lock file that process `pid` on this host holds begins: pid, host. */
function lockHolder(pid) {
    return `${pid}\n${(0,node_os__WEBPACK_IMPORTED_MODULE_0__.hostname)()}\n`;
}
/** The content of a lock file of ours: pid, host, time. */
function lockContent() {
    return `${lockHolder(process.pid)}${new Date().toISOString()}\n`;
}
/**
 * Creates `path` holding `content`, atomically and only if it does not exist: the content is
 * written to a temp file first and hard-linked into place, so nobody ever reads a lock file
 * half written. Returns false when `path` exists.
 */
async function createExclusive(path, content) {
    const tmp = `${path}.${process.pid}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_2__.randomBytes)(4).toString('hex')}`;
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.writeFile)(tmp, content, { flag: 'wx', mode: 0o644 });
    try {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.link)(tmp, path);
        return true;
    }
    catch (err) {
        if (err.code === 'EEXIST')
            return false;
        throw err;
    }
    finally {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.unlink)(tmp).catch(() => { });
    }
}
/** A breaker that held `<lock>.break` longer than this died while breaking (it takes milliseconds). */
const BREAK_STALE_MS = 30_000;
/**
 * Removes a lock whose holder is gone. Breakers serialise on `<lock>.break`, and remove the
 * lock only if it still holds what they judged stale, so a waiter can never remove the live
 * lock another waiter has just taken.
 */
async function breakStale(lockPath, stale, me) {
    const breaker = `${lockPath}.break`;
    if (!(await createExclusive(breaker, me))) {
        const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.stat)(breaker).catch(() => undefined);
        if (s && Date.now() - s.mtimeMs > BREAK_STALE_MS)
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.unlink)(breaker).catch(() => { });
        return false;
    }
    try {
        const now = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.readFile)(lockPath, 'utf8').catch(() => undefined);
        if (now !== stale)
            return false;
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.unlink)(lockPath);
        return true;
    }
    finally {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.unlink)(breaker).catch(() => { });
    }
}
/**
 * The tasks of this process that hold or wait for each lock path, as a chain: the file says
 * only which process holds a lock, so tasks of one process queue here instead of polling it.
 */
const queues = new Map();
/**
 * Waits until no other task of this process holds or waits ahead for `lockPath`; resolves
 * with the function that lets the next one go.
 */
async function takeTurn(lockPath, opts, deadline) {
    const key = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.resolve)(lockPath);
    const queue = queues.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
    queues.set(key, queue);
    const ahead = queue.tail;
    let letNextGo;
    const mine = new Promise((resolve) => (letNextGo = resolve));
    queue.tail = ahead.then(() => mine);
    queue.waiting++;
    let gone = false;
    const done = () => {
        if (gone)
            return; // a second release
        gone = true;
        letNextGo();
        if (--queue.waiting === 0)
            queues.delete(key);
    };
    if (queue.waiting > 1) {
        opts.onBusy?.();
        opts.logger?.debug(`waiting for the ${opts.what} lock held by another task of this process`);
        let timer;
        const timedOut = new Promise((resolve) => {
            timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
        });
        const late = await Promise.race([ahead.then(() => false), timedOut]);
        clearTimeout(timer);
        if (late) {
            void ahead.then(done); // our turn, when it comes, passes straight on
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .LockTimeoutError */ .XB(`${opts.what} is locked by process ${process.pid} (${lockPath}): wait for it to finish, or delete the lock file if that process is gone`);
        }
    }
    return done;
}
/**
 * An exclusive lock between processes: a file created atomically holding our pid and host.
 * A lock left by a killed process on this host is taken over (one naming this process's pid
 * too: no task here holds it once our turn has come, so an earlier process with our pid left
 * it); any other holder is waited for.
 */
async function acquireLock(lockPath, options = {}) {
    const opts = { ...DEFAULTS, ...options };
    const deadline = Date.now() + opts.timeoutMs;
    const letNextGo = await takeTurn(lockPath, opts, deadline);
    try {
        return await acquireFile(lockPath, opts, deadline, letNextGo);
    }
    catch (err) {
        letNextGo();
        throw err;
    }
}
async function acquireFile(lockPath, opts, deadline, letNextGo) {
    const me = lockContent();
    let wait = opts.pollMs;
    let told = false;
    for (;;) {
        if (await createExclusive(lockPath, me)) {
            return {
                async release() {
                    // Only remove the lock if it is still ours.
                    const now = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.readFile)(lockPath, 'utf8').catch(() => '');
                    if (now === me)
                        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.unlink)(lockPath).catch(() => { });
                    letNextGo();
                },
            };
        }
        const holder = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.readFile)(lockPath, 'utf8').catch(() => undefined);
        if (holder === undefined)
            continue; // released between our attempt and our read
        if (isStale(holder) || holder.startsWith(lockHolder(process.pid))) {
            if (await breakStale(lockPath, holder, me)) {
                opts.logger?.debug(`took over a stale ${opts.what} lock left by pid ${holder.split('\n')[0]}`);
                continue;
            }
        }
        if (Date.now() >= deadline) {
            const pid = holder.split('\n')[0] || 'unknown';
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .LockTimeoutError */ .XB(`${opts.what} is locked by process ${pid} (${lockPath}): wait for it to finish, or delete the lock file if that process is gone`);
        }
        if (wait === opts.pollMs)
            opts.onBusy?.();
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
/**
 * Processes holding a lock on `file` (POSIX fcntl as linuxkit takes, OFD or flock), as Linux
 * lists them in /proc/locks by device and inode: [] when none (or no such file), undefined
 * where locks cannot be seen (not Linux, /proc not mounted). An OFD lock's holder is -1.
 * `procLocks`: another table to read, for tests.
 */
async function lockHolders(file, procLocks = '/proc/locks') {
    const table = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.readFile)(procLocks, 'utf8').catch(() => undefined);
    if (table === undefined)
        return undefined;
    const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.stat)(file, { bigint: true }).catch(() => undefined);
    if (!s)
        return [];
    // Linux's dev_t as stat returns it; /proc/locks prints major and minor in hex.
    const major = ((s.dev >> 8n) & 0xfffn) | ((s.dev >> 32n) & ~0xfffn);
    const minor = (s.dev & 0xffn) | ((s.dev >> 12n) & ~0xffn);
    const holders = [];
    // "1: POSIX  ADVISORY  WRITE 4242 fe:00:2148514 0 EOF"; waiters are marked "->" and skipped.
    for (const m of table.matchAll(/^\d+:\s+(->\s+)?\S+\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/gm)) {
        const [, waiter, pidText, maj, min, ino] = m;
        if (waiter || BigInt(ino) !== s.ino)
            continue;
        const pid = Number(pidText);
        // Where stat's device is not the one locks are listed under (btrfs subvolumes, some
        // overlayfs set-ups), the holder is confirmed by the file being open in it.
        if ((BigInt(`0x${maj}`) === major && BigInt(`0x${min}`) === minor) || (await hasOpen(pid, s)))
            holders.push(pid);
    }
    return holders;
}
/** Whether process `pid` has the file `s` describes open (through /proc/<pid>/fd). */
async function hasOpen(pid, s) {
    if (pid <= 0)
        return false;
    const fds = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.readdir)(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
        const t = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_3__.stat)(`/proc/${pid}/fd/${fd}`, { bigint: true }).catch(() => undefined);
        if (t?.ino === s.ino && t.dev === s.dev)
            return true;
    }
    return false;
}
/**
 * Waits, up to `timeoutMs`, until no process holds a lock on `file` (another program's lock,
 * such as linuxkit's `.lock`, which we can see but not take). Returns whether it waited.
 */
async function waitForForeignLock(file, owner, options = {}) {
    const opts = { ...DEFAULTS, ...options };
    const deadline = Date.now() + opts.timeoutMs;
    let wait = opts.pollMs;
    let waited = false;
    for (;;) {
        const holders = await lockHolders(file);
        if (!holders?.length)
            return waited;
        const who = holders[0] > 0 ? `process ${holders[0]}` : 'another process';
        if (Date.now() >= deadline) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_4__/* .LockTimeoutError */ .XB(`${opts.what} is in use by ${owner}: ${who} holds its lock ${file}; run again once it has finished`);
        }
        if (!waited)
            opts.logger?.info(`waiting for ${owner}'s lock on ${file}, held by ${who}`);
        waited = true;
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 1000);
    }
}


/***/ }),

/***/ 9402:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FI: () => (/* binding */ LOCK_FILE),
/* harmony export */   K$: () => (/* binding */ INDEX_FILE),
/* harmony export */   R_: () => (/* binding */ RANGES_SUFFIX),
/* harmony export */   TU: () => (/* binding */ LOCKS_DIR),
/* harmony export */   gI: () => (/* binding */ LAYOUT_FILE),
/* harmony export */   nk: () => (/* binding */ partialHex),
/* harmony export */   oG: () => (/* binding */ PARTIAL_SUFFIX),
/* harmony export */   se: () => (/* binding */ LINUXKIT_LOCK_FILE),
/* harmony export */   xl: () => (/* binding */ BLOBS_DIR)
/* harmony export */ });
/** The names of what a layout holds, and of what we and linuxkit keep beside it. */
const LAYOUT_FILE = 'oci-layout';
const INDEX_FILE = 'index.json';
const BLOBS_DIR = 'blobs';
/** Our own lock between processes; linuxkit's `.lock` is never touched. */
const LOCK_FILE = '.oci-cache-guard.lock';
/** linuxkit's lock (fcntl, held while it writes into the cache): waited for, never taken. */
const LINUXKIT_LOCK_FILE = '.lock';
/** Per-blob download locks live here, outside blobs/ so the scan never sees them. */
const LOCKS_DIR = '.oci-cache-guard.locks';
/** `<hex>.download`: a partial download of ours, resumed by the next pull. */
const PARTIAL_SUFFIX = '.download';
/** `<hex>.download.ranges`: which byte ranges of a partial fetched in parallel ranges are on disk. */
const RANGES_SUFFIX = `${PARTIAL_SUFFIX}.ranges`;
/**
 * The hex of a file that belongs to a partial download (`<hex>.download`, its ranges record, or
 * that record's temp file): one partial for the verifier, kept or pruned together.
 */
function partialHex(name) {
    const at = name.indexOf(PARTIAL_SUFFIX);
    if (at <= 0)
        return undefined;
    const rest = name.slice(at);
    return rest === PARTIAL_SUFFIX || rest === RANGES_SUFFIX || rest === `${RANGES_SUFFIX}.tmp`
        ? name.slice(0, at)
        : undefined;
}


/***/ }),

/***/ 1260:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   A1: () => (/* binding */ parseIndex),
/* harmony export */   BA: () => (/* binding */ parseDescriptor),
/* harmony export */   FG: () => (/* binding */ indexFromJson),
/* harmony export */   FK: () => (/* binding */ InvalidDocumentError),
/* harmony export */   I0: () => (/* binding */ manifestFromJson),
/* harmony export */   Ng: () => (/* binding */ parseManifest)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(452);
/* harmony import */ var _digest_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9501);
/* harmony import */ var _json_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3931);
/* harmony import */ var _mediatypes_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8152);
/* harmony import */ var _platform_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7122);





/** A manifest, index or index.json that is not what its media type says it is. */
class InvalidDocumentError extends _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .GuardError */ .U$ {
    name = 'InvalidDocumentError';
}
/**
 * A size that is a whole number above 2^53: JSON.parse has already rounded it, so the message
 * says it with the digits of the document's own text where the caller has that text.
 */
class SizeTooLargeError extends InvalidDocumentError {
    where;
    value;
    constructor(where, value) {
        super(tooLarge(where, String(BigInt(value))));
        this.where = where;
        this.value = value;
    }
}
function tooLarge(where, digits) {
    return `${where}: size ${digits} is above 2^53 (9007199254740992), more than any blob can be`;
}
/** `"size": 1152921504606846977` as written, for a size JSON.parse rounded to `value`. */
function sizeAsWritten(text, value) {
    // One linear pass, only on this error path; the text is already size-capped by its reader.
    for (const m of text.matchAll(/"size"\s*:\s*(\d+)(?![\d.eE])/g))
        if (Number(m[1]) === value)
            return m[1];
    return undefined;
}
/** Parses a document with `read`, saying an oversized size with its exact digits. */
function withExactSizes(text, read) {
    try {
        return read();
    }
    catch (err) {
        if (!(err instanceof SizeTooLargeError))
            throw err;
        const digits = sizeAsWritten(text, err.value);
        throw digits ? new InvalidDocumentError(tooLarge(err.where, digits)) : err;
    }
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
    if (typeof size === 'number' && Number.isInteger(size) && size > Number.MAX_SAFE_INTEGER)
        throw new SizeTooLargeError(where, size);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw new InvalidDocumentError(`${where}: size ${(0,_json_js__WEBPACK_IMPORTED_MODULE_4__/* .showJsonValue */ .$S)(size)} is not a non-negative integer`);
    }
    let digest;
    try {
        digest = (0,_digest_js__WEBPACK_IMPORTED_MODULE_1__/* .parseDigest */ .m)(v.digest, `${where} digest`);
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
        d.platform = (0,_platform_js__WEBPACK_IMPORTED_MODULE_3__/* .normalizePlatform */ .FL)({ os, architecture, ...(typeof variant === 'string' ? { variant } : {}) });
    }
    if (typeof v.artifactType === 'string')
        d.artifactType = v.artifactType;
    return d;
}
/** JSON.parse (iterative in V8: any depth) with the error a document deserves. */
function parseJson(text, where) {
    try {
        return JSON.parse(text);
    }
    catch (err) {
        throw new InvalidDocumentError(`${where}: not valid JSON (${err.message})`);
    }
}
/**
 * A parsed document nested deeper than Go reads (see MAX_JSON_DEPTH) is refused as linuxkit
 * would refuse it: checked where every reader (pull, the walk, the registry client) turns
 * JSON into a manifest or an index.
 */
function refuseTooDeep(v, where) {
    const depth = (0,_json_js__WEBPACK_IMPORTED_MODULE_4__/* .jsonDepth */ .QV)(v);
    if (depth > _json_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_JSON_DEPTH */ .KX)
        throw new InvalidDocumentError(`${where}: ${(0,_json_js__WEBPACK_IMPORTED_MODULE_4__/* .depthDetail */ .lz)(depth)}`);
}
const asText = (bytes) => typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
/** Parses an OCI index, a Docker manifest list, or an image layout's index.json. */
function parseIndex(bytes, where = 'index') {
    const text = asText(bytes);
    return withExactSizes(text, () => indexFromJson(parseJson(text, where), where));
}
/** An index from an already parsed JSON value: one blob's JSON can be read as either kind. */
function indexFromJson(v, where = 'index') {
    refuseTooDeep(v, where);
    if (!isRecord(v))
        throw new InvalidDocumentError(`${where}: not a JSON object`);
    if (v.schemaVersion !== 2)
        throw new InvalidDocumentError(`${where}: schemaVersion must be 2`);
    if (!Array.isArray(v.manifests))
        throw new InvalidDocumentError(`${where}: manifests must be an array`);
    if (typeof v.mediaType === 'string' && !(0,_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .isIndexMediaType */ .$$)(v.mediaType)) {
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
    const text = asText(bytes);
    return withExactSizes(text, () => manifestFromJson(parseJson(text, where), where));
}
/** A manifest from an already parsed JSON value. */
function manifestFromJson(v, where = 'manifest') {
    refuseTooDeep(v, where);
    if (!isRecord(v))
        throw new InvalidDocumentError(`${where}: not a JSON object`);
    if (v.schemaVersion !== 2)
        throw new InvalidDocumentError(`${where}: schemaVersion must be 2`);
    if (typeof v.mediaType === 'string' && !(0,_mediatypes_js__WEBPACK_IMPORTED_MODULE_2__/* .isManifestMediaType */ .CM)(v.mediaType)) {
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


/***/ }),

/***/ 9501:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Bc: () => (/* binding */ isDigest),
/* harmony export */   Kx: () => (/* binding */ isAlgorithm),
/* harmony export */   Lm: () => (/* binding */ makeDigest),
/* harmony export */   VK: () => (/* binding */ shortDigest),
/* harmony export */   g4: () => (/* binding */ digestAlgorithm),
/* harmony export */   m: () => (/* binding */ parseDigest),
/* harmony export */   p1: () => (/* binding */ HEX_LENGTH),
/* harmony export */   qt: () => (/* binding */ isValidHex),
/* harmony export */   sU: () => (/* binding */ digestHex)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(452);
/* harmony import */ var _json_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3931);


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
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InvalidDigestError */ .uH(`invalid ${what} ${(0,_json_js__WEBPACK_IMPORTED_MODULE_1__/* .showJsonValue */ .$S)(value)}: expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`);
}
function makeDigest(algorithm, hex) {
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


/***/ }),

/***/ 3931:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $S: () => (/* binding */ showJsonValue),
/* harmony export */   KX: () => (/* binding */ MAX_JSON_DEPTH),
/* harmony export */   QV: () => (/* binding */ jsonDepth),
/* harmony export */   lz: () => (/* binding */ depthDetail),
/* harmony export */   sd: () => (/* binding */ stringifyJson)
/* harmony export */ });
/* unused harmony export MAX_INDENTED_LEVELS */
/**
 * JSON read and written without recursion on its depth. V8's JSON.parse is iterative (a
 * 100000-deep array parses), but JSON.stringify, structuredClone and String() of a nested
 * array recurse and die with "Maximum call stack size exceeded" a few thousand levels down.
 * So documents from a cache or a registry are measured and written here, with explicit stacks.
 */
/**
 * The deepest nesting of arrays and objects accepted in a document: Go's encoding/json refuses
 * a deeper one whole (its scanner's maxNestingDepth), so linuxkit, skopeo and every
 * go-containerregistry tool fail on it. Accepting up to Go's limit means whatever linuxkit
 * reads we read; refusing beyond it costs no one an image they could use. Our own code never
 * recurses on depth, so the limit is agreement with Go, not the size of our stack.
 */
const MAX_JSON_DEPTH = 10_000;
/** "nested 12001 levels deep, more than the 10000 Go's JSON decoder (linuxkit's) reads" */
function depthDetail(depth) {
    return `nested ${depth} levels deep, more than the ${MAX_JSON_DEPTH} Go's JSON decoder (linuxkit's) reads`;
}
const isContainer = (v) => typeof v === 'object' && v !== null;
/**
 * How deep arrays and objects nest in a parsed value, as Go counts it: `1` and `"a"` are 0,
 * `[]` and `{}` 1, `{"a":[1]}` 2. One pass with an explicit stack.
 */
function jsonDepth(value) {
    if (!isContainer(value))
        return 0;
    let deepest = 0;
    const stack = [{ value, depth: 1 }];
    for (let top = stack.pop(); top; top = stack.pop()) {
        if (top.depth > deepest)
            deepest = top.depth;
        const children = Array.isArray(top.value) ? top.value : Object.values(top.value);
        for (const child of children)
            if (isContainer(child))
                stack.push({ value: child, depth: top.depth + 1 });
    }
    return deepest;
}
/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const omitted = (v) => v === undefined || typeof v === 'function' || typeof v === 'symbol';
/**
 * Levels indented by stringifyJson; deeper ones are written on one line. Indenting every level
 * of a 10000-deep value would make 10000 lines of up to 20000 spaces: 100 MB for a 40 kB entry.
 */
const MAX_INDENTED_LEVELS = 64;
/**
 * JSON.stringify(value, null, indent), byte for byte, for values JSON can hold (toJSON is
 * honoured; a cycle throws a TypeError, as JSON.stringify does), at any depth; levels past
 * MAX_INDENTED_LEVELS are written compact, so the output stays linear in the input.
 */
function stringifyJson(value, indent = 0) {
    const out = [];
    const stack = [];
    const open = new Set();
    /** Whether items at `level` (1 for the top container's) go on lines of their own. */
    const indented = (level) => indent > 0 && level <= MAX_INDENTED_LEVELS;
    const newline = (level) => (indented(level) ? `\n${' '.repeat(indent * level)}` : '');
    const resolve = (v, key) => isContainer(v) && typeof v.toJSON === 'function'
        ? v.toJSON(key)
        : v;
    const write = (v) => {
        if (!isContainer(v)) {
            out.push(JSON.stringify(v)); // a scalar: no recursion
            return;
        }
        if (open.has(v))
            throw new TypeError('Converting circular structure to JSON');
        open.add(v);
        const array = Array.isArray(v);
        const keys = array ? undefined : Object.keys(v);
        out.push(array ? '[' : '{');
        stack.push({
            container: v,
            keys,
            length: keys?.length ?? v.length,
            next: 0,
            wrote: false,
        });
    };
    value = resolve(value, '');
    if (omitted(value))
        return undefined; // as JSON.stringify(undefined)
    write(value);
    for (let frame = stack.at(-1); frame; frame = stack.at(-1)) {
        if (frame.next >= frame.length) {
            stack.pop();
            open.delete(frame.container);
            const close = frame.keys ? '}' : ']';
            out.push(frame.wrote && indented(stack.length + 1) ? `${newline(stack.length)}${close}` : close);
            continue;
        }
        const i = frame.next++;
        const key = frame.keys ? frame.keys[i] : String(i);
        let child = resolve(frame.container[key], key);
        if (omitted(child)) {
            if (frame.keys)
                continue;
            child = null;
        }
        out.push(`${frame.wrote ? ',' : ''}${newline(stack.length)}`);
        frame.wrote = true;
        if (frame.keys)
            out.push(`${JSON.stringify(key)}${indented(stack.length) ? ': ' : ':'}`);
        write(child);
    }
    return out.join('');
}
/**
 * A value read from a document, shown in a message: a scalar as JSON (a string cut at 100
 * characters), a container by its kind only: printing one recurses, and could be huge.
 */
function showJsonValue(value) {
    if (value === undefined)
        return 'missing';
    if (Array.isArray(value))
        return 'an array';
    if (isContainer(value))
        return 'an object';
    return JSON.stringify(typeof value === 'string' ? value.slice(0, 100) : value) ?? String(value);
}


/***/ }),

/***/ 8152:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $$: () => (/* binding */ isIndexMediaType),
/* harmony export */   CM: () => (/* binding */ isManifestMediaType),
/* harmony export */   GW: () => (/* binding */ MAX_CONFIG_BYTES),
/* harmony export */   H: () => (/* binding */ isSchema1MediaType),
/* harmony export */   YH: () => (/* binding */ Annotation),
/* harmony export */   ZJ: () => (/* binding */ MAX_MANIFEST_BYTES),
/* harmony export */   zu: () => (/* binding */ MediaType)
/* harmony export */ });
const MediaType = {
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
    return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}
function isManifestMediaType(mediaType) {
    return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}
function isSchema1MediaType(mediaType) {
    return mediaType === MediaType.DockerManifestSchema1 || mediaType === MediaType.DockerManifestSchema1Signed;
}
/** Manifests and indexes are JSON documents we parse; cap what we are willing to read. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/**
 * An image config is JSON we parse too (its platform), capped as a manifest is: containers/image
 * caps configs at 4 MiB as well. A config declared bigger is refused before any byte is fetched.
 */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Annotations that carry meaning for a cache. */
const Annotation = {
    RefName: 'org.opencontainers.image.ref.name',
    /** On a buildkit attestation manifest: the digest of the platform manifest it describes. */
    DockerReferenceDigest: 'vnd.docker.reference.digest',
    DockerReferenceType: 'vnd.docker.reference.type',
};


/***/ }),

/***/ 7122:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Bq: () => (/* binding */ formatPlatform),
/* harmony export */   FL: () => (/* binding */ normalizePlatform),
/* harmony export */   Gc: () => (/* binding */ parseWantedPlatform),
/* harmony export */   _H: () => (/* binding */ isUnknownPlatform),
/* harmony export */   jU: () => (/* binding */ platformSatisfies),
/* harmony export */   ol: () => (/* binding */ hostPlatform)
/* harmony export */ });
/* unused harmony export parsePlatform */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(452);

/** Parses `os/arch[/variant]`; throws a UsageError naming the value otherwise. */
function parsePlatform(value) {
    const parts = value.trim().split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .UsageError */ .eb(`invalid platform ${JSON.stringify(value)}: expected os/arch[/variant], e.g. linux/amd64`);
    }
    const [os, architecture, variant] = parts;
    return normalizePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}
/**
 * Go's GOOS and GOARCH values (`go tool dist list`): the image spec's vocabulary for `os` and
 * `architecture`. Only for platforms a person asks for; platforms read from images are
 * taken as they are (attestations say unknown/unknown).
 */
const KNOWN_OS = new Set('aix android darwin dragonfly freebsd illumos ios js linux netbsd openbsd plan9 solaris wasip1 windows'.split(' '));
const KNOWN_ARCHITECTURES = new Set('386 amd64 arm arm64 loong64 mips mips64 mips64le mipsle ppc64 ppc64le riscv64 s390x wasm'.split(' '));
/**
 * Parses a platform someone asked for (an input, a flag): like parsePlatform, and an os or
 * architecture Go does not know (`linux/amd46`) is refused at once instead of showing up
 * later as a platform no image has.
 */
function parseWantedPlatform(value) {
    const p = parsePlatform(value);
    const unknown = !KNOWN_OS.has(p.os)
        ? `os ${JSON.stringify(p.os)}`
        : !KNOWN_ARCHITECTURES.has(p.architecture)
            ? `architecture ${JSON.stringify(p.architecture)}`
            : undefined;
    if (unknown) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .UsageError */ .eb(`unknown platform ${JSON.stringify(value.trim())}: ${unknown} is not a Go GOOS/GOARCH value (e.g. linux/amd64, linux/arm64)`);
    }
    return p;
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
/** unknown/unknown: the platform buildkit gives attestation manifests. */
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


/***/ })

};
