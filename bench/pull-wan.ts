/**
 * `npm run bench -- pull --wan [--rounds N] [--concurrency N] [--keep] [--only a,b,c,d]
 *  [--split always,when-it-pays] [--log] [--timeline] [--tls] [--http2 on,off] [--delay-ms N]` (`--rounds 0`: (d)
 * only). `--split` and `--http2` run ours once per setting in every round, against the same peers; `--log` prints our verbose lines,
 * stamped; `--timeline`: (a)'s requests of the first round, when each was asked and ended; `--tls`:
 * the registry serves HTTPS with a certificate of its own, and offers HTTP/2 as registries on the
 * internet do (every contender trusts it or skips the check, and pays the handshakes).
 *
 * A registry as far away as a runner's: docker-registry behind the harness's distance relay
 * (15 ms each way, 25 MB/s per connection, a round trip per new connection: the fault proxy's
 * model at the TCP level, a third of the fault proxy's CPU, so the relay is not what is
 * measured), and a linuxkit-shaped set of 12 images, each an OCI index for linux/amd64 and
 * linux/arm64 with one SBOM attestation manifest per platform (amd64 layers, MB: kernel 60 + 1,
 * containerd 26 + 2, runc 9, sshd 5 + 0.5, init 3 + 1 + 0.2, format 3, getty 2, dhcpcd 1.2,
 * sysctl 1, openntpd 0.9, rngd 0.8, ca-certificates 0.3; arm64 the same sizes, other bytes).
 * In one run, medians over the rounds, each contender into a fresh directory:
 *   (a) ours, linux/amd64, the 12 images in one pull  vs  12 `skopeo copy` started at once (and,
 *                                                         for scale, the setup's ceiling: curl
 *                                                         fetching the same requests, known from
 *                                                         the start; see ceilingConfig);
 *   (b) ours, every platform                          vs  the 12 copied one after another with
 *                                                         `skopeo copy --all`;
 *   (c) one 60 MB blob in ranges                      vs  curl fetching it on one connection (and,
 *                                                         for scale, as many curl processes as our
 *                                                         connections fetching a range each);
 *       the image is resolved first, untimed (curl needs no ping or manifest); the pull of that
 *       one-layer image, round trips and all, is shown beside it;
 * then our peak RSS over every run, and (d) a resume: our pull of (c)'s image SIGKILLed once the
 * relay has sent half the layer, then run again; bytes sent for the layer in all, over its size.
 * Goals: (a) ≥ 2× and ≤ 1.3× the model's limit (see modelLimit), (b) ≥ 6×, (c) ≥ 4×, RSS < 150 MB, (d) ≤ 1.05×. Exit 1 when one fails.
 *
 * Ours is timed around pullImages (in (c), ensureBigBlob) in a child on plain node (as in the
 * loopback bench); skopeo and curl as whole processes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Distance, DistanceRelay, Registry } from '../__tests__/harness/index.js';
import { collect, mb, median, rate } from './common.js';
import {
  childCommand,
  compileChild,
  oursLabel,
  runOurs,
  splitModes,
  useChild,
  writeJsonBlob,
  writeRandomLayer,
  type ChildReport,
  type ChildRequest,
  type SplitMode,
  type TimelineEvent,
} from './pull.js';

const harness = () => import('../__tests__/harness/index.js');

const MB = 1e6;
/** The distance the goals are set for; `--delay-ms` changes the delay each way. */
const DISTANCE = { requestDelayMs: 15, responseDelayMs: 15, bytesPerSecond: 25 * MB };
const GOAL_PARALLEL = 2;
/** (a) at most this many times the distance model's limit (modelLimit). */
const GOAL_MODEL = 1.3;
const GOAL_SEQUENTIAL = 6;
const GOAL_BLOB = 4;
const GOAL_RSS_BYTES = 150e6;
const GOAL_RESUME = 1.05;

/** Layer sizes in MB per image (the same for each platform). */
const IMAGES: [string, number[]][] = [
  ['kernel', [60, 1]],
  ['containerd', [26, 2]],
  ['runc', [9]],
  ['sshd', [5, 0.5]],
  ['init', [3, 1, 0.2]],
  ['format', [3]],
  ['getty', [2]],
  ['dhcpcd', [1.2]],
  ['sysctl', [1]],
  ['openntpd', [0.9]],
  ['rngd', [0.8]],
  ['ca-certificates', [0.3]],
];
const ARCHES = ['amd64', 'arm64'];
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';

interface Settings {
  rounds: number;
  concurrency: number;
  keep: boolean;
  /** Which of (a) to (d) to run. */
  only: Set<string>;
  /** Each `--split` mode for each `--http2` setting: ours runs once per variant in every round. */
  variants: Variant[];
  log: boolean;
  timeline: boolean;
  tls: boolean;
  /** Delay each way, ms (`--delay-ms`; the goals are set for 15). */
  delayMs: number;
}

function parse(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '8' },
      keep: { type: 'boolean', default: false },
      only: { type: 'string', default: 'a,b,c,d' },
      split: { type: 'string' },
      log: { type: 'boolean', default: false },
      timeline: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      http2: { type: 'string' },
      'delay-ms': { type: 'string', default: String(DISTANCE.requestDelayMs) },
    },
    strict: true,
  });
  const only = new Set(values.only.split(','));
  for (const part of only)
    if (!['a', 'b', 'c', 'd'].includes(part))
      throw new Error(`--only ${JSON.stringify(values.only)}: expected some of a,b,c,d`);
  const whole = (name: string, v: string, least: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < least)
      throw new Error(`--${name} ${JSON.stringify(v)}: expected a whole number ≥ ${least}`);
    return n;
  };
  return {
    rounds: whole('rounds', values.rounds, 0),
    concurrency: whole('concurrency', values.concurrency, 1),
    keep: values.keep,
    only,
    variants: splitModes(values.split).flatMap((split) =>
      http2Settings(values.http2).map((http2) => ({ split, http2 })),
    ),
    log: values.log,
    timeline: values.timeline,
    tls: values.tls,
    delayMs: whole('delay-ms', values['delay-ms'], 0),
  };
}

/**
 * (a)'s ceiling in this setup: a client that knows every request of the pull from the start (no
 * manifest to read before its blobs) and fetches them all with curl, `connections` at once over
 * HTTP/1.1, biggest first, blobs above 16 MiB in `connections` ranges, to /dev/null (no disk, no
 * hash). A curl config file (`curl -K`): what a pull of the same requests can reach here.
 */
function ceilingConfig(set: WanSet, base: string, connections: number, caFile: string | undefined): string {
  const jobs: { path: string; mediaType: string; size: number; range?: string }[] = [];
  for (const r of set.amd64Requests) {
    if (r.size <= 16 * 1024 * 1024) {
      jobs.push(r);
      continue;
    }
    const part = Math.ceil(r.size / connections);
    for (let from = 0; from < r.size; from += part)
      jobs.push({
        ...r,
        size: Math.min(part, r.size - from),
        range: `${from}-${Math.min(r.size, from + part) - 1}`,
      });
  }
  jobs.sort((a, b) => b.size - a.size);
  // Every transfer's options stand alone (`next`): a range or a header would otherwise apply to all.
  return jobs
    .map((j) =>
      [
        `url = "${base}${j.path}"`,
        'output = "/dev/null"',
        'fail',
        'http1.1',
        ...(caFile ? [`cacert = "${caFile}"`] : []),
        ...(j.path.includes('/manifests/') ? [`header = "Accept: ${j.mediaType}"`] : []),
        ...(j.range ? [`range = "${j.range}"`] : []),
      ].join('\n'),
    )
    .join('\nnext\n')
    .concat('\n');
}

interface Variant {
  split: SplitMode | undefined;
  /** False: HTTP/1.1 only (the client's `http2: false`); undefined: the default. */
  http2: boolean | undefined;
}

/** `--http2 on,off`: ours with and without HTTP/2 in every round (it takes `--tls` to matter). */
function http2Settings(v: string | undefined): (boolean | undefined)[] {
  if (v === undefined) return [undefined];
  return v.split(',').map((s) => {
    if (s !== 'on' && s !== 'off')
      throw new Error(`--http2 ${JSON.stringify(v)}: expected on, off or both, comma-separated`);
    return s === 'on';
  });
}

/** `ours`, `ours[always]`, `ours[http/1.1]`. */
function label(v: Variant): string {
  const base = oursLabel(v.split);
  if (v.http2 === undefined) return base;
  const proto = v.http2 ? 'h2' : 'http/1.1';
  return base.endsWith(']') ? `${base.slice(0, -1)}, ${proto}]` : `${base}[${proto}]`;
}

/**
 * The distance model's limit for a pull of `bytes`: every connection busy at the per-connection
 * rate from the first byte to the last, plus three round trips before the first byte (the
 * registry's ping, the index, the manifests).
 */
function modelLimit(bytes: number, connections: number, distance: Distance): number {
  const rtt = (distance.requestDelayMs + distance.responseDelayMs) / 1000;
  return bytes / (connections * distance.bytesPerSecond) + 3 * rtt;
}

/**
 * Prints (a)'s requests: for each kind, how many, the first asked and the last ended; then, per
 * 50 ms, the requests in flight (M a manifest, R a range of a big blob, b a blob whole).
 */
function printTimeline(events: TimelineEvent[]): void {
  const kinds: [string, (e: TimelineEvent) => boolean, string][] = [
    ['manifests', (e) => e.kind === 'resolve' || e.kind === 'manifest', 'M'],
    ['ranges', (e) => e.kind === 'range', 'R'],
    ['whole blobs', (e) => e.kind === 'blob', 'b'],
  ];
  console.log('  (a) timeline of round 1 (ms from the start of the pull):');
  for (const [label, is] of kinds) {
    const of = events.filter(is);
    if (of.length === 0) continue;
    const first = Math.min(...of.map((e) => e.start));
    const last = Math.max(...of.map((e) => e.end));
    console.log(
      `      ${label.padEnd(12)} ${String(of.length).padStart(3)}  asked from ${first} ms, last ended ${last} ms`,
    );
  }
  const end = Math.max(...events.map((e) => e.end));
  const step = 50;
  for (let t = 0; t < end; t += step) {
    const row = kinds
      .map(([, is, letter]) =>
        letter.repeat(events.filter((e) => is(e) && e.start < t + step && e.end > t).length),
      )
      .join('');
    console.log(`      ${String(t).padStart(5)} ${row}`);
  }
}

const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
const secs = (s: number): string => `${s.toFixed(2)} s`;

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

interface WanSet {
  /** `host/bench/<name>:1` for the 12 images, through the relay. */
  refs: string[];
  /** Bytes of linux/amd64 (manifests, configs, layers, attestations) and of every platform. */
  amd64Bytes: number;
  allBytes: number;
  /** The single-layer image and its layer. */
  blobRef: string;
  blob: Desc;
  /** Every request a linux/amd64 pull of the 12 makes, as paths below the registry (see ceilingConfig). */
  amd64Requests: { path: string; size: number; mediaType: string }[];
}

/** Writes the 12 indexes (and the single-layer image) into an OCI layout and pushes them with skopeo. */
async function buildAndPush(registry: Registry, relay: DistanceRelay, dir: string): Promise<WanSet> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const started = performance.now();
  const entries: unknown[] = [];
  let amd64Bytes = 0;
  let allBytes = 0;
  let kernelLayer: Desc | undefined;
  const amd64Requests: WanSet['amd64Requests'] = [];
  for (const [name, sizes] of IMAGES) {
    const children: unknown[] = [];
    const attestations: unknown[] = [];
    for (const arch of ARCHES) {
      const layers: Desc[] = [];
      for (const size of sizes) layers.push(await writeRandomLayer(dir, Math.round(size * MB)));
      if (name === 'kernel' && arch === 'amd64') kernelLayer = layers[0];
      const config = await writeJsonBlob(dir, OCI_CONFIG, {
        architecture: arch,
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      });
      const manifest = await writeJsonBlob(dir, OCI_MANIFEST, {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config,
        layers,
      });
      const sbom = await writeJsonBlob(dir, IN_TOTO, {
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType: 'https://spdx.dev/Document',
        subject: [
          {
            name: `pkg:docker/bench/${name}?platform=linux%2F${arch}`,
            digest: { sha256: manifest.digest.slice(7) },
          },
        ],
        predicate: { spdxVersion: 'SPDX-2.3', name: `sbom-${name}-${arch}`, packages: [] },
      });
      const attConfig = await writeJsonBlob(dir, OCI_CONFIG, {
        architecture: 'unknown',
        os: 'unknown',
        config: {},
        rootfs: { type: 'layers', diff_ids: [sbom.digest] },
      });
      const attManifest = await writeJsonBlob(dir, OCI_MANIFEST, {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: attConfig,
        layers: [{ ...sbom, annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' } }],
      });
      const bytes = [config, manifest, sbom, attConfig, attManifest, ...layers].reduce(
        (n, d) => n + d.size,
        0,
      );
      allBytes += bytes;
      if (arch === 'amd64') {
        amd64Bytes += bytes;
        const at = (kind: string, d: Desc) => ({
          path: `/v2/bench/${name}/${kind}/${d.digest}`,
          size: d.size,
          mediaType: d.mediaType,
        });
        amd64Requests.push(
          ...[manifest, attManifest].map((d) => at('manifests', d)),
          ...[config, sbom, attConfig, ...layers].map((d) => at('blobs', d)),
        );
      }
      children.push({ ...manifest, platform: { os: 'linux', architecture: arch } });
      attestations.push({
        ...attManifest,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: {
          'vnd.docker.reference.digest': manifest.digest,
          'vnd.docker.reference.type': 'attestation-manifest',
        },
      });
    }
    const index = await writeJsonBlob(dir, OCI_INDEX, {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [...children, ...attestations],
    });
    amd64Bytes += index.size;
    allBytes += index.size;
    amd64Requests.push({
      path: `/v2/bench/${name}/manifests/${index.digest}`,
      size: index.size,
      mediaType: OCI_INDEX,
    });
    entries.push({ ...index, annotations: { 'org.opencontainers.image.ref.name': name } });
  }
  const blob = kernelLayer!;
  const blobConfig = await writeJsonBlob(dir, OCI_CONFIG, {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [blob.digest] },
  });
  const blobManifest = await writeJsonBlob(dir, OCI_MANIFEST, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: blobConfig,
    layers: [blob],
  });
  entries.push({ ...blobManifest, annotations: { 'org.opencontainers.image.ref.name': 'blob' } });
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }),
  );
  const made = (performance.now() - started) / 1000;
  const pushes = [...IMAGES.map(([name]) => name), 'blob'].map(async (name) => {
    const out = await collect('skopeo', [
      'copy', '--quiet', '--all', '--preserve-digests', '--dest-tls-verify=false',
      `oci:${dir}:${name}`, `docker://${registry.host}/bench/${name}:1`,
    ]); // prettier-ignore
    if (out.code !== 0) throw new Error(`skopeo push of ${name} failed: ${out.stderr.trim()}`);
  });
  await Promise.all(pushes);
  console.log(
    `built 12 images (${mb(amd64Bytes)} MB linux/amd64, ${mb(allBytes)} MB every platform) in ${made.toFixed(1)} s, ` +
      `pushed to ${registry.host} in ${((performance.now() - started) / 1000 - made).toFixed(1)} s`,
  );
  return {
    refs: IMAGES.map(([name]) => `${relay.host}/bench/${name}:1`),
    amd64Bytes,
    allBytes,
    blobRef: `${relay.host}/bench/blob:1`,
    blob,
    amd64Requests,
  };
}

/** Our child, failing loudly when an image did not come. */
async function ours(request: ChildRequest): Promise<ChildReport> {
  const report = await runOurs(request);
  const failed = report.results.find((r) => r.status !== 'pulled');
  if (failed) throw new Error(`our pull of ${failed.name}: ${failed.status} ${failed.error ?? ''}`);
  return report;
}

async function skopeo(args: string[]): Promise<void> {
  const out = await collect('skopeo', ['copy', '--quiet', '--src-tls-verify=false', ...args]);
  if (out.code !== 0) throw new Error(`skopeo copy ${args.join(' ')} failed: ${out.stderr.trim()}`);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

interface Resume {
  /** Bytes the relay sent in both runs (the layer, and the few kB of pings and manifests), over the layer's size. */
  ratio: number;
  /** Sent before the kill; what the killed run's record kept; what the second run fetched. */
  sentBeforeKill: number;
  kept: number;
  secondRun: number;
  /** Where the sent bytes were when the kill was sent: not yet in the pull's hands. */
  atKill: { relayBuffers: number; socketQueues: number; sentAfter: number };
}

/**
 * Bytes queued in the kernel on the loopback connections to `port` (/proc/net/tcp): what the
 * server side wrote that is not acknowledged (tx_queue) and what the client side has received
 * but not read (rx_queue). 0 where /proc is not Linux's.
 */
function socketQueues(port: number): number {
  let text: string;
  try {
    // Synchronous: the relay, in this process, sends nothing meanwhile.
    text = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return 0;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const line of text.split('\n').slice(1)) {
    const [, local, remote, , queues] = line.trim().split(/\s+/);
    if (!local || !remote || !queues) continue;
    const [tx, rx] = queues.split(':').map((h) => parseInt(h, 16));
    if (local.endsWith(`:${hexPort}`)) n += tx ?? 0;
    else if (remote.endsWith(`:${hexPort}`)) n += rx ?? 0;
  }
  return n;
}

/** Runs our pull of the single-layer image, SIGKILLs it once the relay has sent half the layer, runs it again. */
async function resumeAfterKill(
  relay: DistanceRelay,
  set: WanSet,
  work: string,
  settings: Settings,
  ca: string | undefined,
): Promise<Resume> {
  const cache = path.join(work, 'resume');
  const sent = () => relay.bytesSent;
  const before = sent();
  const request: ChildRequest = {
    cache,
    refs: [set.blobRef],
    concurrency: settings.concurrency,
    ...(ca ? { ca } : {}),
  };
  const [cmd, args] = childCommand(request);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  while (sent() - before < set.blob.size / 2 && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 5));
  const queued = socketQueues(Number(relay.host.slice(relay.host.lastIndexOf(':') + 1)));
  const sentAtKill = sent() - before;
  const relayBuffers = relay.bytesUnflushed;
  child.kill('SIGKILL');
  if ((await exited) !== 'SIGKILL')
    throw new Error('resume bench: the pull ended before it could be killed half way');
  // Let what was still on its way reach the relay's count.
  await new Promise((r) => setTimeout(r, 200));
  const sentBeforeKill = sent() - before;
  const record = JSON.parse(
    await readFile(
      path.join(cache, 'blobs', 'sha256', `${set.blob.digest.slice(7)}.download.ranges`),
      'utf8',
    ),
  ) as { done: [number, number][] };
  const kept = record.done.reduce((n, [a, b]) => n + b - a, 0);
  await ours(request);
  await rm(cache, { recursive: true, force: true });
  const all = sent() - before;
  return {
    ratio: all / set.blob.size,
    sentBeforeKill,
    kept,
    secondRun: all - sentBeforeKill,
    atKill: { relayBuffers, socketQueues: queued, sentAfter: sentBeforeKill - sentAtKill },
  };
}

/** Prints (d); true when it meets its goal. */
function report(resume: Resume, set: WanSet): boolean {
  const missing = set.blob.size - resume.kept;
  const { relayBuffers, socketQueues, sentAfter } = resume.atKill;
  const lost = resume.sentBeforeKill - resume.kept;
  const unrecorded = lost - relayBuffers - socketQueues - sentAfter;
  console.log(
    `  (d) resume after a SIGKILL at 50%: ${resume.ratio.toFixed(3)}× the layer sent in all  goal ≤ ${GOAL_RESUME}  ${pass(resume.ratio <= GOAL_RESUME)}\n` +
      `      sent before the kill ${mb(resume.sentBeforeKill)} MB, of which the killed run's record kept ${mb(resume.kept)} MB; ` +
      `the next run was sent ${mb(resume.secondRun)} MB: the missing ${mb(missing)} MB and ` +
      `${((resume.secondRun - missing) / 1e3).toFixed(1)} kB of pings, manifests and headers\n` +
      `      not kept, ${mb(lost)} MB: at the kill ${mb(relayBuffers)} MB waited in the relay's write buffers and ` +
      `${mb(socketQueues)} MB in the kernel's socket queues between relay and pull; ${mb(sentAfter)} MB reached ` +
      `the pull's sockets after the SIGKILL, before the dying process closed them; ${mb(Math.max(0, unrecorded))} MB ` +
      `the pull had read but not yet recorded`,
  );
  return resume.ratio <= GOAL_RESUME;
}

export async function run(args: string[]): Promise<number> {
  const settings = parse(args);
  const { makeTempDir, removeTempDir, startRegistry, startDistanceRelay } = await harness();
  const work = await makeTempDir('bench-wan');
  const registry = await startRegistry({ tls: settings.tls });
  const distance = { ...DISTANCE, requestDelayMs: settings.delayMs, responseDelayMs: settings.delayMs };
  const relay = await startDistanceRelay(registry.host, distance);
  const scheme = settings.tls ? 'https' : 'http';
  const caFile = path.join(work, 'registry.pem');
  if (registry.certificate) await writeFile(caFile, registry.certificate);
  /** curl's arguments to trust the registry. */
  const curlTrust = registry.certificate ? ['--cacert', caFile] : [];
  try {
    useChild(await compileChild(work));
    const set = await buildAndPush(registry, relay, path.join(work, 'source'));
    const ceilingFile = path.join(work, 'ceiling.curl');
    await writeFile(
      ceilingFile,
      ceilingConfig(
        set,
        `${scheme}://${relay.host}`,
        settings.concurrency,
        registry.certificate ? caFile : undefined,
      ),
    );
    console.log(
      `through the distance model (${distance.requestDelayMs} ms each way, ${mb(distance.bytesPerSecond)} MB/s per connection) over ${settings.tls ? 'HTTPS (HTTP/2 offered)' : 'plain HTTP'}; ` +
        `${settings.rounds} round(s); ours: --concurrency ${settings.concurrency} (connections per registry host)`,
    );
    /** Seconds per round, by what ran: `a`, `a:always`, `skopeo12`, … */
    const times = new Map<string, number[]>();
    const add = (key: string, v: number) => times.set(key, [...(times.get(key) ?? []), v]);
    const runs = (p: string) => settings.only.has(p);
    const key = (p: string, v: Variant) => (v.split || v.http2 !== undefined ? `${p}:${label(v)}` : p);
    let peakRss = 0;
    let connections = 0;
    const cpu: string[] = [];
    const note = (r: ChildReport) => {
      peakRss = Math.max(peakRss, r.maxRssBytes, r.vmHwmBytes);
      connections = Math.max(connections, ...r.results.map((x) => x.connections));
      cpu.push(`${r.cpuSeconds.toFixed(2)} s`);
      return r.seconds;
    };
    const fresh = (name: string) => path.join(work, name);
    let round = 0;
    /** Our child for each variant (each into a fresh directory), timed under `p`; the first to run changes each round. */
    const oursEach = async (p: string, request: Omit<ChildRequest, 'cache' | 'concurrency'>) => {
      const first = round % settings.variants.length;
      for (const v of [...settings.variants.slice(first), ...settings.variants.slice(0, first)]) {
        const report = await ours({
          ...request,
          ...(registry.certificate ? { ca: registry.certificate } : {}),
          cache: fresh(p),
          concurrency: settings.concurrency,
          ...(v.split ? { ranged: { ...request.ranged, split: v.split } } : {}),
          ...(v.http2 === false ? { http2: false } : {}),
          ...(settings.log ? { log: true } : {}),
        });
        if (report.timeline) {
          if (settings.variants.length > 1) console.log(`  (a) ${label(v)}:`);
          printTimeline(report.timeline);
          const file = path.join(
            tmpdir(),
            `ocg-wan-timeline-${p}-${label(v).replace(/\W+/g, '-')}-${process.pid}.json`,
          );
          await writeFile(file, JSON.stringify(report.timeline, null, 1));
          console.log(`      every request: ${file}`);
        }
        add(key(p, v), note(report));
        await rm(fresh(p), { recursive: true, force: true });
      }
    };
    for (; round < settings.rounds; round++) {
      if (runs('a')) {
        await oursEach('a', {
          refs: set.refs,
          platforms: ['linux/amd64'],
          ...(settings.timeline && round === 0 ? { timeline: true } : {}),
        });
        add(
          'ceiling',
          await timed(async () => {
            // prettier-ignore
            const out = await collect('curl', [
              '--silent', '--show-error', '--parallel', '--parallel-immediate',
              '--parallel-max', String(settings.concurrency), '--config', ceilingFile,
            ]);
            if (out.code !== 0) throw new Error(`curl --parallel (the ceiling) failed: ${out.stderr.trim()}`);
          }),
        );
        add(
          'skopeo12',
          await timed(() =>
            Promise.all(set.refs.map((ref, i) => skopeo([`docker://${ref}`, `oci:${fresh(`s12-${i}`)}:x`]))),
          ),
        );
      }
      if (runs('b')) {
        await oursEach('b', { refs: set.refs, platforms: 'all' });
        add(
          'seq',
          await timed(async () => {
            for (const [i, ref] of set.refs.entries())
              await skopeo(['--all', `docker://${ref}`, `oci:${fresh('seq')}:i${i}`]);
          }),
        );
      }
      if (runs('c')) {
        // The blob alone, as curl fetches it; and the image of that one layer, as a pull costs it
        // (the registry's ping, the manifest, the config first: round trips curl does not make).
        await oursEach('c', { refs: [set.blobRef], blob: { digest: set.blob.digest, size: set.blob.size } });
        await oursEach('cImage', { refs: [set.blobRef], platforms: ['linux/amd64'] });
        add(
          'curl',
          await timed(async () => {
            const out = await collect('curl', [
              '-sf',
              ...curlTrust,
              '-o',
              '/dev/null',
              `${scheme}://${relay.host}/v2/bench/blob/blobs/${set.blob.digest}`,
            ]);
            if (out.code !== 0) throw new Error(`curl failed: ${out.stderr}`);
          }),
        );
        // The harness's own ceiling: curl with `settings.concurrency` ranges at once, no disk.
        add(
          'curl8',
          await timed(() => {
            const n = settings.concurrency;
            const part = Math.ceil(set.blob.size / n);
            return Promise.all(
              Array.from({ length: n }, async (_, i) => {
                const range = `${i * part}-${Math.min(set.blob.size, (i + 1) * part) - 1}`;
                const url = `${scheme}://${relay.host}/v2/bench/blob/blobs/${set.blob.digest}`;
                const out = await collect('curl', ['-sf', ...curlTrust, '-r', range, '-o', '/dev/null', url]);
                if (out.code !== 0) throw new Error(`curl -r ${range} failed: ${out.stderr}`);
              }),
            );
          }),
        );
      }
      for (const d of ['seq', ...set.refs.map((_, i) => `s12-${i}`)])
        await rm(fresh(d), { recursive: true, force: true });
      const last = [...times].map(([k, v]) => `${k} ${secs(v.at(-1)!)}`).join(', ');
      console.log(
        `  round ${round + 1}: ${last}; our CPU ${cpu.splice(0).join(', ')}; load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    const resumed = runs('d')
      ? await resumeAfterKill(relay, set, work, settings, registry.certificate)
      : undefined;
    if (settings.rounds === 0) return !resumed || report(resumed, set) ? 0 : 1;
    const m = (k: string): number => median(times.get(k) ?? [NaN]);
    const rows: [string, string, number, string, string, number][] = [
      ['a', '(a) 12 images, linux/amd64', set.amd64Bytes, 'skopeo12', '12 × skopeo copy at once', GOAL_PARALLEL],
      ['b', '(b) 12 images, every platform', set.allBytes, 'seq', 'skopeo copy --all, one after another', GOAL_SEQUENTIAL],
      ['c', '(c) one 60 MB blob', set.blob.size, 'curl', 'curl, one connection', GOAL_BLOB],
    ]; // prettier-ignore
    const goals: boolean[] = [];
    console.log(
      `\npull bench --wan: medians of ${settings.rounds}, --concurrency ${settings.concurrency} (${connections} connections used at most)`,
    );
    for (const [p, title, bytes, peerKey, peerLabel, goal] of rows) {
      if (!runs(p)) continue;
      const peer = m(peerKey);
      for (const v of settings.variants) {
        const o = m(key(p, v));
        const ratio = peer / o;
        goals.push(ratio >= goal);
        console.log(
          `  ${title.padEnd(30)} ${mb(bytes).padStart(6)} MB  ${label(v)} ${secs(o)} (${rate(bytes, o).toFixed(0)} MB/s)  ${peerLabel} ${secs(peer)}  ` +
            `ratio ${ratio.toFixed(2)}  goal ≥ ${goal}  ${pass(ratio >= goal)}`,
        );
      }
    }
    if (runs('a')) {
      const limit = modelLimit(set.amd64Bytes, settings.concurrency, distance);
      for (const v of settings.variants) {
        const o = m(key('a', v));
        goals.push(o / limit <= GOAL_MODEL);
        console.log(
          `  (a) the model's limit (bytes ÷ (${settings.concurrency} connections × ${mb(distance.bytesPerSecond)} MB/s) + 3 round trips) ${secs(limit)}: ` +
            `${label(v)} ${(o / limit).toFixed(2)}× it  goal ≤ ${GOAL_MODEL}  ${pass(o / limit <= GOAL_MODEL)}`,
        );
      }
      const ceiling = m('ceiling');
      console.log(
        `  (a) this setup's ceiling: curl fetching the same ${set.amd64Requests.length} requests, known from the start, ${settings.concurrency} at once over HTTP/1.1, ` +
          `big blobs in ranges, to /dev/null: ${secs(ceiling)} (${(ceiling / limit).toFixed(2)}× the model); ` +
          settings.variants.map((v) => `${label(v)} ${(m(key('a', v)) / ceiling).toFixed(2)}× it`).join(', '),
      );
    }
    if (runs('c')) {
      for (const v of settings.variants) {
        const img = m(key('cImage', v));
        console.log(
          `  (c) the image of that one layer, pulled by ${label(v)}: ${secs(img)} (${(m('curl') / img).toFixed(2)}× curl's blob): ping, manifest and config first`,
        );
      }
      console.log(
        `  (c) for scale: ${settings.concurrency} curl processes fetching a range each, to /dev/null: ${secs(m('curl8'))} (${rate(set.blob.size, m('curl8')).toFixed(0)} MB/s), what this machine and relay allow`,
      );
    }
    if (resumed) goals.push(report(resumed, set));
    goals.push(peakRss < GOAL_RSS_BYTES);
    console.log(
      `  peak RSS ${mb(peakRss)} MB  goal < ${mb(GOAL_RSS_BYTES)} MB  ${pass(peakRss < GOAL_RSS_BYTES)}`,
    );
    return goals.every(Boolean) ? 0 : 1;
  } finally {
    await relay.stop();
    await registry.stop();
    if (settings.keep) console.log(`kept ${work}`);
    else await removeTempDir(work);
  }
}
