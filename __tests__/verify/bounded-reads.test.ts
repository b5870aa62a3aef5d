// Sizes-only commands never read past a blob's declared size (issue 17, item 2): a 4 GiB
// sparse file in place of a small manifest or config is judged wrong by its size, unread.
// Bytes read are counted by the kernel (/proc/self/io rchar: every read of this process, its
// hashing threads included), not timed.
import { readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, type Desc } from '../harness/index.js';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { named, SyntheticLayout } from './synthetic.js';

const HUGE = 4 * 1024 ** 3;
/** Far below HUGE, far above what a command reads of a few small files. */
const READ_BUDGET = 64 * 1024 ** 2;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeTempDir));
});

async function bytesReadSoFar(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8');
  return Number(/^rchar: (\d+)$/m.exec(io)![1]);
}

/** runCli in-process, with the bytes this process read while it ran. */
async function cli(argv: string[]): Promise<{ code: number; out: string; read: number }> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      out += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  const ctx: CliContext = {
    out: (line) => (out += `${line}\n`),
    stderr: sink,
    logger: { debug: () => {}, info: (m) => (out += `${m}\n`), warn: (m) => (out += `${m}\n`) },
    env: {},
  };
  const before = await bytesReadSoFar();
  const code = await runCli(argv, ctx);
  return { code, out, read: (await bytesReadSoFar()) - before };
}

const file = (dir: string, d: Desc) => path.join(dir, 'blobs', 'sha256', d.digest.slice('sha256:'.length));

/** A two-platform image and a single-manifest image; `target` picks the blob made huge. */
async function cacheWithHugeBlob(target: 'root manifest' | 'platform manifest' | 'config') {
  const dir = await makeTempDir('bounded');
  dirs.push(dir);
  const layout = await SyntheticLayout.create(dir);
  const amd64 = await layout.manifest(await layout.config('amd64'), [await layout.layer()]);
  const arm64 = await layout.manifest(await layout.config('arm64'), [await layout.layer()]);
  const index = await layout.index([
    { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
    { ...arm64, platform: { os: 'linux', architecture: 'arm64' } },
  ]);
  const config = await layout.config('amd64');
  const single = await layout.manifest(config, [await layout.layer()]);
  await layout.writeIndexJson([named(index, 'example.com/multi:1'), named(single, 'example.com/single:1')]);
  const huge = target === 'root manifest' ? single : target === 'config' ? config : arm64;
  await truncate(file(dir, huge), HUGE);
  return { dir, huge };
}

describe('sizes-only commands read no blob past its declared size', () => {
  for (const target of ['root manifest', 'platform manifest', 'config'] as const) {
    it(`a 4 GiB sparse file in place of a ${target}: ls, validate --mode size and prune --dry-run judge it by size, unread`, async () => {
      const { dir, huge } = await cacheWithHugeBlob(target);
      const expected = `too long: ${HUGE} bytes, ${huge.size} expected`;

      const ls = await cli(['ls', '--json', '--cache', dir]);
      expect(ls.code).toBe(0);
      expect(ls.read).toBeLessThan(READ_BUDGET);
      const images = JSON.parse(ls.out) as {
        name: string;
        platforms: Record<string, string>;
        problem?: string;
      }[];
      const broken = images.find(
        (i) => i.name === (target === 'platform manifest' ? 'example.com/multi:1' : 'example.com/single:1'),
      )!;
      expect(broken.problem ?? Object.values(broken.platforms).join()).toMatch(/broken|corrupt/);

      const validate = await cli(['validate', '--mode', 'size', '--json', '--cache', dir]);
      expect(validate.code).toBe(1);
      expect(validate.read).toBeLessThan(READ_BUDGET);
      const report = JSON.parse(validate.out) as { findings: { digest?: string; detail: string }[] };
      expect(report.findings.find((f) => f.digest === huge.digest)?.detail).toContain(expected);

      const prune = await cli(['prune', '--dry-run', '--json', '--cache', dir]);
      expect(prune.code).toBe(0);
      expect(prune.read).toBeLessThan(READ_BUDGET);
    });
  }
});
