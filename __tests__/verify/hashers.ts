// Hashers for walk tests: the real inline hasher behind a counter, and one that agrees with
// every name (to reach states a sound sha256 never allows, such as a cycle of valid blobs).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Digest } from '../../src/oci/digest.js';
import { hashFileInline, type HashResult } from '../../src/hash/hash-pool.js';
import type { Hasher } from '../../src/verify/scan.js';

/** Hashes on the calling thread and counts how often each file was hashed. */
export function countingHasher(): Hasher & { counts: Map<string, number>; total(): number } {
  const counts = new Map<string, number>();
  return {
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    async hashFiles(items) {
      for (const item of items) counts.set(item.path, (counts.get(item.path) ?? 0) + 1);
      return Promise.all(items.map((item) => hashFileInline(item.path, item.algorithm)));
    },
  };
}

/** Says every file hashes to its own name. */
export const credulousHasher: Hasher = {
  async hashFiles(items) {
    return Promise.all(
      items.map(async (item): Promise<HashResult> => {
        const hex = path.basename(item.path);
        const { size } = await stat(item.path);
        return {
          ok: true,
          path: item.path,
          algorithm: item.algorithm,
          size,
          hex,
          digest: `${item.algorithm}:${hex}` as Digest,
        };
      }),
    );
  },
};
