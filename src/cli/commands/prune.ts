import { openCache } from '../cache.js';
import { COMMON_OPTIONS, commonSettings, parseCommand } from '../args.js';
import { formatBytes, printable, printableJson } from '../../format.js';
import { pruneUnreferenced } from '../../verify/index.js';
import type { PruneResult } from '../../verify/prune.js';
import type { CliContext } from '../context.js';
import { findingLine } from '../findings.js';

export const PRUNE_HELP = `Usage: oci-cache-guard prune [--dry-run] [--json] [--cache DIR]

Deletes what no image in index.json needs: unreferenced blobs, partial downloads (unless a
pull is resuming them right now) and strays. Blobs of every index.json entry are kept.

Options:
  --dry-run    list what would be deleted, delete nothing
  --json       print {removed, bytes, dryRun} ({wouldRemove, bytes, dryRun} with --dry-run)`;

export async function pruneCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand('prune', argv, {
    ...COMMON_OPTIONS,
    'dry-run': { type: 'boolean', default: false },
  });
  if (values.help) return (ctx.out(PRUNE_HELP), 0);
  const settings = commonSettings(values, ctx.env);
  const layout = await openCache(settings.cache, ctx);
  const result = await pruneUnreferenced(layout, { dryRun: values['dry-run'], logger: ctx.logger });
  if (settings.json) {
    ctx.out(printableJson(pruneJson(result)));
    return 0;
  }
  for (const f of result.removed)
    ctx.out(`  ${findingLine(f, result.dryRun ? 'would be removed' : 'removed')}`);
  if (result.note) ctx.out(`  ${printable(result.note)}`);
  const verb = result.dryRun ? 'would delete' : 'deleted';
  ctx.out(
    `${verb} ${result.removed.length} file${result.removed.length === 1 ? '' : 's'}, ${formatBytes(result.bytes)} ${result.dryRun ? 'to free' : 'freed'}`,
  );
  return 0;
}

/**
 * A dry run deletes nothing: its list is called `wouldRemove`, and its findings carry no
 * `action` (the verifier's "kept" would contradict the list's name).
 */
function pruneJson(result: PruneResult): object {
  if (!result.dryRun) return result;
  const { removed, ...rest } = result;
  return { ...rest, wouldRemove: removed.map(({ action: _action, ...f }) => f) };
}
