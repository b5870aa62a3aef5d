import * as core from '@actions/core';
import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';
import { DigestMismatchError, GuardError, UsageError, errorMessage } from '../errors.js';
import type { ImageRequest } from '../imagelist/imagelist.js';
import { redactUrl } from '../registry/errors.js';
import { isLoopbackHost } from '../registry/policy.js';
import { hashFileInline } from '../hash/hash-pool.js';
import { Inputs, Outputs } from './constants.js';
import { html } from './report.js';

/** The tool cache, loaded only when linuxkit is installed: post and most runs never need it. */
const toolCache = () => import('@actions/tool-cache');

/** Where linuxkit publishes its release binaries: `<base>/v<version>/linuxkit-<os>-<arch>`. */
export const LINUXKIT_RELEASES = 'https://github.com/linuxkit/linuxkit/releases/download';

/** The env variable `linuxkit build` reads for its cache directory (its `--cache` flag wins). */
export const LINUXKIT_CACHE_ENV = 'LINUXKIT_CACHE';

/** What the `linuxkit-*` inputs ask for, checked by parseLinuxkitInputs. */
export interface LinuxkitSettings {
  /** A release version without the `v`: `1.8.2`. */
  version: string;
  /** Lowercase hex the binary must hash to, when pinned. */
  sha256?: string;
  /** Base URL, no trailing slash: the release tag and asset name are appended. */
  downloadUrl: string;
}

/** The release binary for one runner. */
export interface LinuxkitAsset {
  /** linuxkit's name for the OS: linux, darwin, windows. */
  os: string;
  /** linuxkit's name for the architecture (also the tool-cache arch): amd64, arm64. */
  arch: string;
  /** Release asset name: `linuxkit-linux-amd64`. */
  name: string;
  /** File name in the tool cache and on PATH. */
  binary: string;
}

export interface LinuxkitInstall {
  version: string;
  asset: LinuxkitAsset;
  /** Full path of the binary. */
  file: string;
  /** The directory added to PATH. */
  dir: string;
  /** sha256 hex of the binary. */
  sha256: string;
  pinned: boolean;
  /** Where it came from; `url` is redacted. */
  source: { kind: 'tool-cache' } | { kind: 'download'; url: string };
}

const VERSION = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

/**
 * Checks the raw `linuxkit-*` input values; undefined when `linuxkit-version` is empty.
 * Throws a UsageError naming the input and quoting the value.
 */
export function parseLinuxkitInputs(raw: {
  version: string;
  sha256: string;
  downloadUrl: string;
}): LinuxkitSettings | undefined {
  const versionText = raw.version.trim();
  const sha256Text = raw.sha256.trim();
  if (!versionText) {
    if (sha256Text) {
      throw new UsageError(`input ${Inputs.LinuxkitSha256} is set but ${Inputs.LinuxkitVersion} is empty`);
    }
    return undefined;
  }
  const version = VERSION.exec(versionText)?.[1];
  if (!version) {
    throw new UsageError(
      `input ${Inputs.LinuxkitVersion}: ${JSON.stringify(versionText)} is not a linuxkit release version like 1.8.2`,
    );
  }
  let sha256: string | undefined;
  if (sha256Text) {
    sha256 = sha256Text.toLowerCase().replace(/^sha256:/, '');
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      throw new UsageError(
        `input ${Inputs.LinuxkitSha256}: ${JSON.stringify(sha256Text.slice(0, 100))} is not a sha256 digest (64 hex digits)`,
      );
    }
  }
  const urlText = raw.downloadUrl.trim() || LINUXKIT_RELEASES;
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new UsageError(
      `input ${Inputs.LinuxkitDownloadUrl}: ${JSON.stringify(redactUrl(urlText))} is not a URL`,
    );
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.host)))) {
    throw new UsageError(
      `input ${Inputs.LinuxkitDownloadUrl}: ${JSON.stringify(redactUrl(url))} must be https (plain http only for a loopback host)`,
    );
  }
  if (url.password) core.setSecret(decodeURIComponent(url.password));
  return { version, ...(sha256 ? { sha256 } : {}), downloadUrl: urlText.replace(/\/+$/, '') };
}

const OS: Readonly<Record<string, string>> = { Linux: 'linux', macOS: 'darwin', Windows: 'windows' };
const NODE_OS: Readonly<Record<string, string>> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };
const ARCH: Readonly<Record<string, string>> = { X64: 'amd64', ARM64: 'arm64' };
const NODE_ARCH: Readonly<Record<string, string>> = { x64: 'X64', arm64: 'ARM64' };
/** The binaries linuxkit releases (its Makefile's build-targets-*), by os. */
const PUBLISHED: Readonly<Record<string, readonly string[]>> = {
  linux: ['amd64', 'arm64'],
  darwin: ['amd64', 'arm64'],
  windows: ['amd64'],
};

/** The release asset for this runner, from `RUNNER_OS`/`RUNNER_ARCH` (else Node's own platform). */
export function linuxkitAsset(env: NodeJS.ProcessEnv = process.env): LinuxkitAsset {
  const runnerOs = env.RUNNER_OS ?? NODE_OS[process.platform] ?? process.platform;
  const runnerArch = env.RUNNER_ARCH ?? NODE_ARCH[process.arch] ?? process.arch;
  const os = OS[runnerOs];
  const arch = ARCH[runnerArch];
  if (!os || !arch || !PUBLISHED[os]?.includes(arch)) {
    throw new UsageError(
      `input ${Inputs.LinuxkitVersion}: linuxkit publishes no binary for a ${runnerOs} ${runnerArch} runner`,
    );
  }
  const exe = os === 'windows' ? '.exe' : '';
  return { os, arch, name: `linuxkit-${os}-${arch}${exe}`, binary: `linuxkit${exe}` };
}

/** `<base>/v<version>/<asset>`: linuxkit's release layout (mirrors must keep it). */
export function linuxkitUrl(settings: LinuxkitSettings, asset: LinuxkitAsset): string {
  return `${settings.downloadUrl}/v${settings.version}/${asset.name}`;
}

/** sha256 hex of a file, streamed (the verifier's reader: a symlink or non-file is refused). */
async function sha256File(file: string): Promise<string> {
  const result = await hashFileInline(file, 'sha256');
  if (!result.ok) throw new GuardError(result.message);
  return result.hex;
}

/**
 * Puts linuxkit `settings.version` on PATH: from the runner's tool cache when a copy is
 * there (and matches `linuxkit-sha256` when pinned), else downloaded, checked against the
 * pin (or reported unpinned), cached and added. Sets the `linuxkit-path` output.
 * Throws a GuardError when the download fails or its digest is not the pinned one; then
 * nothing is cached.
 */
export async function installLinuxkit(
  settings: LinuxkitSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LinuxkitInstall> {
  const asset = linuxkitAsset(env);
  const { version } = settings;
  let install = await fromToolCache(settings, asset);
  if (!install) install = await download(settings, asset);
  core.addPath(install.dir);
  core.setOutput(Outputs.LinuxkitPath, install.file);
  const where =
    install.source.kind === 'download' ? `downloaded from ${install.source.url}` : 'from the tool cache';
  core.info(
    `linuxkit ${version} (${asset.os}/${asset.arch}) ${where}: ${install.file}, sha256 ${install.sha256}`,
  );
  if (!install.pinned) {
    core.warning(
      `linuxkit ${version} is not pinned: its sha256 is ${install.sha256}. Add \`${Inputs.LinuxkitSha256}: ${install.sha256}\` to the step's inputs so a different binary fails the step.`,
      { title: 'linuxkit download not pinned' },
    );
  }
  await summarise(install);
  return install;
}

async function fromToolCache(
  settings: LinuxkitSettings,
  asset: LinuxkitAsset,
): Promise<LinuxkitInstall | undefined> {
  const tc = await toolCache();
  const dir = tc.find('linuxkit', settings.version, asset.arch);
  if (!dir) return undefined;
  const file = path.join(dir, asset.binary);
  let sha256: string;
  try {
    sha256 = await sha256File(file);
  } catch (err) {
    core.warning(
      `the tool cache's linuxkit ${settings.version} cannot be read (${errorMessage(err)}); downloading it`,
    );
    return undefined;
  }
  if (settings.sha256 && sha256 !== settings.sha256) {
    core.warning(
      `the tool cache's linuxkit ${settings.version} (${file}) has sha256 ${sha256}, not ${settings.sha256} (${Inputs.LinuxkitSha256}); downloading it again`,
    );
    return undefined;
  }
  return {
    version: settings.version,
    asset,
    file,
    dir,
    sha256,
    pinned: settings.sha256 !== undefined,
    source: { kind: 'tool-cache' },
  };
}

async function download(settings: LinuxkitSettings, asset: LinuxkitAsset): Promise<LinuxkitInstall> {
  const url = linuxkitUrl(settings, asset);
  const shown = redactUrl(url);
  const what = `linuxkit ${settings.version} (${asset.name}) from ${shown}`;
  const tc = await toolCache();
  let temp: string;
  try {
    temp = await tc.downloadTool(url);
  } catch (err) {
    const status = err instanceof tc.HTTPError ? `HTTP ${err.httpStatusCode}` : errorMessage(err);
    throw new GuardError(`cannot download ${what}: ${status}`, { cause: err });
  }
  try {
    const sha256 = await sha256File(temp);
    if (settings.sha256 && sha256 !== settings.sha256) {
      throw new DigestMismatchError(
        `${what}: sha256 is ${sha256}, expected ${settings.sha256} (${Inputs.LinuxkitSha256}); nothing was installed`,
      );
    }
    await chmod(temp, 0o755);
    const dir = await tc.cacheFile(temp, asset.binary, 'linuxkit', settings.version, asset.arch);
    const file = path.join(dir, asset.binary);
    await chmod(file, 0o755);
    return {
      version: settings.version,
      asset,
      file,
      dir,
      sha256,
      pinned: settings.sha256 !== undefined,
      source: { kind: 'download', url: shown },
    };
  } finally {
    await rm(temp, { force: true });
  }
}

/** The job summary's linuxkit block: raw HTML, so the version and URL from the inputs are escaped. */
async function summarise(install: LinuxkitInstall): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const where =
    install.source.kind === 'download' ? `downloaded from ${install.source.url}` : 'from the tool cache';
  const pin = install.pinned
    ? `matches ${Inputs.LinuxkitSha256}`
    : `⚠️ not pinned: add <code>${Inputs.LinuxkitSha256}: ${install.sha256}</code>`;
  try {
    await core.summary
      .addHeading('linuxkit', 3)
      .addList([
        html(`linuxkit ${install.version} (${install.asset.os}/${install.asset.arch}), ${where}`),
        `sha256 <code>${install.sha256}</code>: ${pin}`,
      ])
      .write();
  } catch (err) {
    core.warning(`cannot write the job summary: ${errorMessage(err)}`);
  }
}

/**
 * Points `linuxkit build` in later steps at the verified cache (`LINUXKIT_CACHE`) when the
 * linuxkit files name images: needed for a custom `path`, harmless for linuxkit's default
 * (it also overrides a LINUXKIT_CACHE set elsewhere). Returns whether it did.
 */
export function exportLinuxkitCache(settings: {
  path: string;
  linuxkitFiles: readonly string[];
  images: readonly ImageRequest[];
}): boolean {
  const files = new Set(settings.linuxkitFiles);
  const named = settings.images.some((i) => i.origin.file !== undefined && files.has(i.origin.file));
  if (!named) return false;
  const before = process.env[LINUXKIT_CACHE_ENV];
  if (before && path.resolve(before) !== settings.path) {
    core.warning(
      `${LINUXKIT_CACHE_ENV} was ${before}; set to ${settings.path}, the cache this step verified, for later steps`,
    );
  }
  core.exportVariable(LINUXKIT_CACHE_ENV, settings.path);
  core.info(`${LINUXKIT_CACHE_ENV}=${settings.path}: linuxkit build in later steps uses the verified cache`);
  return true;
}
