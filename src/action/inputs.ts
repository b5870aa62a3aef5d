import * as core from '@actions/core';
import * as glob from '@actions/glob';
import { homedir } from 'node:os';
import path from 'node:path';
import { errorMessage, UsageError } from '../errors.js';
import { defaultCacheDir } from '../layout/layout.js';
import {
  ImageListError,
  imagesFromLinuxkitFile,
  imagesFromText,
  uniqueImages,
  type ImageRequest,
} from '../imagelist/imagelist.js';
import { parsePlatform, parseWantedPlatform, formatPlatform, type Platform } from '../oci/platform.js';
import { DEFAULT_CONNECTIONS } from '../pull/budget.js';
import { REFRESH_MODES, type RefreshMode } from '../pull/refresh.js';
import { parseMirrors, parseRegistryAuth } from '../registry/credentials-input.js';
import { redactUrl } from '../registry/errors.js';
import type { StaticCredential } from '../registry/options.js';
import type { VerifyMode } from '../verify/findings.js';
import { Inputs } from './constants.js';
import { parseLinuxkitInputs, type LinuxkitSettings } from './linuxkit.js';
import { DEFAULT_MAX_NEW_ENTRIES } from './store/store.js';

export type PruneMode = 'unreferenced' | 'unlisted' | 'off';

/** Everything the Action was asked to do, checked once. Only this module calls core.getInput. */
export interface Settings {
  /** Absolute cache directory (`~` expanded). */
  path: string;
  images: ImageRequest[];
  /** linuxkit files matched by `linuxkit-files`, as found. */
  linuxkitFiles: string[];
  platforms: Platform[];
  keyPrefix: string;
  /** The `key` input: a namespace of entries replacing `<key-prefix>-<os>`, when given. */
  key?: string;
  /** New Actions-cache entries one job may create (post). */
  maxNewEntries: number;
  verify: VerifyMode;
  onCorrupt: 'repair' | 'fail';
  failOnMissing: boolean;
  save: boolean;
  prune: PruneMode;
  concurrency: number;
  /** Whether images complete in the cache are checked against their registry (pull.ts). */
  refresh: RefreshMode;
  credentials: Record<string, StaticCredential>;
  mirrors: Record<string, string[]>;
  /** linuxkit to install, when `linuxkit-version` is set. */
  linuxkit?: LinuxkitSettings;
}

function choice<T extends string>(name: Inputs, allowed: readonly T[], fallback: T): T {
  const value = core.getInput(name).trim() || fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`input ${name}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function bool(name: Inputs, fallback: boolean): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '') return fallback;
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new UsageError(`input ${name}: ${JSON.stringify(value)} is not true or false`);
}

function wholeNumber(name: Inputs, fallback: number, min: number, max: number): number {
  const text = core.getInput(name).trim() || String(fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `input ${name}: ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

function lines(name: Inputs): string[] {
  return core
    .getInput(name)
    .split(/\r?\n|,/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** action.yml's default for `path`: linuxkit's own cache. */
export const DEFAULT_CACHE_PATH = '~/.linuxkit/cache';

/**
 * The cache directory: the `path` input, or, when it is left at its default, `$LINUXKIT_CACHE`
 * if set, as linuxkit and the CLI do (`~` expanded, relative to the workspace).
 */
export function cachePath(input: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = input.trim();
  const atDefault = value === '' || value === DEFAULT_CACHE_PATH;
  return path.resolve(expandHome(atDefault ? defaultCacheDir(env) : value));
}

export function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

/** `RUNNER_ARCH` X64 → linux/amd64, ARM64 → linux/arm64, ARM → linux/arm/v7. */
export function runnerPlatform(env: NodeJS.ProcessEnv = process.env): Platform {
  const arch = { X64: 'amd64', ARM64: 'arm64', ARM: 'arm', X86: '386' }[env.RUNNER_ARCH ?? 'X64'] ?? 'amd64';
  return parsePlatform(`linux/${arch}`);
}

export async function getSettings(): Promise<Readonly<Settings>> {
  const platformInput = lines(Inputs.Platforms);
  const platforms = platformInput.length ? platformInput.map(wantedPlatform) : [runnerPlatform()];
  const patterns = core.getInput(Inputs.LinuxkitFiles).trim();
  const linuxkitFiles = patterns ? await matchFiles(patterns) : [];
  const lists = [imagesFromText(core.getInput(Inputs.Images), Inputs.Images)];
  for (const file of linuxkitFiles) lists.push(await imagesFromLinuxkitFile(file));
  const concurrency = wholeNumber(Inputs.Concurrency, DEFAULT_CONNECTIONS, 1, 64);
  const credentials = parseRegistryAuth(core.getInput(Inputs.RegistryAuth), `input ${Inputs.RegistryAuth}`);
  for (const c of Object.values(credentials)) if ('password' in c) core.setSecret(c.password);
  const token = core.getInput(Inputs.GithubToken).trim();
  if (token) {
    core.setSecret(token);
    credentials['ghcr.io'] ??= { username: 'x-access-token', password: token };
  }
  const key = core.getInput(Inputs.Key).trim();
  const linuxkit = parseLinuxkitInputs({
    version: core.getInput(Inputs.LinuxkitVersion),
    sha256: core.getInput(Inputs.LinuxkitSha256),
    downloadUrl: core.getInput(Inputs.LinuxkitDownloadUrl),
  });
  const settings: Settings = {
    path: cachePath(core.getInput(Inputs.Path)),
    images: uniqueImages(lists),
    linuxkitFiles,
    platforms: uniquePlatforms(platforms),
    keyPrefix: core.getInput(Inputs.KeyPrefix).trim() || 'oci-cache-guard',
    ...(key ? { key } : {}),
    maxNewEntries: wholeNumber(Inputs.MaxNewEntries, DEFAULT_MAX_NEW_ENTRIES, 0, 10_000),
    verify: choice(Inputs.Verify, ['full', 'size'] as const, 'full'),
    onCorrupt: choice(Inputs.OnCorrupt, ['repair', 'fail'] as const, 'repair'),
    failOnMissing: bool(Inputs.FailOnMissing, true),
    save: bool(Inputs.Save, true),
    prune: choice(Inputs.Prune, ['unreferenced', 'unlisted', 'off'] as const, 'unreferenced'),
    concurrency,
    refresh: choice(Inputs.Refresh, REFRESH_MODES, 'never'),
    credentials,
    mirrors: parseMirrors(lines(Inputs.RegistryMirrors), `input ${Inputs.RegistryMirrors}`),
    ...(linuxkit ? { linuxkit } : {}),
  };
  core.debug(
    `settings: ${JSON.stringify({
      ...settings,
      credentials: Object.keys(credentials),
      images: settings.images.map((i) => i.reference.name),
      // A mirror or download URL may carry user:password.
      mirrors: Object.fromEntries(
        Object.entries(settings.mirrors).map(([r, urls]) => [r, urls.map(redactUrl)]),
      ),
      ...(linuxkit ? { linuxkit: { ...linuxkit, downloadUrl: redactUrl(linuxkit.downloadUrl) } } : {}),
    })}`,
  );
  return Object.freeze(settings);
}

function wantedPlatform(value: string): Platform {
  try {
    return parseWantedPlatform(value);
  } catch (err) {
    throw new UsageError(`input ${Inputs.Platforms}: ${errorMessage(err)}`, { cause: err });
  }
}

function uniquePlatforms(list: Platform[]): Platform[] {
  const seen = new Map(list.map((p) => [formatPlatform(p), p]));
  return [...seen.values()];
}

/** Files matching the globs (one per line); a pattern that matches nothing is an error naming it. */
async function matchFiles(patterns: string): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns
    .split(/\r?\n/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const globber = await glob.create(pattern, { followSymbolicLinks: false, matchDirectories: false });
    const found = (await globber.glob()).sort();
    if (found.length === 0 && !pattern.startsWith('!')) {
      throw new ImageListError(`input ${Inputs.LinuxkitFiles}: ${JSON.stringify(pattern)} matches no file`, {
        input: Inputs.LinuxkitFiles,
      });
    }
    for (const f of found) files.push(path.relative(process.env.GITHUB_WORKSPACE ?? process.cwd(), f) || f);
  }
  return [...new Set(files)];
}
