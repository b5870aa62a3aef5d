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

/** What the main step did: written as JSON (the `report` output), outputs and the job summary. */
export interface RunReport {
  cache: string;
  keys: { restoreKeys: string[]; matchedKey?: string; note?: string };
  /** The platforms every image was required for (`linux/amd64`). */
  platforms: string[];
  timings: { restoreMs: number; verifyMs: number; pullMs: number };
  verification?: Report;
  pulls: PullResult[];
  rateLimit?: RateLimit;
}

/** "blob sha256:ab12… of docker.io/linuxkit/kernel:5.10.76 truncated: 1104 of 5678 bytes — removed, re-pulling" */
export function describeForAnnotation(f: Finding, pulled: Set<string>): string {
  if (!f.digest) return describeFinding(f);
  const images = f.images?.length ? ` of ${f.images.join(', ')}` : '';
  const repulled = f.images?.some((n) => pulled.has(n)) ? ', re-pulled' : '';
  return `blob ${shortDigest(f.digest)}${images} ${f.detail} — ${f.action}${repulled}`;
}

/** Warning annotations per bad blob, error annotations on the linuxkit line of each failed image. */
export function annotate(run: RunReport, images: ImageRequest[]): void {
  const pulled = new Set(run.pulls.filter(isPulled).map((p) => p.name));
  for (const f of run.verification?.findings ?? [])
    if (isDamage(f)) core.warning(describeForAnnotation(f, pulled));
  for (const p of run.pulls) {
    if (p.status !== 'failed') continue;
    const origin = images.find((i) => i.reference.name === p.name)?.origin;
    const props = origin?.file
      ? {
          file: origin.file,
          ...(origin.line ? { startLine: origin.line } : {}),
          ...(origin.column ? { startColumn: origin.column } : {}),
          title: 'image not cached',
        }
      : { title: 'image not cached' };
    core.error(pullFailure(p), props);
  }
}

export async function writeOutputs(run: RunReport, verified: boolean): Promise<string> {
  const findings = run.verification?.findings ?? [];
  const file = path.join(process.env.RUNNER_TEMP ?? process.cwd(), 'oci-cache-guard-report.json');
  await writeFile(file, `${JSON.stringify(run, null, 2)}\n`);
  core.setOutput(
    Outputs.CacheHit,
    String(
      run.keys.matchedKey !== undefined && run.keys.matchedKey.startsWith(run.keys.restoreKeys[0] ?? '\0'),
    ),
  );
  core.setOutput(Outputs.CacheMatchedKey, run.keys.matchedKey ?? '');
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

export async function writeSummary(run: RunReport, title: string): Promise<void> {
  const s = core.summary.addHeading(html(title), 3);
  // core.summary writes an empty cell as an opening tag alone, which breaks the table.
  const platforms = run.platforms.join(', ') || '—';
  const rows = run.pulls.map((p) => {
    const repaired = run.verification?.findings.some(
      (f) => f.images?.includes(p.name) && f.action !== 'kept',
    );
    const state =
      p.status === 'failed'
        ? `❌ failed: ${p.error}`
        : p.status === 'pulled'
          ? repaired
            ? '🔧 repaired, pulled'
            : '⬇️ pulled'
          : p.status === 'updated'
            ? `🔄 updated ${shortDigest(p.previousDigest!)} → ${shortDigest(p.digest!)}`
            : '✅ cached';
    const speed = p.bytes > 0 ? ` (${formatRate(bytesPerSecond(p.bytes, p.ms))})` : '';
    return [p.name, platforms, state, `${formatBytes(p.bytes)}${speed}`, formatDuration(p.ms)].map(html);
  });
  if (rows.length) {
    s.addTable([
      [
        { data: 'Image', header: true },
        { data: 'Platforms', header: true },
        { data: 'Status', header: true },
        { data: 'Downloaded', header: true },
        { data: 'Time', header: true },
      ],
      ...rows,
    ]);
  }
  const bad = (run.verification?.findings ?? []).filter(isDamage);
  if (bad.length) {
    s.addHeading('Cache problems found', 4).addTable([
      [
        { data: 'Blob', header: true },
        { data: 'Problem', header: true },
        { data: 'Action', header: true },
      ],
      ...bad.map((f) => [f.digest ? shortDigest(f.digest) : f.path, f.detail, f.action].map(html)),
    ]);
  }
  const v = run.verification;
  const facts = [
    `Cache key: ${run.keys.matchedKey ? `restored ${run.keys.matchedKey}` : `no match for ${run.keys.restoreKeys.join(', ')}`}${run.keys.note ? ` (${run.keys.note})` : ''}`,
    `Restore ${formatDuration(run.timings.restoreMs)}, verify ${formatDuration(run.timings.verifyMs)}, pull ${formatDuration(run.timings.pullMs)}`,
    v
      ? `Verified ${v.blobs.checked} blobs (${formatBytes(v.blobs.bytes)}, ${v.mode === 'full' ? 'sha256' : 'sizes only'}): ${v.ok ? 'consistent' : 'problems remain'}`
      : 'Not verified',
    `Downloaded ${describeSpeed(run.pulls)}`,
  ];
  if (run.rateLimit) facts.push(formatPullsLeft(run.rateLimit));
  s.addList(facts.map(html));
  await s.write();
}
