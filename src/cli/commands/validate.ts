import { openCache } from '../cache.js';
import { COMMON_OPTIONS, commonSettings, parseCommand, parseMode, parsePlatforms } from '../args.js';
import { formatBytes, formatDuration, printable, printableJson } from '../../format.js';
import { createProgress } from '../progress.js';
import { checkLayout, type Finding, type Report } from '../../verify/index.js';
import { isProblem } from '../../verify/findings.js';
import type { CliContext } from '../context.js';
import { findingLine } from '../findings.js';
import { youngNote } from '../../verify/prune.js';
import { printImages } from './ls.js';

export const VALIDATE_HELP = `Usage: oci-cache-guard validate [--repair] [--mode full|size] [--platform OS/ARCH]... [--json] [--cache DIR]

Checks every blob of an OCI image layout (linuxkit's cache by default): its size and sha256
against its name and against every descriptor that points at it; walks every image from
index.json and tells, per platform, whether it is complete.

Options:
  --repair             delete corrupt blobs and strays, drop index.json entries that are
                       broken (linuxkit then pulls them again), move an unparseable
                       index.json aside. Valid blobs are never deleted.
  --mode full|size     full (default) hashes every blob; size only compares sizes
  --platform OS/ARCH   a platform every multi-platform image must have complete (repeatable)
  --json               print one JSON object (see README: "validate --json")
  --cache DIR          the layout (default $LINUXKIT_CACHE, else ~/.linuxkit/cache)
  -v, --verbose        list unreferenced blobs and partial downloads too

Exit status: 0 the cache is (now) consistent, 1 problems remain, 2 usage error.`;

export async function validateCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand('validate', argv, {
    ...COMMON_OPTIONS,
    repair: { type: 'boolean', default: false },
    mode: { type: 'string' },
    platform: { type: 'string', multiple: true },
  });
  if (values.help) return (ctx.out(VALIDATE_HELP), 0);
  const settings = commonSettings(values, ctx.env);
  const mode = parseMode(values.mode);
  const platforms = parsePlatforms(values.platform);
  const layout = await openCache(settings.cache, ctx);
  const started = Date.now();
  const progress = createProgress({
    label: 'hashing',
    stream: ctx.stderr,
    enabled: !settings.json || !ctx.stderr.isTTY,
  });
  const report = await checkLayout(layout, {
    mode,
    platforms,
    repair: values.repair,
    logger: ctx.logger,
    onProgress: (p) => progress.update(p.bytes, p.totalBytes, `(${p.files}/${p.totalFiles} blobs)`),
  });
  progress.done();
  if (settings.json) ctx.out(printableJson(report));
  else
    printReport(
      report,
      { verbose: settings.verbose, repaired: values.repair, ms: Date.now() - started },
      ctx,
    );
  return report.ok ? 0 : 1;
}

export function printReport(
  report: Report,
  opts: { verbose: boolean; repaired: boolean; ms: number },
  ctx: CliContext,
): void {
  const shown: Finding[] = [];
  const quiet = { unreferenced: [] as Finding[], partial: [] as Finding[] };
  for (const f of report.findings) {
    if (!opts.verbose && (f.kind === 'unreferenced' || f.kind === 'partial')) quiet[f.kind].push(f);
    else shown.push(f);
  }
  ctx.out(`${printable(report.cache)} (${report.mode === 'full' ? 'sizes and sha256' : 'sizes only'})`);
  if (report.blobs.checked === 0 && report.findings.length === 0 && report.images.length === 0) {
    ctx.out('nothing to validate: an empty cache');
    return;
  }
  for (const f of shown) ctx.out(`  ${findingLine(f)}`);
  // Sizes and youth as the scan found them, as prune decides: the two say the same numbers.
  const bytesOf = (list: Finding[]) => list.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const live: Finding[] = [];
  for (const kind of ['unreferenced', 'partial'] as const) {
    const list = quiet[kind].filter((f) => !f.live);
    live.push(...quiet[kind].filter((f) => f.live));
    if (list.length === 0) continue;
    const what = kind === 'unreferenced' ? 'unreferenced blob' : 'partial download';
    ctx.out(
      `  ${list.length} ${what}${list.length === 1 ? '' : 's'} (${formatBytes(bytesOf(list))}): oci-cache-guard prune deletes them`,
    );
  }
  if (live.length > 0) ctx.out(`  ${youngNote(live.length, bytesOf(live))}`);
  printImages(report.images, ctx);
  const problems = report.findings.filter(isProblem).length;
  const fixed = report.findings.filter((f) => f.action !== 'kept').length;
  const summary = [
    `checked ${report.blobs.checked} blobs (${formatBytes(report.blobs.bytes)}) in ${formatDuration(opts.ms)}`,
  ];
  if (opts.repaired) summary.push(`${fixed} repaired`);
  summary.push(
    report.ok
      ? 'cache is consistent'
      : `${problems} problem${problems === 1 ? '' : 's'} remain${problems === 1 ? 's' : ''}${opts.repaired ? '' : ': run with --repair'}`,
  );
  ctx.out(summary.join(', '));
}
