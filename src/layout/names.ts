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
/** `<hex>.download.ranges`: which byte ranges of a partial fetched in parallel ranges are on disk. */
export const RANGES_SUFFIX = `${PARTIAL_SUFFIX}.ranges`;

/**
 * The hex of a file that belongs to a partial download (`<hex>.download`, its ranges record, or
 * that record's temp file): one partial for the verifier, kept or pruned together.
 */
export function partialHex(name: string): string | undefined {
  const at = name.indexOf(PARTIAL_SUFFIX);
  if (at <= 0) return undefined;
  const rest = name.slice(at);
  return rest === PARTIAL_SUFFIX || rest === RANGES_SUFFIX || rest === `${RANGES_SUFFIX}.tmp`
    ? name.slice(0, at)
    : undefined;
}
