import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { entryKey, type IndexRead, type Layout } from '../layout/layout.js';
import { isAlgorithm, isValidHex } from '../oci/digest.js';

/**
 * A content fingerprint of a layout: its blobs (name and size, sorted) and its index.json
 * entries. Cheap (no hashing: run it after verification); equal fingerprints mean there is
 * nothing new to save. Partial downloads and strays do not count.
 */
export async function layoutFingerprint(layout: Layout): Promise<string> {
  const blobs: { digest: string; size: number }[] = [];
  for (const alg of await readdir(layout.blobsDir).catch(() => [] as string[])) {
    if (!isAlgorithm(alg)) continue;
    const dir = path.join(layout.blobsDir, alg);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!isValidHex(alg, name)) continue;
      const s = await lstat(path.join(dir, name)).catch(() => undefined);
      if (s?.isFile()) blobs.push({ digest: `${alg}:${name}`, size: s.size });
    }
  }
  return fingerprintOf(blobs, await layout.readIndex());
}

/** The fingerprint of blobs already listed (by a scan) and an index.json already read. */
export function fingerprintOf(blobs: Iterable<{ digest: string; size: number }>, index: IndexRead): string {
  const hash = createHash('sha256');
  const lines: string[] = [];
  for (const b of blobs) lines.push(`${b.digest} ${b.size}`);
  // Line by line: a million entries joined into one string would approach V8's string limit.
  const update = (all: string[]) => all.forEach((line, i) => hash.update(i === 0 ? line : `\n${line}`));
  update(lines.sort());
  const entries = index.state === 'ok' ? index.doc.entries.map(entryKey).sort() : [index.state];
  hash.update('\nindex.json\n');
  update(entries);
  return hash.digest('hex').slice(0, 16);
}
