export const id = 355;
export const ids = [355];
export const modules = {

/***/ 7355:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  HX: () => (/* binding */ checkLayout),
  jb: () => (/* reexport */ verify/* describeFinding */.j),
  v_: () => (/* binding */ pruneUnreferenced)
});

// UNUSED EXPORTS: StatSnapshot, checkLayoutDetailed, recheckLayout

// EXTERNAL MODULE: ./lib/hash/hash-pool.js + 1 modules
var hash_pool = __webpack_require__(5585);
// EXTERNAL MODULE: ./lib/verify/prune.js
var prune = __webpack_require__(2661);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./lib/layout/atomic.js
var atomic = __webpack_require__(3849);
// EXTERNAL MODULE: ./lib/layout/layout.js + 1 modules
var layout_layout = __webpack_require__(4323);
// EXTERNAL MODULE: ./lib/verify/scan.js
var verify_scan = __webpack_require__(2240);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: ./lib/oci/digest.js
var digest = __webpack_require__(9501);
;// CONCATENATED MODULE: ./lib/verify/snapshot.js
/**
 * A stat snapshot: for each blob a verification hashed and found valid, the `(dev, ino, size,
 * mtime, ctime)` it had when it was read. A later verification of the same cache (the post
 * step, after the build) hashes a blob again only when it is new or its stat differs; the rest
 * is trusted from the hash that was done. Kept outside the cache (the Action: in RUNNER_TEMP),
 * so it is never saved with it.
 *
 * Why a stat is enough: every write to a file moves its ctime, and nothing can set a ctime back
 * (`touch -d` sets the mtime, and moves the ctime). The one hole is a coarse clock: on kernels
 * without fine-grained timestamps a ctime has the resolution of a tick (1–10 ms), so a write in
 * the same tick as the previous one keeps the ctime. A blob is therefore recorded only when its
 * ctime is more than RACY_MS older than the moment it was stat'ed before hashing: any later
 * write then has a later ctime. A blob changed within that window (one just restored from the
 * Actions cache, say) is hashed once more after the window has passed (git's "racy clean").
 */




const VERSION = 1;
/** More than one tick of the coarsest kernel clock that stamps files (HZ=100: 10 ms). */
const RACY_MS = 20;
/** A ctime older than the stat by more than a tick: a later write cannot keep it. */
const settled = (s) => s.ctimeNs < BigInt(s.takenAtMs - RACY_MS) * 1000000n;
async function statNow(file) {
    const takenAtMs = Date.now();
    const s = await (0,promises_.lstat)(file, { bigint: true }).catch(() => undefined);
    return s?.isFile() ? (0,verify_scan/* blobStat */.WW)(s, takenAtMs) : undefined;
}
class StatSnapshot {
    cache;
    entries;
    constructor(
    /** The cache root the snapshot describes. */
    cache, 
    /** `blobs/<alg>/<hex>` → encoded stat. */
    entries) {
        this.cache = cache;
        this.entries = entries;
    }
    get blobCount() {
        return this.entries.size;
    }
    /**
     * What a verification proved: every blob hashed valid and still valid (`valid`: not removed
     * by repair). Blobs changed within RACY_MS of their stat are hashed again first, with
     * `hasher` (the verification's pool).
     */
    static async record(layout, scan, valid, options) {
        const entries = new Map();
        const racy = [];
        for (const blob of scan.blobs.values()) {
            if (!blob.hashOk || !blob.stat || !valid.has(blob.digest))
                continue;
            const key = layout.relative(blob.path);
            if (settled(blob.stat))
                entries.set(key, (0,verify_scan/* statKey */.CD)(blob.stat));
            else
                racy.push({ key, path: blob.path, digest: blob.digest });
        }
        if (racy.length > 0) {
            options.logger?.debug(`stat snapshot: ${racy.length} blobs changed just before they were hashed: hashing them again`);
            await new Promise((resolve) => setTimeout(resolve, RACY_MS + 1));
            await Promise.all(racy.map(async (r) => {
                const stat = await statNow(r.path);
                if (!stat || !settled(stat))
                    return;
                const [result] = await options.hasher.hashFiles([
                    { path: r.path, algorithm: (0,digest/* digestAlgorithm */.g4)(r.digest), size: Number(stat.size) },
                ]);
                if (result?.ok && result.hex === (0,digest/* digestHex */.sU)(r.digest) && BigInt(result.size) === stat.size)
                    entries.set(r.key, (0,verify_scan/* statKey */.CD)(stat));
            }));
        }
        return new StatSnapshot(layout.root, entries);
    }
    async write(file) {
        await (0,promises_.mkdir)(external_node_path_.dirname(file), { recursive: true });
        const doc = { version: VERSION, cache: this.cache, blobs: Object.fromEntries(this.entries) };
        await (0,promises_.writeFile)(file, JSON.stringify(doc));
    }
    /**
     * The snapshot in `file` when it describes `layout`; otherwise undefined, with a debug line
     * saying why (every blob is then hashed).
     */
    static async read(file, layout, logger) {
        const fallback = (why) => {
            logger?.debug(`stat snapshot ${file} ${why}: hashing every blob`);
            return undefined;
        };
        let text;
        try {
            text = await (0,promises_.readFile)(file, 'utf8');
        }
        catch (err) {
            const code = err.code;
            return fallback(code === 'ENOENT' ? 'does not exist' : `is unreadable (${code ?? String(err)})`);
        }
        let doc;
        try {
            doc = JSON.parse(text);
        }
        catch {
            return fallback('is not valid JSON');
        }
        if (doc?.version !== VERSION)
            return fallback(`has version ${JSON.stringify(doc?.version)}, not ${VERSION}`);
        if (doc.cache !== layout.root)
            return fallback(`describes ${JSON.stringify(doc.cache)}, not ${layout.root}`);
        if (typeof doc.blobs !== 'object' || doc.blobs === null)
            return fallback('has no blob list');
        const entries = new Map();
        for (const [key, value] of Object.entries(doc.blobs))
            if (typeof value === 'string')
                entries.set(key, value);
        return new StatSnapshot(layout.root, entries);
    }
    /** Why the blob at `key` must be hashed ('new', 'changed'), or undefined when it need not. */
    check(key, stat) {
        const recorded = this.entries.get(key);
        if (recorded === undefined)
            return 'new';
        return stat && (0,verify_scan/* statKey */.CD)(stat) === recorded ? undefined : 'changed';
    }
}
/**
 * A hasher that answers for blobs the snapshot vouches for (the stat the scan took of them is
 * the one they had when hashed valid) without reading them, and hands the others (an item
 * without a stat too) to `inner`. Without a snapshot it only counts. `counts` is updated as it
 * goes.
 */
function snapshot_trustingHasher(inner, layout, snapshot, counts, logger) {
    return {
        async hashFiles(items, options = {}) {
            const results = new Array(items.length);
            if (snapshot) {
                items.forEach((item, i) => {
                    const key = layout.relative(item.path);
                    const why = snapshot.check(key, item.stat);
                    if (why === undefined && item.stat) {
                        const hex = external_node_path_.basename(item.path);
                        const size = Number(item.stat.size);
                        const result = {
                            ok: true,
                            path: item.path,
                            algorithm: item.algorithm,
                            size,
                            hex,
                            digest: (0,digest/* makeDigest */.Lm)(item.algorithm, hex),
                        };
                        results[i] = result;
                        options.onResult?.(i, result);
                    }
                    else
                        logger?.debug(`hashing ${key}: ${why === 'new' ? 'not verified by the main step' : 'changed since the main step verified it'}`);
                });
            }
            const todo = items.flatMap((item, i) => (results[i] ? [] : [{ item, i }]));
            counts.trusted += items.length - todo.length;
            counts.hashed += todo.length;
            if (todo.length > 0) {
                const hashed = await inner.hashFiles(todo.map((t) => t.item), {
                    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
                    ...(options.onResult ? { onResult: (j, r) => options.onResult?.(todo[j].i, r) } : {}),
                });
                hashed.forEach((result, j) => (results[todo[j].i] = result));
            }
            return results;
        },
    };
}

// EXTERNAL MODULE: ./lib/verify/verify.js
var verify = __webpack_require__(6908);
;// CONCATENATED MODULE: ./lib/verify/repair.js






/**
 * Acts on a verification, under the cache lock: deletes blobs proven wrong and strays,
 * removes index.json entries linuxkit must not use (so it re-pulls instead of building an
 * image with files silently missing), moves an unparseable index.json aside, recreates
 * oci-layout. Never deletes a valid blob, never follows a symlink, never leaves the cache.
 * Returns the report with each finding's action, `ok` judged by walking the result again.
 */
async function repair_repairLayout(layout, verification, options) {
    // Nothing to change: no lock and no write, so a read-only cache passes validate --repair.
    if (verification.report.ok && verification.badEntries.size === 0)
        return verification.report;
    const lockOptions = options.logger ? { logger: options.logger } : {};
    return layout.withLock(async ({ waited }) => {
        // Judge again, under the lock, when blobs/ changed since the verification: a pull may have
        // put in place the very blobs it found missing and committed its entry, which must then
        // stay; only what changed is hashed again. linuxkit writes in place: after waiting for its
        // lock, every blob is.
        if (waited)
            verification = await (0,verify/* verifyLayout */.a)(layout, options);
        else if (!(await (0,verify_scan/* sameBlobs */.T7)(layout, verification.scan)))
            verification = await (0,verify/* verifyLayout */.a)(layout, {
                ...options,
                hasher: await trustUnchanged(layout, verification, options),
            });
        if (verification.report.ok && verification.badEntries.size === 0)
            return verification.report;
        const { report, scan } = verification;
        const findings = report.findings.map((f) => ({ ...f }));
        const done = [];
        if (verification.layoutFile) {
            await (0,atomic/* writeFileAtomic */.Zf)(layout.layoutFilePath, layout_layout/* OCI_LAYOUT_CONTENT */.vS);
            for (const f of findings)
                if (f.path === 'oci-layout')
                    f.action = 'recreated';
        }
        await repairIndex(layout, verification, findings, done);
        for (const f of findings) {
            if (f.kind === 'stray' ||
                (f.kind === 'corrupt' && f.digest && scan.blobs.get(f.digest)?.hashOk === false)) {
                await layout.removeFromBlobs(f.path);
                f.action = 'removed';
            }
        }
        const after = repair_afterRemoval(scan, findings, layout);
        const again = await (0,verify/* verifyLayout */.a)(layout, options, after);
        // A missing blob that nothing references any more (its entries were removed) is settled:
        // the reference is what was removed, so that `ok` agrees with the findings.
        const still = new Set(again.report.findings.map(sameFinding));
        for (const f of findings)
            if (f.kind === 'missing' && f.action === 'kept' && !still.has(sameFinding(f)))
                f.action = 'removed';
        // Keep what we did; add anything the second walk sees that the first did not (blobs of
        // removed entries are now unreferenced).
        const seen = new Set(findings.map(sameFinding));
        const fresh = again.report.findings.filter((f) => !seen.has(sameFinding(f)) && f.kind !== 'unreferenced');
        return { ...again.report, findings: [...done, ...findings, ...fresh] };
    }, lockOptions);
}
async function repairIndex(layout, v, findings, done) {
    const indexFinding = findings.find((f) => f.kind === 'index' && f.path === layout_layout/* INDEX_FILE */.K$ && !f.images);
    if (v.index.state === 'corrupt') {
        const aside = await layout.moveIndexAside();
        await layout.writeEmptyIndex();
        if (indexFinding) {
            indexFinding.action = 'moved';
            indexFinding.detail += ` (moved to ${external_node_path_.basename(aside)}, started an empty one)`;
        }
        return;
    }
    if (v.index.state === 'missing') {
        await layout.writeEmptyIndex();
        if (indexFinding)
            indexFinding.action = 'recreated';
        return;
    }
    // A byte order mark or a field nested too deep: only the file's form is at fault, never its
    // entries; the rewrite below keeps every one of them (a BOM never empties a cache).
    const formOnly = v.index.state === 'ok' && (v.index.doc.bom || v.index.doc.deepFields);
    if (v.badEntries.size === 0 && !formOnly)
        return;
    // Re-read under the lock: another process may have added entries since we verified.
    const current = await layout.readIndex();
    if (current.state !== 'ok')
        return;
    // Entries are matched by their content, not their position: the file may have changed.
    const entries = v.index.state === 'ok' ? v.index.doc.entries : [];
    const bad = new Map([...v.badEntries].map(([i, why]) => [(0,layout_layout/* entryKey */.k2)(entries[i]), why]));
    // Equal entries have equal names: only those named like a bad one are compared in full.
    const badNames = new Set([...v.badEntries.keys()].map((i) => entries[i]?.name));
    const whyBad = (e) => (badNames.has(e.name) ? bad.get((0,layout_layout/* entryKey */.k2)(e)) : undefined);
    const fields = { ...current.doc.fields };
    for (const key of current.doc.deepFields?.keys() ?? [])
        delete fields[key];
    await layout.writeIndex({ fields, entries: current.doc.entries.filter((e) => !whyBad(e)) });
    for (const f of findings)
        if (f.kind === 'index' && f.path === layout_layout/* INDEX_FILE */.K$ && !f.images)
            f.action = 'rewritten';
    // Findings about index.json entries, by name: a million entries must not mean a million scans.
    const aboutEntry = new Map();
    for (const f of findings) {
        if (f.kind !== 'index' || f.path !== layout_layout/* INDEX_FILE */.K$)
            continue;
        for (const name of f.images ?? []) {
            const list = aboutEntry.get(name);
            if (list)
                list.push(f);
            else
                aboutEntry.set(name, [f]);
        }
    }
    for (const e of current.doc.entries) {
        const why = whyBad(e);
        if (!why)
            continue;
        const name = e.name ?? '(unnamed entry)';
        done.push({
            kind: 'index',
            path: layout_layout/* INDEX_FILE */.K$,
            detail: `entry ${name}: ${why}; the next pull fetches it again`,
            action: 'removed',
            images: [name],
        });
        for (const f of aboutEntry.get(name) ?? [])
            f.action = 'removed';
    }
}
/**
 * A hasher for judging again under the lock: a blob the verification hashed valid, whose stat
 * has not changed since, is not read again (see snapshot.ts for why a stat is enough).
 */
async function trustUnchanged(layout, v, options) {
    const valid = new Set([...v.scan.blobs.values()].filter((b) => b.hashOk).map((b) => b.digest));
    if (valid.size === 0)
        return options.hasher;
    const snapshot = await StatSnapshot.record(layout, v.scan, valid, { hasher: options.hasher });
    return snapshot_trustingHasher(options.hasher, layout, snapshot, { hashed: 0, trusted: 0 });
}
/** Findings about index.json are told apart by their words; a blob's by its path. */
function sameFinding(f) {
    return `${f.kind}:${f.path}${f.path === layout_layout/* INDEX_FILE */.K$ ? `:${f.detail}` : ''}`;
}
/** The scan without the files `findings` say were removed. */
function repair_afterRemoval(scan, findings, layout) {
    const removed = new Set(findings.filter((f) => f.action === 'removed').map((f) => external_node_path_.join(layout.root, f.path)));
    return {
        blobs: new Map([...scan.blobs].filter(([, b]) => !removed.has(b.path))),
        partials: scan.partials.filter((p) => !removed.has(p.path)),
        strays: scan.strays.filter((s) => !removed.has(s.path)),
    };
}

;// CONCATENATED MODULE: ./lib/verify/recheck.js





/**
 * The check before a save, over one scan of blobs/: verify in full (hashing only what the
 * snapshot cannot vouch for), repair and prune, each reusing the
 * scan instead of listing and hashing the cache again.
 */
async function recheckLayout(layout, options) {
    const pool = HashPool.create(options.hashPool);
    const counts = { hashed: 0, trusted: 0 };
    try {
        const logger = options.logger ? { logger: options.logger } : {};
        const hasher = trustingHasher(pool, layout, options.snapshot, counts, options.logger);
        const verifyOptions = { mode: 'full', platforms: [], hasher, ...logger };
        const verification = await verifyLayout(layout, verifyOptions);
        const report = await repairLayout(layout, verification, verifyOptions);
        const scan = afterRemoval(verification.scan, report.findings, layout);
        let pruned;
        if (report.ok && options.prune) {
            pruned = await pruneLayout(layout, { ...verifyOptions, mode: 'size', dryRun: false }, scan);
        }
        return { report, ...(pruned ? { pruned } : {}), ...counts };
    }
    finally {
        await pool.close();
    }
}

;// CONCATENATED MODULE: ./lib/verify/index.js




/** Verify a layout and, when asked, repair it: the one call the CLI and the Action make. */
async function checkLayout(layout, options) {
    return (await checkLayoutDetailed(layout, options)).report;
}
async function checkLayoutDetailed(layout, options) {
    const pool = options.hasher ? undefined : hash_pool/* HashPool */.vO.create(options.hashPool);
    try {
        const verifyOptions = {
            mode: options.mode,
            platforms: options.platforms,
            hasher: options.hasher ?? pool,
            ...(options.logger ? { logger: options.logger } : {}),
        };
        const scanHooks = options.onProgress ? { onProgress: options.onProgress } : {};
        const verification = await (0,verify/* verifyLayout */.a)(layout, { ...verifyOptions, ...scanHooks });
        const report = options.repair
            ? await repair_repairLayout(layout, verification, verifyOptions)
            : verification.report;
        const removed = new Set(report.findings.filter((f) => f.action === 'removed').map((f) => f.digest));
        const named = new Set(report.findings.map((f) => f.digest));
        const valid = new Set();
        for (const blob of verification.scan.blobs.values()) {
            if (removed.has(blob.digest))
                continue;
            const bySize = options.mode === 'size' && blob.hashOk === undefined && !named.has(blob.digest);
            if (blob.hashOk || bySize)
                valid.add(blob.digest);
        }
        return { report, valid, scan: verification.scan };
    }
    finally {
        await pool?.close();
    }
}
async function pruneUnreferenced(layout, options) {
    const pool = hash_pool/* HashPool */.vO.create();
    try {
        return await (0,prune/* pruneLayout */.L)(layout, {
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





/***/ }),

/***/ 2661:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   B: () => (/* binding */ youngNote),
/* harmony export */   L: () => (/* binding */ pruneLayout)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(452);
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(2016);
/* harmony import */ var _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4323);
/* harmony import */ var _verify_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6908);




const PRUNABLE = new Set(['unreferenced', 'partial', 'stray']);
/**
 * Mark from index.json, sweep the rest: deletes valid blobs nothing references, partial
 * downloads and strays, under the cache lock. While a pull is running, its blobs are not
 * referenced yet (the entry is written last), so unreferenced blobs and partials are kept.
 * Blobs of any index.json entry are kept, even a broken one. `scan` reuses an earlier scan.
 */
async function pruneLayout(layout, options, scan) {
    // A dry run deletes nothing: without the lock it works on a cache it may not write to.
    const locked = (fn) => options.dryRun ? fn() : layout.withLock(fn, options.logger ? { logger: options.logger } : {});
    return locked(async () => {
        let { report, index } = await (0,_verify_js__WEBPACK_IMPORTED_MODULE_2__/* .verifyLayout */ .a)(layout, options, scan);
        // An earlier scan misses what was renamed in since: a pull's manifest, say, whose entry it
        // has committed. The walk cannot go through a blob it does not see, so what lies below
        // would look unreferenced. A consistent cache has no such problem: otherwise scan again.
        if (scan && !report.ok)
            ({ report, index } = await (0,_verify_js__WEBPACK_IMPORTED_MODULE_2__/* .verifyLayout */ .a)(layout, options));
        // Without a sound index.json every blob looks unreferenced: refuse rather than empty the cache.
        if (index.state !== 'ok') {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .GuardError */ .U$(`${layout.indexPath} is ${index.state === 'missing' ? 'missing' : 'unparseable'}: nothing pruned; run oci-cache-guard validate --repair first`);
        }
        const pulls = await layout.runningPulls();
        const prunable = pulls > 0 ? new Set(['stray']) : PRUNABLE;
        const removed = [];
        let bytes = 0;
        const young = { files: 0, bytes: 0 };
        for (const f of report.findings) {
            if (!prunable.has(f.kind))
                continue;
            if (!f.path.startsWith('blobs/'))
                continue;
            // Young as the scan judged it (validate's report says the same); or touched since the
            // scan, by a writer that came back to it: then it is young now, whatever the scan saw.
            if (f.live || (f.kind !== 'unreferenced' && (await layout.mayBelongToLiveWriter(f.path)))) {
                young.files++;
                young.bytes += f.size ?? 0;
                continue;
            }
            const freed = await layout.removeFromBlobs(f.path, { dryRun: options.dryRun });
            if (freed === undefined)
                continue;
            bytes += f.size ?? freed;
            removed.push({ ...f, action: options.dryRun ? 'kept' : 'removed' });
        }
        const notes = [];
        if (pulls > 0)
            notes.push(`${pulls} pull${pulls === 1 ? ' is' : 's are'} running: unreferenced blobs and partial downloads kept`);
        if (young.files > 0)
            notes.push(youngNote(young.files, young.bytes));
        const note = notes.join('; ');
        return { removed, bytes, dryRun: options.dryRun, ...(note ? { note } : {}) };
    });
}
/** "2 files (3.0 MB) written in the last 10 minutes kept: may belong to a live writer": validate and prune say it alike. */
function youngNote(files, bytes) {
    return `${files} file${files === 1 ? '' : 's'} (${(0,_format_js__WEBPACK_IMPORTED_MODULE_3__/* .formatBytes */ .z3)(bytes)}) written in the last ${_layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .WRITER_GRACE_MS */ .WR / 60_000} minutes ${_layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .LIVE_WRITER_NOTE */ .CO}`;
}


/***/ }),

/***/ 2240:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CD: () => (/* binding */ statKey),
/* harmony export */   T7: () => (/* binding */ sameBlobs),
/* harmony export */   WW: () => (/* binding */ blobStat),
/* harmony export */   _M: () => (/* binding */ scanBlobs)
/* harmony export */ });
/* unused harmony export applyHash */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var _layout_layout_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4323);
/* harmony import */ var _oci_digest_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9501);




/** The BlobStat of an lstat taken at `takenAtMs`. */
function blobStat(s, takenAtMs) {
    return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, takenAtMs };
}
function kindOf(s) {
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
    const now = Date.now(); // one clock for every file: what is young is decided once
    const blobsDir = layout.blobsDir;
    const top = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)(blobsDir).catch(() => undefined);
    if (!top)
        return result;
    if (!top.isDirectory()) {
        result.strays.push({
            path: blobsDir,
            size: top.size,
            detail: `${kindOf(top) ?? 'file'} where the blobs directory should be`,
            isDirectory: false,
        });
        return result;
    }
    for (const algName of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readdir)(blobsDir)) {
        const algPath = node_path__WEBPACK_IMPORTED_MODULE_1__.join(blobsDir, algName);
        const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)(algPath);
        if (!(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .isAlgorithm */ .Kx)(algName) || !s.isDirectory()) {
            const what = kindOf(s) ?? 'file';
            result.strays.push({
                path: algPath,
                size: s.size,
                detail: (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .isAlgorithm */ .Kx)(algName)
                    ? `${what} where a directory should be`
                    : `${what} in ${_layout_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .BLOBS_DIR */ .xl}/: not a digest algorithm`,
                isDirectory: s.isDirectory(),
            });
            continue;
        }
        await scanAlgorithmDir(algName, algPath, result, now);
    }
    if (options.hash)
        await hashAll(result, options);
    return result;
}
async function scanAlgorithmDir(algorithm, dir, result, now) {
    for (const name of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readdir)(dir)) {
        const p = node_path__WEBPACK_IMPORTED_MODULE_1__.join(dir, name);
        const takenAtMs = Date.now();
        const s = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)(p, { bigint: true });
        const size = Number(s.size);
        const notFile = kindOf(s);
        const stray = (detail, digest) => result.strays.push({
            path: p,
            size,
            detail,
            isDirectory: s.isDirectory(),
            ...(digest ? { digest } : {}),
        });
        if ((0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .isValidHex */ .qt)(algorithm, name)) {
            const digest = (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .makeDigest */ .Lm)(algorithm, name);
            if (notFile)
                stray(notFile, digest);
            else
                result.blobs.set(digest, { digest, path: p, size, stat: blobStat(s, takenAtMs) });
            continue;
        }
        const mtimeMs = Number(s.mtimeMs);
        const live = !notFile && (0,_layout_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .mayBeLiveWrite */ .yS)({ isFile: () => s.isFile(), mtimeMs }, now);
        const writtenAgo = `written ${Math.max(0, Math.round((now - mtimeMs) / 1000))} s ago; ${_layout_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .LIVE_WRITER_NOTE */ .CO}`;
        const hex = (0,_layout_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .partialHex */ .nk)(name);
        if (hex !== undefined && (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .isValidHex */ .qt)(algorithm, hex) && !notFile) {
            const what = name.endsWith(_layout_layout_js__WEBPACK_IMPORTED_MODULE_2__/* .PARTIAL_SUFFIX */ .oG)
                ? `${size} bytes downloaded`
                : 'record of a partial download';
            result.partials.push({
                path: p,
                size,
                detail: live ? `${what}, ${writtenAgo}` : what,
                digest: (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .makeDigest */ .Lm)(algorithm, hex),
                isDirectory: false,
                ...(live ? { live } : {}),
            });
            continue;
        }
        if (live) {
            // Not judged yet: informational, like a partial download, and never deleted while young.
            const detail = `${strayNameDetail(algorithm, name)}, ${writtenAgo}`;
            result.partials.push({ path: p, size, detail, isDirectory: false, live });
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
    const outcomes = await options.hasher.hashFiles(files.map((f) => ({ path: f.path, algorithm: (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .digestAlgorithm */ .g4)(f.digest), size: f.size, stat: f.stat })), options.onProgress ? { onProgress: options.onProgress } : {});
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
    file.hashOk = outcome.hex === (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .digestHex */ .sU)(file.digest);
    if (!file.hashOk)
        file.actualHex = outcome.hex;
}
/** What identifies one state of a file: any write moves the ctime, a replacement the inode. */
const statKey = (s) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
/**
 * Whether blobs/ still holds exactly the blobs `scan` saw, each with the same stat: a verdict
 * built on the scan still stands (a blob is renamed in or deleted, and either shows here).
 * Lists the directory again; hashes nothing.
 */
async function sameBlobs(layout, scan) {
    const unused = { hashFiles: () => Promise.reject(new Error('not hashing')) };
    const now = await scanBlobs(layout, { hash: false, hasher: unused });
    if (now.blobs.size !== scan.blobs.size)
        return false;
    for (const [digest, blob] of now.blobs) {
        const was = scan.blobs.get(digest)?.stat;
        const is = blob.stat;
        if (!was || !is || statKey(was) !== statKey(is))
            return false;
    }
    return true;
}


/***/ }),

/***/ 6908:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   a: () => (/* binding */ verifyLayout),
/* harmony export */   j: () => (/* binding */ describeFinding)
/* harmony export */ });
/* harmony import */ var _layout_identify_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(5928);
/* harmony import */ var _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4323);
/* harmony import */ var _oci_digest_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9501);
/* harmony import */ var _oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8152);
/* harmony import */ var _oci_platform_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(7122);
/* harmony import */ var _findings_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3859);
/* harmony import */ var _scan_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(2240);
/* harmony import */ var _walk_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(9820);








const FINDING_ORDER = ['index', 'corrupt', 'missing', 'stray', 'partial', 'unreferenced'];
const unnamed = (i) => `(unnamed entry ${i})`;
/** localeCompare's order, without building a collator per comparison (a million findings). */
const byPath = new Intl.Collator();
/**
 * Checks a layout: scans blobs/ (hashing them in `full` mode), walks every index.json entry,
 * and collects every finding. Changes nothing. `scan` reuses an earlier scan (after repair).
 */
async function verifyLayout(layout, options, scan) {
    scan ??= await (0,_scan_js__WEBPACK_IMPORTED_MODULE_6__/* .scanBlobs */ ._M)(layout, {
        hash: options.mode === 'full',
        hasher: options.hasher,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const findings = [];
    const layoutFile = await (0,_layout_identify_js__WEBPACK_IMPORTED_MODULE_0__/* .layoutFileProblem */ .OK)(layout.root);
    const index = await layout.readIndex();
    // An empty directory (or one holding only the beginnings of a layout) is an empty cache, not
    // a broken one: nothing to report, nothing to repair. A folder of other files is not: its
    // findings stand, and any repair is refused (identify.ts).
    const empty = index.state === 'missing' &&
        layoutFile?.missing === true &&
        ['empty', 'absent'].includes((await (0,_layout_identify_js__WEBPACK_IMPORTED_MODULE_0__/* .identifyDirectory */ .wx)(layout.root)).state);
    if (layoutFile && !empty)
        findings.push({ kind: 'index', path: _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .LAYOUT_FILE */ .gI, detail: layoutFile.detail, action: 'kept' });
    if (index.state === 'missing' && !empty)
        findings.push({ kind: 'index', path: _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .INDEX_FILE */ .K$, detail: 'missing', action: 'kept' });
    if (index.state === 'corrupt')
        findings.push({ kind: 'index', path: _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .INDEX_FILE */ .K$, detail: index.detail, action: 'kept' });
    if (index.state === 'ok')
        for (const detail of (0,_layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .formProblems */ .Xw)(index.doc))
            findings.push({ kind: 'index', path: _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .INDEX_FILE */ .K$, detail, action: 'kept' });
    const walker = new _walk_js__WEBPACK_IMPORTED_MODULE_7__/* .GraphWalker */ .fx(layout, scan, options.hasher);
    const images = [];
    const badEntries = new Map();
    const entries = index.state === 'ok' ? index.doc.entries : [];
    const roots = [];
    for (const [i, entry] of entries.entries()) {
        if (!entry.descriptor)
            continue;
        roots.push({ name: entry.name ?? unnamed(i), root: entry.descriptor });
    }
    const walked = await walker.walk(roots);
    let next = 0;
    for (const [i, entry] of entries.entries()) {
        const name = entry.name ?? unnamed(i);
        if (!entry.descriptor) {
            findings.push({
                kind: 'index',
                path: _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .INDEX_FILE */ .K$,
                detail: `entry ${name}: ${entry.error}`,
                action: 'kept',
                images: [name],
            });
            badEntries.set(i, 'invalid entry');
            images.push({ name, platforms: {}, size: 0, problem: entry.error ?? 'invalid entry' });
            continue;
        }
        const { status, bad } = walked[next++];
        images.push(status);
        if (bad) {
            const broken = Object.entries(status.platforms)
                .filter(([, s]) => s === 'broken')
                .map(([p]) => p);
            badEntries.set(i, status.problem ?? `platform ${broken.join(', ')} broken`);
        }
        if ((0,_oci_mediatypes_js__WEBPACK_IMPORTED_MODULE_3__/* .isIndexMediaType */ .$$)(entry.descriptor.mediaType)) {
            for (const want of options.platforms) {
                const key = (0,_oci_platform_js__WEBPACK_IMPORTED_MODULE_4__/* .formatPlatform */ .Bq)(want);
                const state = status.platforms[key];
                if (state === 'complete' || state === 'broken' || status.problem)
                    continue;
                // Listed but not cached: linuxkit would take the entry as cached (its index lists the
                // platform) and then fail to build, so repair removes it and the next pull fetches it.
                // Not offered at all: no pull can fix that; the entry stays.
                if (state === 'absent' && !badEntries.has(i))
                    badEntries.set(i, `platform ${key} is not in the cache`);
                findings.push({
                    kind: 'missing',
                    path: _layout_layout_js__WEBPACK_IMPORTED_MODULE_1__/* .INDEX_FILE */ .K$,
                    detail: state === 'absent'
                        ? `platform ${key} of ${name} is not in the cache`
                        : `${name} has no ${key} image`,
                    action: 'kept',
                    images: [name],
                });
            }
        }
    }
    for (const f of walker.findings.values())
        findings.push(f);
    for (const blob of scan.blobs.values()) {
        if (walker.referenced.has(blob.digest))
            continue;
        const path = layout.relative(blob.path);
        findings.push(blob.hashOk === false
            ? {
                kind: 'corrupt',
                digest: blob.digest,
                path,
                detail: `content does not match its name (hashes to ${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_2__/* .digestAlgorithm */ .g4)(blob.digest)}:${blob.actualHex?.slice(0, 12)}…)`,
                action: 'kept',
            }
            : {
                kind: 'unreferenced',
                digest: blob.digest,
                path,
                detail: `${blob.size} bytes, not reachable from index.json`,
                action: 'kept',
                size: blob.size,
            });
    }
    for (const p of scan.partials)
        findings.push({
            kind: 'partial',
            ...(p.digest ? { digest: p.digest } : {}),
            path: layout.relative(p.path),
            detail: p.detail,
            action: 'kept',
            size: p.size,
            ...(p.live ? { live: p.live } : {}),
        });
    for (const s of scan.strays)
        findings.push({
            kind: 'stray',
            ...(s.digest ? { digest: s.digest } : {}),
            path: layout.relative(s.path),
            detail: s.detail,
            action: 'kept',
        });
    for (const f of findings)
        f.detail = (0,_findings_js__WEBPACK_IMPORTED_MODULE_5__/* .oneLine */ .TN)(f.detail);
    findings.sort((a, b) => FINDING_ORDER.indexOf(a.kind) - FINDING_ORDER.indexOf(b.kind) || byPath.compare(a.path, b.path));
    const checked = [...scan.blobs.values()];
    const report = {
        ok: !findings.some(_findings_js__WEBPACK_IMPORTED_MODULE_5__/* .isProblem */ .AN),
        cache: layout.root,
        mode: options.mode,
        blobs: { checked: checked.length, bytes: checked.reduce((sum, b) => sum + b.size, 0) },
        findings,
        images,
    };
    options.logger?.debug(`verified ${checked.length} blobs in ${layout.root}: ${findings.length} findings`);
    return { report, scan, index, badEntries, layoutFile, work: walker.work };
}
/** "blobs/sha256/ab12cd34ef56… truncated: 1104 of 5678 bytes — removed" */
function describeFinding(f, action = f.action) {
    const isBlob = f.digest && f.path.startsWith('blobs/') && !f.path.endsWith('.download') && f.kind !== 'stray';
    const where = isBlob
        ? `${f.path.slice(0, f.path.lastIndexOf('/') + 1)}${(0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_2__/* .shortDigest */ .VK)(f.digest).split(':')[1]}`
        : f.path;
    const what = f.kind === 'stray' || f.kind === 'partial' || f.kind === 'unreferenced'
        ? `${f.kind}: ${f.detail}`
        : f.detail;
    // "kept" is news only for a blob that looks wrong but was proven valid.
    const suffix = action === 'kept' && !f.detail.startsWith('valid blob') ? '' : ` — ${action}`;
    return `${where} ${what}${suffix}`;
}


/***/ })

};
