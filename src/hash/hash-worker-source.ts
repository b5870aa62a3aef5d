/**
 * The hash worker's program, as a string run with `new Worker(HASH_WORKER_SOURCE, { eval: true })`.
 *
 * Why a string: ncc bundles each entry point into one `dist/<entry>/index.js`, so there is no
 * worker file on disk to point `new Worker(path)` at. An eval worker runs this text as a
 * CommonJS script (`require` works) whatever the main bundle's module format is. Keep it plain
 * ES2020 JavaScript with `node:` built-ins only: nothing here is compiled or bundled.
 *
 * Protocol (one job at a time per worker; the pool never sends a second before the reply):
 *   in:  { id, path, algorithm, maxBytes }           maxBytes: number | null
 *   out: { id, progress: bytesSoFar }                  every workerData.progressInterval bytes
 *        { id, ok: true, size, hex }
 *        { id, ok: false, code, errno, message, size } code: HashErrorCode in hash-pool.ts
 *
 * Must stay in step with `hashFileInline()` in hash-pool.ts (same checks, same codes); the
 * tests run one table of cases against both.
 */
export const HASH_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');

const C = fs.constants;
// O_NOFOLLOW: a symlink as the last path component fails with ELOOP instead of being followed.
// O_NONBLOCK: opening a FIFO planted in blobs/ returns at once (then fstat refuses it) instead
// of waiting forever for a writer; it changes nothing for regular files.
const NOFOLLOW = C.O_NOFOLLOW;
const FLAGS = C.O_RDONLY | (NOFOLLOW || 0) | (C.O_NONBLOCK || 0);
const buffer = Buffer.allocUnsafeSlow(workerData.readSize);
const progressInterval = workerData.progressInterval;

function fail(id, code, message, errno, size) {
  return { id, ok: false, code, message, errno: errno || null, size: size === undefined ? null : size };
}

function kindOf(st) {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'a special file';
}

function fromError(id, path, err) {
  const errno = err && typeof err.code === 'string' ? err.code : 'EUNKNOWN';
  if (errno === 'ENOENT' || errno === 'ENOTDIR') return fail(id, 'ENOENT', path + ': no such file', errno);
  if (errno === 'ELOOP' || errno === 'EMLINK') {
    return fail(id, 'ELOOP', path + ': is a symbolic link (refused, not followed)', errno);
  }
  const detail = err && err.message ? String(err.message).split('\n')[0] : String(err);
  return fail(id, 'IO', path + ': ' + detail, errno);
}

function hash(job) {
  const id = job.id;
  const path = job.path;
  let fd = -1;
  try {
    // Platforms without O_NOFOLLOW (Windows): refuse a symlink by lstat, then make sure the
    // file we opened is the one we looked at.
    const seen = NOFOLLOW === undefined ? fs.lstatSync(path, { bigint: true }) : null;
    if (seen && seen.isSymbolicLink()) return fail(id, 'ELOOP', path + ': is a symbolic link (refused, not followed)', 'ELOOP');
    fd = fs.openSync(path, FLAGS);
    const st = fs.fstatSync(fd, { bigint: seen !== null });
    if (!st.isFile()) return fail(id, 'NOT_REGULAR', path + ': is ' + kindOf(st) + ', not a regular file', null);
    if (seen && (seen.ino !== st.ino || seen.dev !== st.dev)) {
      return fail(id, 'IO', path + ': changed while being opened', null);
    }
    const statSize = Number(st.size);
    const max = job.maxBytes === null ? Infinity : job.maxBytes;
    if (statSize > max) return fail(id, 'TOO_LARGE', path + ': ' + statSize + ' bytes, more than ' + max, null, statSize);

    const h = crypto.createHash(job.algorithm);
    let size = 0;
    let reported = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      size += n;
      // The file grew after fstat: stop reading, never hash past the cap.
      if (size > max) return fail(id, 'TOO_LARGE', path + ': more than ' + max + ' bytes', null, size);
      h.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      if (size - reported >= progressInterval) {
        reported = size;
        parentPort.postMessage({ id, progress: size });
      }
    }
    return { id, ok: true, size, hex: h.digest('hex') };
  } catch (err) {
    return fromError(id, path, err);
  } finally {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        // Nothing useful to do: the result is already decided.
      }
    }
  }
}

parentPort.on('message', (job) => {
  parentPort.postMessage(hash(job));
});
`;
