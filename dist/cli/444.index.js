export const id = 444;
export const ids = [444];
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


/***/ })

};
