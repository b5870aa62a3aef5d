import { identifyDirectory, layoutFileProblem, type LayoutFileProblem } from '../layout/identify.js';
import type { Layout, IndexRead } from '../layout/layout.js';
import { formProblems, INDEX_FILE, LAYOUT_FILE } from '../layout/layout.js';
import type { Logger } from '../log.js';
import { digestAlgorithm, shortDigest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isIndexMediaType } from '../oci/mediatypes.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import {
  isProblem,
  oneLine,
  type Finding,
  type ImageStatus,
  type Report,
  type VerifyMode,
} from './findings.js';
import type { BatchProgress } from '../hash/hash-pool.js';
import { scanBlobs, type Hasher, type ScanResult } from './scan.js';
import { GraphWalker, type WalkWork } from './walk.js';

export interface VerifyOptions {
  mode: VerifyMode;
  /** Platforms that must be complete in every multi-platform image. */
  platforms: Platform[];
  hasher: Hasher;
  logger?: Logger;
  onProgress?: (progress: BatchProgress) => void;
}

/** A report plus what repair needs to act on it. */
export interface Verification {
  report: Report;
  scan: ScanResult;
  index: IndexRead;
  /** index.json entries linuxkit must not use (by position in the file as read), and why. */
  badEntries: Map<number, string>;
  /** What is wrong with oci-layout; undefined when it is valid. */
  layoutFile: LayoutFileProblem | undefined;
  /** What the graph walk did (tests hold it to the distinct blobs). */
  work: WalkWork;
}

const FINDING_ORDER = ['index', 'corrupt', 'missing', 'stray', 'partial', 'unreferenced'];
const unnamed = (i: number) => `(unnamed entry ${i})`;
/** localeCompare's order, without building a collator per comparison (a million findings). */
const byPath = new Intl.Collator();

/**
 * Checks a layout: scans blobs/ (hashing them in `full` mode), walks every index.json entry,
 * and collects every finding. Changes nothing. `scan` reuses an earlier scan (after repair).
 */
export async function verifyLayout(
  layout: Layout,
  options: VerifyOptions,
  scan?: ScanResult,
): Promise<Verification> {
  scan ??= await scanBlobs(layout, {
    hash: options.mode === 'full',
    hasher: options.hasher,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const findings: Finding[] = [];
  const layoutFile = await layoutFileProblem(layout.root);
  const index = await layout.readIndex();
  // An empty directory (or one holding only the beginnings of a layout) is an empty cache, not
  // a broken one: nothing to report, nothing to repair. A folder of other files is not: its
  // findings stand, and any repair is refused (identify.ts).
  const empty =
    index.state === 'missing' &&
    layoutFile?.missing === true &&
    ['empty', 'absent'].includes((await identifyDirectory(layout.root)).state);
  if (layoutFile && !empty)
    findings.push({ kind: 'index', path: LAYOUT_FILE, detail: layoutFile.detail, action: 'kept' });
  if (index.state === 'missing' && !empty)
    findings.push({ kind: 'index', path: INDEX_FILE, detail: 'missing', action: 'kept' });
  if (index.state === 'corrupt')
    findings.push({ kind: 'index', path: INDEX_FILE, detail: index.detail, action: 'kept' });
  if (index.state === 'ok')
    for (const detail of formProblems(index.doc))
      findings.push({ kind: 'index', path: INDEX_FILE, detail, action: 'kept' });

  const walker = new GraphWalker(layout, scan, options.hasher);
  const images: ImageStatus[] = [];
  const badEntries = new Map<number, string>();
  const entries = index.state === 'ok' ? index.doc.entries : [];
  const roots: { name: string; root: Descriptor }[] = [];
  for (const [i, entry] of entries.entries()) {
    if (!entry.descriptor) continue;
    roots.push({ name: entry.name ?? unnamed(i), root: entry.descriptor });
  }
  const walked = await walker.walk(roots);
  let next = 0;
  for (const [i, entry] of entries.entries()) {
    const name = entry.name ?? unnamed(i);
    if (!entry.descriptor) {
      findings.push({
        kind: 'index',
        path: INDEX_FILE,
        detail: `entry ${name}: ${entry.error}`,
        action: 'kept',
        images: [name],
      });
      badEntries.set(i, 'invalid entry');
      images.push({ name, platforms: {}, size: 0, problem: entry.error ?? 'invalid entry' });
      continue;
    }
    const { status, bad } = walked[next++]!;
    images.push(status);
    if (bad) {
      const broken = Object.entries(status.platforms)
        .filter(([, s]) => s === 'broken')
        .map(([p]) => p);
      badEntries.set(i, status.problem ?? `platform ${broken.join(', ')} broken`);
    }
    if (isIndexMediaType(entry.descriptor.mediaType)) {
      for (const want of options.platforms) {
        const key = formatPlatform(want);
        const state = status.platforms[key];
        if (state === 'complete' || state === 'broken' || status.problem) continue;
        // Listed but not cached: linuxkit would take the entry as cached (its index lists the
        // platform) and then fail to build, so repair removes it and the next pull fetches it.
        // Not offered at all: no pull can fix that; the entry stays.
        if (state === 'absent' && !badEntries.has(i))
          badEntries.set(i, `platform ${key} is not in the cache`);
        findings.push({
          kind: 'missing',
          path: INDEX_FILE,
          detail:
            state === 'absent'
              ? `platform ${key} of ${name} is not in the cache`
              : `${name} has no ${key} image`,
          action: 'kept',
          images: [name],
        });
      }
    }
  }
  for (const f of walker.findings.values()) findings.push(f);

  for (const blob of scan.blobs.values()) {
    if (walker.referenced.has(blob.digest)) continue;
    const path = layout.relative(blob.path);
    findings.push(
      blob.hashOk === false
        ? {
            kind: 'corrupt',
            digest: blob.digest,
            path,
            detail: `content does not match its name (hashes to ${digestAlgorithm(blob.digest)}:${blob.actualHex?.slice(0, 12)}…)`,
            action: 'kept',
          }
        : {
            kind: 'unreferenced',
            digest: blob.digest,
            path,
            detail: `${blob.size} bytes, not reachable from index.json`,
            action: 'kept',
            size: blob.size,
          },
    );
  }
  for (const p of scan.partials)
    findings.push({
      kind: 'partial',
      ...(p.digest ? { digest: p.digest } : {}),
      path: layout.relative(p.path),
      detail: p.detail,
      action: 'kept',
      size: p.size,
      ...(p.live ? { live: p.live } : {}),
    });
  for (const s of scan.strays)
    findings.push({
      kind: 'stray',
      ...(s.digest ? { digest: s.digest } : {}),
      path: layout.relative(s.path),
      detail: s.detail,
      action: 'kept',
    });

  for (const f of findings) f.detail = oneLine(f.detail);
  findings.sort(
    (a, b) => FINDING_ORDER.indexOf(a.kind) - FINDING_ORDER.indexOf(b.kind) || byPath.compare(a.path, b.path),
  );
  const checked = [...scan.blobs.values()];
  const report: Report = {
    ok: !findings.some(isProblem),
    cache: layout.root,
    mode: options.mode,
    blobs: { checked: checked.length, bytes: checked.reduce((sum, b) => sum + b.size, 0) },
    findings,
    images,
  };
  options.logger?.debug(`verified ${checked.length} blobs in ${layout.root}: ${findings.length} findings`);
  return { report, scan, index, badEntries, layoutFile, work: walker.work };
}

/** "blobs/sha256/ab12cd34ef56… truncated: 1104 of 5678 bytes — removed" */
export function describeFinding(f: Finding, action: string = f.action): string {
  const isBlob =
    f.digest && f.path.startsWith('blobs/') && !f.path.endsWith('.download') && f.kind !== 'stray';
  const where = isBlob
    ? `${f.path.slice(0, f.path.lastIndexOf('/') + 1)}${shortDigest(f.digest!).split(':')[1]}`
    : f.path;
  const what =
    f.kind === 'stray' || f.kind === 'partial' || f.kind === 'unreferenced'
      ? `${f.kind}: ${f.detail}`
      : f.detail;
  // "kept" is news only for a blob that looks wrong but was proven valid.
  const suffix = action === 'kept' && !f.detail.startsWith('valid blob') ? '' : ` — ${action}`;
  return `${where} ${what}${suffix}`;
}
