import type { Digest } from '../oci/digest.js';

/**
 * What the verifier found. The JSON shape of `Report` is the CLI's `--json` output and the
 * Action's report file: keep it stable (documented in README.md).
 *
 * - corrupt: present but wrong (size, digest, unparseable manifest)
 * - missing: referenced but absent (or a wanted platform not in the cache)
 * - stray: not a blob: a bad name, a symlink, a directory, a temp file of another tool
 * - partial: `<hex>.download`, an interrupted download of ours; the next pull resumes it
 * - unreferenced: a valid blob that nothing in index.json reaches
 * - index: index.json or oci-layout is missing, unparseable, or has an invalid entry
 */
export type FindingKind = 'corrupt' | 'missing' | 'stray' | 'partial' | 'unreferenced' | 'index';
export type FindingAction = 'removed' | 'kept' | 'moved' | 'recreated' | 'rewritten';
export type PlatformStatus = 'complete' | 'absent' | 'broken';

export interface Finding {
  kind: FindingKind;
  digest?: Digest;
  /** Relative to the cache root, forward slashes. */
  path: string;
  detail: string;
  action: FindingAction;
  /** Names of the index.json entries this finding breaks (for annotations). */
  images?: string[];
  /** Bytes of the file, as the scan found it (unreferenced, partial and stray findings). */
  size?: number;
  /** Written to in the last minutes (never a time in the future): it may belong to a live writer, and prune keeps it. */
  live?: true;
}

export interface ImageStatus {
  name: string;
  digest?: Digest;
  mediaType?: string;
  platforms: Record<string, PlatformStatus>;
  /** Bytes of the image's blobs present in the cache. */
  size: number;
  /** Set when the entry itself is unusable (root blob missing or corrupt, invalid entry). */
  problem?: string;
}

export interface Report {
  ok: boolean;
  cache: string;
  mode: VerifyMode;
  blobs: { checked: number; bytes: number };
  findings: Finding[];
  images: ImageStatus[];
}

export type VerifyMode = 'full' | 'size';

/** Kinds that make a cache inconsistent; partial and unreferenced are informational. */
export const PROBLEM_KINDS: ReadonlySet<FindingKind> = new Set(['corrupt', 'missing', 'stray', 'index']);

export function isProblem(f: Finding): boolean {
  return PROBLEM_KINDS.has(f.kind) && f.action === 'kept';
}

/** Something in the cache was wrong, not merely absent: what the Action warns about. */
export function isDamage(f: Finding): boolean {
  return f.kind === 'corrupt' || f.kind === 'stray' || f.kind === 'index';
}

/**
 * A detail on one line: control characters (a newline quoted by JSON.parse from the bad
 * bytes, say) are written as JSON escapes, so a report line never breaks.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** "truncated: 1104 of 5678 bytes" — the words users see for a size mismatch. */
export function sizeDetail(actual: number, expected: number): string {
  if (actual === 0) return `empty: 0 of ${expected} bytes`;
  return actual < expected
    ? `truncated: ${actual} of ${expected} bytes`
    : `too long: ${actual} bytes, ${expected} expected`;
}
