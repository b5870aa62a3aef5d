/**
 * Runs the committed bundles the way a GitHub Actions runner does: one child process per step
 * (`node dist/<entry>/index.js`, cwd = the workspace), with the environment the runner builds:
 *
 * - `INPUT_<NAME>` for every input of the step's `action.yml`: the value given, else its
 *   default (`${{ github.token }}` becomes a fake token). GitHub upper-cases input names and
 *   keeps dashes (`INPUT_LINUXKIT-FILES`); an input the action.yml does not declare throws,
 *   so a typo in a test cannot pass silently;
 * - fresh `GITHUB_OUTPUT`, `GITHUB_STATE`, `GITHUB_STEP_SUMMARY`, `GITHUB_ENV`, `GITHUB_PATH`
 *   files per step, parsed after it (the `name<<delimiter` format `@actions/core` writes); a
 *   job's post step gets the variables and PATH entries main exported;
 * - for a post step, `STATE_<name>` variables taken from the main step's `GITHUB_STATE` file;
 * - `RUNNER_TEMP`, `RUNNER_OS=Linux`, `RUNNER_ARCH=X64`, `GITHUB_WORKSPACE`, a `HOME` of its own
 *   (so `~/.linuxkit/cache` is isolated), `GITHUB_ACTIONS`, `CI` and run ids; nothing else from
 *   the test process but `PATH` (no proxies, no `ACTIONS_CACHE_MODE` leaking in).
 *
 * A Runner keeps the same directory paths for its whole life, as hosted runners do
 * (`/home/runner`, `/home/runner/work/_temp`): the cache version hashes the absolute cache
 * path, so a second job must see the same `HOME`. `freshMachine()` empties home and temp
 * between jobs, like a new VM.
 *
 * Annotations (`::error file=…,line=…::message`) and the rest of the workflow-command lines
 * are parsed from stdout. The bundles run from a copy of dist/ taken at first use, so a
 * rebuild of dist/ during a test run cannot pull them from under it.
 *
 * `startActionLab()` (below) adds what the action's end-to-end tests and the demo need
 * around a runner: the registry behind a recording proxy, the cache service emulator and a
 * linuxkit-like image set.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { emulatorEnv, startCacheEmulator, type CacheEmulator } from './cache-emulator.js';
import { startFaultProxy, type FaultProxy, type ProxyRecord } from './fault-proxy.js';
import { buildMultiArchIndex, pushFixture, type BuiltIndex } from './fixtures.js';
import { makeTempDir, removeTempDir } from './proc.js';
import { startRegistry, type Registry } from './registry.js';

/** The repository root (where action.yml and dist/ live). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Each bundle, its entry point in src/, and the action.yml whose inputs it gets. */
export const ENTRIES = {
  main: { bundle: 'dist/main/index.js', source: 'src/action/main.ts', actionYml: 'action.yml' },
  post: { bundle: 'dist/post/index.js', source: 'src/action/post.ts', actionYml: 'action.yml' },
  restore: {
    bundle: 'dist/restore/index.js',
    source: 'src/action/restore-only.ts',
    actionYml: 'restore/action.yml',
  },
  save: { bundle: 'dist/save/index.js', source: 'src/action/save-only.ts', actionYml: 'save/action.yml' },
} as const;

/** tsx's loader, by absolute path: steps run with the workspace as their working directory. */
const TSX_LOADER = createRequire(import.meta.url).resolve('tsx');

export type Entry = keyof typeof ENTRIES;

/** The fake `${{ github.token }}` every step gets unless a test passes `github-token`. */
export const FAKE_GITHUB_TOKEN = 'ghs_fakeTokenForTests000000000000000000';

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  /** file, line, col, endLine, endColumn, title: as written, unescaped. */
  properties: Record<string, string>;
}

export interface StepResult {
  entry: Entry;
  /** Exit code (a signal name if killed). */
  code: number | string;
  /** True when the step would fail the job: a non-zero exit. */
  failed: boolean;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** What the step saved with `core.saveState`. */
  state: Record<string, string>;
  annotations: Annotation[];
  /** The job summary markdown/HTML the step appended ('' when none). */
  summary: string;
  /** Variables the step exported (`GITHUB_ENV`); the runner gives them to later steps. */
  exportedEnv: Record<string, string>;
  /** Directories the step added to PATH (`GITHUB_PATH`). */
  addedPath: string[];
  /** Values registered with `::add-mask::`. */
  masks: string[];
  ms: number;
}

export interface StepOptions {
  /** Inputs by their action.yml names; missing ones get action.yml's default. */
  inputs?: Record<string, string>;
  /** Extra environment (after the runner's own, so it may override RUNNER_ARCH etc.). */
  env?: Record<string, string>;
  /** The state a post step reads as `STATE_<name>` (usually the main step's `state`). */
  state?: Record<string, string>;
  /** The node binary; default the one running the tests. */
  node?: string;
  /** Kill the step (by pid) after this long; default 60 s. */
  timeoutMs?: number;
}

export interface JobResult {
  main: StepResult;
  post: StepResult;
}

export interface Runner {
  /** Temp root holding home/, work/ (the workspace) and temp/ (RUNNER_TEMP). */
  readonly root: string;
  readonly home: string;
  readonly workspace: string;
  readonly temp: string;
  /** `$HOME/.linuxkit/cache`: where the action's default `path` lands. */
  readonly linuxkitCache: string;
  /** Environment every step gets besides the runner's own (e.g. `emulatorEnv(...)` minus dirs). */
  env: Record<string, string>;
  /**
   * Run the entry points from src/ through tsx instead of the committed bundles: for tests of
   * behaviour dist/ does not have until it is rebuilt (the lead rebuilds it when merging).
   */
  fromSource: boolean;
  /** Run the bundles in this directory (`<entry>/index.js`, as `scripts/bundle.mjs --out` makes them) instead of dist/'s. */
  bundleDir: string | undefined;
  /** The environment of every step, before its own files, inputs and state. */
  baseEnv(): Record<string, string>;
  /** Runs one bundle to completion. */
  step(entry: Entry, opts?: StepOptions): Promise<StepResult>;
  /** main, then post with main's state (post runs whatever main did: `post-if: always()`). */
  job(opts?: Omit<StepOptions, 'state'>): Promise<JobResult>;
  /** Empties home and temp (a new VM with the same paths); the workspace stays. */
  freshMachine(): Promise<void>;
  remove(): Promise<void>;
}

let bundles: Promise<string> | undefined;

/**
 * A copy of dist/ taken at first use, so a suite runs one consistent set of bundles even when
 * someone rebuilds dist/ meanwhile (the bundles are self-contained; only package.json's
 * `"type": "module"` beside each must come along).
 */
function bundleSnapshot(): Promise<string> {
  bundles ??= (async () => {
    const dir = await makeTempDir('bundles');
    for (const entry of Object.keys(ENTRIES) as Entry[]) {
      const from = path.join(REPO_ROOT, path.dirname(ENTRIES[entry].bundle));
      await cp(from, path.join(dir, path.basename(from)), { recursive: true });
    }
    return dir;
  })();
  return bundles;
}

const actionInputs = new Map<string, Promise<Record<string, string>>>();

/** The inputs an action.yml declares, with their defaults ('' when none). */
export function readActionInputs(actionYml: string): Promise<Record<string, string>> {
  let inputs = actionInputs.get(actionYml);
  if (!inputs) {
    inputs = readFile(path.join(REPO_ROOT, actionYml), 'utf8').then((text) => {
      const doc = parseYaml(text) as { inputs?: Record<string, { default?: unknown }> };
      const out: Record<string, string> = {};
      for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
        out[name] = spec?.default === undefined ? '' : String(spec.default);
      }
      return out;
    });
    actionInputs.set(actionYml, inputs);
  }
  return inputs;
}

/** What the runner substitutes for the expressions action.yml defaults may use. */
function evaluateDefault(value: string): string {
  return value.replace(/\$\{\{\s*github\.token\s*\}\}/g, FAKE_GITHUB_TOKEN);
}

/** `INPUT_<NAME>`: upper case, spaces to underscores, dashes kept (as the runner does). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * Parses a file written by `@actions/core`'s file commands (`GITHUB_OUTPUT`, `GITHUB_STATE`):
 * `name<<DELIM\nvalue\nDELIM\n` entries, and plain `name=value` lines.
 */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      if (i >= lines.length) throw new Error(`file command ${name}: no closing delimiter ${delimiter}`);
      out[name] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`file command: cannot parse ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const unescapeData = (s: string): string =>
  s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string): string => unescapeData(s.replace(/%3A/gi, ':').replace(/%2C/gi, ','));

/** Annotations and masks from a step's stdout (`::warning file=a,line=3::message`). */
export function parseWorkflowCommands(stdout: string): { annotations: Annotation[]; masks: string[] } {
  const annotations: Annotation[] = [];
  const masks: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const [, command, props = '', data = ''] = m;
    if (command === 'add-mask') {
      masks.push(unescapeData(data));
      continue;
    }
    if (command !== 'error' && command !== 'warning' && command !== 'notice') continue;
    const properties: Record<string, string> = {};
    for (const pair of props.split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    annotations.push({ level: command, message: unescapeData(data), properties });
  }
  return { annotations, masks };
}

async function readIfExists(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
}

async function emptyDir(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(path.join(dir, name), { recursive: true, force: true });
}

/** Makes a runner: a temp root with home/, work/<repo>/ and temp/, removed by remove(). */
export async function makeRunner(env: Record<string, string> = {}): Promise<Runner> {
  const root = await makeTempDir('runner');
  const home = path.join(root, 'home');
  const workspace = path.join(root, 'work', 'repo');
  const temp = path.join(root, 'temp');
  for (const dir of [home, workspace, temp]) await mkdir(dir, { recursive: true });
  let stepCount = 0;

  const runner: Runner = {
    root,
    home,
    workspace,
    temp,
    linuxkitCache: path.join(home, '.linuxkit', 'cache'),
    env,
    fromSource: false,
    bundleDir: undefined,

    async step(entry, opts = {}) {
      const spec = ENTRIES[entry];
      const declared = await readActionInputs(spec.actionYml);
      const given = opts.inputs ?? {};
      const unknown = Object.keys(given).filter((name) => !(name in declared));
      if (unknown.length) throw new Error(`${spec.actionYml} declares no input ${unknown.join(', ')}`);

      const n = ++stepCount;
      const files = {
        output: path.join(temp, '_runner_file_commands', `set_output_${n}`),
        state: path.join(temp, '_runner_file_commands', `save_state_${n}`),
        summary: path.join(temp, '_runner_file_commands', `step_summary_${n}`),
        env: path.join(temp, '_runner_file_commands', `set_env_${n}`),
        path: path.join(temp, '_runner_file_commands', `add_path_${n}`),
      };
      await mkdir(path.dirname(files.output), { recursive: true });
      for (const file of Object.values(files)) await writeFile(file, '');

      const childEnv: Record<string, string> = {
        ...runner.baseEnv(),
        GITHUB_OUTPUT: files.output,
        GITHUB_STATE: files.state,
        GITHUB_STEP_SUMMARY: files.summary,
        GITHUB_ENV: files.env,
        GITHUB_PATH: files.path,
        ...opts.env,
      };
      for (const [name, value] of Object.entries(declared)) {
        childEnv[inputEnvName(name)] = given[name] ?? evaluateDefault(value);
      }
      for (const [name, value] of Object.entries(opts.state ?? {})) childEnv[`STATE_${name}`] = value;

      const started = Date.now();
      const { code, stdout, stderr } = await spawnStep(
        opts.node ?? process.execPath,
        runner.fromSource
          ? ['--import', TSX_LOADER, path.join(REPO_ROOT, spec.source)]
          : [path.join(runner.bundleDir ?? (await bundleSnapshot()), path.relative('dist', spec.bundle))],
        { cwd: workspace, env: childEnv, timeoutMs: opts.timeoutMs ?? 60_000 },
      );
      const ms = Date.now() - started;
      const { annotations, masks } = parseWorkflowCommands(stdout);
      return {
        entry,
        code,
        failed: code !== 0,
        stdout,
        stderr,
        outputs: parseFileCommands(await readIfExists(files.output)),
        state: parseFileCommands(await readIfExists(files.state)),
        annotations,
        summary: await readIfExists(files.summary),
        exportedEnv: parseFileCommands(await readIfExists(files.env)),
        addedPath: (await readIfExists(files.path)).split('\n').filter(Boolean),
        masks,
        ms,
      };
    },

    baseEnv: () => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_REPOSITORY: 'example/repo',
      GITHUB_RUN_ID: '1000',
      GITHUB_RUN_ATTEMPT: '1',
      RUNNER_TEMP: temp,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      ...runner.env,
    }),

    async job(opts = {}) {
      const main = await runner.step('main', opts);
      // Later steps see what main exported (LINUXKIT_CACHE, say) and added to PATH.
      const env = { ...main.exportedEnv, ...opts.env };
      if (main.addedPath.length) env.PATH = [...main.addedPath, runner.baseEnv().PATH].join(path.delimiter);
      const post = await runner.step('post', { ...opts, env, state: main.state });
      return { main, post };
    },

    async freshMachine() {
      await emptyDir(home);
      await emptyDir(temp);
    },

    remove: () => removeTempDir(root),
  };
  return runner;
}

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Spawns `node ...args`, collects its output, kills it by pid on timeout. */
function spawnStep(
  node: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // With util-linux's setpriv the step dies with the test process, even on SIGKILL.
    const [file, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', node, ...args]] : [node, args];
    const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(
          new Error(`node ${args[0]} timed out after ${opts.timeoutMs} ms; stdout:\n${stdout}\n${stderr}`),
        );
        return;
      }
      resolve({ code: code ?? signal ?? 'unknown', stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The action lab: everything the action's end-to-end tests and the demo start.

/** Where an image sits in the generated linuxkit.yml. */
export type LinuxkitSection = 'kernel' | 'init' | 'onboot' | 'onshutdown' | 'services';

export interface LabImage {
  section: LinuxkitSection;
  /** `lk/kernel` */
  repo: string;
  /** `<proxy host>/lk/kernel:1`: what linuxkit.yml names; requests go through the recorder. */
  ref: string;
  built: BuiltIndex;
}

export interface ActionLab {
  registry: Registry;
  /** In front of the registry: every image reference points here, so it records every request. */
  proxy: FaultProxy;
  emulator: CacheEmulator;
  runner: Runner;
  /** The images linuxkit.yml lists by default. */
  images: LabImage[];
  /** Pushed to the registry but left out of linuxkit.yml unless asked for. */
  extra: LabImage;
  /** images[4] (getty) moved to a new tag: other content, tag `2`; left out of linuxkit.yml unless asked for. */
  moved: LabImage;
  /**
   * Writes `<workspace>/linuxkit.yml` naming `images` (default: lab.images) and returns the
   * 1-based line of each reference.
   */
  writeLinuxkitYml(images?: LabImage[]): Promise<{ file: string; lines: Map<LabImage, number> }>;
  /** Blob GETs the registry saw after `mark` (an index into proxy.requests). */
  blobGets(mark: number): ProxyRecord[];
  /**
   * Saves `paths` under `key` with the real `@actions/cache`, as a plain `actions/cache` step
   * would: whatever is on disk, unverified. Returns the cache id (-1 when not saved).
   */
  plainSave(paths: string[], key: string): Promise<number>;
  /** Stops the recorder and the registry behind it (connections are then refused). */
  stopRegistry(): Promise<void>;
  /** Stops everything and removes every directory. */
  stop(): Promise<void>;
}

/** The default set: a linuxkit-like multi-arch image set (OCI indexes with attestations). */
const LAB_IMAGES: { section: LinuxkitSection; repo: string; layers: number[] }[] = [
  { section: 'kernel', repo: 'lk/kernel', layers: [48 * 1024, 2048] },
  { section: 'init', repo: 'lk/init', layers: [4096, 512] },
  { section: 'init', repo: 'lk/runc', layers: [3072] },
  { section: 'onboot', repo: 'lk/sysctl', layers: [1024] },
  { section: 'services', repo: 'lk/getty', layers: [2048, 256] },
];
const LAB_EXTRA = { section: 'onshutdown' as const, repo: 'lk/extra', layers: [1536] };
const LAB_MOVED = { section: 'services' as const, repo: 'lk/getty', layers: [2048, 300], tag: '2' };

/**
 * Starts the registry behind a recording proxy and the cache emulator, builds and pushes the
 * image set (each image linux/amd64 + linux/arm64 with attestations), and makes a runner
 * wired to the emulator.
 */
export async function startActionLab(): Promise<ActionLab> {
  const build = await makeTempDir('lab-build');
  const registryStarting = startRegistry();
  let registry: Registry | undefined;
  let proxy: FaultProxy | undefined;
  let emulator: CacheEmulator | undefined;
  let runner: Runner | undefined;
  try {
    const specs: ((typeof LAB_IMAGES)[number] & { tag?: string })[] = [...LAB_IMAGES, LAB_EXTRA, LAB_MOVED];
    const dirOf = (s: { repo: string; tag?: string }) =>
      path.join(build, `${s.repo.replace('/', '-')}-${s.tag ?? '1'}`);
    const built = await Promise.all(
      specs.map((s) =>
        buildMultiArchIndex(dirOf(s), {
          tag: s.tag ?? '1',
          platforms: [
            { architecture: 'amd64', layers: s.layers },
            { architecture: 'arm64', layers: s.layers.map((n) => n + 100) },
          ],
        }),
      ),
    );
    registry = await registryStarting;
    const reg = registry;
    await Promise.all(specs.map((s) => pushFixture(dirOf(s), s.tag ?? '1', reg, { repo: s.repo })));
    proxy = await startFaultProxy(registry.url);
    emulator = await startCacheEmulator();
    runner = await makeRunner();
    runner.env = emulatorEnv(emulator);
    const host = proxy.host;
    const labImages = specs.map((s, i): LabImage => ({
      section: s.section,
      repo: s.repo,
      ref: `${host}/${s.repo}:${s.tag ?? '1'}`,
      built: built[i]!,
    }));
    const moved = labImages.pop()!;
    const extra = labImages.pop()!;
    const [p, e, r] = [proxy, emulator, runner];
    let registryUp = true;
    const lab: ActionLab = {
      registry,
      proxy,
      emulator,
      runner,
      images: labImages,
      extra,
      moved,
      writeLinuxkitYml: (images = labImages) => writeLinuxkitYml(r.workspace, images),
      blobGets: (mark) =>
        p.requests.slice(mark).filter((q) => q.method === 'GET' && /\/blobs\/[a-z0-9]+:/.test(q.url)),
      plainSave: (paths, key) => plainSave(r, paths, key),
      async stopRegistry() {
        if (!registryUp) return;
        registryUp = false;
        await p.stop();
        await reg.stop();
      },
      async stop() {
        await lab.stopRegistry();
        await e.stop();
        await r.remove();
        await removeTempDir(build);
      },
    };
    return lab;
  } catch (err) {
    await proxy?.stop();
    await (registry ?? (await registryStarting.catch(() => undefined)))?.stop();
    await emulator?.stop();
    await runner?.remove();
    await removeTempDir(build);
    throw err;
  }
}

async function writeLinuxkitYml(
  workspace: string,
  images: LabImage[],
): Promise<{ file: string; lines: Map<LabImage, number> }> {
  const text: string[] = ["# a small linuxkit.yml written by oci-cache-guard's test harness"];
  const lines = new Map<LabImage, number>();
  const add = (line: string, image: LabImage): void => {
    text.push(line);
    lines.set(image, text.length);
  };
  const of = (section: LinuxkitSection) => images.filter((i) => i.section === section);
  for (const image of of('kernel')) {
    text.push('kernel:');
    add(`  image: ${image.ref}`, image);
    text.push('  cmdline: "console=ttyS0"');
  }
  if (of('init').length) text.push('init:');
  for (const image of of('init')) add(`  - ${image.ref}`, image);
  for (const section of ['onboot', 'onshutdown', 'services'] as const) {
    if (of(section).length) text.push(`${section}:`);
    for (const image of of(section)) {
      text.push(`  - name: ${image.repo.split('/').pop()}`);
      add(`    image: ${image.ref}`, image);
    }
  }
  const file = path.join(workspace, 'linuxkit.yml');
  await writeFile(file, `${text.join('\n')}\n`);
  return { file, lines };
}

/** The script a plain actions/cache save runs: whatever is on disk, no checks. */
const PLAIN_SAVE = `
import * as cache from '@actions/cache';
const [paths, key] = JSON.parse(process.argv[1]);
const id = await cache.saveCache(paths, key);
console.log('cache-id=' + id);
process.exit(0);
`;

/** The script a plain actions/cache restore runs: the newest entry with the key as prefix, no checks. */
const PLAIN_RESTORE = `
import * as cache from '@actions/cache';
const [paths, key] = JSON.parse(process.argv[1]);
const hit = await cache.restoreCache(paths, key, [key]);
console.log('restored=' + (hit ?? ''));
process.exit(0);
`;

/** Restores `paths` from `key` with the real `@actions/cache`, as a plain `actions/cache` step would; the key restored or ''. */
export async function plainRestore(runner: Runner, paths: string[], key: string): Promise<string> {
  const { code, stdout, stderr } = await spawnStep(
    process.execPath,
    ['--input-type=module', '-e', PLAIN_RESTORE, JSON.stringify([paths, key])],
    { cwd: REPO_ROOT, env: runner.baseEnv(), timeoutMs: 600_000 },
  );
  const restored = /^restored=(.*)$/m.exec(stdout)?.[1];
  if (code !== 0 || restored === undefined)
    throw new Error(`plain cache restore failed (${code}): ${stdout}${stderr}`);
  return restored;
}

/** Saves `paths` under `key` with the real `@actions/cache`, as a plain `actions/cache` step would. */
export async function plainSave(runner: Runner, paths: string[], key: string): Promise<number> {
  const { code, stdout, stderr } = await spawnStep(
    process.execPath,
    ['--input-type=module', '-e', PLAIN_SAVE, JSON.stringify([paths, key])],
    { cwd: REPO_ROOT, env: runner.baseEnv(), timeoutMs: 600_000 },
  );
  const id = /^cache-id=(-?\d+)$/m.exec(stdout)?.[1];
  if (code !== 0 || id === undefined)
    throw new Error(`plain cache save failed (${code}): ${stdout}${stderr}`);
  return Number(id);
}
