/**
 * The real `@actions/cache` 6.x, end to end against the v2 service emulator on loopback.
 * These tests pin down both the emulator and what the library does on every outcome, which
 * is what the action's restore/save code has to live with.
 *
 * `@actions/cache` reads its configuration from `process.env` at call time, and reports
 * through `@actions/core`, which writes to `process.stdout` (`::warning::…`, `::debug::…`,
 * plain lines for `info`). Each test captures stdout to assert those reports.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as cache from '@actions/cache';
// A dependency of @actions/cache (pinned by it), imported to drive its block upload directly.
import { BlobClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  applyEnv,
  emulatorEnv,
  startCacheEmulator,
  TWIRP_PREFIX,
  type CacheEmulator,
} from './harness/cache-emulator.js';

/** What `@actions/cache` hashes into the version besides the paths ('zstd-without-long' whenever `zstd` runs). */
const COMPRESSION = (() => {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
    return 'zstd-without-long';
  } catch {
    return 'gzip';
  }
})();

const cacheVersion = (paths: string[]): string =>
  createHash('sha256')
    .update([...paths, COMPRESSION, '1.0'].join('|'))
    .digest('hex');

let emulator: CacheEmulator;
let root: string;
let workspace: string;
let restoreEnv: () => void;
let stdout: string[];
let dirCount = 0;

beforeAll(async () => {
  emulator = await startCacheEmulator();
  root = await mkdtemp(join(tmpdir(), 'cache-emulator-test-'));
  workspace = join(root, 'workspace');
  await mkdir(workspace);
  await mkdir(join(root, 'runner-temp'));
  restoreEnv = applyEnv({
    ...emulatorEnv(emulator, { workspace, runnerTemp: join(root, 'runner-temp') }),
    // A real runner may export a restrictive mode; these tests set it explicitly where it matters.
    ACTIONS_CACHE_MODE: undefined,
  });
});

afterAll(async () => {
  restoreEnv?.();
  await emulator?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    stdout.push(
      ...String(chunk)
        .split(/\r?\n/)
        .filter((line) => line !== ''),
    );
    return true;
  }) as typeof process.stdout.write);
});

afterEach(() => {
  vi.restoreAllMocks();
  emulator.down = false;
  emulator.throttle = false;
  emulator.readOnly = false;
  emulator.readDenied = false;
  emulator.failNext(0);
});

const warnings = (): string[] => stdout.filter((l) => l.startsWith('::warning::')).map((l) => l.slice(11));
const errors = (): string[] => stdout.filter((l) => l.startsWith('::error::')).map((l) => l.slice(9));
const infos = (): string[] => stdout.filter((l) => !l.startsWith('::'));

/** A fresh directory in the workspace filled with `files` (relative path → content). */
async function makeTree(files: Record<string, string | Buffer>): Promise<string> {
  const dir = join(workspace, `cache-${++dirCount}`);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

async function readTree(dir: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isFile())
      tree[name] = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
  }
  return tree;
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('save and restore through the emulator', () => {
  it('round-trips a directory byte for byte, keyed by (key, version)', async () => {
    const dir = await makeTree({
      'oci-layout': '{"imageLayoutVersion": "1.0.0"}',
      'index.json': '{"schemaVersion":2,"manifests":[]}',
      'blobs/sha256/aa': randomBytes(300_000),
      empty: '',
    });
    const before = await readTree(dir);
    const uploadsBefore = emulator.counters.uploads;

    const id = await cache.saveCache([dir], 'round-trip');

    expect(id).toBeGreaterThan(0);
    const entry = emulator.entries().find((e) => e.key === 'round-trip');
    expect(entry).toMatchObject({ id, version: cacheVersion([dir]), committed: true });
    expect(entry?.size).toBeGreaterThan(0);
    expect(emulator.counters.uploads).toBe(uploadsBefore + 1);
    // v2 logs no "saved" line; the upload progress is the only trace at info level.
    expect(infos().some((l) => /^Sent \d+ of \d+ \(100\.0%\)/.test(l))).toBe(true);

    await rm(dir, { recursive: true });
    const downloadsBefore = emulator.counters.downloads;
    await expect(cache.restoreCache([dir], 'round-trip')).resolves.toBe('round-trip');
    expect(await readTree(dir)).toEqual(before);
    expect(emulator.counters.downloads).toBe(downloadsBefore + 1);
    expect(infos()).toContain('Cache hit for: round-trip');
    expect(warnings()).toEqual([]);
  });

  it('matches the exact key, then the newest prefix of the key, then each restore key in order', async () => {
    const dir = join(workspace, 'matching');
    const saveAs = async (key: string): Promise<void> => {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      await writeFile(join(dir, 'which'), key);
      expect(await cache.saveCache([dir], key)).toBeGreaterThan(0);
    };
    const restoredFrom = async (key: string, restoreKeys?: string[]): Promise<string | undefined> => {
      await rm(dir, { recursive: true, force: true });
      const matched = await cache.restoreCache([dir], key, restoreKeys);
      if (matched !== undefined) expect(await readFile(join(dir, 'which'), 'utf8')).toBe(matched);
      return matched;
    };
    await saveAs('linux-main');
    await saveAs('linux-main-1');
    await saveAs('linux-main-2');
    await saveAs('linux-other');

    // The exact key wins over newer entries that merely start with it.
    expect(await restoredFrom('linux-main')).toBe('linux-main');
    // No exact match: the key itself is a prefix, newest first (GitHub's documented order).
    expect(await restoredFrom('linux-main-')).toBe('linux-main-2');
    // Then restore keys, in the order given; within one, the newest entry wins.
    expect(await restoredFrom('windows', ['macos-', 'linux-'])).toBe('linux-other');
    // A restore key is always a prefix: an entry equal to it does not beat a newer longer one.
    expect(await restoredFrom('windows', ['linux-main', 'linux-'])).toBe('linux-main-2');
    expect(infos()).toContain('Cache hit for restore-key: linux-main-2');
  });

  it('misses when nothing matches, or when the paths differ (they are part of the version)', async () => {
    const dir = await makeTree({ file: 'x' });
    expect(await cache.saveCache([dir], 'paths-matter')).toBeGreaterThan(0);
    const downloads = emulator.counters.downloads;

    await expect(cache.restoreCache([dir], 'no-such-key', ['no-such-prefix-'])).resolves.toBeUndefined();
    // Same directory, spelled differently: a different version, so a miss.
    await expect(cache.restoreCache([`${dir}/`], 'paths-matter')).resolves.toBeUndefined();
    await expect(cache.restoreCache([relative(workspace, dir)], 'paths-matter')).resolves.toBeUndefined();

    expect(emulator.counters.downloads).toBe(downloads);
    expect(warnings()).toEqual([]);
    expect(stdout.some((l) => l.startsWith('::debug::Cache not found for version'))).toBe(true);
  });

  it('restores over an existing directory by merging: archived files are replaced, others stay', async () => {
    const dir = await makeTree({ 'index.json': 'saved', 'blobs/a': 'saved a' });
    await cache.saveCache([dir], 'merge');
    await writeFile(join(dir, 'index.json'), 'local edit');
    await writeFile(join(dir, 'blobs/stray.download'), 'partial');

    await expect(cache.restoreCache([dir], 'merge')).resolves.toBe('merge');
    expect(await readFile(join(dir, 'index.json'), 'utf8')).toBe('saved');
    expect(await readFile(join(dir, 'blobs/stray.download'), 'utf8')).toBe('partial');
  });

  it('lookupOnly reports the match without downloading', async () => {
    const dir = await makeTree({ file: 'x' });
    await cache.saveCache([dir], 'lookup-only');
    const downloads = emulator.counters.downloads;
    await expect(cache.restoreCache([dir], 'lookup', ['lookup-'], { lookupOnly: true })).resolves.toBe(
      'lookup-only',
    );
    expect(emulator.counters.downloads).toBe(downloads);
  });

  it('keeps keys immutable: a second save of the key returns -1 and only logs at info level', async () => {
    const dir = await makeTree({ file: 'first' });
    const id = await cache.saveCache([dir], 'immutable');
    await writeFile(join(dir, 'file'), 'second');
    const creates = emulator.counters.twirp.CreateCacheEntry;
    const uploads = emulator.counters.uploads;

    await expect(cache.saveCache([dir], 'immutable')).resolves.toBe(-1);

    // The service answered 409 already_exists; the library turns every CreateCacheEntry failure
    // into a ReserveCacheError, which saveCache swallows with core.info.
    expect(emulator.counters.twirp.CreateCacheEntry).toBe(creates + 1);
    expect(emulator.counters.uploads).toBe(uploads);
    expect(infos()).toContain(
      'Failed to save: Unable to reserve cache with key immutable, another job may be creating this cache.',
    );
    expect(stdout.some((l) => l.includes('(409) Conflict: cache entry with the same key'))).toBe(true);
    expect(warnings()).toEqual([]);
    expect(emulator.entries().filter((e) => e.key === 'immutable')).toEqual([
      expect.objectContaining({ id, committed: true }),
    ]);
    await rm(dir, { recursive: true });
    await cache.restoreCache([dir], 'immutable');
    expect(await readFile(join(dir, 'file'), 'utf8')).toBe('first');
  });

  // The library fixes the Azure SDK's single-shot limit at 128 MiB and the block size at
  // 64 MiB (no option or variable changes them on the v2 path), so only an archive this large
  // takes the block path through saveCache. That costs 5-15 s, so it is opt-in; the fast
  // suite drives the same SDK call with small blocks below.
  it.runIf(process.env['CACHE_EMULATOR_LARGE'] === '1')(
    'saveCache uploads an archive over 128 MiB in staged blocks and a block list',
    async () => {
      // Random bytes keep zstd from shrinking it.
      const dir = await makeTree({ big: randomBytes(129 * 1024 * 1024), small: 'tail' });
      const before = await readTree(dir);
      const blocks = emulator.counters.blocks;

      const id = await cache.saveCache([dir], 'large');

      expect(id).toBeGreaterThan(0);
      const entry = emulator.entries().find((e) => e.key === 'large');
      expect(entry?.size).toBeGreaterThan(128 * 1024 * 1024);
      expect(emulator.counters.blocks - blocks).toBe(Math.ceil((entry?.size ?? 0) / (64 * 1024 * 1024)));
      await rm(dir, { recursive: true });
      await expect(cache.restoreCache([dir], 'large')).resolves.toBe('large');
      expect(await readTree(dir)).toEqual(before);
      await rm(dir, { recursive: true });
    },
  );
});

describe('failure modes: what saveCache and restoreCache really do', () => {
  it('service down (connections reset): restore warns and misses, save returns -1 with an info line', async () => {
    const dir = await makeTree({ file: 'x' });
    await cache.saveCache([dir], 'down');
    emulator.down = 'reset';

    await expect(cache.restoreCache([dir], 'down')).resolves.toBeUndefined();
    expect(warnings()).toEqual([
      expect.stringMatching(
        /^Failed to restore: Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNRESET/,
      ),
    ]);

    stdout.length = 0;
    await expect(cache.saveCache([dir], 'down-save')).resolves.toBe(-1);
    // An unreachable service looks exactly like a key another job is saving. Nothing is
    // reported through core.error: the twirp client wraps every failure in a plain Error.
    expect(errors()).toEqual([]);
    expect(infos()).toContain(
      'Failed to save: Unable to reserve cache with key down-save, another job may be creating this cache.',
    );
    expect(warnings()).toEqual([]);
  });

  it('a transient 503 is retried after ~3 s and the restore succeeds', async () => {
    const dir = await makeTree({ file: 'x' });
    await cache.saveCache([dir], 'transient');
    const lookups = emulator.counters.twirp.GetCacheEntryDownloadURL;
    emulator.failNext(1, 'unavailable');

    await expect(cache.restoreCache([dir], 'transient')).resolves.toBe('transient');
    expect(emulator.counters.twirp.GetCacheEntryDownloadURL).toBe(lookups + 1);
    expect(infos().some((l) => l.startsWith('Attempt 1 of 5 failed with error: Failed request: (503)'))).toBe(
      true,
    );
  }, 20_000);

  it('throttled (429): restore warns and misses without retrying, save returns -1', async () => {
    const dir = await makeTree({ file: 'x' });
    await cache.saveCache([dir], 'throttled');
    emulator.throttle = true;

    await expect(cache.restoreCache([dir], 'throttled')).resolves.toBeUndefined();
    expect(warnings()).toEqual([
      "You've hit a rate limit, your rate limit will reset in 60 seconds",
      expect.stringMatching(
        /^Failed to restore: Failed to GetCacheEntryDownloadURL: Rate limited: .*\(429\)/,
      ),
    ]);
    await expect(cache.saveCache([dir], 'throttled-save')).resolves.toBe(-1);
    expect(infos()).toContain(
      'Failed to save: Unable to reserve cache with key throttled-save, another job may be creating this cache.',
    );
  });

  it('read-only token: save returns -1 with a "cache write denied" warning (CacheWriteDeniedError)', async () => {
    const dir = await makeTree({ file: 'x' });
    emulator.readOnly = true;
    await expect(cache.saveCache([dir], 'read-only')).resolves.toBe(-1);
    expect(warnings()).toEqual([
      'Failed to save: Unable to reserve cache with key read-only. More details: cache write denied: token has no writable scopes',
    ]);
    expect(emulator.entries().some((e) => e.key === 'read-only')).toBe(false);
  });

  it('token without read scope: restore misses with a "cache read denied" warning', async () => {
    const dir = await makeTree({ file: 'x' });
    emulator.readDenied = true;
    await expect(cache.restoreCache([dir], 'anything')).resolves.toBeUndefined();
    expect(warnings()).toEqual([
      expect.stringContaining('Failed to restore: Failed to GetCacheEntryDownloadURL:'),
    ]);
    expect(warnings()[0]).toContain('cache read denied: token has no readable scopes');
  });

  it('wrong token: the service answers 401, restore warns, save returns -1', async () => {
    const dir = await makeTree({ file: 'x' });
    const restore = applyEnv({ ACTIONS_RUNTIME_TOKEN: 'not-the-token' });
    try {
      await expect(cache.restoreCache([dir], 'any')).resolves.toBeUndefined();
      expect(warnings()[0]).toMatch(/Received non-retryable error: Failed request: \(401\) Unauthorized/);
      await expect(cache.saveCache([dir], 'bad-token')).resolves.toBe(-1);
    } finally {
      restore();
    }
  });

  it('no runtime token at all: saveCache throws, restoreCache only warns', async () => {
    const dir = await makeTree({ file: 'x' });
    const restore = applyEnv({ ACTIONS_RUNTIME_TOKEN: undefined });
    try {
      await expect(cache.saveCache([dir], 'no-token')).rejects.toThrow(
        'Unable to get the ACTIONS_RUNTIME_TOKEN env variable',
      );
      await expect(cache.restoreCache([dir], 'no-token')).resolves.toBeUndefined();
      expect(warnings()).toEqual(['Failed to restore: Unable to get the ACTIONS_RUNTIME_TOKEN env variable']);
    } finally {
      restore();
    }
  });

  it('an entry over the size limit: the upload happens, finalize refuses, save warns and returns -1', async () => {
    const small = await startCacheEmulator({ maxEntryBytes: 1024 });
    const restore = applyEnv({ ACTIONS_RESULTS_URL: small.url, ACTIONS_RUNTIME_TOKEN: small.token });
    try {
      const dir = await makeTree({ big: randomBytes(10_000) });
      await expect(cache.saveCache([dir], 'too-big')).resolves.toBe(-1);
      expect(small.counters.uploads).toBe(1);
      expect(warnings()).toEqual([
        expect.stringMatching(/^cache entry too-big: \d+ bytes is over the 1024 byte limit$/),
      ]);
      expect(small.entries()).toEqual([]);
    } finally {
      restore();
      await small.stop();
    }
  });

  it('invalid input throws instead of warning: bad keys, too many keys, paths that do not exist', async () => {
    const dir = await makeTree({ file: 'x' });
    await expect(cache.restoreCache([dir], 'a,b')).rejects.toThrow(cache.ValidationError);
    await expect(
      cache.restoreCache(
        [dir],
        'k',
        Array.from({ length: 10 }, (_, i) => `r${i}`),
      ),
    ).rejects.toThrow('Keys are limited to a maximum of 10');
    await expect(cache.saveCache([], 'k')).rejects.toThrow(cache.ValidationError);
    // Not a ValidationError: a plain Error, thrown before anything is reserved.
    await expect(cache.saveCache([join(workspace, 'does-not-exist')], 'k')).rejects.toThrow(
      /Path Validation Error: Path\(s\) specified in the action for caching do\(es\) not exist/,
    );
  });
});

describe('environment the library depends on', () => {
  it('ACTIONS_CACHE_MODE=read skips saves and none skips restores, without a request', async () => {
    const dir = await makeTree({ file: 'x' });
    await cache.saveCache([dir], 'mode');
    const requests = emulator.counters.requests;
    const restore = applyEnv({ ACTIONS_CACHE_MODE: 'read' });
    try {
      await expect(cache.saveCache([dir], 'mode-read')).resolves.toBe(-1);
      expect(infos()).toContain(
        "Cache save skipped: the effective cache-mode 'read' does not permit writes.",
      );
      expect(emulator.counters.requests).toBe(requests);
      await expect(cache.restoreCache([dir], 'mode')).resolves.toBe('mode');
      process.env['ACTIONS_CACHE_MODE'] = 'none';
      const afterRestore = emulator.counters.requests;
      await expect(cache.restoreCache([dir], 'mode')).resolves.toBeUndefined();
      expect(emulator.counters.requests).toBe(afterRestore);
    } finally {
      restore();
    }
  });

  it('a GITHUB_SERVER_URL that is not github.com means GHES: the library ignores v2 and speaks v1', async () => {
    const dir = await makeTree({ file: 'x' });
    const twirp = { ...emulator.counters.twirp };
    const restore = applyEnv({ GITHUB_SERVER_URL: 'https://github.example.com' });
    try {
      await expect(cache.restoreCache([dir], 'ghes')).resolves.toBeUndefined();
      expect(emulator.counters.twirp).toEqual(twirp);
      expect(warnings()).toEqual(['Failed to restore: Cache service responded with 404']);
    } finally {
      restore();
    }
  });

  it('archives paths relative to GITHUB_WORKSPACE: a path outside it restores elsewhere if the workspace moves', async () => {
    const outside = join(root, 'home', '.linuxkit', 'cache');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'index.json'), '{}');
    await cache.saveCache([outside], 'outside-workspace');
    await rm(outside, { recursive: true });

    // Same depth, different directory: the stored "../home/.linuxkit/cache" still lands right.
    const sibling = join(root, 'other-workspace');
    let restore = applyEnv({ GITHUB_WORKSPACE: sibling });
    try {
      await expect(cache.restoreCache([outside], 'outside-workspace')).resolves.toBe('outside-workspace');
      expect(await exists(join(outside, 'index.json'))).toBe(true);
    } finally {
      restore();
    }
    await rm(outside, { recursive: true });

    // Deeper workspace: the same key "hits", but the files go to <root>/deeper/home/.linuxkit/cache.
    const deeper = join(root, 'deeper', 'workspace');
    restore = applyEnv({ GITHUB_WORKSPACE: deeper });
    try {
      await expect(cache.restoreCache([outside], 'outside-workspace')).resolves.toBe('outside-workspace');
      expect(await exists(join(outside, 'index.json'))).toBe(false);
      expect(await exists(join(root, 'deeper', 'home', '.linuxkit', 'cache', 'index.json'))).toBe(true);
    } finally {
      restore();
    }
  });
});

describe('emulator protocol details the library does not exercise', () => {
  const twirp = (method: string, body: object, token = emulator.token): Promise<Response> =>
    fetch(`${emulator.url}${TWIRP_PREFIX.slice(1)}${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });

  it('serves byte ranges of a blob and refuses a wrong signature', async () => {
    const dir = await makeTree({ file: randomBytes(5000) });
    await cache.saveCache([dir], 'ranges');
    const response = await twirp('GetCacheEntryDownloadURL', { key: 'ranges', version: cacheVersion([dir]) });
    const {
      ok,
      signed_download_url: url,
      matched_key: matched,
    } = (await response.json()) as Record<string, string>;
    expect({ ok, matched }).toEqual({ ok: true, matched: 'ranges' });

    const whole = Buffer.from(await (await fetch(url as string)).arrayBuffer());
    const part = await fetch(url as string, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${whole.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(whole.subarray(10, 20));
    const tail = await fetch(url as string, { headers: { Range: `bytes=${whole.length}-` } });
    expect(tail.status).toBe(416);
    await tail.arrayBuffer();

    const forged = new URL(url as string);
    forged.searchParams.set('sig', '0'.repeat(32));
    const refused = await fetch(forged);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-ms-error-code')).toBe('AuthenticationFailed');
    await refused.arrayBuffer();
  });

  it('accepts the Azure SDK block upload that saveCache uses above 128 MiB, committed in list order', async () => {
    const version = 'b'.repeat(64);
    const created = (await (await twirp('CreateCacheEntry', { key: 'blocks', version })).json()) as {
      signed_upload_url: string;
    };
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const file = join(root, 'blocks.bin');
    await writeFile(file, data);
    const blocks = emulator.counters.blocks;

    // The same calls as uploadCacheArchiveSDK, with a smaller threshold and block size.
    const client = new BlobClient(created.signed_upload_url).getBlockBlobClient();
    const uploaded = await client.uploadFile(file, {
      blockSize: 1024 * 1024,
      maxSingleShotSize: 1024 * 1024,
      concurrency: 4,
    });
    expect(uploaded._response.status).toBe(201);
    expect(emulator.counters.blocks - blocks).toBe(6);

    const finalized = await twirp('FinalizeCacheEntryUpload', {
      key: 'blocks',
      version,
      size_bytes: `${data.length}`,
    });
    expect(await finalized.json()).toMatchObject({ ok: true });
    const lookup = await twirp('GetCacheEntryDownloadURL', { key: 'blocks', version });
    const { signed_download_url: url } = (await lookup.json()) as { signed_download_url: string };
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(data)).toBe(true);
  });

  it('answers twirp errors as JSON {code, msg}', async () => {
    const unauthenticated = await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v' }, 'wrong');
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ code: 'unauthenticated' });
    const invalid = await twirp('CreateCacheEntry', { key: 'k' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'invalid_argument', msg: 'version is required' });
    const unknown = await twirp('DeleteCacheEntry', { key: 'k' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'bad_route' });
  });
});
