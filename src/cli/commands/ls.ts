import { openExistingCache } from '../cache.js';
import { COMMON_OPTIONS, commonSettings, parseCommand } from '../args.js';
import { formatBytes } from '../../format.js';
import { checkLayout, type ImageStatus } from '../../verify/index.js';
import { shortDigest } from '../../oci/digest.js';
import type { CliContext } from '../context.js';

export const LS_HELP = `Usage: oci-cache-guard ls [--json] [--cache DIR]

Lists the images in the cache: name, digest, platforms with their completeness
(complete, absent: not pulled, broken: something under it is missing or corrupt) and size.
Checks sizes only; run validate for a full sha256 check.`;

export async function lsCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand('ls', argv, COMMON_OPTIONS);
  if (values.help) return (ctx.out(LS_HELP), 0);
  const settings = commonSettings(values, ctx.env);
  const layout = await openExistingCache(settings.cache);
  const report = await checkLayout(layout, {
    mode: 'size',
    platforms: [],
    repair: false,
    logger: ctx.logger,
  });
  for (const f of report.findings.filter((f) => f.kind === 'index')) {
    ctx.stderr.write(`warning: ${f.path} ${f.detail}: run oci-cache-guard validate --repair\n`);
  }
  if (settings.json) ctx.out(JSON.stringify(report.images, null, 2));
  else if (report.images.length === 0) ctx.out(`no images in ${layout.root}`);
  else printImages(report.images, ctx);
  return 0;
}

export function printImages(images: ImageStatus[], ctx: CliContext): void {
  if (images.length === 0) return;
  const rows = images.map((img) => [
    img.name,
    img.digest ? shortDigest(img.digest) : '-',
    img.problem ??
      (Object.entries(img.platforms)
        .map(([p, s]) => `${p} ${s}`)
        .join(', ') ||
        '-'),
    formatBytes(img.size),
  ]);
  const header = ['IMAGE', 'DIGEST', 'PLATFORMS', 'SIZE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows])
    ctx.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}
