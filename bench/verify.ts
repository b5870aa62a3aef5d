/**
 * `npm run bench -- verify [--size-gib 1] [--rounds 3] [--workers N] [--read-kib K] [--dir D] [--keep]`
 *
 * Builds an OCI layout of random blobs (one half-size blob, the rest 8 MiB each), then times
 * checking every blob against its name two ways over the same files, page cache warm for both:
 *   ours:    verify-step.ts in a child process (its peak RSS measured on its own);
 *   openssl: find … -print0 | xargs -0 -P <cores> -n 8 openssl dgst -sha256.
 * Goals: ours ≥ 0.85 × openssl throughput, ours peak RSS < 150 MB. Exit 1 when one fails.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ChildReport, ChildRequest } from './verify-child.js';
import { collect, mb, median, rate } from './common.js';

export const summary = 'hash a ≥ 1 GiB OCI layout: our hash pool vs openssl dgst in parallel';

const MiB = 1024 * 1024;
const GOAL_RATIO = 0.85;
const GOAL_RSS_BYTES = 150e6;
const SMALL_BLOB = 8 * MiB;
const CHUNK = 4 * MiB;

interface Settings {
  sizeGiB: number;
  rounds: number;
  workers: number | undefined;
  readKiB: number | undefined;
  dir: string | undefined;
  keep: boolean;
}

function parse(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      'size-gib': { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      workers: { type: 'string' },
      'read-kib': { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const num = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${name} ${JSON.stringify(v)}: expected a number ≥ ${min}`);
    return n;
  };
  return {
    sizeGiB: num('size-gib', values['size-gib'], 0.01)!,
    rounds: Math.round(num('rounds', values.rounds, 1)!),
    workers: num('workers', values.workers, 1),
    readKiB: num('read-kib', values['read-kib'], 4),
    dir: values.dir,
    keep: values.keep,
  };
}

/** Writes `size` random bytes under a temp name, hashing while writing, then renames to its digest (returned). */
export function writeRandomBlob(dir: string, size: number, buffer: Buffer): string {
  const temp = path.join(dir, `.bench-${process.pid}.tmp`);
  const fd = openSync(temp, 'wx');
  const hash = createHash('sha256');
  try {
    for (let left = size; left > 0;) {
      const n = Math.min(left, buffer.length);
      const chunk = buffer.subarray(0, n);
      randomFillSync(chunk);
      hash.update(chunk);
      for (let off = 0; off < n;) off += writeSync(fd, chunk, off, n - off);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  const hex = hash.digest('hex');
  renameSync(temp, path.join(dir, hex));
  return hex;
}

async function generateLayout(root: string, sizeGiB: number): Promise<void> {
  const total = Math.round(sizeGiB * 1024) * MiB;
  const big = Math.max(MiB, Math.round(total / 2 / MiB) * MiB);
  const smallCount = Math.max(1, Math.round((total - big) / SMALL_BLOB));
  const blobs = path.join(root, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  await writeFile(path.join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(path.join(root, 'index.json'), '{"schemaVersion":2,"manifests":[]}\n');
  const start = performance.now();
  const buffer = Buffer.allocUnsafe(CHUNK);
  writeRandomBlob(blobs, big, buffer);
  for (let i = 0; i < smallCount; i++) writeRandomBlob(blobs, SMALL_BLOB, buffer);
  const bytes = big + smallCount * SMALL_BLOB;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `generated ${1 + smallCount} blobs, ${mb(bytes)} MB (1 × ${mb(big)} MB + ${smallCount} × ${mb(SMALL_BLOB)} MB) in ${seconds.toFixed(1)} s`,
  );
}

/** Reads every blob once so both contenders start from the same warm page cache. */
async function warmCache(root: string): Promise<number> {
  const dir = path.join(root, 'blobs', 'sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  let bytes = 0;
  for (const name of await readdir(dir)) {
    const fd = openSync(path.join(dir, name), 'r');
    try {
      for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) bytes += n;
    } finally {
      closeSync(fd);
    }
  }
  return bytes;
}

async function runOurs(settings: Settings, layoutDir: string): Promise<ChildReport> {
  const request: ChildRequest = {
    layoutDir,
    pool: {
      ...(settings.workers !== undefined ? { workers: settings.workers } : {}),
      ...(settings.readKiB !== undefined ? { readSize: Math.round(settings.readKiB * 1024) } : {}),
    },
  };
  const childFile = fileURLToPath(new URL('./verify-child.ts', import.meta.url));
  // execArgv carries tsx's loader flags, so the child runs TypeScript the way we do.
  const out = await collect(process.execPath, [...process.execArgv, childFile, JSON.stringify(request)]);
  if (out.code !== 0) throw new Error(`verify child exited ${out.code}: ${out.stderr.trim()}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as ChildReport;
}

/** openssl dgst -sha256 over every blob, `cores` at a time; its seconds, once it confirmed every name. */
export async function runOpenssl(layoutDir: string, cores: number, expected: Set<string>): Promise<number> {
  const script = 'find "$1" -type f -print0 | xargs -0 -P "$2" -n 8 openssl dgst -sha256';
  const out = await collect('sh', [
    '-c',
    script,
    'sh',
    path.join(layoutDir, 'blobs', 'sha256'),
    String(cores),
  ]);
  if (out.code !== 0) throw new Error(`openssl run exited ${out.code}: ${out.stderr.trim()}`);
  // OpenSSL 3 prints `SHA2-256(path)= hex`, 1.1 prints `SHA256(path)= hex`.
  const seen = new Set<string>();
  for (const line of out.stdout.split('\n')) {
    const m = /^SHA2?-?256\((.*)\)= ([0-9a-f]{64})$/.exec(line);
    if (m && path.basename(m[1]!) === m[2]) seen.add(m[2]!);
  }
  if (seen.size !== expected.size) {
    throw new Error(`openssl confirmed ${seen.size} of ${expected.size} blobs: ${out.stdout.slice(0, 500)}`);
  }
  return out.seconds;
}

export async function run(args: string[]): Promise<number> {
  const settings = parse(args);
  const cores = availableParallelism();
  const layoutDir = settings.dir ?? (await mkdtemp(path.join(tmpdir(), 'ocg-bench-verify-')));
  const owned = settings.dir === undefined;
  const cleanup = (): void => {
    if (owned && !settings.keep) rmSync(layoutDir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    if (owned) await generateLayout(layoutDir, settings.sizeGiB);
    const names = new Set(await readdir(path.join(layoutDir, 'blobs', 'sha256')));
    const bytes = await warmCache(layoutDir);
    if (bytes > totalmem() / 2) {
      console.log(`warning: ${mb(bytes)} MB of blobs is over half of RAM; the page cache may not hold them`);
    }
    console.log(
      `page cache warmed: read all ${mb(bytes)} MB once before timing (dropping the cache is not portable), ` +
        `${cores} cores, ${settings.rounds} round(s), who goes first alternates`,
    );

    const ours: ChildReport[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      // Alternate who goes first so neither always runs on a cache the other just touched.
      const order = r % 2 === 0 ? ['ours', 'openssl'] : ['openssl', 'ours'];
      for (const who of order) {
        if (who === 'ours') {
          const report = await runOurs(settings, layoutDir);
          if (report.problems.length > 0 || report.files !== names.size) {
            throw new Error(
              `our step reported ${report.files} files, problems: ${report.problems.join('; ')}`,
            );
          }
          ours.push(report);
        } else {
          theirs.push(await runOpenssl(layoutDir, cores, names));
        }
      }
      const last = ours.at(-1)!;
      console.log(
        `round ${r + 1}: ours ${rate(last.bytes, last.seconds).toFixed(0)} MB/s (${last.seconds.toFixed(2)} s), ` +
          `openssl ${rate(bytes, theirs.at(-1)!).toFixed(0)} MB/s (${theirs.at(-1)!.toFixed(2)} s)`,
      );
    }

    const oursRate = median(ours.map((o) => rate(o.bytes, o.seconds)));
    const theirRate = median(theirs.map((s) => rate(bytes, s)));
    const ratio = oursRate / theirRate;
    const peak = Math.max(...ours.map((o) => o.maxRssBytes));
    const baseline = median(ours.map((o) => o.baselineRssBytes));
    const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
    const workers = settings.workers ?? cores;
    const readKiB = settings.readKiB ?? 1024;
    console.log(`\nverify bench: ${names.size} blobs, ${mb(bytes)} MB, medians of ${settings.rounds}`);
    console.log(
      `  ours     ${oursRate.toFixed(0).padStart(6)} MB/s  validate --mode full, ${workers} workers, ${readKiB} KiB reads`,
    );
    console.log(
      `  openssl  ${theirRate.toFixed(0).padStart(6)} MB/s  xargs -P ${cores} -n 8 openssl dgst -sha256`,
    );
    console.log(
      `  ratio ours/openssl ${ratio.toFixed(2)}   goal ≥ ${GOAL_RATIO}   ${pass(ratio >= GOAL_RATIO)}`,
    );
    console.log(
      `  ours peak RSS ${mb(peak)} MB (node + tsx before the step: ${mb(baseline)} MB)   goal < ${mb(GOAL_RSS_BYTES)} MB   ${pass(peak < GOAL_RSS_BYTES)}`,
    );
    console.log('  throughput is over a warm page cache: it measures hashing and copying, not the disk');
    return ratio >= GOAL_RATIO && peak < GOAL_RSS_BYTES ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    cleanup();
    if (owned && settings.keep) console.log(`kept ${layoutDir}`);
  }
}
