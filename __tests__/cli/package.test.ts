/**
 * The CLI as npm users get it: the current source bundled (scripts/bundle.mjs --out, so dist/
 * is neither needed nor touched), packed with the repository's package.json, installed with
 * `npm install -g` into an empty prefix offline, with an empty npm cache, then run from a
 * directory outside the repository with nothing but node on PATH. The bundle must be
 * self-contained: no dependency is installed, none may be needed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../harness/index.js';
import { REPO_ROOT } from '../harness/runner.js';
import packageJson from '../../package.json' with { type: 'json' };

const exec = promisify(execFile);

let tmp: string;
/** `<prefix>/bin/oci-cache-guard`, as npm linked it. */
let bin: string;
let prefix: string;
/** Only node (and the shell tools npm needs) on PATH; HOME and npm's cache are empty. */
let env: NodeJS.ProcessEnv;

/** Runs the installed CLI; never throws for a non-zero exit. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(bin, args, { cwd: tmp, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
}

/** A one-image OCI layout written byte by byte: a config, a layer, a manifest, index.json. */
async function writeLayout(dir: string): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Buffer, mediaType: string) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(blobs, hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  };
  const config = await put(
    Buffer.from(
      JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const layer = await put(Buffer.alloc(4096, 7), 'application/vnd.oci.image.layer.v1.tar');
  const manifest = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [layer],
      }),
    ),
    'application/vnd.oci.image.manifest.v1+json',
  );
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'docker.io/x/y:1' } }],
    }),
  );
}

beforeAll(async () => {
  tmp = await makeTempDir('package');
  const stage = path.join(tmp, 'stage');
  await exec(process.execPath, ['scripts/bundle.mjs', '--out', path.join(stage, 'dist'), 'cli'], {
    cwd: REPO_ROOT,
  });
  for (const file of ['package.json', 'README.md', 'LICENSE'])
    await cp(path.join(REPO_ROOT, file), path.join(stage, file));

  prefix = path.join(tmp, 'prefix');
  await writeFile(path.join(tmp, 'npmrc'), '');
  env = {
    PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
    HOME: path.join(tmp, 'home'),
    npm_config_cache: path.join(tmp, 'npm-cache'),
    npm_config_userconfig: path.join(tmp, 'npmrc'),
    npm_config_update_notifier: 'false',
  };
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: stage, env });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  await exec(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--offline',
      '--no-audit',
      '--no-fund',
      path.join(tmp, packed!.filename),
    ],
    { cwd: tmp, env },
  );
  bin = path.join(prefix, 'bin', 'oci-cache-guard');
}, 180_000);

describe('the packed CLI, installed with npm into an empty prefix', () => {
  it('packs the CLI bundle and the docs only, and declares no runtime dependency', async () => {
    const { stdout } = await exec('npm', ['pack', '--dry-run', '--json'], { cwd: REPO_ROOT, env });
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/cli/index.js']),
    );
    expect(
      paths.filter(
        (p) => !['package.json', 'README.md', 'LICENSE'].includes(p) && !p.startsWith('dist/cli/'),
      ),
    ).toEqual([]);
    expect(packageJson).not.toHaveProperty('dependencies');
    expect(packageJson).not.toHaveProperty('private');
  });

  it('installs nothing but itself', async () => {
    expect(await readdir(path.join(prefix, 'lib', 'node_modules'))).toEqual(['oci-cache-guard']);
    const installed = path.join(prefix, 'lib', 'node_modules', 'oci-cache-guard');
    expect((await readdir(installed)).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json']);
  });

  it('runs --help and --version', async () => {
    const help = await cli(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^oci-cache-guard \S+: keep an OCI image cache/);
    for (const command of ['validate', 'pull', 'ls', 'prune'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toBe(packageJson.version);
  });

  it('validates a layout, hashing in its worker threads, and names a corrupt blob', async () => {
    const cache = path.join(tmp, 'cache');
    await writeLayout(cache);
    const ok = await cli(['validate', '--cache', cache]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/checked 3 blobs .*cache is consistent/);

    const empty = path.join(tmp, 'empty');
    await mkdir(empty);
    const bare = await cli(['validate', '--cache', empty]);
    expect(bare.code).toBe(0); // an empty directory is an empty cache (issue 17 item 13)
    expect(bare.stdout).toMatch(/nothing to validate: an empty cache/);
    expect(bare.stderr).not.toMatch(/^\s+at /m);

    const layer = (await readdir(path.join(cache, 'blobs', 'sha256'))).find(
      (hex) => hex === createHash('sha256').update(Buffer.alloc(4096, 7)).digest('hex'),
    )!;
    await writeFile(path.join(cache, 'blobs', 'sha256', layer), Buffer.alloc(4096, 8));
    const bad = await cli(['validate', '--cache', cache]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`blobs/sha256/${layer.slice(0, 12)}… same size, content differs`));
  });

  it('loads the registry stack only for pull: validate, ls, prune and --help run without it', async () => {
    // A copy of the installed bundle without the chunks that hold undici (its UND_ERR_ error codes).
    const copy = path.join(tmp, 'no-registry');
    await cp(path.join(prefix, 'lib', 'node_modules', 'oci-cache-guard'), copy, { recursive: true });
    const dir = path.join(copy, 'dist', 'cli');
    const chunks = (await readdir(dir)).filter((f) => /^\d+\.index\.js$/.test(f));
    const registry: string[] = [];
    for (const f of chunks)
      if ((await readFile(path.join(dir, f), 'utf8')).includes('UND_ERR_')) registry.push(f);
    expect(registry.length).toBeGreaterThan(0);
    expect(registry.length).toBeLessThan(chunks.length);
    for (const f of registry) await rm(path.join(dir, f));

    const cache = path.join(tmp, 'no-registry-cache');
    await writeLayout(cache);
    const run = (args: string[]) =>
      exec(process.execPath, [path.join(dir, 'index.js'), ...args], { cwd: tmp, env }).then(
        () => 0,
        (err: { code: number; stderr: string }) => `${err.code}: ${err.stderr}`,
      );
    expect(await run(['--help'])).toBe(0);
    expect(await run(['validate', '--cache', cache])).toBe(0);
    expect(await run(['ls', '--cache', cache])).toBe(0);
    expect(await run(['prune', '--dry-run', '--cache', cache])).toBe(0);
    // The check is live: pull does need what was removed.
    expect(await run(['pull', '--cache', cache, '127.0.0.1:9/x/y:1'])).toMatch(
      /^1: .*(Cannot find module|ERR_MODULE_NOT_FOUND)/s,
    );
  });
});
