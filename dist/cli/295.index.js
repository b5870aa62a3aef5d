export const id = 295;
export const ids = [295,444];
export const modules = {

/***/ 1444:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   LS_HELP: () => (/* binding */ LS_HELP),
/* harmony export */   lsCommand: () => (/* binding */ lsCommand),
/* harmony export */   printImages: () => (/* binding */ printImages)
/* harmony export */ });
/* harmony import */ var _cache_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7512);
/* harmony import */ var _args_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2453);
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(2016);
/* harmony import */ var _verify_index_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7355);
/* harmony import */ var _oci_digest_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(9501);





const LS_HELP = `Usage: oci-cache-guard ls [--json] [--cache DIR]

Lists the images in the cache: name, digest, platforms with their completeness
(complete, absent: not pulled, broken: something under it is missing or corrupt) and size.
Checks sizes only; run validate for a full sha256 check.`;
async function lsCommand(argv, ctx) {
    const { values } = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .parseCommand */ .RM)('ls', argv, _args_js__WEBPACK_IMPORTED_MODULE_1__/* .COMMON_OPTIONS */ .DT);
    if (values.help)
        return (ctx.out(LS_HELP), 0);
    const settings = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .commonSettings */ .JC)(values, ctx.env);
    const layout = await (0,_cache_js__WEBPACK_IMPORTED_MODULE_0__/* .openCache */ .b)(settings.cache, ctx);
    const report = await (0,_verify_index_js__WEBPACK_IMPORTED_MODULE_2__/* .checkLayout */ .HX)(layout, {
        mode: 'size',
        platforms: [],
        repair: false,
        logger: ctx.logger,
    });
    for (const f of report.findings.filter((f) => f.kind === 'index')) {
        ctx.stderr.write(`warning: ${(0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .printable */ .g$)(`${f.path} ${f.detail}`)}: run oci-cache-guard validate --repair\n`);
    }
    if (settings.json)
        ctx.out((0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .printableJson */ .et)(report.images));
    else if (report.images.length === 0)
        ctx.out(`no images in ${(0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .printable */ .g$)(layout.root)}`);
    else
        printImages(report.images, ctx);
    return 0;
}
/** The images table; names come from index.json, so every cell is made printable. */
function printImages(images, ctx) {
    if (images.length === 0)
        return;
    const header = ['IMAGE', 'DIGEST', 'PLATFORMS', 'SIZE'];
    const rows = images.map((img) => [
        img.name,
        img.digest ? (0,_oci_digest_js__WEBPACK_IMPORTED_MODULE_3__/* .shortDigest */ .VK)(img.digest) : '-',
        img.problem ??
            (Object.entries(img.platforms)
                .map(([p, s]) => `${p} ${s}`)
                .join(', ') ||
                '-'),
        (0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .formatBytes */ .z3)(img.size),
    ].map(_format_js__WEBPACK_IMPORTED_MODULE_4__/* .printable */ .g$));
    // A loop, not Math.max(...rows): a spread of a million rows overflows the call stack.
    const widths = header.map((h) => h.length);
    for (const r of rows)
        for (let i = 0; i < r.length; i++)
            widths[i] = Math.max(widths[i], r[i].length);
    const line = (r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
    ctx.out(line(header));
    for (const r of rows)
        ctx.out(line(r));
}


/***/ }),

/***/ 295:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   VALIDATE_HELP: () => (/* binding */ VALIDATE_HELP),
/* harmony export */   printReport: () => (/* binding */ printReport),
/* harmony export */   validateCommand: () => (/* binding */ validateCommand)
/* harmony export */ });
/* harmony import */ var _cache_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7512);
/* harmony import */ var _args_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2453);
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(2016);
/* harmony import */ var _progress_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(9095);
/* harmony import */ var _verify_index_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7355);
/* harmony import */ var _verify_findings_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3859);
/* harmony import */ var _findings_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(5166);
/* harmony import */ var _verify_prune_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(2661);
/* harmony import */ var _ls_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(1444);









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
    const { values } = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .parseCommand */ .RM)('validate', argv, {
        ..._args_js__WEBPACK_IMPORTED_MODULE_1__/* .COMMON_OPTIONS */ .DT,
        repair: { type: 'boolean', default: false },
        mode: { type: 'string' },
        platform: { type: 'string', multiple: true },
    });
    if (values.help)
        return (ctx.out(VALIDATE_HELP), 0);
    const settings = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .commonSettings */ .JC)(values, ctx.env);
    const mode = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .parseMode */ .Zx)(values.mode);
    const platforms = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .parsePlatforms */ .qA)(values.platform);
    const layout = await (0,_cache_js__WEBPACK_IMPORTED_MODULE_0__/* .openCache */ .b)(settings.cache, ctx);
    const started = Date.now();
    const progress = (0,_progress_js__WEBPACK_IMPORTED_MODULE_7__/* .createProgress */ .m)({
        label: 'hashing',
        stream: ctx.stderr,
        enabled: !settings.json || !ctx.stderr.isTTY,
    });
    const report = await (0,_verify_index_js__WEBPACK_IMPORTED_MODULE_2__/* .checkLayout */ .HX)(layout, {
        mode,
        platforms,
        repair: values.repair,
        logger: ctx.logger,
        onProgress: (p) => progress.update(p.bytes, p.totalBytes, `(${p.files}/${p.totalFiles} blobs)`),
    });
    progress.done();
    if (settings.json)
        ctx.out((0,_format_js__WEBPACK_IMPORTED_MODULE_8__/* .printableJson */ .et)(report));
    else
        printReport(report, { verbose: settings.verbose, repaired: values.repair, ms: Date.now() - started }, ctx);
    return report.ok ? 0 : 1;
}
function printReport(report, opts, ctx) {
    const shown = [];
    const quiet = { unreferenced: [], partial: [] };
    for (const f of report.findings) {
        if (!opts.verbose && (f.kind === 'unreferenced' || f.kind === 'partial'))
            quiet[f.kind].push(f);
        else
            shown.push(f);
    }
    ctx.out(`${(0,_format_js__WEBPACK_IMPORTED_MODULE_8__/* .printable */ .g$)(report.cache)} (${report.mode === 'full' ? 'sizes and sha256' : 'sizes only'})`);
    if (report.blobs.checked === 0 && report.findings.length === 0 && report.images.length === 0) {
        ctx.out('nothing to validate: an empty cache');
        return;
    }
    for (const f of shown)
        ctx.out(`  ${(0,_findings_js__WEBPACK_IMPORTED_MODULE_4__/* .findingLine */ .m)(f)}`);
    // Sizes and youth as the scan found them, as prune decides: the two say the same numbers.
    const bytesOf = (list) => list.reduce((sum, f) => sum + (f.size ?? 0), 0);
    const live = [];
    for (const kind of ['unreferenced', 'partial']) {
        const list = quiet[kind].filter((f) => !f.live);
        live.push(...quiet[kind].filter((f) => f.live));
        if (list.length === 0)
            continue;
        const what = kind === 'unreferenced' ? 'unreferenced blob' : 'partial download';
        ctx.out(`  ${list.length} ${what}${list.length === 1 ? '' : 's'} (${(0,_format_js__WEBPACK_IMPORTED_MODULE_8__/* .formatBytes */ .z3)(bytesOf(list))}): oci-cache-guard prune deletes them`);
    }
    if (live.length > 0)
        ctx.out(`  ${(0,_verify_prune_js__WEBPACK_IMPORTED_MODULE_5__/* .youngNote */ .B)(live.length, bytesOf(live))}`);
    (0,_ls_js__WEBPACK_IMPORTED_MODULE_6__.printImages)(report.images, ctx);
    const problems = report.findings.filter(_verify_findings_js__WEBPACK_IMPORTED_MODULE_3__/* .isProblem */ .AN).length;
    const fixed = report.findings.filter((f) => f.action !== 'kept').length;
    const summary = [
        `checked ${report.blobs.checked} blobs (${(0,_format_js__WEBPACK_IMPORTED_MODULE_8__/* .formatBytes */ .z3)(report.blobs.bytes)}) in ${(0,_format_js__WEBPACK_IMPORTED_MODULE_8__/* .formatDuration */ .a3)(opts.ms)}`,
    ];
    if (opts.repaired)
        summary.push(`${fixed} repaired`);
    summary.push(report.ok
        ? 'cache is consistent'
        : `${problems} problem${problems === 1 ? '' : 's'} remain${problems === 1 ? 's' : ''}${opts.repaired ? '' : ': run with --repair'}`);
    ctx.out(summary.join(', '));
}


/***/ }),

/***/ 5166:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   m: () => (/* binding */ findingLine)
/* harmony export */ });
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2016);
/* harmony import */ var _verify_index_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7355);


/**
 * One finding as a report line, printable on a terminal (paths and details come from the
 * cache). `action` overrides the finding's (prune --dry-run: "would be removed").
 */
function findingLine(f, action = f.action) {
    // Repair removes the index.json entry that needs a missing blob, never the blob (it is absent).
    const words = f.kind === 'missing' && action === 'removed' ? 'its entry removed from index.json' : action;
    return (0,_format_js__WEBPACK_IMPORTED_MODULE_1__/* .printable */ .g$)((0,_verify_index_js__WEBPACK_IMPORTED_MODULE_0__/* .describeFinding */ .jb)(f, words));
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
