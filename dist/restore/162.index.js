export const id = 162;
export const ids = [162];
export const modules = {

/***/ 1162:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   cacheMode: () => (/* binding */ cacheMode),
/* harmony export */   entryExists: () => (/* binding */ entryExists),
/* harmony export */   restoreEntry: () => (/* binding */ restoreEntry),
/* harmony export */   saveEntry: () => (/* binding */ saveEntry),
/* harmony export */   unavailable: () => (/* binding */ unavailable)
/* harmony export */ });
/* harmony import */ var _actions_cache__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9312);
/* harmony import */ var node_async_hooks__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6698);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(1455);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(452);
/* harmony import */ var _constants_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3895);





/**
 * The Actions cache as the entry store uses it: one directory per entry, restored, looked up
 * and saved with the real `@actions/cache`. The library reports its failures itself, as
 * warning and error lines per call; with one call per image that is one annotation per image
 * for one outage. So while it runs, its warning and error lines become plain log lines, and
 * what they said is returned for the store to judge once (see `heard`).
 */
/** `ACTIONS_CACHE_MODE`: read, write, none; unset means both. */
function cacheMode(env = process.env) {
    const mode = (env[_constants_js__WEBPACK_IMPORTED_MODULE_4__/* .CACHE_MODE_ENV */ .rJ] ?? '').trim().toLowerCase();
    return { read: mode !== 'write' && mode !== 'none', write: mode !== 'read' && mode !== 'none' };
}
/** Why the cache cannot be used at all in this run, or undefined when it can. */
function unavailable(want) {
    if (!cacheMode()[want])
        return `${_constants_js__WEBPACK_IMPORTED_MODULE_4__/* .CACHE_MODE_ENV */ .rJ} does not allow ${want === 'read' ? 'reading' : 'writing'} the cache`;
    if (!_actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .isFeatureAvailable */ .w3())
        return 'the GitHub Actions cache service is not available here';
    return undefined;
}
let listening = 0;
let log = [];
let original;
/**
 * The call a line was written in: up to 8 calls run at once, and one's failure must not be
 * read as another's (a failed download taken for a dead service stopped every restore). A line
 * written outside any call's context goes to every running call.
 */
const currentCall = new node_async_hooks__WEBPACK_IMPORTED_MODULE_1__.AsyncLocalStorage();
const hearers = () => {
    const call = currentCall.getStore();
    return call ? [call] : log;
};
/** Runs `fn` with the library's workflow lines captured (see the module comment). */
async function heard(fn) {
    const mine = { problems: [], lines: [] };
    log.push(mine);
    if (listening++ === 0) {
        original = process.stdout.write.bind(process.stdout);
        process.stdout.write = ((chunk, ...rest) => {
            const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
            const out = text.replace(/^::(warning|error)::(.*)$/gm, (_, _level, message) => {
                for (const l of hearers())
                    l.problems.push(message);
                return `cache service: ${message}`;
            });
            const to = hearers();
            for (const m of text.matchAll(/^(?:::debug::)?(.*)$/gm))
                for (const l of to)
                    l.lines.push(m[1] ?? '');
            return original(out, ...rest);
        });
    }
    try {
        return { value: await currentCall.run(mine, fn), ...mine };
    }
    finally {
        log = log.filter((l) => l !== mine);
        if (--listening === 0 && original) {
            process.stdout.write = original;
            original = undefined;
        }
    }
}
/** Restores the newest entry matching `primary` then `fallbacks` into `dir`. */
async function restoreEntry(dir, primary, fallbacks) {
    // Made here, not by tar: GNU tar fails ("Cannot mkdir") when another tar makes a missing
    // parent they share at the same moment, and restores run side by side.
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_2__.mkdir)(dir, { recursive: true });
    try {
        const r = await heard(() => _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .restoreCache */ .P3([dir], primary, fallbacks));
        if (r.value)
            return { key: r.value, serviceFailed: false };
        const failure = r.problems.find((p) => /^Failed to restore/.test(p));
        if (!failure)
            return { serviceFailed: false };
        // `Cache hit for…: <key>` of this image's keys: the lookup worked, the download did not.
        const found = r.lines.some((l) => /^Cache hit for(?: restore-key)?: /.test(l) && l.includes(primary.replace(/-$/, '')));
        return { failure, serviceFailed: !found };
    }
    catch (err) {
        return { failure: (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err), serviceFailed: true };
    }
}
/** Whether an entry with exactly `key` exists (one lookup, no download). */
async function entryExists(dir, key) {
    try {
        const r = await heard(() => _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .restoreCache */ .P3([dir], key, [], { lookupOnly: true }));
        if (r.value !== undefined)
            return r.value === key;
        const failure = r.problems.find((p) => /^Failed to restore/.test(p));
        return failure ? { failure } : false;
    }
    catch (err) {
        return { failure: (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err) };
    }
}
/** Saves `dir` as the entry `key`. */
async function saveEntry(dir, key) {
    try {
        const r = await heard(() => _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .saveCache */ .Io([dir], key));
        if (r.value !== -1)
            return { kind: 'saved' };
        if (r.lines.some((l) => l.startsWith('Failed to reserve cache') && /\(409\)|already exists/.test(l)))
            return { kind: 'exists' };
        const why = r.problems.find((p) => /rate limit/i.test(p)) ??
            r.lines
                .find((l) => l.startsWith('Failed to reserve cache: '))
                ?.slice('Failed to reserve cache: '.length) ??
            r.problems.at(-1) ??
            'the service did not accept it';
        return { kind: 'refused', why };
    }
    catch (err) {
        return { kind: 'refused', why: (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err) };
    }
}


/***/ })

};
