import { constants } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { GuardError, UsageError } from '../errors.js';
import { HEX_LENGTH, isAlgorithm, isValidHex, type Algorithm } from '../oci/digest.js';
import { TEMP_INFIX } from './atomic.js';
import {
  BLOBS_DIR,
  INDEX_FILE,
  LAYOUT_FILE,
  LINUXKIT_LOCK_FILE,
  LOCK_FILE,
  PARTIAL_SUFFIX,
} from './names.js';

/**
 * What a directory is, judged before anything is written into it:
 *
 * - `layout`: an OCI image layout. Either its `oci-layout` is a regular file holding a JSON
 *   object with a string `imageLayoutVersion`; or (a linuxkit cache whose `oci-layout` was
 *   lost or cut short: linuxkit writes it in place) `index.json` is a regular file, `blobs/`
 *   holds only digest-algorithm directories, among them `sha256/`, and those hold only regular
 *   files named by a digest or by a writer's temp form of one (`<hex>.download`,
 *   `<hex><digits>`). Nothing else has that shape by chance.
 * - `empty` and `absent`: a layout may be created there.
 * - `foreign`: anything else that is not empty. Never initialised, never repaired, never
 *   pruned: its files are someone's, not blobs.
 * - `linked`: a layout whose `blobs/`, `blobs/sha256` or `index.json` is a symbolic link. Links
 *   are never followed (they could lead out of the cache), and seen through that rule such a
 *   cache looks empty: every image missing. Refused whole, never "repaired" into an empty cache.
 */
export type CacheDirectory =
  | { state: 'layout' | 'empty' | 'absent' | 'not-a-directory' }
  | { state: 'foreign'; reason: string }
  | { state: 'linked'; part: string; target: string };

/** A directory that is not an OCI layout and not empty: CLI exit 2, the Action's step fails. */
export class NotACacheError extends UsageError {
  override name = 'NotACacheError';
}

export async function identifyDirectory(dir: string): Promise<CacheDirectory> {
  const s = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (s instanceof Error) {
    if (s.code === 'ENOENT') return { state: 'absent' };
    if (s.code === 'ENOTDIR') return { state: 'not-a-directory' };
    throw s;
  }
  if (!s.isDirectory()) return { state: 'not-a-directory' };
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new GuardError(`cannot read ${dir}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`, {
      cause: err,
    });
  });
  names.sort();
  if (names.length === 0 || (await isBeingCreated(dir, names))) return { state: 'empty' };
  for (const part of LINKS_REFUSED) {
    const target = await readlink(path.join(dir, part)).catch(() => undefined);
    if (target !== undefined) return { state: 'linked', part, target };
  }
  const layoutFile = await layoutFileProblem(dir);
  if (layoutFile === undefined) return { state: 'layout' };
  const shape = await linuxkitShapeProblem(dir, names);
  if (shape === undefined) return { state: 'layout' };
  const why = layoutFile.missing ? `no ${LAYOUT_FILE} file` : `${LAYOUT_FILE} ${layoutFile.detail}`;
  return { state: 'foreign', reason: `${why}; ${shape}` };
}

/**
 * Throws unless a layout may be written in `dir`: it is one, or it is empty or absent. The
 * message names the directory, what in it makes it no cache, and what to do.
 */
export async function assertMayWrite(dir: string): Promise<CacheDirectory> {
  const found = await identifyDirectory(dir);
  if (found.state === 'not-a-directory') throw new UsageError(`cache ${dir} is not a directory`);
  if (found.state === 'foreign') {
    throw new NotACacheError(
      `refusing to use ${dir} as a cache: it is not empty and not an OCI image layout (${found.reason}); nothing was changed: name an OCI image layout, or an empty or new directory`,
    );
  }
  if (found.state === 'linked') {
    throw new NotACacheError(
      `refusing to use ${dir} as a cache: ${found.part} is a symbolic link (to ${found.target}), and links in a cache are never followed; nothing was changed: put the ${found.part === INDEX_FILE ? 'file' : 'directory'} itself at ${path.join(dir, found.part)} (move it back, or bind-mount it)`,
    );
  }
  return found;
}

/** Parts of a layout whose link would hide every blob or every entry (see CacheDirectory). */
const LINKS_REFUSED = [BLOBS_DIR, `${BLOBS_DIR}/sha256`, INDEX_FILE];

/**
 * Whether `dir` holds only what creating a layout puts there before its oci-layout is in
 * place (another process may be doing it right now): empty digest directories under blobs/,
 * temp files of oci-layout and index.json, our locks, linuxkit's lock. Nothing anyone could
 * lose, so it counts as empty.
 */
async function isBeingCreated(dir: string, names: string[]): Promise<boolean> {
  // blobs/ last: any other name settles it without listing a big blobs/sha256.
  for (const name of [...names.filter((n) => n !== BLOBS_DIR), ...names.filter((n) => n === BLOBS_DIR)]) {
    if (name.startsWith(LOCK_FILE) || name === LINUXKIT_LOCK_FILE) continue; // LOCKS_DIR too
    if (name.startsWith(LAYOUT_FILE + TEMP_INFIX) || name.startsWith(INDEX_FILE + TEMP_INFIX)) continue;
    if (name !== BLOBS_DIR || !(await lstat(path.join(dir, name))).isDirectory()) return false;
    for (const algorithm of await readdir(path.join(dir, name))) {
      const p = path.join(dir, name, algorithm);
      if (!isAlgorithm(algorithm) || !(await lstat(p)).isDirectory() || (await readdir(p)).length > 0)
        return false;
    }
  }
  return true;
}

/**
 * What is wrong with the `oci-layout` of `dir`, worded to follow the file's name ("oci-layout
 * is a symbolic link"); `missing` when there is none.
 */
export interface LayoutFileProblem {
  missing: boolean;
  detail: string;
}

/** Longer than any oci-layout anyone writes: not read past. */
const MAX_LAYOUT_FILE_BYTES = 4096;

/**
 * Why the `oci-layout` of `dir` is not valid, or undefined when it is: a regular file (never
 * a symbolic link) of at most 4 KiB holding a JSON object with a string `imageLayoutVersion`.
 */
export async function layoutFileProblem(dir: string): Promise<LayoutFileProblem | undefined> {
  const file = path.join(dir, LAYOUT_FILE);
  const invalid = (detail: string) => ({ missing: false, detail });
  const s = await lstat(file).catch(() => undefined);
  if (!s) return { missing: true, detail: 'missing' };
  if (!s.isFile()) return invalid(s.isSymbolicLink() ? 'is a symbolic link' : 'is not a file');
  if (s.size > MAX_LAYOUT_FILE_BYTES) return invalid('is not an OCI layout file');
  try {
    // No-follow and non-blocking: a symbolic link or FIFO put in its place since the lstat is refused.
    const flag = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    const v = JSON.parse(await readFile(file, { encoding: 'utf8', flag })) as {
      imageLayoutVersion?: unknown;
    } | null;
    if (typeof v?.imageLayoutVersion === 'string') return undefined;
  } catch {
    // not JSON: said below
  }
  return invalid('has no imageLayoutVersion');
}

/** Why `dir` does not have a linuxkit cache's shape (see CacheDirectory), or undefined. */
async function linuxkitShapeProblem(dir: string, names: string[]): Promise<string | undefined> {
  const blobs = path.join(dir, BLOBS_DIR);
  const top = await lstat(blobs).catch(() => undefined);
  if (!top?.isDirectory()) return `it holds ${sample(names)}`;
  const foreign: string[] = [];
  const algorithms: Algorithm[] = [];
  for (const name of (await readdir(blobs)).sort()) {
    const s = await lstat(path.join(blobs, name));
    if (isAlgorithm(name) && s.isDirectory()) algorithms.push(name);
    else foreign.push(name);
  }
  for (const algorithm of algorithms) {
    const algDir = path.join(blobs, algorithm);
    for (const name of (await readdir(algDir)).sort()) {
      const s = await lstat(path.join(algDir, name));
      if (!s.isFile() || !isBlobName(algorithm, name)) foreign.push(`${algorithm}/${name}`);
    }
  }
  if (foreign.length > 0) return `blobs/ holds ${sample(foreign)}, which are not blobs`;
  if (!algorithms.includes('sha256')) return 'no blobs/sha256 directory';
  const index = await lstat(path.join(dir, INDEX_FILE)).catch(() => undefined);
  if (!index?.isFile()) return 'no index.json';
  return undefined;
}

/** A blob's name, or the temp name a writer gives one: ours `<hex>.download`, go-containerregistry's `<hex><digits>`. */
function isBlobName(algorithm: Algorithm, name: string): boolean {
  const length = HEX_LENGTH[algorithm];
  const rest = name.slice(length);
  return (
    isValidHex(algorithm, name.slice(0, length)) &&
    (rest === '' || rest === PARTIAL_SUFFIX || /^\d+$/.test(rest))
  );
}

/** "a, b, c and 4 more" */
function sample(names: string[]): string {
  const shown = names.slice(0, 3).map((n) => JSON.stringify(n).slice(1, -1));
  return names.length > 3 ? `${shown.join(', ')} and ${names.length - 3} more` : shown.join(', ');
}
