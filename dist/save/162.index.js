export const id = 162;
export const ids = [162];
export const modules = {

/***/ 1162:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   save: () => (/* binding */ save)
/* harmony export */ });
/* unused harmony exports cachePaths, cacheMode, restore */
/* harmony import */ var _actions_cache__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(9312);
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3838);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(452);
/* harmony import */ var _layout_layout_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3622);
/* harmony import */ var _constants_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(3895);






/**
 * The paths saved and restored: the layout's files, never linuxkit's `.lock`, our locks,
 * partial downloads or `ingest/`. Save and restore must pass this identical list, or the
 * cache version differs and nothing is found.
 */
function cachePaths(dir) {
    return [
        node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, _layout_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .LAYOUT_FILE */ .gI),
        node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, _layout_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .INDEX_FILE */ .K$),
        node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, _layout_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .BLOBS_DIR */ .xl),
        `!${node_path__WEBPACK_IMPORTED_MODULE_2__.join(dir, _layout_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .BLOBS_DIR */ .xl, '**', `*${_layout_layout_js__WEBPACK_IMPORTED_MODULE_4__/* .PARTIAL_SUFFIX */ .oG}`)}`,
    ];
}
/** `ACTIONS_CACHE_MODE`: read, write, none; unset means both. */
function cacheMode(env = process.env) {
    const mode = (env[_constants_js__WEBPACK_IMPORTED_MODULE_5__/* .CACHE_MODE_ENV */ .rJ] ?? '').trim().toLowerCase();
    return { read: mode !== 'write' && mode !== 'none', write: mode !== 'read' && mode !== 'none' };
}
/** Restores; a service that is down or throttled is a warning and the run goes on. */
async function restore(dir, primaryKey, restoreKeys) {
    const started = Date.now();
    if (!cacheMode().read)
        return { ms: 0, note: `${CACHE_MODE_ENV} does not allow reading the cache` };
    if (!cache.isFeatureAvailable())
        return { ms: 0, note: 'the GitHub Actions cache service is not available here' };
    try {
        const matchedKey = await cache.restoreCache(cachePaths(dir), primaryKey, restoreKeys);
        return { ...(matchedKey ? { matchedKey } : {}), ms: Date.now() - started };
    }
    catch (err) {
        core.warning(`cache restore failed, pulling from the registries instead: ${errorMessage(err)}`);
        return { ms: Date.now() - started, note: 'restore failed' };
    }
}
/** Saves; a reserved key or a failed upload is a warning, never a failure. */
async function save(dir, key) {
    if (!cacheMode().write)
        return { saved: false, note: `${_constants_js__WEBPACK_IMPORTED_MODULE_5__/* .CACHE_MODE_ENV */ .rJ} does not allow writing the cache` };
    if (!_actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .isFeatureAvailable */ .w3())
        return { saved: false, note: 'the GitHub Actions cache service is not available here' };
    try {
        const id = await _actions_cache__WEBPACK_IMPORTED_MODULE_0__/* .saveCache */ .Io(cachePaths(dir), key);
        if (id === -1) {
            _actions_core__WEBPACK_IMPORTED_MODULE_1__/* .warning */ .$e(`cache not saved under ${key}: the key is taken or the service refused it (see the lines above)`);
            return { saved: false, note: 'key reserved or upload refused' };
        }
        return { saved: true, note: `saved as ${key}` };
    }
    catch (err) {
        _actions_core__WEBPACK_IMPORTED_MODULE_1__/* .warning */ .$e(`cache not saved: ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err)}`);
        return { saved: false, note: (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err) };
    }
}


/***/ })

};
