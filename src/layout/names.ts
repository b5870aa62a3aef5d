/** The names of what a layout holds, and of what we and linuxkit keep beside it. */
export const LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const BLOBS_DIR = 'blobs';
/** Our own lock between processes; linuxkit's `.lock` is never touched. */
export const LOCK_FILE = '.oci-cache-guard.lock';
/** linuxkit's lock (fcntl, held while it writes into the cache): waited for, never taken. */
export const LINUXKIT_LOCK_FILE = '.lock';
/** Per-blob download locks live here, outside blobs/ so the scan never sees them. */
export const LOCKS_DIR = '.oci-cache-guard.locks';
/** `<hex>.download`: a partial download of ours, resumed by the next pull. */
export const PARTIAL_SUFFIX = '.download';
