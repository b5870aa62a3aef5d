import { printable } from '../format.js';
import { describeFinding, type Finding } from '../verify/index.js';

/**
 * One finding as a report line, printable on a terminal (paths and details come from the
 * cache). `action` overrides the finding's (prune --dry-run: "would be removed").
 */
export function findingLine(f: Finding, action: string = f.action): string {
  // Repair removes the index.json entry that needs a missing blob, never the blob (it is absent).
  const words = f.kind === 'missing' && action === 'removed' ? 'its entry removed from index.json' : action;
  return printable(describeFinding(f, words));
}
