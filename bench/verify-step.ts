/**
 * The step `npm run bench -- verify` times: check every blob of a layout against its name.
 * It runs alone in a child process (verify-child.ts) so its peak RSS is its own.
 *
 * Today it drives HashPool directly; when the verifier lands, replace the body with
 * `validate --mode full` on `layoutDir` and keep the StepResult shape.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { HashPool, type HashPoolOptions } from '../src/verify/hash-pool.js';

export interface StepOptions {
  pool: Partial<HashPoolOptions>;
  /** Called with bytes hashed so far (across all blobs) and the total. */
  onProgress?: (bytes: number, totalBytes: number) => void;
}

export interface StepResult {
  files: number;
  bytes: number;
  /** One line per blob whose content does not match its name, or could not be read. */
  problems: string[];
}

export async function verifyLayout(layoutDir: string, options: StepOptions): Promise<StepResult> {
  const dir = path.join(layoutDir, 'blobs', 'sha256');
  const names = await readdir(dir);
  const pool = HashPool.create(options.pool);
  try {
    const onProgress = options.onProgress;
    const results = await pool.hashFiles(
      names.map((name) => ({ path: path.join(dir, name), algorithm: 'sha256' as const })),
      onProgress ? { onProgress: (p) => onProgress(p.bytes, p.totalBytes) } : {},
    );
    const problems: string[] = [];
    let bytes = 0;
    results.forEach((r, i) => {
      if (!r.ok) problems.push(r.message);
      else if (r.hex !== names[i]) problems.push(`${r.path}: content is sha256:${r.hex}`);
      else bytes += r.size;
    });
    return { files: names.length, bytes, problems };
  } finally {
    await pool.close();
  }
}
