/**
 * A stat snapshot: for each blob a verification hashed and found valid, the `(dev, ino, size,
 * mtime, ctime)` it had when it was read. A later verification of the same cache (the post
 * step, after the build) hashes a blob again only when it is new or its stat differs; the rest
 * is trusted from the hash that was done. Kept outside the cache (the Action: in RUNNER_TEMP),
 * so it is never saved with it.
 *
 * Why a stat is enough: every write to a file moves its ctime, and nothing can set a ctime back
 * (`touch -d` sets the mtime, and moves the ctime). The one hole is a coarse clock: on kernels
 * without fine-grained timestamps a ctime has the resolution of a tick (1–10 ms), so a write in
 * the same tick as the previous one keeps the ctime. A blob is therefore recorded only when its
 * ctime is more than RACY_MS older than the moment it was stat'ed before hashing: any later
 * write then has a later ctime. A blob changed within that window (one just restored from the
 * Actions cache, say) is hashed once more after the window has passed (git's "racy clean").
 */
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../layout/layout.js';
import type { Logger } from '../log.js';
import { digestAlgorithm, digestHex, makeDigest, type Digest } from '../oci/digest.js';
import type { HashResult } from '../hash/hash-pool.js';
import { blobStat, statKey, type BlobStat, type Hasher, type ScanResult } from './scan.js';

const VERSION = 1;
/** More than one tick of the coarsest kernel clock that stamps files (HZ=100: 10 ms). */
export const RACY_MS = 20;

type StatFields = Omit<BlobStat, 'takenAtMs'>;

/** A ctime older than the stat by more than a tick: a later write cannot keep it. */
const settled = (s: BlobStat): boolean => s.ctimeNs < BigInt(s.takenAtMs - RACY_MS) * 1_000_000n;

async function statNow(file: string): Promise<BlobStat | undefined> {
  const takenAtMs = Date.now();
  const s = await lstat(file, { bigint: true }).catch(() => undefined);
  return s?.isFile() ? blobStat(s, takenAtMs) : undefined;
}

export class StatSnapshot {
  private constructor(
    /** The cache root the snapshot describes. */
    readonly cache: string,
    /** `blobs/<alg>/<hex>` → encoded stat. */
    private readonly entries: Map<string, string>,
  ) {}

  get blobCount(): number {
    return this.entries.size;
  }

  /**
   * What a verification proved: every blob hashed valid and still valid (`valid`: not removed
   * by repair). Blobs changed within RACY_MS of their stat are hashed again first, with
   * `hasher` (the verification's pool).
   */
  static async record(
    layout: Layout,
    scan: ScanResult,
    valid: ReadonlySet<Digest>,
    options: { hasher: Hasher; logger?: Logger },
  ): Promise<StatSnapshot> {
    const entries = new Map<string, string>();
    const racy: { key: string; path: string; digest: Digest }[] = [];
    for (const blob of scan.blobs.values()) {
      if (!blob.hashOk || !blob.stat || !valid.has(blob.digest)) continue;
      const key = layout.relative(blob.path);
      if (settled(blob.stat)) entries.set(key, statKey(blob.stat));
      else racy.push({ key, path: blob.path, digest: blob.digest });
    }
    if (racy.length > 0) {
      options.logger?.debug(
        `stat snapshot: ${racy.length} blobs changed just before they were hashed: hashing them again`,
      );
      await new Promise((resolve) => setTimeout(resolve, RACY_MS + 1));
      await Promise.all(
        racy.map(async (r) => {
          const stat = await statNow(r.path);
          if (!stat || !settled(stat)) return;
          const [result] = await options.hasher.hashFiles([
            { path: r.path, algorithm: digestAlgorithm(r.digest), size: Number(stat.size) },
          ]);
          if (result?.ok && result.hex === digestHex(r.digest) && BigInt(result.size) === stat.size)
            entries.set(r.key, statKey(stat));
        }),
      );
    }
    return new StatSnapshot(layout.root, entries);
  }

  async write(file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const doc = { version: VERSION, cache: this.cache, blobs: Object.fromEntries(this.entries) };
    await writeFile(file, JSON.stringify(doc));
  }

  /**
   * The snapshot in `file` when it describes `layout`; otherwise undefined, with a debug line
   * saying why (every blob is then hashed).
   */
  static async read(file: string, layout: Layout, logger?: Logger): Promise<StatSnapshot | undefined> {
    const fallback = (why: string) => {
      logger?.debug(`stat snapshot ${file} ${why}: hashing every blob`);
      return undefined;
    };
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return fallback(code === 'ENOENT' ? 'does not exist' : `is unreadable (${code ?? String(err)})`);
    }
    let doc: { version?: unknown; cache?: unknown; blobs?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      return fallback('is not valid JSON');
    }
    if (doc?.version !== VERSION)
      return fallback(`has version ${JSON.stringify(doc?.version)}, not ${VERSION}`);
    if (doc.cache !== layout.root)
      return fallback(`describes ${JSON.stringify(doc.cache)}, not ${layout.root}`);
    if (typeof doc.blobs !== 'object' || doc.blobs === null) return fallback('has no blob list');
    const entries = new Map<string, string>();
    for (const [key, value] of Object.entries(doc.blobs))
      if (typeof value === 'string') entries.set(key, value);
    return new StatSnapshot(layout.root, entries);
  }

  /** Why the blob at `key` must be hashed ('new', 'changed'), or undefined when it need not. */
  check(key: string, stat: StatFields | undefined): 'new' | 'changed' | undefined {
    const recorded = this.entries.get(key);
    if (recorded === undefined) return 'new';
    return stat && statKey(stat) === recorded ? undefined : 'changed';
  }
}

/** Blobs a trusting hasher hashed, and blobs it took from the snapshot unread. */
export interface HashCounts {
  hashed: number;
  trusted: number;
}

/**
 * A hasher that answers for blobs the snapshot vouches for (the stat the scan took of them is
 * the one they had when hashed valid) without reading them, and hands the others (an item
 * without a stat too) to `inner`. Without a snapshot it only counts. `counts` is updated as it
 * goes.
 */
export function trustingHasher(
  inner: Hasher,
  layout: Layout,
  snapshot: StatSnapshot | undefined,
  counts: HashCounts,
  logger?: Logger,
): Hasher {
  return {
    async hashFiles(items, options = {}) {
      const results = new Array<HashResult | undefined>(items.length);
      if (snapshot) {
        items.forEach((item, i) => {
          const key = layout.relative(item.path);
          const why = snapshot.check(key, item.stat);
          if (why === undefined && item.stat) {
            const hex = path.basename(item.path);
            const size = Number(item.stat.size);
            const result: HashResult = {
              ok: true,
              path: item.path,
              algorithm: item.algorithm,
              size,
              hex,
              digest: makeDigest(item.algorithm, hex),
            };
            results[i] = result;
            options.onResult?.(i, result);
          } else
            logger?.debug(
              `hashing ${key}: ${why === 'new' ? 'not verified by the main step' : 'changed since the main step verified it'}`,
            );
        });
      }
      const todo = items.flatMap((item, i) => (results[i] ? [] : [{ item, i }]));
      counts.trusted += items.length - todo.length;
      counts.hashed += todo.length;
      if (todo.length > 0) {
        const hashed = await inner.hashFiles(
          todo.map((t) => t.item),
          {
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
            ...(options.onResult ? { onResult: (j, r) => options.onResult?.(todo[j]!.i, r) } : {}),
          },
        );
        hashed.forEach((result, j) => (results[todo[j]!.i] = result));
      }
      return results as HashResult[];
    },
  };
}
