/**
 * `npm run bench -- pull [--small] [--rounds N] [--concurrency N] [--keep] [--only a,b,c]
 *  [--split always,when-it-pays] [--log] [--tls]`; with `--wan`, the bench of pull-wan.ts instead (a registry as far
 * away as a runner's). `--split` runs ours once per mode in every round, against the same skopeo.
 *
 * Against one local docker-registry (the test harness's, on 127.0.0.1), in one run:
 *   (a) an image with a single 1 GiB layer,
 *   (b) an image of 20 layers, ~500 MB in all,
 * each pulled by us (pullImages in a child process, which reports its own peak RSS) and by
 * `skopeo copy docker://… oci:DIR:tag`, into a fresh directory per round, who goes first
 * alternating; then
 *   (c) a resume after a cut at 50% through the harness's fault proxy, on one connection (one
 *       stream; a kill amid ranges is --wan's (d)): the first run's blob body is cut half way (no
 *       retries, so the run fails and leaves its partial), the next run resumes it; bytes the
 *       proxy sent for that blob in all, divided by its size. The same cut with retries on (the
 *       retry layer resumes inside the one run) is reported too.
 * Goals: (a) ≥ 1.0× skopeo, peak RSS < 150 MB, resume ≤ 1.05× the blob. (b) is reported
 * without a goal: on 2 shared cores it is CPU-bound, and parity is the limit.
 * `--small` shrinks everything (64 MiB, 20 × 2 MiB) for a quick check. `--tls`: the registry
 * serves HTTPS (a Harbor or a mirror next door does), both sides pay for TLS; (c) is skipped.
 * Exit 1 when a goal fails.
 *
 * The layers are random bytes wrapped in gzip "stored" blocks (level 0): valid gzip, so skopeo's
 * push does not try to compress them, and as cheap to make as the random bytes themselves. The
 * layout is written here (blobs, config, manifests), not with umoci, and pushed with skopeo.
 *
 * This file is also the child, compiled to JavaScript first (see compileChild) and run on plain
 * node: `node <work>/build/bench/pull.js --child '<json>'`. The goals are judged on the time
 * around the pullImages call; the ratio including node's start-up is printed beside it.
 */
import { createRequire } from 'node:module';
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import type { Registry } from '../__tests__/harness/index.js';
import type { RegistryClient } from '../src/registry/client.js';
import { collect, mb, median, rate } from './common.js';

/** The test harness (registry, fault proxy, temp dirs): loaded by the parent only, not the child. */
const harness = () => import('../__tests__/harness/index.js');

export const summary =
  'pull from a local registry (1 GiB layer, 20 layers): ours vs skopeo copy, RSS, resume; --wan: 12 images 30 ms away';

const MiB = 1024 * 1024;
const GOAL_SINGLE = 1.0;
const GOAL_RSS_BYTES = 150e6;
const GOAL_RESUME = 1.05;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const THIS_FILE = fileURLToPath(import.meta.url);
const REPO = path.dirname(path.dirname(THIS_FILE));

interface Settings {
  small: boolean;
  rounds: number;
  concurrency: number;
  keep: boolean;
  /** Which of (a) to (c) to run. */
  only: Set<string>;
  modes: (SplitMode | undefined)[];
  log: boolean;
  /** `--tls`: the registry serves HTTPS (offering HTTP/2), as a Harbor or a mirror next door does. */
  tls: boolean;
  /** Its certificate, for our child to trust. */
  ca?: string;
}

function parse(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      small: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '8' },
      keep: { type: 'boolean', default: false },
      only: { type: 'string', default: 'a,b,c' },
      split: { type: 'string' },
      log: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const only = new Set(values.only.split(','));
  // The resume bench cuts the body in a plain HTTP proxy.
  if (values.tls) only.delete('c');
  for (const part of only)
    if (!['a', 'b', 'c'].includes(part))
      throw new Error(`--only ${JSON.stringify(values.only)}: expected some of a,b,c`);
  const whole = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} ${JSON.stringify(v)}: expected a whole number ≥ ${min}`);
    return n;
  };
  return {
    small: values.small,
    rounds: whole('rounds', values.rounds, 1),
    concurrency: whole('concurrency', values.concurrency, 1),
    keep: values.keep,
    only,
    modes: splitModes(values.split),
    log: values.log,
    tls: values.tls,
  };
}

const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

export type SplitMode = 'always' | 'when-it-pays';

/** `--split always,when-it-pays`: each mode is run in every round, against the same peer. */
export function splitModes(v: string | undefined): (SplitMode | undefined)[] {
  if (v === undefined) return [undefined];
  return v.split(',').map((m) => {
    if (m !== 'always' && m !== 'when-it-pays')
      throw new Error(`--split ${JSON.stringify(v)}: expected always, when-it-pays or both, comma-separated`);
    return m;
  });
}

/** `ours` or `ours[always]`. */
export const oursLabel = (mode: SplitMode | undefined): string => (mode ? `ours[${mode}]` : 'ours');

// ---------------------------------------------------------------------------------------------
// Building the images

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

/** `size` random bytes as a gzip stream of stored blocks, written to blobs/ under its digest. */
export async function writeRandomLayer(layoutDir: string, size: number): Promise<Desc> {
  const blobs = path.join(layoutDir, 'blobs', 'sha256');
  const temp = path.join(blobs, `.bench-${process.pid}.tmp`);
  const hash = createHash('sha256');
  let written = 0;
  let left = size;
  const chunk = Buffer.allocUnsafe(4 * MiB);
  const random = Readable.from(
    (function* () {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        yield Buffer.from(randomFillSync(chunk.subarray(0, n)));
      }
    })(),
  );
  await pipeline(
    random,
    createGzip({ level: 0 }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const c of source) {
        hash.update(c);
        written += c.length;
        yield c;
      }
    },
    createWriteStream(temp),
  );
  const hex = hash.digest('hex');
  await rename(temp, path.join(blobs, hex));
  return { mediaType: OCI_LAYER_GZIP, digest: `sha256:${hex}`, size: written };
}

export async function writeJsonBlob(layoutDir: string, mediaType: string, doc: unknown): Promise<Desc> {
  const bytes = Buffer.from(JSON.stringify(doc));
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(path.join(layoutDir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

/** A linux/amd64 OCI manifest over `layers`, with a config naming them (diff_ids are stand-ins). */
async function writeImage(layoutDir: string, layers: Desc[]): Promise<Desc> {
  const config = await writeJsonBlob(layoutDir, OCI_CONFIG, {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  });
  return writeJsonBlob(layoutDir, OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config,
    layers,
  });
}

interface BenchImage {
  label: string;
  tag: string;
  /** Bytes of every blob (layers, config, manifest). */
  bytes: number;
  layers: Desc[];
  ref: string;
}

async function buildAndPush(
  registry: Registry,
  layoutDir: string,
  settings: Settings,
): Promise<BenchImage[]> {
  await mkdir(path.join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(layoutDir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const singleSize = settings.small ? 64 * MiB : 1024 * MiB;
  const layerSize = settings.small ? 2 * MiB : 25 * MiB;
  const started = performance.now();
  const big = await writeRandomLayer(layoutDir, singleSize);
  const many: Desc[] = [];
  for (let i = 0; i < 20; i++) many.push(await writeRandomLayer(layoutDir, layerSize));
  const images: BenchImage[] = [];
  const entries: unknown[] = [];
  const plan: [string, string, Desc[]][] = [
    ['single', '(a) one layer', [big]],
    ['layers', '(b) 20 layers', many],
  ];
  for (const [tag, label, layers] of plan) {
    const manifest = await writeImage(layoutDir, layers);
    entries.push({ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } });
    const bytes = layers.reduce((n, l) => n + l.size, 0) + manifest.size;
    images.push({ label, tag, bytes, layers, ref: `${registry.host}/bench/${tag}:1` });
  }
  await writeFile(
    path.join(layoutDir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }),
  );
  const made = (performance.now() - started) / 1000;
  for (const image of images) {
    const out = await collect('skopeo', [
      'copy', '--quiet', '--dest-tls-verify=false', `oci:${layoutDir}:${image.tag}`, `docker://${image.ref}`,
    ]); // prettier-ignore
    if (out.code !== 0) throw new Error(`skopeo push of ${image.tag} failed: ${out.stderr.trim()}`);
  }
  const total = images.reduce((n, i) => n + i.bytes, 0);
  console.log(
    `built ${mb(total)} MB of layers in ${made.toFixed(1)} s, pushed to ${registry.host} in ${((performance.now() - started) / 1000 - made).toFixed(1)} s`,
  );
  return images;
}

// ---------------------------------------------------------------------------------------------
// Running the contenders

export interface ChildRequest {
  cache: string;
  refs: string[];
  concurrency: number;
  /** Retry attempts in all; 1 disables retries (the resume bench's first run). */
  maxAttempts?: number;
  /** `linux/amd64`-style platforms, or every platform (the default). */
  platforms?: string[] | 'all';
  /** Overrides of the ranged-download settings (tuning, `--split`). */
  ranged?: {
    thresholdBytes?: number;
    minRangeBytes?: number;
    maxRangeBytes?: number;
    split?: SplitMode;
  };
  /** Verbose lines on stderr, stamped with ms since the pull began (`--log`). */
  log?: boolean;
  /**
   * Times one blob of `refs[0]`'s repository alone, as curl fetches it: the image is resolved
   * first (the registry's ping and the manifest, untimed), then the blob is downloaded.
   */
  blob?: { digest: string; size: number };
  /** Record every registry request's start and end (ms since the pull began): the report's `timeline`. */
  timeline?: boolean;
  /** A registry's own certificate (PEM) to trust: the bench's HTTPS registry (`--tls`). */
  ca?: string;
  /** False: HTTP/1.1 only, though the registry offers HTTP/2 (`--http2 on,off`). */
  http2?: boolean;
}

/** One registry request as the child saw it: asked at `start`, its body ended at `end` (ms). */
export interface TimelineEvent {
  kind: 'resolve' | 'manifest' | 'blob' | 'range';
  what: string;
  bytes: number;
  start: number;
  end: number;
}

export interface ChildReport {
  /** The pullImages call alone (node and tsx start-up not included). */
  seconds: number;
  /** process.resourceUsage().maxRSS, bytes: the whole child's peak. */
  maxRssBytes: number;
  /** VmHWM from /proc/self/status, bytes (0 where there is no /proc). */
  vmHwmBytes: number;
  /** RSS before the pull: node and our modules loaded. */
  baselineRssBytes: number;
  /** CPU time (user + system) the pullImages call took, seconds. */
  cpuSeconds: number;
  results: { name: string; status: string; bytes: number; ms: number; connections: number; error?: string }[];
  timeline?: TimelineEvent[];
}

/**
 * Compiles this file and what it imports (src/, the harness) to JavaScript under `work`, so the
 * measured child runs on plain node as the bundled CLI does: under tsx, Node 20 runs the module
 * hooks in a worker thread of their own, ~50 MB of RSS that is not ours. No type check here
 * (`npx tsc --noEmit` does that); node_modules is linked from the repository.
 */
export async function compileChild(work: string): Promise<string> {
  const out = path.join(work, 'build');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = performance.now();
  const res = await collect(process.execPath, [
    tsc, THIS_FILE, '--outDir', out, '--rootDir', REPO, '--noCheck', '--skipLibCheck',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node',
  ]); // prettier-ignore
  if (res.code !== 0) throw new Error(`tsc of the bench child failed: ${(res.stdout + res.stderr).trim()}`);
  await writeFile(path.join(out, 'package.json'), '{"type":"module"}\n');
  await symlink(path.join(REPO, 'node_modules'), path.join(out, 'node_modules'), 'dir');
  console.log(`compiled the pull child with tsc in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path.join(out, path.relative(REPO, THIS_FILE).replace(/\.ts$/, '.js'));
}

let childScript = '';

/** The compiled child's path (set by compileChild's caller). */
export function useChild(script: string): void {
  childScript = script;
}

/** The command line that runs the child for `request` (to spawn it yourself, e.g. to kill it). */
export function childCommand(request: ChildRequest): [string, string[]] {
  return [process.execPath, [childScript, '--child', JSON.stringify(request)]];
}

export async function runOurs(request: ChildRequest): Promise<ChildReport & { wallSeconds: number }> {
  const out = await collect(...childCommand(request));
  if (out.code !== 0) throw new Error(`pull child exited ${out.code}: ${out.stderr.trim()}`);
  if (request.log) process.stdout.write(out.stderr);
  const report = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as ChildReport;
  return { ...report, wallSeconds: out.seconds };
}

async function runSkopeo(ref: string, dest: string, tag: string): Promise<number> {
  const out = await collect('skopeo', [
    'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${dest}:${tag}`,
  ]); // prettier-ignore
  if (out.code !== 0) throw new Error(`skopeo copy ${ref} failed: ${out.stderr.trim()}`);
  return out.seconds;
}

interface Comparison {
  image: BenchImage;
  mode: SplitMode | undefined;
  ours: number;
  skopeo: number;
  ratio: number;
  /** The same with our child's whole wall time (node start-up and module loading included). */
  wallRatio: number;
  peakRss: number;
  baselineRss: number;
}

/** Ours (once per `--split` mode) and skopeo, each round in turn, who goes first alternating. */
async function compare(image: BenchImage, work: string, settings: Settings): Promise<Comparison[]> {
  const ours = settings.modes.map(() => [] as number[]);
  const walls = settings.modes.map(() => [] as number[]);
  const skopeo: number[] = [];
  let peakRss = 0;
  let baselineRss = 0;
  const contenders = [...settings.modes.keys(), 'skopeo' as const];
  for (let r = 0; r < settings.rounds; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const who of order) {
      const dest = path.join(work, `${who}-${image.tag}-${r}`);
      if (who !== 'skopeo') {
        const mode = settings.modes[who];
        const report = await runOurs({
          cache: dest,
          refs: [image.ref],
          concurrency: settings.concurrency,
          ...(mode ? { ranged: { split: mode } } : {}),
          ...(settings.log ? { log: true } : {}),
          ...(settings.ca ? { ca: settings.ca } : {}),
        });
        const failed = report.results.find((x) => x.status !== 'pulled');
        if (failed) throw new Error(`our pull of ${image.ref}: ${failed.status} ${failed.error ?? ''}`);
        ours[who]!.push(report.seconds);
        walls[who]!.push(report.wallSeconds);
        peakRss = Math.max(peakRss, report.maxRssBytes, report.vmHwmBytes);
        baselineRss = report.baselineRssBytes;
      } else {
        skopeo.push(await runSkopeo(image.ref, dest, image.tag));
      }
      await rm(dest, { recursive: true, force: true });
    }
    const mine = settings.modes.map((mode, i) => {
      const t = ours[i]!.at(-1)!;
      return `${oursLabel(mode)} ${rate(image.bytes, t).toFixed(0)} MB/s (${t.toFixed(2)} s; child wall ${walls[i]!.at(-1)!.toFixed(2)} s)`;
    });
    console.log(
      `  ${image.label} round ${r + 1}: ${mine.join(', ')}, ` +
        `skopeo ${rate(image.bytes, skopeo.at(-1)!).toFixed(0)} MB/s (${skopeo.at(-1)!.toFixed(2)} s)`,
    );
  }
  const s = median(skopeo);
  return settings.modes.map((mode, i) => {
    const o = median(ours[i]!);
    return {
      image,
      mode,
      ours: o,
      skopeo: s,
      ratio: s / o,
      wallRatio: s / median(walls[i]!),
      peakRss,
      baselineRss,
    };
  });
}

interface ResumeResult {
  fetched: number;
  size: number;
  ratio: number;
  detail: string;
}

/** Cut the blob's first body at 50%; `nextRun`: retries off, a second run resumes; else in-run retry. */
async function resumeAfterCut(
  registry: Registry,
  image: BenchImage,
  work: string,
  settings: Settings,
  nextRun: boolean,
): Promise<ResumeResult> {
  const layer = image.layers[0]!;
  const cutAt = Math.floor(layer.size / 2);
  const proxy = await (await harness()).startFaultProxy(registry.url);
  const isBlobGet = (method: string, url: string) =>
    method === 'GET' && url.includes(`/blobs/${layer.digest}`);
  let gets = 0;
  proxy.rule = (req) =>
    isBlobGet(req.method, req.url) && ++gets === 1 ? { cutAfterBytes: cutAt } : undefined;
  const cache = path.join(work, `resume-${nextRun ? 'next' : 'in'}`);
  const ref = image.ref.replace(registry.host, proxy.host);
  try {
    // One connection: the blob comes as one stream, which the cut breaks (ranges are --wan's (d)).
    const request = { cache, refs: [ref], concurrency: 1 };
    const runs = [await runOurs(nextRun ? { ...request, maxAttempts: 1 } : request)];
    if (nextRun) {
      if (runs[0]!.results[0]!.status !== 'failed')
        throw new Error('resume bench: the cut run did not fail; it should, with retries off');
      runs.push(await runOurs(request));
    }
    const last = runs.at(-1)!.results[0]!;
    if (last.status !== 'pulled')
      throw new Error(`resume bench: final run ${last.status}: ${last.error ?? ''}`);
    const blobGets = proxy.requests.filter((r) => isBlobGet(r.method, r.url));
    const fetched = blobGets.reduce((n, r) => n + r.bytesSent, 0);
    const detail = blobGets
      .map((r) => `${r.status}${r.range ? ` ${r.range}` : ''}: ${mb(r.bytesSent)} MB`)
      .join(', ');
    return { fetched, size: layer.size, ratio: fetched / layer.size, detail };
  } finally {
    await proxy.stop();
    await rm(cache, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--wan')) return (await import('./pull-wan.js')).run(args.filter((a) => a !== '--wan'));
  const settings = parse(args);
  const { makeTempDir, removeTempDir, startRegistry } = await harness();
  const work = await makeTempDir('bench-pull');
  const registry = await startRegistry({ tls: settings.tls });
  if (registry.certificate) settings.ca = registry.certificate;
  try {
    useChild(await compileChild(work));
    const images = await buildAndPush(registry, path.join(work, 'source'), settings);
    console.log(
      `registry ${registry.host}${settings.tls ? ' over HTTPS (no resume bench: it cuts bodies in a plain HTTP proxy)' : ''}, ${settings.rounds} round(s) per image, who goes first alternates; ` +
        `ours: --concurrency ${settings.concurrency}, timed around pullImages in a child on plain node (start-up excluded; the child's wall time is shown too)`,
    );
    const results: Comparison[] = [];
    for (const [i, image] of images.entries())
      if (settings.only.has('ab'[i]!)) results.push(...(await compare(image, work, settings)));
    const resumes = settings.only.has('c')
      ? [
          await resumeAfterCut(registry, images[0]!, work, settings, false),
          await resumeAfterCut(registry, images[0]!, work, settings, true),
        ]
      : [];

    const peak = Math.max(0, ...results.map((c) => c.peakRss));
    const goals = [peak < GOAL_RSS_BYTES];
    console.log(`\npull bench${settings.small ? ' (--small)' : ''}: medians of ${settings.rounds}`);
    for (const c of results) {
      const goal = c.image === images[0] ? GOAL_SINGLE : undefined;
      if (goal !== undefined) goals.push(c.ratio >= goal);
      const judged = goal === undefined ? 'no goal' : `goal ≥ ${goal.toFixed(1)}  ${pass(c.ratio >= goal)}`;
      console.log(
        `  ${c.image.label.padEnd(14)} ${mb(c.image.bytes).padStart(7)} MB  ${oursLabel(c.mode)} ${rate(c.image.bytes, c.ours).toFixed(0).padStart(5)} MB/s  ` +
          `skopeo ${rate(c.image.bytes, c.skopeo).toFixed(0).padStart(5)} MB/s  ratio ${c.ratio.toFixed(2)}  ${judged}  (with node start-up: ${c.wallRatio.toFixed(2)})`,
      );
    }
    if (results.length > 0)
      console.log(
        `  peak RSS ${mb(peak)} MB (child before the pull: ${mb(results[0]!.baselineRss)} MB)  goal < ${mb(GOAL_RSS_BYTES)} MB  ${pass(peak < GOAL_RSS_BYTES)}`,
      );
    const [inRun, nextRun] = resumes;
    if (inRun && nextRun) {
      goals.push(nextRun.ratio <= GOAL_RESUME, inRun.ratio <= GOAL_RESUME);
      console.log(
        `  (c) resume, next run: ${mb(nextRun.fetched)} MB fetched for a ${mb(nextRun.size)} MB blob = ${nextRun.ratio.toFixed(3)}×  goal ≤ ${GOAL_RESUME}  ${pass(nextRun.ratio <= GOAL_RESUME)}  [${nextRun.detail}]`,
      );
      console.log(
        `  (c) resume, same run (retry layer): ${inRun.ratio.toFixed(3)}×  goal ≤ ${GOAL_RESUME}  ${pass(inRun.ratio <= GOAL_RESUME)}  [${inRun.detail}]`,
      );
    }
    return goals.every(Boolean) ? 0 : 1;
  } finally {
    await registry.stop();
    if (settings.keep) console.log(`kept ${work}`);
    else await removeTempDir(work);
  }
}

// ---------------------------------------------------------------------------------------------
// The child: one pullImages call, timed, with its own peak RSS.

async function child(request: ChildRequest): Promise<void> {
  const { Layout } = await import('../src/layout/layout.js');
  const { parseReference } = await import('../src/oci/reference.js');
  const { pullImages } = await import('../src/pull/pull.js');
  const { createRegistryClient } = await import('../src/registry/index.js');
  const { parsePlatform } = await import('../src/oci/platform.js');
  const client = createRegistryClient({
    dockerConfigDir: false,
    env: {},
    connectionsPerHost: request.concurrency,
    ...(request.ca ? { ca: [request.ca] } : {}),
    ...(request.http2 === false ? { http2: false } : {}),
    ...(request.maxAttempts !== undefined ? { retry: { maxAttempts: request.maxAttempts } } : {}),
  });
  const timeline: TimelineEvent[] | undefined = request.timeline ? [] : undefined;
  if (timeline) recordRequests(client, timeline);
  const layout = Layout.at(request.cache);
  const refs = request.refs.map(parseReference);
  const only = request.blob;
  if (only) await Promise.all([client.resolve(refs[0]!), layout.init()]);
  const baselineRssBytes = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const stamp = () => (performance.now() - start).toFixed(0).padStart(5);
  const logger = request.log
    ? {
        debug: (m: string) => process.stderr.write(`${stamp()} ms ${m}\n`),
        info: (m: string) => process.stderr.write(`${stamp()} ms ${m}\n`),
        warn: (m: string) => process.stderr.write(`${stamp()} ms ${m}\n`),
      }
    : undefined;
  let results: ChildReport['results'];
  try {
    if (only) {
      const { ensureBigBlob, RANGED_DEFAULTS } = await import('../src/pull/ranged.js');
      const { ConnectionBudget } = await import('../src/pull/budget.js');
      const { parseDigest } = await import('../src/oci/digest.js');
      const descriptor = {
        mediaType: 'application/octet-stream',
        digest: parseDigest(only.digest),
        size: only.size,
      };
      const budget = new ConnectionBudget(request.concurrency);
      const host = refs[0]!.registry;
      const began = performance.now();
      const got = await ensureBigBlob(layout, client, refs[0]!, descriptor, {
        budget,
        host,
        ranged: { ...RANGED_DEFAULTS, ...request.ranged },
        valid: new Set(),
        ...(logger ? { logger } : {}),
      });
      const ms = performance.now() - began;
      results = [
        { name: only.digest, status: 'pulled', bytes: got.fetched, ms, connections: budget.peak(host) },
      ];
    } else {
      const platforms = request.platforms ?? 'all';
      const pulled = await pullImages(layout, client, refs, {
        platforms: platforms === 'all' ? 'all' : platforms.map(parsePlatform),
        concurrency: request.concurrency,
        ...(request.ranged ? { ranged: request.ranged } : {}),
        ...(logger ? { logger } : {}),
      });
      results = pulled.map((r) => ({
        name: r.name,
        status: r.status,
        bytes: r.bytes,
        ms: r.ms,
        connections: r.connections,
        ...(r.error ? { error: r.error } : {}),
      }));
    }
  } finally {
    await client.close();
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  let vmHwmBytes = 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    vmHwmBytes = m ? Number(m[1]) * 1024 : 0;
  } catch {
    // no /proc
  }
  const report: ChildReport = {
    seconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    vmHwmBytes,
    baselineRssBytes,
    cpuSeconds: (used.user + used.system) / 1e6,
    results,
    ...(timeline
      ? {
          timeline: timeline.map((e) => ({
            ...e,
            start: Math.round(e.start - start),
            end: Math.round(e.end - start),
          })),
        }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/**
 * Wraps the client's request methods to note when each was asked and when its body ended
 * (a blob's body: when its stream closed), in performance.now() ms.
 */
function recordRequests(client: RegistryClient, events: TimelineEvent[]): void {
  const now = () => performance.now();
  const short = (d: string) => d.slice(7, 19);
  const note = (kind: TimelineEvent['kind'], what: string, bytes: number, start: number) =>
    events.push({ kind, what, bytes, start, end: now() });
  const onClose = (body: Readable, done: () => void) => body.once('close', done);
  const { resolve, manifest, blob, blobRange } = client;
  client.resolve = async (ref, opts) => {
    const start = now();
    const r = await resolve.call(client, ref, opts);
    note('resolve', ref.repository, r.bytes.length, start);
    return r;
  };
  client.manifest = async (repo, d, opts) => {
    const start = now();
    const r = await manifest.call(client, repo, d, opts);
    note('manifest', `${repo.repository} ${short(d.digest)}`, d.size, start);
    return r;
  };
  client.blob = async (repo, d, opts) => {
    const start = now();
    const r = await blob.call(client, repo, d, opts);
    onClose(r.body, () => note('blob', `${repo.repository} ${short(d.digest)}`, r.length, start));
    return r;
  };
  client.blobRange = async (repo, d, req) => {
    const start = now();
    const r = await blobRange.call(client, repo, d, req);
    if (r.kind !== 'mismatch')
      onClose(r.body, () =>
        note(
          'range',
          `${repo.repository} ${short(d.digest)} ${req.start}-${req.end}`,
          req.end - req.start,
          start,
        ),
      );
    return r;
  };
}

// Compiled, this file is the child (see compileChild).
if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE && process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3] ?? '') as ChildRequest);
}
