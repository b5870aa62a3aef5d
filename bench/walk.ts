/**
 * `npm run bench -- walk [--sizes 500,2000] [--rounds 3] [--dir D] [--keep]`
 *
 * The shared-subtree shape of issue 17: N index.json entries, each a distinct small index
 * whose only child is one shared index of N manifests (4 platforms among them). Measures the
 * CPU time of `validate`, `validate --mode size`, `ls` and `prune --dry-run` over it, per N,
 * each in a child process (walk-child.ts: the command alone, not Node's start-up).
 * Goal: the largest N costs at most (N / smallest N) × 1.125 of the smallest's CPU
 * (4.5× for 2000 vs 500: linear, with room for noise). Exit 1 when one command misses it.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { collect, median } from './common.js';

export const summary = 'CPU of validate/ls/prune over N entries sharing one index of N manifests';

const COMMANDS: string[][] = [['validate'], ['validate', '--mode', 'size'], ['ls'], ['prune', '--dry-run']];
const PLATFORMS = ['amd64', 'arm64', 'ppc64le', 's390x'];
const MT = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
}

/** Writes the shape for `n` into `dir` (an empty directory). */
export async function buildSharedShape(dir: string, n: number): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const blob = async (text: string, mediaType: string): Promise<Desc> => {
    const hex = createHash('sha256').update(text).digest('hex');
    await writeFile(path.join(blobs, hex), text);
    return { mediaType, digest: `sha256:${hex}`, size: Buffer.byteLength(text) };
  };
  const layer = await blob('one layer every manifest shares', MT.layer);
  const manifests: Desc[] = [];
  for (let i = 0; i < n; i++) {
    const architecture = PLATFORMS[i % PLATFORMS.length]!;
    const config = await blob(JSON.stringify({ architecture, os: 'linux', n: i }), MT.config);
    const m = await blob(
      JSON.stringify({ schemaVersion: 2, mediaType: MT.manifest, config, layers: [layer] }),
      MT.manifest,
    );
    manifests.push({ ...m, platform: { os: 'linux', architecture } });
  }
  const shared = await blob(JSON.stringify({ schemaVersion: 2, mediaType: MT.index, manifests }), MT.index);
  const entries: Desc[] = [];
  for (let i = 0; i < n; i++) {
    const root = await blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.index,
        manifests: [shared],
        annotations: { n: `${i}` },
      }),
      MT.index,
    );
    entries.push({
      ...root,
      annotations: { 'org.opencontainers.image.ref.name': `example.com/shared:${i}` },
    });
  }
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: entries }));
}

async function cpuOf(args: string[], rounds: number): Promise<number> {
  const child = fileURLToPath(new URL('./walk-child.ts', import.meta.url));
  const seconds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const out = await collect(process.execPath, [...process.execArgv, child, JSON.stringify(args)]);
    const last = out.stderr.trim().split('\n').pop() ?? '';
    const report = JSON.parse(last) as { code: number; cpuSeconds: number };
    if (report.code !== 0) throw new Error(`${args.join(' ')} exited ${report.code}: ${out.stderr}`);
    seconds.push(report.cpuSeconds);
  }
  return median(seconds);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '500,2000' },
      rounds: { type: 'string', default: '3' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const sizes = values.sizes.split(',').map(Number);
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--sizes ${JSON.stringify(values.sizes)}: expected two or more counts, as 500,2000`);
  const rounds = Math.max(1, Number(values.rounds) || 1);
  const base = values.dir ?? (await mkdtemp(path.join(tmpdir(), 'bench-walk-')));
  const cpu = new Map<string, number[]>();
  try {
    for (const n of sizes) {
      const dir = path.join(base, `n${n}`);
      await rm(dir, { recursive: true, force: true });
      await buildSharedShape(dir, n);
      for (const command of COMMANDS) {
        const seconds = await cpuOf([...command, '--cache', dir], rounds);
        const key = command.join(' ');
        cpu.set(key, [...(cpu.get(key) ?? []), seconds]);
        console.log(`N=${n}  ${key.padEnd(22)} ${seconds.toFixed(2)} s CPU`);
      }
    }
  } finally {
    if (!values.keep) await rm(base, { recursive: true, force: true });
  }
  const allowed = (sizes.at(-1)! / sizes[0]!) * 1.125;
  let ok = true;
  for (const [key, s] of cpu) {
    const ratio = s.at(-1)! / s[0]!;
    const pass = ratio <= allowed;
    ok &&= pass;
    console.log(
      `${key.padEnd(22)} N=${sizes.at(-1)} / N=${sizes[0]}: ${ratio.toFixed(2)}×  goal ≤ ${allowed.toFixed(2)}×  ${pass ? 'ok' : 'MISSED'}`,
    );
  }
  return ok ? 0 : 1;
}
