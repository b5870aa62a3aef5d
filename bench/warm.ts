/**
 * `npm run bench -- warm [--size-gib 1] [--rounds 3] [--node PATH] [--keep]`
 *
 * A warm cache hit, run as a runner runs it: the current source bundled (scripts/bundle.mjs
 * --out), the test harness's runner (one child process per step, a runner's environment) and
 * its cache service emulator with the real `@actions/cache`. The cache is linuxkit-shaped: one
 * image per layer (one half-size layer, the rest 8 MiB), every image listed in `images`. It is
 * saved once as one entry per image (the save sub-action: the cold save, timed) and once as one
 * archive (a plain `actions/cache` save, timed). Each round then restores the archive plainly
 * (no verification), then starts a fresh machine and runs main (restore the entries, verify
 * each as it lands, the pull's check) and post (verify again; nothing changed, nothing saved),
 * and between them `openssl dgst -sha256` in parallel over the restored cache.
 *
 * Goals: post ≤ 0.5 × openssl (post must not hash again); main's overhead beyond restoring and
 * hashing (main − restore − openssl) < 0.5 s; main ≤ 1.0× the plain restore; the cold save of
 * the entries ≤ 1.2× the one archive. Also printed: the CLI's start (`--help`, and
 * `validate` of an empty layout) against `node -e 0`, medians of interleaved runs. Exit 1 when
 * a goal fails. Step times include node's start, as on a runner.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_NEW_ENTRIES } from '../src/action/store/store.js';
import { collect, cpuSeconds, mb, median } from './common.js';
import { runOpenssl, writeRandomBlob } from './verify.js';

/** The harness (runner, emulator): loaded when the bench runs, not when it is listed. */
const harness = () => import('../__tests__/harness/runner.js');
const emulatorModule = () => import('../__tests__/harness/cache-emulator.js');

export const summary = 'a warm 1 GiB cache hit as the runner runs it (main, then post) vs openssl; CLI start';

const MiB = 1024 * 1024;
const SMALL_LAYER = 8 * MiB;
const GOAL_POST_RATIO = 0.5;
const GOAL_MAIN_OVERHEAD_S = 0.5;
/** Issue 18: main on a hit ≤ a plain one-archive restore; a cold save of entries ≤ 1.2× one archive. */
const GOAL_MAIN_RATIO = 1.0;
const GOAL_SAVE_RATIO = 1.2;
const KEY = 'oci-cache-guard-bench-warm';
/**
 * The network rounds' rate: on a runner the service is across a network (actions/cache#267
 * shows about 90 MB/s on a hosted runner), not a process sharing the step's two cores. Twice that,
 * so the download stays the faster part, as it favours the plain restore.
 */
const NETWORK_MBPS = 200;
const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

interface Settings {
  sizeGiB: number;
  rounds: number;
  node: string;
  keep: boolean;
  /** Bytes per second the service's downloads share in the network rounds. */
  networkRate: number;
}

function parse(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    options: {
      'size-gib': { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      node: { type: 'string', default: process.execPath },
      keep: { type: 'boolean', default: false },
      'network-mbps': { type: 'string', default: String(NETWORK_MBPS) },
    },
    strict: true,
  });
  const sizeGiB = Number(values['size-gib']);
  const rounds = Number(values.rounds);
  if (!(sizeGiB > 0)) throw new Error(`--size-gib ${values['size-gib']}: expected a positive number`);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds ${values.rounds}: expected a whole number ≥ 1`);
  const mbps = Number(values['network-mbps']);
  if (!(mbps > 0)) throw new Error(`--network-mbps ${values['network-mbps']}: expected a positive number`);
  return { sizeGiB, rounds, node: values.node, keep: values.keep, networkRate: mbps * 1e6 };
}

/** A layout of single-layer images (config, manifest, index.json entry each); their names. */
async function generateImages(root: string, sizeGiB: number): Promise<string[]> {
  const blobs = path.join(root, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (doc: unknown, mediaType: string) => {
    const bytes = Buffer.from(JSON.stringify(doc));
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(blobs, hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  };
  const total = Math.round(sizeGiB * 1024) * MiB;
  const big = Math.max(MiB, Math.round(total / 2 / MiB) * MiB);
  const sizes = [
    big,
    ...Array<number>(Math.max(1, Math.round((total - big) / SMALL_LAYER))).fill(SMALL_LAYER),
  ];
  const buffer = Buffer.allocUnsafe(4 * MiB);
  const names: string[] = [];
  const manifests = [];
  for (const [i, size] of sizes.entries()) {
    const layer = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: `sha256:${writeRandomBlob(blobs, size, buffer)}`,
      size,
    };
    const config = await put(
      { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } },
      'application/vnd.oci.image.config.v1+json',
    );
    const mediaType = 'application/vnd.oci.image.manifest.v1+json';
    const manifest = await put({ schemaVersion: 2, mediaType, config, layers: [layer] }, mediaType);
    const name = `bench.invalid/warm/img-${i}:1`;
    names.push(name);
    manifests.push({ ...manifest, annotations: { 'org.opencontainers.image.ref.name': name } });
  }
  await writeFile(path.join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(path.join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  console.log(`generated ${sizes.length} images, ${mb(sizes.reduce((a, b) => a + b, 0))} MB of layers`);
  return names;
}

/** What a plain actions/cache step would save of the layout: everything in it, as one archive. */
function archivePaths(dir: string): string[] {
  return ['oci-layout', 'index.json', 'blobs'].map((name) => path.join(dir, name));
}

type Cpu = { service: number; step: number };
/** CPU spent between two readings: by the in-process emulator, and by the step and its tools. */
function spent(a: { self: number; children: number }, b: { self: number; children: number }): Cpu {
  return { service: b.self - a.self, step: b.children - a.children };
}
const cpuText = (c: Cpu): string => `${c.service.toFixed(2)} + ${c.step.toFixed(2)}`;

/** Median wall milliseconds of each command, run `n` times each, interleaved. */
function startTimes(n: number, commands: string[][]): number[] {
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    commands.forEach(([cmd, ...args], j) => {
      const t = performance.now();
      const r = spawnSync(cmd!, args, { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.status}`);
      times[j]!.push(performance.now() - t);
    });
  }
  return times.map(median);
}

export async function run(args: string[]): Promise<number> {
  const settings = parse(args);
  const cores = availableParallelism();
  const work = await mkdtemp(path.join(tmpdir(), 'ocg-bench-warm-'));
  const { makeRunner, plainRestore, plainSave } = await harness();
  const { emulatorEnv, startCacheEmulator } = await emulatorModule();
  const emulator = await startCacheEmulator();
  const runner = await makeRunner(emulatorEnv(emulator));
  const cleanup = async () => {
    await emulator.stop();
    if (!settings.keep) {
      await runner.remove();
      await rm(work, { recursive: true, force: true });
    }
  };
  try {
    const bundles = path.join(work, 'bundles');
    console.log('bundling the current source (main, post, cli)…');
    const built = await collect(process.execPath, [
      path.join(REPO, 'scripts', 'bundle.mjs'),
      '--out',
      bundles,
      'main',
      'post',
      'save',
      'cli',
    ]);
    if (built.code !== 0) throw new Error(`bundle failed: ${built.stderr.trim()}`);
    runner.bundleDir = bundles;

    const images = await generateImages(runner.linuxkitCache, settings.sizeGiB);
    const names = new Set(await readdir(path.join(runner.linuxkitCache, 'blobs', 'sha256')));
    const inputs = { images: images.join('\n'), 'key-prefix': KEY, 'max-new-entries': String(images.length) };

    // Cold save: one entry per image (the save sub-action), then the same content as one archive.
    const mark = emulator.events.length;
    const coldSave = await runner.step('save', { inputs, node: settings.node, timeoutMs: 600_000 });
    const created = emulator.events.slice(mark).filter((e) => e.kind === 'commit').length;
    if (coldSave.code !== 0 || created !== images.length)
      throw new Error(`the save step created ${created} of ${images.length} entries: ${coldSave.stdout}`);
    const archive = archivePaths(runner.linuxkitCache);
    let started = performance.now();
    if ((await plainSave(runner, archive, `${KEY}-archive`)) < 0)
      throw new Error('could not save the archive');
    const archiveSave = (performance.now() - started) / 1000;
    console.log(
      `cold save: ${created} entries in ${(coldSave.ms / 1000).toFixed(2)} s; one archive in ${archiveSave.toFixed(2)} s`,
    );

    const mbpsText = `${settings.networkRate / 1e6} MB/s`;
    const rounds: {
      main: number;
      plain: number;
      restore: number;
      verify: number;
      pull: number;
      post: number;
      openssl: number;
      cpu?: { plain: Cpu; main: Cpu; openssl: Cpu };
      plainNet: number;
      mainNet: number;
    }[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      // A plain actions/cache restore of the same content as one archive, no verification.
      await runner.freshMachine();
      started = performance.now();
      const cpu0 = cpuSeconds();
      if ((await plainRestore(runner, archive, `${KEY}-archive`)) === '')
        throw new Error('plain restore missed');
      const plain = (performance.now() - started) / 1000;
      await runner.freshMachine();
      const opts = { inputs, node: settings.node, timeoutMs: 600_000 };
      const cpu1 = cpuSeconds();
      const main = await runner.step('main', opts);
      const cpu2 = cpuSeconds();
      if (main.code !== 0 || main.outputs['cache-hit'] !== 'true' || main.outputs['pulled-images'] !== '0')
        throw new Error(`main did not hit the cache: ${main.stdout}\n${main.stderr}`);
      const report = JSON.parse(await readFile(main.outputs.report!, 'utf8')) as {
        timings: { restoreMs: number; verifyMs: number; pullMs: number };
      };
      const openssl = await runOpenssl(runner.linuxkitCache, cores, names);
      const cpu3 = cpuSeconds();
      const post = await runner.step('post', { ...opts, state: main.state, env: main.exportedEnv });
      const counted = /^(\d+) blobs hashed, (\d+) unchanged/m.exec(post.stdout);
      if (post.code !== 0 || !counted) throw new Error(`post failed: ${post.stdout}\n${post.stderr}`);
      if (counted[1] !== '0') throw new Error(`post hashed ${counted[1]} blobs of an unchanged cache`);
      // The same pair with the service behind a network's rate: the download bounds the restore.
      emulator.downloadRate = settings.networkRate;
      const network = await (async () => {
        try {
          await runner.freshMachine();
          const t0 = performance.now();
          if ((await plainRestore(runner, archive, `${KEY}-archive`)) === '')
            throw new Error('plain restore missed');
          const plainNet = (performance.now() - t0) / 1000;
          await runner.freshMachine();
          const step = await runner.step('main', opts);
          if (step.code !== 0 || step.outputs['cache-hit'] !== 'true')
            throw new Error(`main did not hit the cache: ${step.stdout}\n${step.stderr}`);
          return { plainNet, mainNet: step.ms / 1000 };
        } finally {
          emulator.downloadRate = undefined;
        }
      })();
      const t = report.timings;
      rounds.push({
        ...network,
        main: main.ms / 1000,
        plain,
        restore: t.restoreMs / 1000,
        verify: t.verifyMs / 1000,
        pull: t.pullMs / 1000,
        post: post.ms / 1000,
        openssl,
        ...(cpu0 && cpu1 && cpu2 && cpu3
          ? { cpu: { plain: spent(cpu0, cpu1), main: spent(cpu1, cpu2), openssl: spent(cpu2, cpu3) } }
          : {}),
      });
      const last = rounds.at(-1)!;
      console.log(
        `round ${r + 1}: plain restore ${last.plain.toFixed(2)} s; main ${last.main.toFixed(2)} s (restore ${last.restore.toFixed(2)}, verify ${last.verify.toFixed(2)}, pull ${last.pull.toFixed(2)}), ` +
          `post ${last.post.toFixed(2)} s, openssl ${openssl.toFixed(2)} s; at ${mbpsText} plain restore ${last.plainNet.toFixed(2)} s, main ${last.mainNet.toFixed(2)} s` +
          (last.cpu
            ? `; CPU s (service + step): plain restore ${cpuText(last.cpu.plain)}, main ${cpuText(last.cpu.main)}, openssl ${cpuText(last.cpu.openssl)}`
            : ''),
      );
    }

    const m = (key: Exclude<keyof (typeof rounds)[number], 'cpu'>) => median(rounds.map((x) => x[key]));
    const postRatio = m('post') / m('openssl');
    const mainRatio = m('main') / m('plain');
    const netRatio = m('mainNet') / m('plainNet');
    const saveRatio = coldSave.ms / 1000 / archiveSave;
    const overhead = median(rounds.map((x) => x.main - x.restore - x.openssl));
    const emptyLayout = path.join(work, 'empty');
    await mkdir(emptyLayout);
    await writeFile(path.join(emptyLayout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(path.join(emptyLayout, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
    const cli = path.join(bundles, 'cli', 'index.js');
    const [bare, help, validate] = startTimes(20, [
      [settings.node, '-e', '0'],
      [settings.node, cli, '--help'],
      [settings.node, cli, 'validate', '--cache', emptyLayout],
    ]);

    const pass = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
    const sizes = await Promise.all(
      [...names].map((n) => stat(path.join(runner.linuxkitCache, 'blobs', 'sha256', n))),
    );
    const bytes = mb(sizes.reduce((sum, s) => sum + s.size, 0));
    console.log(
      `\nwarm bench: ${names.size} blobs, ${bytes} MB, ${cores} cores, node ${spawnSync(settings.node, ['--version']).stdout.toString().trim()}, medians of ${settings.rounds}`,
    );
    console.log(
      `  post   ${m('post').toFixed(2)} s vs openssl ${m('openssl').toFixed(2)} s (xargs -P ${cores}): ${postRatio.toFixed(2)}×   goal ≤ ${GOAL_POST_RATIO}×   ${pass(postRatio <= GOAL_POST_RATIO)}`,
    );
    console.log(
      `  main   ${m('main').toFixed(2)} s: restore ${m('restore').toFixed(2)}, verify ${m('verify').toFixed(2)}, pull ${m('pull').toFixed(2)}; beyond restore and openssl's hashing ${overhead.toFixed(2)} s   goal < ${GOAL_MAIN_OVERHEAD_S} s   ${pass(overhead < GOAL_MAIN_OVERHEAD_S)}`,
    );
    console.log(
      `  main   ${m('main').toFixed(2)} s vs a plain one-archive restore (no verification) ${m('plain').toFixed(2)} s: ${mainRatio.toFixed(2)}×   goal ≤ ${GOAL_MAIN_RATIO}×   ${pass(mainRatio <= GOAL_MAIN_RATIO)}`,
    );
    console.log(
      `  main   ${m('mainNet').toFixed(2)} s vs the plain restore ${m('plainNet').toFixed(2)} s with the service's downloads at ${mbpsText} (a runner's network): ${netRatio.toFixed(2)}×   goal ≤ ${GOAL_MAIN_RATIO}×   ${pass(netRatio <= GOAL_MAIN_RATIO)}`,
    );
    console.log(
      `  cold save of ${images.length} entries ${(coldSave.ms / 1000).toFixed(2)} s vs one archive ${archiveSave.toFixed(2)} s: ${saveRatio.toFixed(2)}×   goal ≤ ${GOAL_SAVE_RATIO}×   ${pass(saveRatio <= GOAL_SAVE_RATIO)}; entries created ${created} (max-new-entries ${images.length}; default ${DEFAULT_MAX_NEW_ENTRIES})`,
    );
    const withCpu = rounds.flatMap((x) => (x.cpu ? [x.cpu] : []));
    if (withCpu.length) {
      // The setup's ceiling: on this machine the service, the download, tar and zstd share the
      // cores with the hashing, so the plain restore's CPU plus openssl's is what main needs at
      // least; spread over every core, the least wall time that work can take.
      const total = (c: Cpu) => c.service + c.step;
      const plainCpu = median(withCpu.map((c) => total(c.plain)));
      const hashCpu = median(withCpu.map((c) => total(c.openssl)));
      const mainCpu = median(withCpu.map((c) => total(c.main)));
      const floor = (plainCpu + hashCpu) / cores;
      console.log(
        `  CPU    plain restore ${plainCpu.toFixed(2)} s + openssl ${hashCpu.toFixed(2)} s = ${(plainCpu + hashCpu).toFixed(2)} CPU-s; main ${mainCpu.toFixed(2)} CPU-s (${(mainCpu - plainCpu - hashCpu).toFixed(2)} more: what main adds beyond restoring and hashing)`,
      );
      console.log(
        `  setup  that work spread over ${cores} cores needs ≥ ${floor.toFixed(2)} s; main ${m('main').toFixed(2)} s is ${(m('main') / floor).toFixed(2)}× that floor, the plain restore ${(m('plain') / floor).toFixed(2)}×`,
      );
    }
    console.log(
      `  CLI start: --help ${help!.toFixed(0)} ms, validate (empty layout) ${validate!.toFixed(0)} ms; node -e 0 ${bare!.toFixed(0)} ms`,
    );
    return postRatio <= GOAL_POST_RATIO &&
      overhead < GOAL_MAIN_OVERHEAD_S &&
      mainRatio <= GOAL_MAIN_RATIO &&
      netRatio <= GOAL_MAIN_RATIO &&
      saveRatio <= GOAL_SAVE_RATIO
      ? 0
      : 1;
  } finally {
    await cleanup();
    if (settings.keep) console.log(`kept ${work} and ${runner.root}`);
  }
}
