import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { Algorithm } from '../../src/oci/digest.js';
import {
  HashPool,
  HashPoolClosedError,
  hashFileInline,
  type HashErrorCode,
  type HashResult,
} from '../../src/hash/hash-pool.js';

const MiB = 1024 * 1024;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const poolModule = path.join(repoRoot, 'src', 'hash', 'hash-pool.ts');

let dir: string;
const at = (name: string): string => path.join(dir, name);
const expected = (name: string, algorithm: Algorithm): string =>
  createHash(algorithm)
    .update(readFileSync(at(name)))
    .digest('hex');

const FILES: Record<string, number> = {
  empty: 0,
  small: 5,
  'one-read': MiB, // exactly one default read, then EOF
  'multi-mib': 3 * MiB + 12345, // several reads, a short last one
};
const hasFifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--help']).error === undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hash-pool-test-'));
  for (const [name, size] of Object.entries(FILES)) writeFileSync(at(name), randomBytes(size));
  writeFileSync(at('thousand'), randomBytes(1000));
  mkdirSync(at('a-directory'));
  symlinkSync('multi-mib', at('link-to-file'));
  symlinkSync('a-directory', at('link-to-directory'));
  symlinkSync('nowhere', at('dangling-link'));
  if (hasFifo) spawnSync('mkfifo', [at('a-fifo')]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Hasher = (p: string, a: Algorithm, o?: { maxBytes?: number }) => Promise<HashResult>;

function refusal(result: HashResult, code: HashErrorCode): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  expect(result.message.startsWith(result.path)).toBe(true);
  expect(result.message).not.toContain('\n');
}

/** The same table for the pool and the inline hasher: they must agree on everything. */
function contract(name: string, hasher: () => Hasher): void {
  describe(name, () => {
    for (const file of Object.keys(FILES)) {
      for (const algorithm of ['sha256', 'sha512'] as const) {
        it(`hashes ${file} with ${algorithm} like node:crypto`, async () => {
          const result = await hasher()(at(file), algorithm);
          const hex = expected(file, algorithm);
          expect(result).toEqual({
            ok: true,
            path: at(file),
            algorithm,
            size: FILES[file],
            hex,
            digest: `${algorithm}:${hex}`,
          });
        });
      }
    }

    it('refuses a symlink to a file without following it', async () => {
      refusal(await hasher()(at('link-to-file'), 'sha256'), 'ELOOP');
    });

    it('refuses symlinks to a directory and to nowhere as symlinks', async () => {
      refusal(await hasher()(at('link-to-directory'), 'sha256'), 'ELOOP');
      refusal(await hasher()(at('dangling-link'), 'sha256'), 'ELOOP');
    });

    it('refuses a directory', async () => {
      const result = await hasher()(at('a-directory'), 'sha256');
      refusal(result, 'NOT_REGULAR');
      expect(result.ok || result.message).toContain('directory');
    });

    it.skipIf(!hasFifo)('refuses a FIFO without waiting for a writer', async () => {
      refusal(await hasher()(at('a-fifo'), 'sha256'), 'NOT_REGULAR');
    });

    it('reports a missing file, or a path through a file, as ENOENT', async () => {
      refusal(await hasher()(at('missing'), 'sha256'), 'ENOENT');
      const through = await hasher()(path.join(at('small'), 'x'), 'sha256');
      refusal(through, 'ENOENT');
      expect(through.ok || through.errno).toBe('ENOTDIR');
    });

    it('refuses a file over maxBytes and accepts one at it', async () => {
      const over = await hasher()(at('thousand'), 'sha256', { maxBytes: 999 });
      refusal(over, 'TOO_LARGE');
      expect(over.ok || over.size).toBe(1000);
      const exact = await hasher()(at('thousand'), 'sha256', { maxBytes: 1000 });
      expect(exact.ok && exact.hex).toBe(expected('thousand', 'sha256'));
    });

    it('rejects an unknown algorithm as misuse', async () => {
      await expect(hasher()(at('small'), 'md5' as Algorithm)).rejects.toBeInstanceOf(UsageError);
    });
  });
}

describe('HashPool', () => {
  let pool: HashPool;
  beforeAll(() => {
    pool = HashPool.create();
  });
  afterAll(async () => {
    await pool.close();
  });

  contract('hashFile', () => (p, a, o) => pool.hashFile(p, a, o));

  it('hashes many files in parallel, each correctly, in input order', async () => {
    const sub = path.join(dir, 'many');
    mkdirSync(sub);
    const items = Array.from({ length: 120 }, (_, i) => {
      const p = path.join(sub, `f${i}`);
      writeFileSync(p, randomBytes((i * 7919) % (300 * 1024)));
      return { path: p, algorithm: (i % 3 === 0 ? 'sha512' : 'sha256') as Algorithm };
    });
    const withProblems = [...items, { path: at('link-to-file'), algorithm: 'sha256' as const }];
    const results = await pool.hashFiles(withProblems);
    expect(results).toHaveLength(withProblems.length);
    items.forEach((item, i) => {
      const r = results[i]!;
      expect(r.path).toBe(item.path);
      expect(r.ok && r.hex).toBe(createHash(item.algorithm).update(readFileSync(item.path)).digest('hex'));
    });
    refusal(results.at(-1)!, 'ELOOP');

    // Single calls in flight together land on the right promises too.
    const singles = await Promise.all(
      items.slice(0, 30).map((item) => pool.hashFile(item.path, item.algorithm)),
    );
    singles.forEach((r, i) => expect(r).toEqual(results[i]));
  });

  it('validates its options', () => {
    expect(() => HashPool.create({ workers: 0 })).toThrow(UsageError);
    expect(() => HashPool.create({ readSize: 10 })).toThrow(UsageError);
    expect(() => HashPool.create({ workers: 1.5 })).toThrow(UsageError);
  });
});

describe('HashPool scheduling and progress', () => {
  it('hashes a batch largest first and reports batch progress up to the total', async () => {
    const pool = HashPool.create({ workers: 1, readSize: 64 * 1024, progressInterval: 256 * 1024 });
    try {
      const sizes = [10 * 1024, 2 * MiB, 100 * 1024, MiB + 1];
      const items = sizes.map((size, i) => {
        const p = at(`sched-${i}`);
        writeFileSync(p, randomBytes(size));
        return { path: p, algorithm: 'sha256' as const };
      });
      const finished: number[] = [];
      const seen: number[] = [];
      let last = { bytes: 0, totalBytes: 0, files: 0, totalFiles: 0 };
      // Sizes come from lstat here; the second batch passes them in.
      const results = await pool.hashFiles(items, {
        onResult: (i) => finished.push(i),
        onProgress: (p) => {
          seen.push(p.bytes);
          last = p;
        },
      });
      // One worker: completion order is schedule order.
      expect(finished).toEqual([1, 3, 2, 0]);
      expect(results.map((r) => r.ok && r.size)).toEqual(sizes);
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(last).toEqual({ bytes: total, totalBytes: total, files: 4, totalFiles: 4 });
      expect(seen.length).toBeGreaterThan(4); // reports inside files, not only between them
      expect(seen).toEqual([...seen].sort((a, b) => a - b));

      finished.length = 0;
      await pool.hashFiles(
        items.map((item, i) => ({ ...item, size: [4, 3, 2, 1][i]! })),
        { onResult: (i) => finished.push(i) },
      );
      expect(finished).toEqual([0, 1, 2, 3]);
    } finally {
      await pool.close();
    }
  });

  it('reports progress within one file', async () => {
    const pool = HashPool.create({ workers: 1, readSize: 256 * 1024, progressInterval: MiB });
    try {
      const progress: number[] = [];
      const result = await pool.hashFile(at('multi-mib'), 'sha256', { onProgress: (b) => progress.push(b) });
      expect(progress).toEqual([MiB, 2 * MiB, 3 * MiB]);
      expect(result.ok && result.size).toBe(FILES['multi-mib']);
    } finally {
      await pool.close();
    }
  });
});

describe('HashPool.close', () => {
  it('rejects files not yet hashed, then refuses new work', async () => {
    const pool = HashPool.create({ workers: 1 });
    const pending = Array.from({ length: 4 }, () => pool.hashFile(at('multi-mib'), 'sha256'));
    const settling = Promise.allSettled(pending);
    await pool.close();
    const settled = await settling;
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect(s.status === 'rejected' && s.reason).toBeInstanceOf(HashPoolClosedError);
    }
    await expect(pool.hashFile(at('small'), 'sha256')).rejects.toBeInstanceOf(HashPoolClosedError);
    await expect(pool.hashFiles([{ path: at('small'), algorithm: 'sha256' }])).rejects.toBeInstanceOf(
      HashPoolClosedError,
    );
    await pool.close(); // idempotent
  });

  /** Runs a script in a fresh Node (with tsx) and resolves with its exit code and output. */
  function runScript(body: string): Promise<{ code: number | null; stdout: string }> {
    const script = path.join(dir, `child-${randomBytes(4).toString('hex')}.mts`);
    writeFileSync(script, `import { HashPool } from ${JSON.stringify(poolModule)};\n${body}\n`);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      // A bound on a hang, not a timing assertion: a pool that keeps Node alive never exits.
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child still running after 30 s: the pool kept the process alive\n${stdout}`));
      }, 30_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(guard);
        resolve({ code, stdout });
      });
    });
  }

  it('does not keep the process alive when never closed', async () => {
    const file = JSON.stringify(at('multi-mib'));
    const { code, stdout } = await runScript(
      `const pool = HashPool.create({ workers: 2 });\n` +
        `const r = await pool.hashFile(${file}, 'sha256');\n` +
        `console.log(r.ok ? r.hex : r.code);`,
    );
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(expected('multi-mib', 'sha256'));
  });

  it('lets the process exit after close, and when created but never used', async () => {
    const closed = await runScript(
      `const pool = HashPool.create();\nawait pool.hashFile(${JSON.stringify(at('small'))}, 'sha256');\nawait pool.close();\nconsole.log('closed');`,
    );
    expect(closed).toEqual({ code: 0, stdout: 'closed\n' });
    const unused = await runScript(`HashPool.create();\nconsole.log('unused');`);
    expect(unused).toEqual({ code: 0, stdout: 'unused\n' });
  });
});

describe('hashFileInline', () => {
  contract('contract', () => hashFileInline);

  it('returns the bytes it hashed when asked, so a manifest is parsed from what was verified', async () => {
    const result = await hashFileInline(at('multi-mib'), 'sha256', { keepBytes: true, maxBytes: 4 * MiB });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.bytes.equals(readFileSync(at('multi-mib')))).toBe(true);
    expect(result.hex).toBe(createHash('sha256').update(result.bytes).digest('hex'));
  });

  it('refuses keepBytes without maxBytes', async () => {
    await expect(hashFileInline(at('small'), 'sha256', { keepBytes: true })).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});

describe('bundling', () => {
  it('works from the committed single-file bundle, run from another directory (no worker file needed)', () => {
    const layout = mkdtempSync(path.join(tmpdir(), 'hash-pool-bundle-'));
    try {
      const bytes = readFileSync(at('small'));
      const hex = createHash('sha256').update(bytes).digest('hex');
      mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
      writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      writeFileSync(path.join(layout, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
      writeFileSync(path.join(layout, 'blobs', 'sha256', hex), bytes);
      writeFileSync(path.join(layout, 'blobs', 'sha256', 'a'.repeat(64)), bytes);
      const cli = path.join(repoRoot, 'dist', 'cli', 'index.js');
      const run = spawnSync(process.execPath, [cli, 'validate', '--json', '--cache', layout], {
        cwd: tmpdir(),
        encoding: 'utf8',
      });
      const report = JSON.parse(run.stdout) as { findings: { kind: string; digest?: string }[] };
      // The worker hashed both: one valid (unreferenced), one whose content is not its name.
      expect(report.findings.map((f) => [f.kind, f.digest])).toEqual([
        ['corrupt', `sha256:${'a'.repeat(64)}`],
        ['unreferenced', `sha256:${hex}`],
      ]);
    } finally {
      rmSync(layout, { recursive: true, force: true });
    }
  });
});
