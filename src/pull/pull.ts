import { GuardError, errorMessage } from '../errors.js';
import { BlobWriter } from '../layout/blob-writer.js';
import { BlobsMissingError, type Layout } from '../layout/layout.js';
import type { Logger } from '../log.js';
import { digestAlgorithm, digestHex, type Digest } from '../oci/digest.js';
import { parseIndex, parseManifest, type Descriptor } from '../oci/descriptor.js';
import { isIndexMediaType, MAX_MANIFEST_BYTES } from '../oci/mediatypes.js';
import { formatPlatform, normalizePlatform, platformSatisfies, type Platform } from '../oci/platform.js';
import type { Reference } from '../oci/reference.js';
import type { VerifyMode } from '../verify/findings.js';
import type { RegistryClient, ResolvedManifest } from '../registry/client.js';
import { hashFileInline, HashPool } from '../hash/hash-pool.js';
import type { Hasher } from '../verify/scan.js';
import { describeCycle } from '../verify/walk.js';
import { ConnectionBudget } from './budget.js';
import {
  blobSubject,
  ensureBlob,
  isPresentAndValid,
  type DownloadResult,
  type ValidSet,
} from './download.js';
import {
  bigEnoughForRanges,
  ensureBigBlob,
  RANGED_DEFAULTS,
  wantsRanges,
  wholeReason,
  type RangedOptions,
} from './ranged.js';
import { currentRoot, type RefreshMode } from './refresh.js';
import { describePlatforms, selectFromIndex, type PlatformSelection } from './plan.js';

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
 * platforms each manifest, config, layer and attestation (with its blobs). Every image's
 * manifests are resolved first, in parallel; then all their blobs share the connection budget,
 * biggest first, big ones in ranges. An image's index.json entry is written last, only when
 * everything under it is present and verified, so an interrupted pull never leaves an entry
 * linuxkit would trust.
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
  const run: RunState = {
    ...options,
    valid: options.valid ?? new Set(),
    budget: new ConnectionBudget(options.concurrency),
    ranged: { ...RANGED_DEFAULTS, ...options.ranged },
    progress: { bytes: 0, total: 0 },
    started: Date.now(),
    hasher,
    entries: await cachedEntries(layout),
  };
  try {
    const plans = await Promise.all(refs.map((ref) => planImage(layout, client, ref, run)));
    const downloads = scheduleBlobs(layout, client, plans, run);
    return await Promise.all(plans.map((plan) => finishImage(layout, client, plan, downloads, run)));
  } finally {
    await hasher.close();
    await running.release();
  }
}

interface RunState extends PullOptions {
  valid: ValidSet;
  budget: ConnectionBudget;
  ranged: RangedOptions;
  progress: { bytes: number; total: number };
  started: number;
  hasher: Hasher;
  /** index.json's entries when the run began: what is cached, and what a tag pointed at before. */
  entries: ReadonlyMap<string, Descriptor>;
}

interface RunContext extends RunState {
  /** Runs a request holding one of this image's registry connections. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** One image between its manifests and its index.json entry. */
interface ImagePlan {
  ref: Reference;
  result: PullResult;
  /** Set when the registry must be asked for blobs (not cached, not failed). */
  root?: Descriptor;
  /** What index.json had under this name before (a tag that moved makes the pull `updated`). */
  previous?: Digest;
  blobs: Descriptor[];
  /** Digests this image downloads for the run (the first image to need a blob does). */
  owned: Set<string>;
  /** Blobs fetched while planning (a single-platform image's config, to check its platform). */
  early: Map<string, Promise<DownloadResult>>;
  /** The entry to commit: the root fetched, or the one found complete in the cache. */
  entry?: Descriptor;
  /** Every index and manifest under the entry; with `blobs`, what its commit needs in place. */
  manifests: Descriptor[];
}

/** Manifests go ahead of every blob: they decide what the blobs are. */
const MANIFEST_PRIORITY = Number.MAX_SAFE_INTEGER;

/** Resolves an image and fetches its manifests, or finds it complete in the cache. */
async function planImage(
  layout: Layout,
  client: RegistryClient,
  ref: Reference,
  run: RunState,
): Promise<ImagePlan> {
  const ctx: RunContext = {
    ...run,
    limit: (fn) => run.budget.run(ref.registry, MANIFEST_PRIORITY, fn),
  };
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
  const plan: ImagePlan = { ref, result, blobs: [], owned: new Set(), early: new Map(), manifests: [] };
  try {
    let resolved: ResolvedManifest | undefined;
    const cached = ctx.refresh !== 'always' ? await completeInCache(layout, ref, ctx, result) : undefined;
    if (cached) {
      const now =
        ctx.refresh === 'head' && !ref.digest
          ? await ctx.limit(() => currentRoot(client, ref, ctx))
          : undefined;
      if (!now || now.digest === result.digest) {
        result.status = 'cached';
        return Object.assign(plan, cached);
      }
      resolved = now.resolved;
    }
    const previous = ctx.entries.get(ref.name)?.digest;
    if (previous !== undefined) plan.previous = previous;
    const { descriptor: root, bytes } =
      resolved ?? (await ctx.limit(() => client.resolve(ref, ctx.signal ? { signal: ctx.signal } : {})));
    result.digest = root.digest;
    await storeManifest(layout, root, bytes, ctx.valid);
    const walk = newWalk();
    await collect(layout, client, ref, root, bytes, ctx, plan.blobs, result, walk);
    plan.manifests = walk.manifests;
    const single = singlePlatformConfig(root, bytes, ctx.platforms);
    if (single) {
      // The config first: an image built for another platform costs no layer download.
      const config = fetchBlob(layout, client, plan, single.config, single.config.size, run);
      plan.early.set(single.config.digest, config);
      if (!run.valid.has(single.config.digest)) run.progress.total += single.config.size;
      await config;
      const mismatch = await platformMismatch(layout, ref, single.config, single.wanted);
      if (mismatch) throw new GuardError(mismatch);
    }
    plan.root = root;
    plan.entry = root;
  } catch (err) {
    failed(result, err, ctx.logger);
  }
  return plan;
}

/**
 * Starts every distinct blob of the run, biggest first (the budget also prefers them while
 * they wait), each credited to the first image that needs it.
 */
function scheduleBlobs(
  layout: Layout,
  client: RegistryClient,
  plans: ImagePlan[],
  run: RunState,
): Map<string, Promise<DownloadResult>> {
  const downloads = new Map<string, Promise<DownloadResult>>();
  const owners = new Map<string, { blob: Descriptor; plan: ImagePlan }>();
  for (const plan of plans) {
    if (!plan.root) continue;
    for (const [digest, download] of plan.early) {
      if (downloads.has(digest)) continue;
      downloads.set(digest, download);
      plan.owned.add(digest);
    }
  }
  for (const plan of plans) {
    if (!plan.root) continue;
    for (const blob of plan.blobs) {
      if (downloads.has(blob.digest) || owners.has(blob.digest)) continue;
      owners.set(blob.digest, { blob, plan });
      plan.owned.add(blob.digest);
    }
  }
  for (const { blob } of owners.values()) if (!run.valid.has(blob.digest)) run.progress.total += blob.size;
  const order = [...owners.values()].sort((a, b) => b.blob.size - a.blob.size);
  // Blobs take turns at queueing, biggest first: a big blob queues its ranges once every bigger
  // one has queued theirs, and small blobs (all after the big ones in this order) once every
  // big one has. One that started sooner would take the connections first: a small blob holds
  // its connection for its whole transfer, a smaller big blob that opened its partial first takes
  // them all.
  let bigQueued = Promise.resolve();
  for (const [i, { blob, plan }] of order.entries()) {
    // Size, then order among equals (a fraction of a byte): one blob's ranges before the next one's.
    const priority = blob.size + 1 - (i + 1) / (order.length + 1);
    let download: Promise<DownloadResult>;
    if (!run.valid.has(blob.digest) && bigEnoughForRanges(blob, run)) {
      const turn = bigQueued;
      let queued!: () => void;
      bigQueued = new Promise<void>((resolve) => (queued = resolve));
      download = turn
        .then(() => fetchBlob(layout, client, plan, blob, priority, run, queued))
        .finally(queued);
    } else {
      download = bigQueued.then(() => fetchBlob(layout, client, plan, blob, priority, run));
    }
    download.catch(() => {}); // awaited by every image that needs it
    downloads.set(blob.digest, download);
  }
  return downloads;
}

async function fetchBlob(
  layout: Layout,
  client: RegistryClient,
  owner: ImagePlan,
  blob: Descriptor,
  priority: number,
  run: RunState,
  /** A big blob's: says when its ranges are queued (see BigBlobContext.onQueued). */
  onQueued?: () => void,
): Promise<DownloadResult> {
  const onBytes = (n: number) => {
    owner.result.bytes += n;
    run.progress.bytes += n;
    run.onProgress?.(run.progress);
  };
  const { ref } = owner;
  const signal = run.signal ? { signal: run.signal } : {};
  if (run.valid.has(blob.digest)) return { fetched: 0, cached: true, resumed: 0 };
  if (await wantsRanges(layout, blob, run)) {
    return ensureBigBlob(layout, client, ref, blob, {
      budget: run.budget,
      priority,
      host: ref.registry,
      ranged: run.ranged,
      valid: run.valid,
      onBytes,
      logger: run.logger,
      ...signal,
      ...(onQueued ? { onQueued } : {}),
    });
  }
  run.logger?.debug(`${blobSubject(ref, blob)}: whole: ${wholeReason(blob, run)}`);
  return run.budget.run(ref.registry, priority, () =>
    ensureBlob(layout, client, ref, blob, { valid: run.valid, onBytes, ...signal }),
  );
}

/** Waits for an image's blobs, then writes its index.json entry (or confirms a cached one's). */
async function finishImage(
  layout: Layout,
  client: RegistryClient,
  plan: ImagePlan,
  downloads: Map<string, Promise<DownloadResult>>,
  run: RunState,
): Promise<PullResult> {
  const { result, root, ref } = plan;
  if (root) {
    try {
      const digests = [...new Set(plan.blobs.map((b) => b.digest))];
      const outcomes = await Promise.all(digests.map((d) => downloads.get(d)!));
      outcomes.forEach((r, i) => {
        const mine = plan.owned.has(digests[i]!);
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
      const ctx: RunContext = { ...run, limit: (fn) => run.budget.run(ref.registry, MANIFEST_PRIORITY, fn) };
      for (const blob of err.missing) run.valid.delete(blob.digest);
      await Promise.all(
        err.missing.map((blob) =>
          manifests.has(blob.digest)
            ? ctx.limit(() => fetchManifest(layout, client, ref, blob, run.valid))
            : fetchBlob(layout, client, plan, blob, blob.size, run),
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

class NotCachedError extends GuardError {}

/** The digest of the index.json entry of that name, if any. */
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
 * blob for the wanted platforms to be present and verified; then no request is made at all.
 */
async function completeInCache(
  layout: Layout,
  ref: Reference,
  ctx: RunContext,
  result: PullResult,
): Promise<Pick<ImagePlan, 'entry' | 'manifests' | 'blobs'> | undefined> {
  const root = ctx.entries.get(ref.name);
  if (!root) return undefined;
  try {
    const bytes = await fetchManifest(layout, undefined, ref, root, ctx.valid);
    const blobs: Descriptor[] = [];
    const walk = newWalk();
    await collect(layout, undefined, ref, root, bytes, ctx, blobs, result, walk);
    await hashInPool(layout, blobs, ctx, result);
    for (const blob of blobs) if (!(await isPresentAndValid(layout, blob, ctx.valid))) return undefined;
    const single = singlePlatformConfig(root, bytes, ctx.platforms);
    if (single && (await platformMismatch(layout, ref, single.config, single.wanted))) return undefined;
    result.digest = root.digest;
    result.cachedBlobs = new Set(blobs.map((b) => b.digest)).size;
    return { entry: root, manifests: walk.manifests, blobs };
  } catch (err) {
    // Anything short of a complete, valid closure in the cache: ask the registry.
    if (!(err instanceof NotCachedError))
      ctx.logger?.debug(`${ref.name}: cache entry unusable: ${errorMessage(err)}`);
    return undefined;
  }
}

/**
 * Hashes the blobs of a cached image not yet verified in this run, all at once on the worker
 * pool. Those that match join `valid`; isPresentAndValid then settles the others (and deletes
 * what is proven wrong).
 */
async function hashInPool(
  layout: Layout,
  blobs: Descriptor[],
  ctx: RunContext,
  result: PullResult,
): Promise<void> {
  const todo = [...new Map(blobs.map((b) => [b.digest, b])).values()].filter((b) => !ctx.valid.has(b.digest));
  result.hashedBlobs += todo.length;
  if (todo.length === 0) return;
  const items = todo.map((b) => ({
    path: layout.blobPath(b.digest),
    algorithm: digestAlgorithm(b.digest),
    size: b.size,
    maxBytes: b.size,
  }));
  const hashed = await ctx.hasher.hashFiles(items);
  hashed.forEach((r, i) => {
    const b = todo[i]!;
    if (r.ok && r.hex === digestHex(b.digest) && r.size === b.size) ctx.valid.add(b.digest);
  });
}

/** One image's walk: manifests already collected (each once, however shared), indexes above this one. */
interface ClosureWalk {
  seen: Set<string>;
  path: Digest[];
  onPath: Map<Digest, number>;
  /** Every index and manifest walked, the root first: blobs the image's entry needs. */
  manifests: Descriptor[];
}

const newWalk = (): ClosureWalk => ({ seen: new Set(), path: [], onPath: new Map(), manifests: [] });

/** Walks manifests (fetching and storing each), collecting the config and layer blobs to ensure. */
async function collect(
  layout: Layout,
  client: RegistryClient | undefined,
  ref: Reference,
  desc: Descriptor,
  bytes: Buffer,
  ctx: RunContext,
  blobs: Descriptor[],
  result: PullResult,
  walk: ClosureWalk = newWalk(),
): Promise<void> {
  walk.manifests.push(desc);
  if (isIndexMediaType(desc.mediaType)) {
    const index = parseIndex(bytes, `index ${desc.digest}`);
    const selection = selectFromIndex(index, walk.path.length === 0 ? ctx.platforms : 'all');
    if (selection.unavailable.length > 0) {
      throw new GuardError(
        `${ref.name} has no ${selection.unavailable.map(formatPlatform).join(', ')} image (it offers: ${describePlatforms(index) || 'none'})`,
      );
    }
    walk.onPath.set(desc.digest, walk.path.length);
    walk.path.push(desc.digest);
    try {
      const children: Descriptor[] = [];
      for (const child of [...selection.manifests, ...selection.attestations]) {
        const isIndex = isIndexMediaType(child.mediaType);
        const above = isIndex ? walk.onPath.get(child.digest) : undefined;
        if (above !== undefined) throw new GuardError(`${ref.name}: ${describeCycle(walk.path, above)}`);
        const key = `${isIndex ? 'index' : 'manifest'} ${child.digest}`;
        if (walk.seen.has(key)) continue;
        walk.seen.add(key);
        children.push(child);
      }
      // Siblings are fetched at once (a manifest and an attestation per platform, each a round
      // trip), then walked in order.
      const fetching = children.map((child) =>
        ctx.limit(() => fetchManifest(layout, client, ref, child, ctx.valid)),
      );
      for (const f of fetching) f.catch(() => {}); // the first failure is thrown below
      for (const [i, child] of children.entries())
        await collect(layout, client, ref, child, await fetching[i]!, ctx, blobs, result, walk);
    } finally {
      walk.path.pop();
      walk.onPath.delete(desc.digest);
    }
    return;
  }
  const manifest = parseManifest(bytes, `manifest ${desc.digest}`);
  blobs.push(manifest.config);
  for (const layer of manifest.layers) {
    if (layer.urls?.length) result.skipped.push(layer.digest);
    else blobs.push(layer);
  }
}

/** A manifest from the cache when present and valid, else from the registry (then stored). */
async function fetchManifest(
  layout: Layout,
  client: RegistryClient | undefined,
  ref: Reference,
  desc: Descriptor,
  valid: ValidSet,
): Promise<Buffer> {
  if (desc.size > MAX_MANIFEST_BYTES)
    throw new GuardError(
      `manifest ${desc.digest} of ${ref.name} is ${desc.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`,
    );
  if (valid.has(desc.digest)) {
    // Hashed already in this run (by the verifier or by us): read it, do not hash it again.
    const bytes = await layout.readBlob(desc.digest, desc.size).catch(() => undefined);
    if (bytes?.length === desc.size) return bytes;
  }
  const cached = await hashFileInline(layout.blobPath(desc.digest), digestAlgorithm(desc.digest), {
    maxBytes: desc.size,
    keepBytes: true,
  });
  if (cached.ok && cached.hex === digestHex(desc.digest) && cached.size === desc.size) {
    valid.add(desc.digest);
    return cached.bytes;
  }
  if (!client) throw new NotCachedError(`manifest ${desc.digest} is not in the cache`);
  const bytes = await client.manifest(ref, desc);
  await storeManifest(layout, desc, bytes, valid);
  return bytes;
}

/** Writes manifest bytes (already checked against the digest by the client) atomically. */
async function storeManifest(
  layout: Layout,
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
      throw err;
    }
    valid.add(desc.digest);
  } finally {
    await lock.release();
  }
}

/** The config of a single-platform image (a manifest, no index) when platforms are wanted. */
function singlePlatformConfig(
  root: Descriptor,
  bytes: Buffer,
  wanted: PlatformSelection,
): { config: Descriptor; wanted: Platform[] } | undefined {
  if (wanted === 'all' || isIndexMediaType(root.mediaType)) return undefined;
  return { config: parseManifest(bytes, `manifest ${root.digest}`).config, wanted };
}

/**
 * A single-platform image says its platform in its config, where an index says it beside each
 * manifest; the same rule applies: every wanted platform must be there. Returns the one-line
 * error when one is not, undefined when all are or the config names no platform (an artifact).
 */
async function platformMismatch(
  layout: Layout,
  ref: Reference,
  config: Descriptor,
  wanted: Platform[],
): Promise<string | undefined> {
  if (config.size > MAX_MANIFEST_BYTES) return undefined;
  let doc: { os?: unknown; architecture?: unknown; variant?: unknown } | null;
  try {
    doc = JSON.parse(
      (await layout.readBlob(config.digest, MAX_MANIFEST_BYTES)).toString('utf8'),
    ) as typeof doc;
  } catch {
    return undefined;
  }
  const { os, architecture, variant } = doc ?? {};
  if (typeof os !== 'string' || typeof architecture !== 'string' || !os || !architecture) return undefined;
  const have = normalizePlatform({
    os,
    architecture,
    ...(typeof variant === 'string' && variant ? { variant } : {}),
  });
  const missing = wanted.filter((w) => !platformSatisfies(have, w));
  if (missing.length === 0) return undefined;
  return `${ref.name} has no ${missing.map(formatPlatform).join(', ')} image (it is a single-platform ${formatPlatform(have)} image)`;
}
