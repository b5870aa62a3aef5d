import { GuardError, errorMessage } from '../errors.js';
import { BlobWriter } from '../layout/blob-writer.js';
import { BlobsMissingError, type Layout } from '../layout/layout.js';
import type { Logger } from '../log.js';
import { lstat } from 'node:fs/promises';
import { finished } from 'node:stream';
import { shortDigest, type Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { MAX_MANIFEST_BYTES } from '../oci/mediatypes.js';
import type { Reference } from '../oci/reference.js';
import type { VerifyMode } from '../verify/findings.js';
import {
  LATENCY_BOUND_BYTES,
  type BlobResponse,
  type RegistryClient,
  type ResolvedManifest,
} from '../registry/client.js';
import { HashPool } from '../hash/hash-pool.js';
import type { Hasher } from '../verify/scan.js';
import { ConnectionBudget, laneFor } from './budget.js';
import { blobSubject, diskFailure, ensureBlob, type DownloadResult, type ValidSet } from './download.js';
import {
  bigEnoughForRanges,
  ensureBigBlob,
  RANGED_DEFAULTS,
  wantsRanges,
  wholeReason,
  type RangedOptions,
} from './ranged.js';
import { currentRoot, type RefreshMode } from './refresh.js';
import {
  cachedClosure,
  cachedDocument,
  checkBlobs,
  platformMismatch,
  singlePlatformConfig,
  walkImage,
} from './closure.js';
import type { PlatformSelection } from './plan.js';

export interface PullOptions {
  platforms: PlatformSelection;
  /**
   * Connections per registry host, shared by everything the run fetches there: manifests,
   * small blobs, and the ranges of big ones.
   */
  concurrency: number;
  /** When big blobs go in ranges, and how big the ranges are (tests lower them). */
  ranged?: Partial<RangedOptions>;
  /**
   * Blobs the verifier accepted in this run: trusted, not hashed again. Accepted by `validMode`:
   * hashed (`full`), or by size alone (`size`: the trade that mode makes, pull included).
   */
  valid?: ValidSet;
  validMode?: VerifyMode;
  logger?: Logger;
  /** Bytes received, as they arrive; `total` is known once every image's manifests are in. */
  onProgress?: (p: { bytes: number; total: number }) => void;
  signal?: AbortSignal;
  /** Whether to ask the registry about an image complete in the cache (default never). */
  refresh?: RefreshMode;
}

export interface PullResult {
  /** The index.json name (`docker.io/library/redis`). */
  name: string;
  reference: string;
  /** updated: the cache had another image under this name (a tag that moved); see previousDigest. */
  status: 'pulled' | 'updated' | 'cached' | 'failed';
  digest?: Digest;
  /** For `updated`: the digest the cache had under this name. */
  previousDigest?: Digest;
  /** Bytes received from the network. */
  bytes: number;
  /** Blobs downloaded / reused from the cache. */
  fetchedBlobs: number;
  cachedBlobs: number;
  /** Bytes of earlier partial downloads reused through Range requests. */
  resumedBytes: number;
  /** Config and layer blobs found in the cache that this pull hashed (what the verifier accepted is not). */
  hashedBlobs: number;
  /** Layers with `urls` (non-distributable), recorded and not fetched. */
  skipped: Digest[];
  /** From the start of the run to this image being complete (images share the connections). */
  ms: number;
  /** The most connections the run held at once to this image's registry. */
  connections: number;
  error?: string;
}

/**
 * Pulls each reference into the layout: the root manifest or index, and for the wanted
 * platforms each manifest, config, layer and attestation (with its blobs). The images go at
 * once, each from its manifests straight on to its blobs, all sharing the connection budget:
 * manifests first, then latency-bound blobs (LATENCY_BOUND_BYTES), then the others biggest first,
 * big ones in ranges, leaving the lane to latency-bound requests while any image still has some. An image's
 * index.json entry is written last, only when everything under it is present and verified, so
 * an interrupted pull never leaves an entry linuxkit would trust.
 */
export async function pullImages(
  layout: Layout,
  client: RegistryClient,
  refs: Reference[],
  options: PullOptions,
): Promise<PullResult[]> {
  await layout.init();
  await layout.checkDirectories();
  if (options.valid)
    options.logger?.debug(
      `pull: trusting ${options.valid.size} blobs the verifier accepted${options.validMode === 'size' ? ' by size alone (verify: size)' : ''}`,
    );
  client.prepare(refs);
  const running = await layout.registerPull();
  // Checks images already in the cache; its workers start only when a blob needs hashing.
  const hasher = HashPool.create();
  const budget = new ConnectionBudget(options.concurrency, { lane: laneFor(options.concurrency) });
  const run: RunState = {
    ...options,
    valid: options.valid ?? new Set(),
    budget,
    bulk: budget.bulk(),
    ranged: { ...RANGED_DEFAULTS, ...options.ranged },
    progress: { bytes: 0, total: 0 },
    started: Date.now(),
    hasher,
    entries: await cachedEntries(layout),
    downloads: { byKey: new Map(), started: [], bigQueued: Promise.resolve() },
  };
  /** Registries said to multiplex (in verbose output, once each). */
  const multiplexed = new Set<string>();
  try {
    // Each image goes on from its manifests to its blobs at once: none waits for another's
    // manifests, and its latency-bound requests keep the lane open beside the big blobs' ranges.
    return await Promise.all(
      refs.map(async (ref) => {
        const closeLane = budget.openLane(ref.registry);
        try {
          const plan = await planImage(layout, client, ref, run);
          // Its latency-bound requests share an HTTP/2 connection: no connection need be kept for them.
          if (plan.root && client.multiplexes?.(ref.registry)) {
            closeLane();
            if (!multiplexed.has(ref.registry))
              options.logger?.debug(
                `${ref.registry}: HTTP/2: manifests and small blobs share one connection; blobs' bytes take up to ${options.concurrency} others`,
              );
            multiplexed.add(ref.registry);
          }
          const small = scheduleBlobs(layout, client, plan, run);
          void Promise.allSettled(small.map((d) => d.result)).then(closeLane);
          return await finishImage(layout, client, plan, run);
        } finally {
          closeLane();
        }
      }),
    );
  } finally {
    // No work outlives the call: what failed images alone needed was aborted and ends now.
    await Promise.allSettled(run.downloads.started.map((d) => d.result));
    await hasher.close();
    await running.release();
  }
}

interface RunState extends PullOptions {
  valid: ValidSet;
  budget: ConnectionBudget;
  /** The budget as the ranges of big blobs take it (see ConnectionBudget.bulk). */
  bulk: ConnectionBudget;
  downloads: RunDownloads;
  ranged: RangedOptions;
  progress: { bytes: number; total: number };
  started: number;
  hasher: Hasher;
  /** index.json's entries when the run began: what is cached, and what a tag pointed at before. */
  entries: ReadonlyMap<string, Descriptor>;
}

/** Runs a request holding one of a registry's connections. */
type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

/** One image between its manifests and its index.json entry. */
interface ImagePlan {
  ref: Reference;
  result: PullResult;
  /** Set when the registry must be asked for blobs (not cached, not failed). */
  root?: Descriptor;
  /** What index.json had under this name before (a tag that moved makes the pull `updated`). */
  previous?: Digest;
  blobs: Descriptor[];
  /** Blobs (by blobKey) this image downloads for the run (the first image to need a blob does). */
  owned: Set<string>;
  /** The entry to commit: the root fetched, or the one found complete in the cache. */
  entry?: Descriptor;
  /** Every index and manifest under the entry; with `blobs`, what its commit needs in place. */
  manifests: Descriptor[];
}

/**
 * One blob's download in the run, shared by every image that lists it. A failed image gives up
 * its share; once no image that still stands needs the blob, its download is aborted (queued or
 * under way), so a fatal error ends an image's work at once instead of after every other fetch.
 */
interface BlobFetch {
  result: Promise<DownloadResult>;
  abort: AbortController;
  /** Images that need it and have not failed. */
  wanting: Set<ImagePlan>;
}

/** The run's blob downloads, shared by its images. */
interface RunDownloads {
  /** The download of each blob (by blobKey) that an image asked for. */
  byKey: Map<string, BlobFetch>;
  /** Every download started, those replaced in byKey included. */
  started: BlobFetch[];
  /** Settles once every big blob started so far has queued its ranges (they take turns, biggest first). */
  bigQueued: Promise<void>;
}

/**
 * Downloads are keyed by size and digest: two images listing one digest with two sizes cannot
 * both be right, and the wrong one must not ride on the other's download.
 */
function blobKey(d: Descriptor): string {
  return `${d.size} ${d.digest}`;
}

/** Manifests go ahead of every blob: they decide what the blobs are. */
const MANIFEST_PRIORITY = Number.MAX_SAFE_INTEGER;

/**
 * Latency-bound blobs (LATENCY_BOUND_BYTES: configs, attestations, small layers) go right after
 * the manifests, ahead of the big blobs and without waiting for them to queue; a bigger whole
 * blob is bandwidth-bound and takes its connection as ranges do (ConnectionBudget.bulk), leaving
 * the lane to latency-bound work. On a registry that multiplexes, latency-bound requests take no
 * connection of the budget at all.
 */
const LATENCY_BOUND_PRIORITY = MANIFEST_PRIORITY - 1;

/** Whether `blob` is latency-bound (or needs no request at all). */
function latencyBound(blob: Descriptor, run: RunState): boolean {
  return run.valid.has(blob.digest) || blob.size <= LATENCY_BOUND_BYTES;
}

/** How `ref`'s manifest requests take their connections: ahead of every blob's. */
function manifestLimit(client: RegistryClient, run: RunState, ref: Reference): Limit {
  return (fn) =>
    client.multiplexes?.(ref.registry) ? fn() : run.budget.run(ref.registry, MANIFEST_PRIORITY, fn);
}

/** Resolves an image and fetches its manifests, or finds it complete in the cache. */
async function planImage(
  layout: Layout,
  client: RegistryClient,
  ref: Reference,
  run: RunState,
): Promise<ImagePlan> {
  const limit = manifestLimit(client, run, ref);
  const result: PullResult = {
    name: ref.name,
    reference: ref.original,
    status: 'pulled',
    bytes: 0,
    fetchedBlobs: 0,
    cachedBlobs: 0,
    resumedBytes: 0,
    hashedBlobs: 0,
    skipped: [],
    ms: 0,
    connections: 0,
  };
  const plan: ImagePlan = { ref, result, blobs: [], owned: new Set(), manifests: [] };
  try {
    let resolved: ResolvedManifest | undefined;
    const cached = run.refresh !== 'always' ? await completeInCache(layout, ref, run, result) : undefined;
    if (cached) {
      const now =
        run.refresh === 'head' && !ref.digest ? await limit(() => currentRoot(client, ref, run)) : undefined;
      if (!now || now.digest === result.digest) {
        result.status = 'cached';
        return Object.assign(plan, cached);
      }
      resolved = now.resolved;
    }
    const previous = run.entries.get(ref.name)?.digest;
    if (previous !== undefined) plan.previous = previous;
    const { descriptor: root, bytes } =
      resolved ?? (await limit(() => client.resolve(ref, run.signal ? { signal: run.signal } : {})));
    result.digest = root.digest;
    // The walk fetches and stores each manifest under the root not in the cache. The root is
    // stored meanwhile (the disk holds no connection), settled before anything is said of the image.
    const [walked, stored] = await Promise.allSettled([
      walkImage(ref.name, root, bytes, run.platforms, (d) =>
        fetchManifest(layout, { client, limit }, ref, d, run.valid),
      ),
      storeManifest(layout, ref, root, bytes, run.valid),
    ]);
    if (walked.status === 'rejected') throw walked.reason;
    if (stored.status === 'rejected') throw stored.reason;
    plan.manifests = walked.value.manifests;
    plan.blobs = walked.value.blobs;
    result.skipped.push(...walked.value.skipped);
    const single = singlePlatformConfig(root, bytes, run.platforms);
    if (single) {
      // The config first: an image built for another platform costs no layer download.
      await want(layout, client, plan, single.config, run).result;
      const mismatch = await platformMismatch(layout, ref.name, single.config, single.wanted);
      if (mismatch) throw new GuardError(mismatch);
    }
    plan.root = root;
    plan.entry = root;
  } catch (err) {
    giveUp(plan, run.downloads);
    failed(result, err, run.logger);
  }
  return plan;
}

/**
 * Starts the downloads of an image's blobs that no other image has started, biggest first, each
 * credited to this image; returns the downloads of its latency-bound blobs (the lane stays open
 * for the image until they settle: they start at once, ahead of every other blob). The others take
 * turns at queueing: a big blob queues its ranges once every big blob started before it has
 * queued theirs (biggest first within an image, then in the order images come), and a whole one
 * once every big blob started before it has. One that started sooner would take the connections
 * first: a whole blob holds its connection for its whole transfer, and a smaller big blob that
 * opened its partial first would take them all. Queued, they leave the lane to latency-bound
 * blobs and manifests (ConnectionBudget.bulk).
 */
function scheduleBlobs(layout: Layout, client: RegistryClient, plan: ImagePlan, run: RunState): BlobFetch[] {
  if (!plan.root) return [];
  const small: BlobFetch[] = [];
  const blobs = [...new Map(plan.blobs.map((b) => [blobKey(b), b])).values()].sort((a, b) => b.size - a.size);
  for (const blob of blobs) {
    const download = want(layout, client, plan, blob, run);
    if (latencyBound(blob, run)) small.push(download);
  }
  return small;
}

/**
 * The run's download of `blob` for `plan`: the one another image started, or a new one credited
 * to `plan` (also when every image that wanted the earlier one failed and it was aborted).
 */
function want(
  layout: Layout,
  client: RegistryClient,
  plan: ImagePlan,
  blob: Descriptor,
  run: RunState,
): BlobFetch {
  const { downloads } = run;
  const key = blobKey(blob);
  let download = downloads.byKey.get(key);
  if (!download || (download.wanting.size === 0 && download.abort.signal.aborted)) {
    download = startBlob(layout, client, plan, blob, run);
    downloads.byKey.set(key, download);
    downloads.started.push(download);
    plan.owned.add(key);
    if (!run.valid.has(blob.digest)) run.progress.total += blob.size;
  }
  download.wanting.add(plan);
  return download;
}

/** Starts a blob's download once its turn at queueing comes (see scheduleBlobs). */
function startBlob(
  layout: Layout,
  client: RegistryClient,
  plan: ImagePlan,
  blob: Descriptor,
  run: RunState,
): BlobFetch {
  if (latencyBound(blob, run))
    return startFetch(run, (signal) => fetchBlob(layout, client, plan, blob, run, signal));
  const turn = run.downloads.bigQueued;
  if (!bigEnoughForRanges(blob, run))
    return startFetch(run, (signal) => turn.then(() => fetchBlob(layout, client, plan, blob, run, signal)));
  let queued!: () => void;
  run.downloads.bigQueued = new Promise<void>((resolve) => (queued = resolve));
  return startFetch(run, (signal) =>
    turn.then(() => fetchBlob(layout, client, plan, blob, run, signal, queued)).finally(queued),
  );
}

/** A download with its own abort, which the run's signal (an interrupt) also aborts. */
function startFetch(run: RunState, fetch: (signal: AbortSignal) => Promise<DownloadResult>): BlobFetch {
  const abort = new AbortController();
  const signal = run.signal ? AbortSignal.any([run.signal, abort.signal]) : abort.signal;
  const result = fetch(signal);
  result.catch(() => {}); // awaited by every image that needs it
  return { result, abort, wanting: new Set() };
}

/** A failed image gives up its blobs: those no other standing image needs stop now. */
function giveUp(plan: ImagePlan, downloads: RunDownloads): void {
  for (const blob of plan.blobs) {
    const download = downloads.byKey.get(blobKey(blob));
    if (!download?.wanting.delete(plan)) continue;
    if (download.wanting.size === 0) download.abort.abort();
  }
}

/**
 * Fetches `blob` for `owner` (nothing when the run knows it valid): a latency-bound one whole,
 * just behind manifests; a big one in ranges and another whole through the bulk view of the
 * budget, queued at its size, so bigger blobs take connections first.
 */
async function fetchBlob(
  layout: Layout,
  client: RegistryClient,
  owner: ImagePlan,
  blob: Descriptor,
  run: RunState,
  /** Aborted when no image needs the blob any more (or the run is interrupted). */
  signal: AbortSignal,
  /** A big blob's: says when its ranges are queued (see BigBlobContext.onQueued). */
  onQueued?: () => void,
): Promise<DownloadResult> {
  const onBytes = (n: number) => {
    owner.result.bytes += n;
    run.progress.bytes += n;
    run.onProgress?.(run.progress);
  };
  const { ref } = owner;
  signal.throwIfAborted();
  if (run.valid.has(blob.digest)) return { fetched: 0, cached: true, resumed: 0 };
  if (await wantsRanges(layout, blob, run)) {
    return ensureBigBlob(layout, client, ref, blob, {
      budget: run.bulk,
      priority: blob.size,
      host: ref.registry,
      ranged: run.ranged,
      valid: run.valid,
      onBytes,
      pending: () => run.progress.total - run.progress.bytes,
      logger: run.logger,
      signal,
      ...(onQueued ? { onQueued } : {}),
    });
  }
  run.logger?.debug(`${blobSubject(ref, blob)}: whole: ${wholeReason(blob, run)}`);
  let settled!: () => void;
  const done = new Promise<void>((resolve) => (settled = resolve));
  const small = latencyBound(blob, run);
  // A latency-bound request to a registry that multiplexes takes no connection of the budget.
  const budgeted =
    small && client.multiplexes?.(ref.registry)
      ? client
      : connectionPerRequest(
          client,
          small ? run.budget : run.bulk,
          ref.registry,
          small ? LATENCY_BOUND_PRIORITY : blob.size,
          signal,
          done,
        );
  return ensureBlob(layout, budgeted, ref, blob, { valid: run.valid, onBytes, signal }).finally(settled);
}

/**
 * The client as a whole-blob download uses it: each blob request holds one of the host's
 * connections of the budget from its start to its body's end (or `done`), and no longer: the
 * blob's lock, its temp file and its commit (an fsync) hold none. A request that fails holds its
 * connection until the download settles (or asks again): the failure must reach the images that
 * need the blob, and abort what they alone wanted, before the queue moves on.
 */
function connectionPerRequest(
  client: RegistryClient,
  budget: ConnectionBudget,
  host: string,
  priority: number,
  signal: AbortSignal,
  done: Promise<void>,
): RegistryClient {
  let held: (() => void) | undefined;
  const blob: RegistryClient['blob'] = (repo, descriptor, opts) => {
    held?.();
    return new Promise((resolve, reject) => {
      budget
        .run(host, priority, async () => {
          // Queued behind other work: the image that wanted it may have failed meanwhile.
          signal.throwIfAborted();
          let response: BlobResponse;
          try {
            response = await client.blob(repo, descriptor, opts);
          } catch (err) {
            reject(err);
            await Promise.race([new Promise<void>((release) => (held = release)), done]);
            return;
          }
          resolve(response);
          const read = new Promise<void>((ended) => finished(response.body, () => ended()));
          await Promise.race([read, done]);
        })
        .catch(reject);
    });
  };
  return new Proxy(client, {
    get(target, key) {
      if (key === 'blob') return blob;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Waits for an image's blobs, then writes its index.json entry (or confirms a cached one's). */
async function finishImage(
  layout: Layout,
  client: RegistryClient,
  plan: ImagePlan,
  run: RunState,
): Promise<PullResult> {
  const { result, root, ref } = plan;
  const { downloads } = run;
  if (root) {
    try {
      const keys = [...new Set(plan.blobs.map(blobKey))];
      const outcomes = await Promise.all(keys.map((k) => downloads.byKey.get(k)!.result));
      await checkSizes(layout, ref, plan.blobs);
      outcomes.forEach((r, i) => {
        const mine = plan.owned.has(keys[i]!);
        if (mine && r.hashed) result.hashedBlobs++;
        if (r.cached || !mine) result.cachedBlobs++;
        else {
          result.fetchedBlobs++;
          result.resumedBytes += r.resumed;
        }
      });
      await commitEntry(layout, client, plan, run);
      if (result.fetchedBlobs === 0 && result.bytes === 0) result.status = 'cached';
      if (plan.previous !== undefined && plan.previous !== root.digest) {
        result.status = 'updated';
        result.previousDigest = plan.previous;
      }
    } catch (err) {
      giveUp(plan, downloads);
      failed(result, err, run.logger);
    }
  } else if (result.status === 'cached') {
    try {
      await commitEntry(layout, client, plan, run);
      if (result.bytes > 0) result.status = 'pulled'; // a blob removed meanwhile was fetched again
    } catch (err) {
      failed(result, err, run.logger);
    }
  }
  result.ms = Date.now() - run.started;
  result.connections = run.budget.peak(ref.registry);
  return result;
}

/** Commits tried before a pull gives up on blobs that other processes keep removing. */
const COMMIT_ATTEMPTS = 3;

/**
 * The step that makes exit 0 mean "complete in the cache now": under the cache lock, every
 * blob of the image is checked to be in place and only then is its entry written (or, for an
 * image found cached, confirmed, and written again if a repair removed it meanwhile). A blob
 * that a concurrent prune or repair removed since it was fetched or found is fetched again.
 */
async function commitEntry(
  layout: Layout,
  client: RegistryClient,
  plan: ImagePlan,
  run: RunState,
): Promise<void> {
  const { ref, entry } = plan;
  if (!entry) return;
  const manifests = new Set(plan.manifests.map((d) => d.digest));
  for (let attempt = 1; ; attempt++) {
    try {
      // The index write may wait for linuxkit's lock: the logger says so.
      await layout.setEntry(entry, ref.name, {
        needs: [...plan.manifests, ...plan.blobs],
        keepSameDigest: !plan.root,
        ...(run.logger ? { logger: run.logger } : {}),
      });
      return;
    } catch (err) {
      if (!(err instanceof BlobsMissingError)) throw err;
      if (attempt === COMMIT_ATTEMPTS)
        throw new GuardError(
          `${err.message} (${COMMIT_ATTEMPTS} times): run the pull again once the other process has finished`,
        );
      run.logger?.debug(`${err.message}: fetching them again`);
      const limit = manifestLimit(client, run, ref);
      for (const blob of err.missing) run.valid.delete(blob.digest);
      const signal = run.signal ?? new AbortController().signal;
      await Promise.all(
        err.missing.map((blob) =>
          manifests.has(blob.digest)
            ? fetchManifest(layout, { client, limit }, ref, blob, run.valid)
            : fetchBlob(layout, client, plan, blob, run, signal),
        ),
      );
    }
  }
}

function failed(result: PullResult, err: unknown, logger: Logger | undefined): void {
  result.status = 'failed';
  result.error = errorMessage(err);
  logger?.debug(`pull ${result.reference} failed: ${err instanceof Error ? err.stack : String(err)}`);
}

/** index.json's entries by name (the first of a name), read once per run. */
async function cachedEntries(layout: Layout): Promise<Map<string, Descriptor>> {
  const read = await layout.readIndex();
  const entries = new Map<string, Descriptor>();
  if (read.state === 'ok')
    for (const e of read.doc.entries)
      if (e.name !== undefined && e.descriptor && !entries.has(e.name)) entries.set(e.name, e.descriptor);
  return entries;
}

/**
 * linuxkit's rule: an image whose index.json entry exists is cached. We also require every
 * blob for the wanted platforms to be present and verified (cachedClosure, which the cache's
 * entries also stage and import by); then no request is made at all. Blobs not yet verified in
 * this run are hashed on the worker pool, all at once.
 */
async function completeInCache(
  layout: Layout,
  ref: Reference,
  run: RunState,
  result: PullResult,
): Promise<Pick<ImagePlan, 'entry' | 'manifests' | 'blobs'> | undefined> {
  const root = run.entries.get(ref.name);
  if (!root) return undefined;
  try {
    const { manifests, blobs, skipped } = await cachedClosure(
      layout,
      ref.name,
      root,
      run.platforms,
      run.valid,
    );
    const unverified = new Set(blobs.filter((b) => !run.valid.has(b.digest)).map((b) => b.digest));
    result.hashedBlobs += unverified.size; // hashed now, whatever they turn out to be
    await checkBlobs(layout, blobs, { valid: run.valid, hasher: run.hasher });
    result.digest = root.digest;
    result.skipped.push(...skipped);
    result.cachedBlobs = new Set(blobs.map((b) => b.digest)).size;
    return { entry: root, manifests, blobs };
  } catch (err) {
    // Anything short of a complete, valid closure in the cache: ask the registry.
    run.logger?.debug(`${ref.name}: cache entry unusable: ${errorMessage(err)}`);
    return undefined;
  }
}

/**
 * Blobs shared with another image, or accepted by the verifier, are known valid by digest; the
 * size this image lists must still be theirs (another image's manifest may list the same digest
 * with its true size), or validate would call this image broken.
 */
async function checkSizes(layout: Layout, ref: Reference, blobs: Descriptor[]): Promise<void> {
  const checked = new Set<string>();
  for (const blob of blobs) {
    const key = blobKey(blob);
    if (checked.has(key)) continue;
    checked.add(key);
    const actual = (await lstat(layout.blobPath(blob.digest)).catch(() => undefined))?.size;
    if (actual === undefined)
      throw new GuardError(`${ref.name}: blob ${blob.digest} left the cache while it was being pulled`);
    if (actual !== blob.size)
      throw new GuardError(
        `${ref.name}: ${shortDigest(blob.digest)} is listed as ${blob.size} bytes, but the valid blob of that digest is ${actual} bytes`,
      );
  }
}

/**
 * A manifest from the cache when present and valid, else from the registry, asked holding one of
 * the budget's connections (through `limit`), then stored without it.
 */
async function fetchManifest(
  layout: Layout,
  registry: { client: RegistryClient; limit: Limit },
  ref: Reference,
  desc: Descriptor,
  valid: ValidSet,
): Promise<Buffer> {
  if (desc.size > MAX_MANIFEST_BYTES)
    throw new GuardError(
      `manifest ${desc.digest} of ${ref.name} is ${desc.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`,
    );
  const cached = await cachedDocument(layout, desc, valid);
  if ('bytes' in cached) return cached.bytes;
  const bytes = await registry.limit(() => registry.client.manifest(ref, desc));
  await storeManifest(layout, ref, desc, bytes, valid);
  return bytes;
}

/** Writes manifest bytes (already checked against the digest by the client) atomically. */
async function storeManifest(
  layout: Layout,
  ref: Reference,
  desc: Descriptor,
  bytes: Buffer,
  valid: ValidSet,
): Promise<void> {
  if (valid.has(desc.digest)) return;
  const lock = await layout.lockBlob(desc.digest);
  try {
    const writer = await BlobWriter.open(layout, desc, { resume: false });
    try {
      await writer.write(bytes);
      await writer.commit();
    } catch (err) {
      await writer.discard();
      throw diskFailure(err, ref, desc) ?? err;
    }
    valid.add(desc.digest);
  } finally {
    await lock.release();
  }
}
