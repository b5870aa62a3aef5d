// Installing linuxkit with @actions/tool-cache against a local HTTP server that serves a fake
// release binary (a shell script) and counts requests. Real @actions/core: outputs, PATH and
// env go to GITHUB_OUTPUT / GITHUB_PATH / GITHUB_ENV files in a temp dir, parsed here.
import * as tc from '@actions/tool-cache';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigestMismatchError, GuardError, UsageError } from '../../src/errors.js';
import { imagesFromLinuxkitYaml, imagesFromText } from '../../src/imagelist/imagelist.js';
import { runMain } from '../../src/action/run-main.js';
import { MemoryState } from '../../src/action/state.js';
import {
  LINUXKIT_RELEASES,
  exportLinuxkitCache,
  installLinuxkit,
  linuxkitAsset,
  linuxkitUrl,
  parseLinuxkitInputs,
  type LinuxkitSettings,
} from '../../src/action/linuxkit.js';

const VERSION = '1.5.3';
const BINARY = Buffer.from(`#!/bin/sh\necho "linuxkit version ${VERSION} (test build)"\n`);
const BINARY_SHA256 = createHash('sha256').update(BINARY).digest('hex');
const OTHER_SHA256 = createHash('sha256').update('something else').digest('hex');
const RUNNER = { RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64' };

/** Requests seen by the server, by path. */
const requests: string[] = [];
let server: Server;
let base: string;
let root: string;
let files: { output: string; path: string; env: string; summary: string };
let stdout: string[];
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    // Any prefix (mirrors), then linuxkit's own layout: /v<version>/linuxkit-<os>-<arch>.
    if (/\/v1\.5\.3\/linuxkit-linux-(amd64|arm64)$/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BINARY.length });
      res.end(BINARY);
    } else {
      res.writeHead(404).end('Not Found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases`;
  root = await mkdtemp(path.join(tmpdir(), 'ocg-linuxkit-'));
  // @actions/core remembers the summary file after its first use: one for the whole file.
  files = {
    output: path.join(root, 'output'),
    path: path.join(root, 'path'),
    env: path.join(root, 'env'),
    summary: path.join(root, 'summary.md'),
  };
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  requests.length = 0;
  const run = await mkdtemp(path.join(root, 'run-'));
  await mkdir(path.join(run, 'tool-cache'));
  await mkdir(path.join(run, 'temp'));
  for (const f of Object.values(files)) await writeFile(f, '');
  Object.assign(process.env, RUNNER, {
    RUNNER_TOOL_CACHE: path.join(run, 'tool-cache'),
    RUNNER_TEMP: path.join(run, 'temp'),
    GITHUB_OUTPUT: files.output,
    GITHUB_PATH: files.path,
    GITHUB_ENV: files.env,
    GITHUB_STEP_SUMMARY: files.summary,
  });
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
});

/** `name<<delimiter\nvalue\ndelimiter\n` records, as @actions/core writes GITHUB_OUTPUT and GITHUB_ENV. */
async function keyValues(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^(.+?)<<(.+)\n([\s\S]*?)\n\2\n/gm)) out[m[1] as string] = m[3] as string;
  return out;
}

async function pathLines(): Promise<string[]> {
  return (await readFile(files.path, 'utf8')).split('\n').filter(Boolean);
}

const settings = (over: Partial<LinuxkitSettings> = {}): LinuxkitSettings => ({
  version: VERSION,
  downloadUrl: base,
  sha256: BINARY_SHA256,
  ...over,
});

const warnings = (): string[] => stdout.filter((l) => l.startsWith('::warning'));
const toolDir = (): string => path.join(process.env.RUNNER_TOOL_CACHE as string, 'linuxkit');

describe('installLinuxkit', () => {
  it('downloads, verifies the pinned digest, caches, puts linuxkit on PATH and sets linuxkit-path', async () => {
    const got = await installLinuxkit(settings());

    expect(requests).toEqual([`/releases/v${VERSION}/linuxkit-linux-amd64`]);
    expect(got.source).toEqual({ kind: 'download', url: `${base}/v${VERSION}/linuxkit-linux-amd64` });
    expect(got.dir).toBe(path.join(toolDir(), VERSION, 'amd64'));
    expect(got.file).toBe(path.join(got.dir, 'linuxkit'));
    expect(got.sha256).toBe(BINARY_SHA256);
    expect(got.pinned).toBe(true);
    expect(existsSync(`${got.dir}.complete`)).toBe(true);
    expect(await readFile(got.file)).toEqual(BINARY);
    expect((await stat(got.file)).mode & 0o777).toBe(0o755);

    expect((await keyValues(files.output))['linuxkit-path']).toBe(got.file);
    expect(await pathLines()).toEqual([got.dir]);
    expect(process.env.PATH?.split(path.delimiter)[0]).toBe(got.dir);
    // What a later step does: run `linuxkit` by name.
    const { stdout: version } = await promisify(execFile)('linuxkit', [], { env: process.env });
    expect(version).toBe(`linuxkit version ${VERSION} (test build)\n`);

    // The download left nothing behind in RUNNER_TEMP, and no unpinned warning.
    expect(await readdir(process.env.RUNNER_TEMP as string)).toEqual([]);
    expect(warnings()).toEqual([]);
    const summary = await readFile(files.summary, 'utf8');
    expect(summary).toContain(BINARY_SHA256);
    expect(summary).toContain('matches linuxkit-sha256');
  });

  it('serves the second call from the tool cache without a download', async () => {
    const first = await installLinuxkit(settings());
    expect(requests).toHaveLength(1);
    const second = await installLinuxkit(settings());
    expect(requests).toHaveLength(1);
    expect(second.source).toEqual({ kind: 'tool-cache' });
    expect(second.file).toBe(first.file);
    expect(second.sha256).toBe(BINARY_SHA256);
    expect((await keyValues(files.output))['linuxkit-path']).toBe(first.file);
    expect(stdout.join('')).toContain('from the tool cache');
  });

  it('fails on a wrong digest with one clear error, and caches nothing', async () => {
    const url = `${base}/v${VERSION}/linuxkit-linux-amd64`;
    const err = await installLinuxkit(settings({ sha256: OTHER_SHA256 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toBe(
      `linuxkit ${VERSION} (linuxkit-linux-amd64) from ${url}: sha256 is ${BINARY_SHA256}, expected ${OTHER_SHA256} (linuxkit-sha256); nothing was installed`,
    );
    expect(requests).toHaveLength(1);
    expect(tc.find('linuxkit', VERSION, 'amd64')).toBe('');
    expect(existsSync(toolDir())).toBe(false);
    expect(await readdir(process.env.RUNNER_TEMP as string)).toEqual([]);
    expect(await pathLines()).toEqual([]);
    expect(await keyValues(files.output)).toEqual({});
  });

  it('warns with the digest and the input line to pin it when no sha256 is given', async () => {
    const got = await installLinuxkit(settings({ sha256: undefined }));
    expect(got.pinned).toBe(false);
    expect(existsSync(got.file)).toBe(true);
    const [warning, ...more] = warnings();
    expect(more).toEqual([]);
    expect(warning).toContain('title=linuxkit download not pinned');
    expect(warning).toContain(`its sha256 is ${BINARY_SHA256}`);
    expect(warning).toContain(`\`linuxkit-sha256: ${BINARY_SHA256}\``);
    const summary = await readFile(files.summary, 'utf8');
    expect(summary).toContain(`<code>${BINARY_SHA256}</code>`);
    expect(summary).toContain(`not pinned: add <code>linuxkit-sha256: ${BINARY_SHA256}</code>`);
  });

  it('escapes the download URL in the job summary, which is raw HTML', async () => {
    // `&` and `'` stay as they are in a URL's path (`<` and `>` are percent-encoded).
    await installLinuxkit(settings({ downloadUrl: `${base}/a&b'<script>` }));
    const summary = await readFile(files.summary, 'utf8');
    expect(summary).toContain(
      `downloaded from ${base}/a&#38;b&#39;%3Cscript%3E/v${VERSION}/linuxkit-linux-amd64</li>`,
    );
    expect(summary).not.toMatch(/<script|a&b/);
  });

  it('downloads again when the tool cache holds a binary that is not the pinned one', async () => {
    const first = await installLinuxkit(settings());
    await writeFile(first.file, '#!/bin/sh\necho tampered\n');
    const second = await installLinuxkit(settings());
    expect(requests).toHaveLength(2);
    expect(second.source.kind).toBe('download');
    expect(await readFile(second.file)).toEqual(BINARY);
    expect(warnings().join('')).toContain(`not ${BINARY_SHA256} (linuxkit-sha256); downloading it again`);
  });

  it('installs the arm64 binary on an ARM64 runner', async () => {
    process.env.RUNNER_ARCH = 'ARM64';
    const got = await installLinuxkit(settings());
    expect(requests).toEqual([`/releases/v${VERSION}/linuxkit-linux-arm64`]);
    expect(got.dir).toBe(path.join(toolDir(), VERSION, 'arm64'));
  });

  it('names the version and the redacted URL when the download fails', async () => {
    const withSecret = base.replace('http://', 'http://mirror-user:s3cret@');
    const err = await installLinuxkit(settings({ version: '9.9.9', downloadUrl: withSecret })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GuardError);
    expect((err as Error).message).toBe(
      `cannot download linuxkit 9.9.9 (linuxkit-linux-amd64) from ${base}/v9.9.9/linuxkit-linux-amd64: HTTP 404`,
    );
    expect(existsSync(toolDir())).toBe(false);
  });

  it('fails the main step before any restore when the digest is wrong', async () => {
    Object.assign(process.env, {
      'INPUT_LINUXKIT-VERSION': `v${VERSION}`,
      'INPUT_LINUXKIT-SHA256': OTHER_SHA256,
      'INPUT_LINUXKIT-DOWNLOAD-URL': base,
      INPUT_PATH: path.join(root, 'cache'),
    });
    try {
      await runMain(new MemoryState());
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = 0;
    }
    const errors = stdout.filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`sha256 is ${BINARY_SHA256}, expected ${OTHER_SHA256}`);
    expect(stdout.join('')).not.toContain('restoring');
    expect(existsSync(toolDir())).toBe(false);
  });
});

describe('parseLinuxkitInputs', () => {
  const raw = { version: '', sha256: '', downloadUrl: '' };

  it('is undefined when no version is asked for', () => {
    expect(parseLinuxkitInputs(raw)).toBeUndefined();
    expect(parseLinuxkitInputs({ ...raw, downloadUrl: LINUXKIT_RELEASES })).toBeUndefined();
  });

  it('normalises the version, the digest and the base URL', () => {
    expect(parseLinuxkitInputs({ ...raw, version: ' v1.8.2 ' })).toEqual({
      version: '1.8.2',
      downloadUrl: LINUXKIT_RELEASES,
    });
    expect(
      parseLinuxkitInputs({
        version: '1.8.2',
        sha256: `SHA256:${BINARY_SHA256.toUpperCase()}`,
        downloadUrl: 'https://mirror.example/linuxkit/',
      }),
    ).toEqual({ version: '1.8.2', sha256: BINARY_SHA256, downloadUrl: 'https://mirror.example/linuxkit' });
  });

  it('rejects bad values, naming the input and quoting the value', () => {
    expect(() => parseLinuxkitInputs({ ...raw, version: 'latest' })).toThrow(
      new UsageError('input linuxkit-version: "latest" is not a linuxkit release version like 1.8.2'),
    );
    expect(() => parseLinuxkitInputs({ ...raw, version: '1.8', sha256: '' })).toThrow(UsageError);
    expect(() => parseLinuxkitInputs({ ...raw, version: '1.8.2', sha256: 'abc' })).toThrow(
      new UsageError('input linuxkit-sha256: "abc" is not a sha256 digest (64 hex digits)'),
    );
    expect(() => parseLinuxkitInputs({ ...raw, sha256: BINARY_SHA256 })).toThrow(
      new UsageError('input linuxkit-sha256 is set but linuxkit-version is empty'),
    );
    expect(() =>
      parseLinuxkitInputs({ ...raw, version: '1.8.2', downloadUrl: 'http://user:pw@mirror.example/lk' }),
    ).toThrow(
      new UsageError(
        'input linuxkit-download-url: "http://mirror.example/lk" must be https (plain http only for a loopback host)',
      ),
    );
    expect(() => parseLinuxkitInputs({ ...raw, version: '1.8.2', downloadUrl: 'not a url' })).toThrow(
      UsageError,
    );
  });
});

describe('linuxkitAsset', () => {
  it("maps the runner to linuxkit's release asset names", () => {
    expect(linuxkitAsset({ RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64' }).name).toBe('linuxkit-linux-amd64');
    expect(linuxkitAsset({ RUNNER_OS: 'Linux', RUNNER_ARCH: 'ARM64' })).toEqual({
      os: 'linux',
      arch: 'arm64',
      name: 'linuxkit-linux-arm64',
      binary: 'linuxkit',
    });
    expect(linuxkitAsset({ RUNNER_OS: 'macOS', RUNNER_ARCH: 'ARM64' }).name).toBe('linuxkit-darwin-arm64');
    expect(linuxkitAsset({ RUNNER_OS: 'Windows', RUNNER_ARCH: 'X64' }).binary).toBe('linuxkit.exe');
    expect(() => linuxkitAsset({ RUNNER_OS: 'Linux', RUNNER_ARCH: 'ARM' })).toThrow(
      'input linuxkit-version: linuxkit publishes no binary for a Linux ARM runner',
    );
  });

  it('builds the GitHub release URL', () => {
    const asset = linuxkitAsset({ RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64' });
    expect(linuxkitUrl({ version: VERSION, downloadUrl: LINUXKIT_RELEASES }, asset)).toBe(
      'https://github.com/linuxkit/linuxkit/releases/download/v1.5.3/linuxkit-linux-amd64',
    );
  });
});

describe('exportLinuxkitCache', () => {
  const file = 'linuxkit.yml';
  const fromFile = imagesFromLinuxkitYaml('kernel:\n  image: linuxkit/kernel:6.6.13\n', file);
  const cache = path.join('/home/runner', '.linuxkit', 'cache');

  it('exports LINUXKIT_CACHE when linuxkit files name images', async () => {
    const done = exportLinuxkitCache({
      path: cache,
      linuxkitFiles: [file],
      images: fromFile,
    });
    expect(done).toBe(true);
    expect(process.env.LINUXKIT_CACHE).toBe(cache);
    expect(await keyValues(files.env)).toEqual({ LINUXKIT_CACHE: cache });
  });

  it('warns when it replaces a different LINUXKIT_CACHE', () => {
    process.env.LINUXKIT_CACHE = '/elsewhere';
    exportLinuxkitCache({ path: cache, linuxkitFiles: [file], images: fromFile });
    expect(warnings().join('')).toContain(`LINUXKIT_CACHE was /elsewhere; set to ${cache}`);
  });

  it('exports a custom cache path too, so linuxkit build finds the verified cache', async () => {
    expect(exportLinuxkitCache({ path: '/tmp/c', linuxkitFiles: [file], images: fromFile })).toBe(true);
    expect(await keyValues(files.env)).toEqual({ LINUXKIT_CACHE: '/tmp/c' });
  });

  it('leaves it alone when only the images input names images', async () => {
    expect(
      exportLinuxkitCache({
        path: cache,
        linuxkitFiles: [],
        images: imagesFromText('linuxkit/kernel:6.6.13', 'images'),
      }),
    ).toBe(false);
    expect(await keyValues(files.env)).toEqual({});
  });
});
