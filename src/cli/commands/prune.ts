import { openExistingCache } from '../cache.js';
import { COMMON_OPTIONS, commonSettings, parseCommand } from '../args.js';
import { formatBytes } from '../../format.js';
import { describeFinding, pruneUnreferenced } from '../../verify/index.js';
import type { CliContext } from '../context.js';

export const PRUNE_HELP = `Usage: oci-cache-guard prune [--dry-run] [--json] [--cache DIR]

Deletes what no image in index.json needs: unreferenced blobs, partial downloads (unless a
pull is resuming them right now) and strays. Blobs of every index.json entry are kept.

Options:
  --dry-run    list what would be deleted, delete nothing`;

export async function pruneCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand('prune', argv, {
    ...COMMON_OPTIONS,
    'dry-run': { type: 'boolean', default: false },
  });
  if (values.help) return (ctx.out(PRUNE_HELP), 0);
  const settings = commonSettings(values, ctx.env);
  const layout = await openExistingCache(settings.cache);
  const result = await pruneUnreferenced(layout, { dryRun: values['dry-run'], logger: ctx.logger });
  if (settings.json) {
    ctx.out(JSON.stringify(result, null, 2));
    return 0;
  }
  for (const f of result.removed)
    ctx.out(`  ${describeFinding(f, result.dryRun ? 'would be removed' : 'removed')}`);
  if (result.note) ctx.out(`  ${result.note}`);
  const verb = result.dryRun ? 'would delete' : 'deleted';
  ctx.out(
    `${verb} ${result.removed.length} file${result.removed.length === 1 ? '' : 's'}, ${formatBytes(result.bytes)} ${result.dryRun ? 'to free' : 'freed'}`,
  );
  return 0;
}
