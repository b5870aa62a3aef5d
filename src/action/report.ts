import * as core from '@actions/core';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageRequest } from '../imagelist/imagelist.js';
import { shortDigest } from '../oci/digest.js';
import type { PullResult } from '../pull/pull.js';
import { isPulled, pullFailure } from '../pull/result.js';
import type { RateLimit } from '../registry/index.js';
import { isDamage, type Finding, type Report } from '../verify/findings.js';
import { describeFinding } from '../verify/index.js';
import { formatBytes, formatDuration, formatPullsLeft, formatRate } from '../format.js';
import { bytesPerSecond, describeSpeed } from '../pull/speed.js';
import { Outputs } from './constants.js';
import type { RecordedImage } from './store/record.js';
import type { RestoredImage, SavedImage } from './store/store.js';

/** What the main step did: written as JSON (the `report` output), outputs and the job summary. */
export interface RunReport {
  cache: string;
  /** The platforms every image was required for (`linux/amd64`). */
  platforms: string[];
  /** Each listed image's cache entry: restored, refused or missed. */
  entries: RestoredImage[];
  /** Why cache entries were not read, or stopped being read. */
  entriesNote?: string;
  timings: { restoreMs: number; verifyMs: number; pullMs: number };
  verification?: Report;
  pulls: PullResult[];
  rateLimit?: RateLimit;
}

/**
 * GitHub shows the first 10 annotations of each level per step; more are noise. The full lists
 * are in the JSON report.
 */
export const MAX_ANNOTATIONS = 10;
/**
 * Rows per summary table: GitHub refuses a step summary over 1 MiB. A row is at most a few
 * hundred bytes (names are ≤ 255 characters, details are one line).
 */
export const MAX_SUMMARY_ROWS = 500;
/** Images named in the step's failure line. */
const MAX_NAMED = 10;

/** "blob sha256:ab12… of docker.io/linuxkit/kernel:5.10.76 truncated: 1104 of 5678 bytes — removed, re-pulling" */
export function describeForAnnotation(f: Finding, pulled: Set<string>): string {
  if (!f.digest) return describeFinding(f);
  const images = f.images?.length ? ` of ${f.images.join(', ')}` : '';
  const repulled = f.images?.some((n) => pulled.has(n)) ? ', re-pulled' : '';
  return `blob ${shortDigest(f.digest)}${images} ${f.detail} — ${f.action}${repulled}`;
}

/**
 * Warnings for bad blobs; for each image not cached an annotation on its linuxkit line: an
 * error, or a warning when `fail-on-missing: false` lets the job pass. At most MAX_ANNOTATIONS
 * of each, then one line saying how many more.
 */
export function annotate(run: RunReport, settings: { images: ImageRequest[]; failOnMissing: boolean }): void {
  const pulled = new Set(run.pulls.filter(isPulled).map((p) => p.name));
  const damage = (run.verification?.findings ?? []).filter(isDamage);
  for (const f of damage.slice(0, MAX_ANNOTATIONS)) core.warning(describeForAnnotation(f, pulled));
  if (damage.length > MAX_ANNOTATIONS)
    core.warning(`${damage.length - MAX_ANNOTATIONS} more cache problems (see the report)`);
  const failed = run.pulls.filter((p) => p.status === 'failed');
  const annotation = settings.failOnMissing ? core.error : core.warning;
  const origins = new Map(settings.images.map((i) => [i.reference.name, i.origin]));
  for (const p of failed.slice(0, MAX_ANNOTATIONS)) {
    const origin = origins.get(p.name);
    const props = origin?.file
      ? {
          file: origin.file,
          ...(origin.line ? { startLine: origin.line } : {}),
          ...(origin.column ? { startColumn: origin.column } : {}),
          title: 'image not cached',
        }
      : { title: 'image not cached' };
    annotation(pullFailure(p), props);
  }
  if (failed.length > MAX_ANNOTATIONS)
    annotation(`${failed.length - MAX_ANNOTATIONS} more images not cached (see the report)`);
}

/** The step's failure line: the first images by name, then how many more. */
export function failureReason(failed: readonly PullResult[]): string {
  const named = failed.slice(0, MAX_NAMED).map((p) => p.reference);
  const more = failed.length > MAX_NAMED ? ` and ${failed.length - MAX_NAMED} more (see the report)` : '';
  return `${failed.length} image${failed.length === 1 ? '' : 's'} could not be cached: ${named.join(', ')}${more}`;
}

/** True when every listed image came from its cache entry, as it was. */
export function cacheHit(run: Pick<RunReport, 'entries' | 'pulls'>): boolean {
  const fromEntry = new Set(run.entries.filter((e) => e.key).map((e) => e.name));
  return run.pulls.length > 0 && run.pulls.every((p) => p.status === 'cached' && fromEntry.has(p.name));
}

export async function writeOutputs(run: RunReport, verified: boolean): Promise<string> {
  const findings = run.verification?.findings ?? [];
  const file = path.join(process.env.RUNNER_TEMP ?? process.cwd(), 'oci-cache-guard-report.json');
  await writeFile(file, `${JSON.stringify(run, null, 2)}\n`);
  core.setOutput(Outputs.CacheHit, String(cacheHit(run)));
  core.setOutput(
    Outputs.CacheMatchedKey,
    run.entries
      .filter((e) => e.key)
      .map((e) => e.key)
      .join('\n'),
  );
  core.setOutput(Outputs.Verified, String(verified));
  core.setOutput(Outputs.CorruptBlobs, String(findings.filter((f) => f.kind === 'corrupt').length));
  core.setOutput(
    Outputs.RemovedBlobs,
    String(findings.filter((f) => f.action === 'removed' && f.path.startsWith('blobs/')).length),
  );
  core.setOutput(Outputs.PulledImages, String(run.pulls.filter(isPulled).length));
  core.setOutput(Outputs.BytesDownloaded, String(run.pulls.reduce((sum, p) => sum + p.bytes, 0)));
  core.setOutput(Outputs.Report, file);
  return file;
}

/**
 * Text for the job summary, which core.summary writes as raw HTML (table cells, list items):
 * names and details come from the cache and registries, so everything is escaped.
 */
export function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Where an image came from in this run, in the summary's words. */
export function imageStatus(p: PullResult, entry: RestoredImage | undefined, repaired: boolean): string {
  if (p.status === 'failed') return `❌ failed: ${p.error}`;
  if (p.status === 'updated')
    return entry?.key
      ? `🔄 registry names another digest: cache entry ${shortDigest(p.previousDigest!)}, pulled ${shortDigest(p.digest!)}`
      : `🔄 updated ${shortDigest(p.previousDigest!)} → ${shortDigest(p.digest!)}`;
  if (p.status === 'pulled') {
    if (entry?.badKey) return `🔧 cache entry refused (${entry.problem}), pulled`;
    return repaired ? '🔧 repaired, pulled' : '⬇️ pulled';
  }
  return entry?.key ? '📦 cache entry' : '✅ on disk';
}

/** At most MAX_SUMMARY_ROWS rows, then a line saying how many more (the report has them all). */
function capped<T>(rows: T[]): { rows: T[]; more: string | undefined } {
  if (rows.length <= MAX_SUMMARY_ROWS) return { rows, more: undefined };
  return {
    rows: rows.slice(0, MAX_SUMMARY_ROWS),
    more: `… and ${rows.length - MAX_SUMMARY_ROWS} more (see the JSON report)`,
  };
}

export async function writeSummary(run: RunReport, title: string): Promise<void> {
  const s = core.summary.addHeading(html(title), 3);
  // core.summary writes an empty cell as an opening tag alone, which breaks the table.
  const platforms = run.platforms.join(', ') || '—';
  const entries = new Map(run.entries.map((e) => [e.name, e]));
  const table = capped(
    run.pulls.map((p) => {
      const repaired = !!run.verification?.findings.some(
        (f) => f.images?.includes(p.name) && f.action !== 'kept',
      );
      const speed = p.bytes > 0 ? ` (${formatRate(bytesPerSecond(p.bytes, p.ms))})` : '';
      return [
        p.name,
        platforms,
        imageStatus(p, entries.get(p.name), repaired),
        `${formatBytes(p.bytes)}${speed}`,
        formatDuration(p.ms),
      ].map(html);
    }),
  );
  if (table.rows.length) {
    s.addTable([
      [
        { data: 'Image', header: true },
        { data: 'Platforms', header: true },
        { data: 'Source', header: true },
        { data: 'Downloaded', header: true },
        { data: 'Time', header: true },
      ],
      ...table.rows,
    ]);
  }
  if (table.more) s.addRaw(`<p>${html(table.more)}</p>`, true);
  const bad = capped((run.verification?.findings ?? []).filter(isDamage));
  if (bad.rows.length) {
    s.addHeading('Cache problems found', 4).addTable([
      [
        { data: 'Blob', header: true },
        { data: 'Problem', header: true },
        { data: 'Action', header: true },
      ],
      ...bad.rows.map((f) => [f.digest ? shortDigest(f.digest) : f.path, f.detail, f.action].map(html)),
    ]);
  }
  if (bad.more) s.addRaw(`<p>${html(bad.more)}</p>`, true);
  const v = run.verification;
  const restored = run.entries.filter((e) => e.key);
  const facts = [
    `Cache entries: ${restored.length} of ${run.entries.length} restored (${formatBytes(restored.reduce((n, e) => n + e.bytes, 0))})${run.entriesNote ? ` (${run.entriesNote})` : ''}`,
    `Restore ${formatDuration(run.timings.restoreMs)}, verify ${formatDuration(run.timings.verifyMs)}, pull ${formatDuration(run.timings.pullMs)}`,
    v
      ? `Verified ${v.blobs.checked} blobs on disk (${formatBytes(v.blobs.bytes)}, ${v.mode === 'full' ? 'sha256' : 'sizes only'}): ${v.ok ? 'consistent' : 'problems remain'}`
      : 'Not verified',
    `From registries: ${describeSpeed(run.pulls)}`,
  ];
  if (run.rateLimit) facts.push(formatPullsLeft(run.rateLimit));
  s.addList(facts.map(html));
  await s.write();
}

/** What post's summary says of one image's entry. */
export function savedStatus(image: SavedImage): string {
  switch (image.outcome) {
    case 'saved':
      return `💾 saved as ${image.key}`;
    case 'restored':
      return 'restored from its entry, unchanged';
    case 'exists':
      return 'already saved';
    case 'capped':
      return 'not saved: over max-new-entries (the next run saves it)';
    case 'refused':
      return `not saved: refused (${image.detail})`;
    case 'skipped':
      return `not saved: ${image.detail}`;
    case 'incomplete':
      return `not saved: incomplete (${image.detail})`;
  }
}

const SOURCES: Record<RecordedImage['source'], string> = {
  entry: 'cache entry',
  pulled: 'pulled',
  disk: 'on disk',
  failed: 'failed',
};

/** Post's summary: per image of the cache, where it came from and whether it was saved. */
export async function writeSaveSummary(
  images: readonly SavedImage[],
  recorded: Readonly<Record<string, RecordedImage>>,
  note: string | undefined,
): Promise<void> {
  const s = core.summary.addHeading('oci-cache-guard: cache entries saved', 3);
  const table = capped(
    images.map((i) =>
      [i.name, recorded[i.name] ? SOURCES[recorded[i.name]!.source] : 'built by the job', savedStatus(i)].map(
        html,
      ),
    ),
  );
  if (table.rows.length)
    s.addTable([
      [
        { data: 'Image', header: true },
        { data: 'Source', header: true },
        { data: 'Entry', header: true },
      ],
      ...table.rows,
    ]);
  if (table.more) s.addRaw(`<p>${html(table.more)}</p>`, true);
  const saved = images.filter((i) => i.outcome === 'saved').length;
  s.addList([`${saved} new entr${saved === 1 ? 'y' : 'ies'} saved${note ? `; ${note}` : ''}`].map(html));
  await s.write();
}
