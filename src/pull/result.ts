import { naming } from '../format.js';
import type { PullResult } from './pull.js';

/** Fetched from a registry in this run: new, or a tag that moved. */
export function isPulled(result: PullResult): boolean {
  return result.status === 'pulled' || result.status === 'updated';
}

/** "REF: why", naming the image once: most errors from the registry client already name it. */
export function pullFailure(result: PullResult): string {
  return naming(result.reference, result.error ?? 'failed', [result.reference, result.name]);
}
