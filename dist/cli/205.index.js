export const id = 205;
export const ids = [205];
export const modules = {

/***/ 205:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   PRUNE_HELP: () => (/* binding */ PRUNE_HELP),
/* harmony export */   pruneCommand: () => (/* binding */ pruneCommand)
/* harmony export */ });
/* harmony import */ var _cache_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7512);
/* harmony import */ var _args_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2453);
/* harmony import */ var _format_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(2016);
/* harmony import */ var _verify_index_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7355);
/* harmony import */ var _findings_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(5166);





const PRUNE_HELP = `Usage: oci-cache-guard prune [--dry-run] [--json] [--cache DIR]

Deletes what no image in index.json needs: unreferenced blobs, partial downloads (unless a
pull is resuming them right now) and strays. Blobs of every index.json entry are kept.

Options:
  --dry-run    list what would be deleted, delete nothing
  --json       print {removed, bytes, dryRun} ({wouldRemove, bytes, dryRun} with --dry-run)`;
async function pruneCommand(argv, ctx) {
    const { values } = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .parseCommand */ .RM)('prune', argv, {
        ..._args_js__WEBPACK_IMPORTED_MODULE_1__/* .COMMON_OPTIONS */ .DT,
        'dry-run': { type: 'boolean', default: false },
    });
    if (values.help)
        return (ctx.out(PRUNE_HELP), 0);
    const settings = (0,_args_js__WEBPACK_IMPORTED_MODULE_1__/* .commonSettings */ .JC)(values, ctx.env);
    const layout = await (0,_cache_js__WEBPACK_IMPORTED_MODULE_0__/* .openCache */ .b)(settings.cache, ctx);
    const result = await (0,_verify_index_js__WEBPACK_IMPORTED_MODULE_2__/* .pruneUnreferenced */ .v_)(layout, { dryRun: values['dry-run'], logger: ctx.logger });
    if (settings.json) {
        ctx.out((0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .printableJson */ .et)(pruneJson(result)));
        return 0;
    }
    for (const f of result.removed)
        ctx.out(`  ${(0,_findings_js__WEBPACK_IMPORTED_MODULE_3__/* .findingLine */ .m)(f, result.dryRun ? 'would be removed' : 'removed')}`);
    if (result.note)
        ctx.out(`  ${(0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .printable */ .g$)(result.note)}`);
    const verb = result.dryRun ? 'would delete' : 'deleted';
    ctx.out(`${verb} ${result.removed.length} file${result.removed.length === 1 ? '' : 's'}, ${(0,_format_js__WEBPACK_IMPORTED_MODULE_4__/* .formatBytes */ .z3)(result.bytes)} ${result.dryRun ? 'to free' : 'freed'}`);
    return 0;
}
/**
 * A dry run deletes nothing: its list is called `wouldRemove`, and its findings carry no
 * `action` (the verifier's "kept" would contradict the list's name).
 */
function pruneJson(result) {
    if (!result.dryRun)
        return result;
    const { removed, ...rest } = result;
    return { ...rest, wouldRemove: removed.map(({ action: _action, ...f }) => f) };
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


/***/ })

};
