import { openCache } from '../cache.js';
import { COMMON_OPTIONS, commonSettings, parseCommand } from '../args.js';
import { formatBytes, printable, printableJson } from '../../format.js';
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
  const layout = await openCache(settings.cache, ctx);
  const report = await checkLayout(layout, {
    mode: 'size',
    platforms: [],
    repair: false,
    logger: ctx.logger,
  });
  for (const f of report.findings.filter((f) => f.kind === 'index')) {
    ctx.stderr.write(
      `warning: ${printable(`${f.path} ${f.detail}`)}: run oci-cache-guard validate --repair\n`,
    );
  }
  if (settings.json) ctx.out(printableJson(report.images));
  else if (report.images.length === 0) ctx.out(`no images in ${printable(layout.root)}`);
  else printImages(report.images, ctx);
  return 0;
}

/** The images table; names come from index.json, so every cell is made printable. */
export function printImages(images: ImageStatus[], ctx: CliContext): void {
  if (images.length === 0) return;
  const header = ['IMAGE', 'DIGEST', 'PLATFORMS', 'SIZE'];
  const rows = images.map((img) =>
    [
      img.name,
      img.digest ? shortDigest(img.digest) : '-',
      img.problem ??
        (Object.entries(img.platforms)
          .map(([p, s]) => `${p} ${s}`)
          .join(', ') ||
          '-'),
      formatBytes(img.size),
    ].map(printable),
  );
  // A loop, not Math.max(...rows): a spread of a million rows overflows the call stack.
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  ctx.out(line(header));
  for (const r of rows) ctx.out(line(r));
}
