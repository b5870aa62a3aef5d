import { utimes } from 'node:fs/promises';
import { WRITER_GRACE_MS } from '../../src/layout/layout.js';

/**
 * Dates files back past the grace period, as a file left by a writer that died long ago:
 * repair and prune keep a temp file, partial or stray written more recently (it may belong
 * to a live writer), so a test that expects one removed makes it old first.
 */
export async function settled(...files: string[]): Promise<void> {
  const past = new Date(Date.now() - 2 * WRITER_GRACE_MS);
  for (const file of files) await utimes(file, past, past);
}
