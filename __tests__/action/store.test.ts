/**
 * The entry store's parts, in-process: keys (what a mutation ignoring platforms or the digest
 * would break), and the cache service as the store judges it, with the real `@actions/cache`
 * against the emulator: a save is saved, taken by another job, or refused; a restore misses,
 * fails in its download (only that image) or fails at the service (stop asking).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { entryExists, restoreEntry, saveEntry } from '../../src/action/cache-service.js';
import {
  contentKey,
  entryPrefix,
  imageHash,
  keyDigest,
  keyNamespace,
  restoreKeys,
  supersedingKey,
} from '../../src/action/store/keys.js';
import { makeDigest, type Digest } from '../../src/oci/digest.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { applyEnv, emulatorEnv, startCacheEmulator, type CacheEmulator } from '../harness/cache-emulator.js';

const amd64 = parsePlatform('linux/amd64');
const arm64 = parsePlatform('linux/arm64');
const hex = fc.stringMatching(/^[0-9a-f]{64}$/);

describe('entry keys', () => {
  it('name the image, its platforms (in any order) and its content digest, which parses back', () => {
    fc.assert(
      fc.property(hex, hex, fc.string({ minLength: 1, maxLength: 40 }), (a, b, replaced) => {
        const prefix = entryPrefix('ns-linux', 'docker.io/linuxkit/kernel:6.6', [amd64]);
        const d = makeDigest('sha256', a);
        const key = contentKey(prefix, d);
        expect(key.startsWith(prefix)).toBe(true);
        expect(keyDigest(prefix, key)).toBe(d);
        expect(keyDigest(prefix, supersedingKey(key, replaced))).toBe(d);
        expect(supersedingKey(key, replaced).startsWith(`${key}-`)).toBe(true);
        if (a !== b) expect(contentKey(prefix, makeDigest('sha256', b))).not.toBe(key);
      }),
    );
  });

  it('another platform set, another name or namespace is another line of entries', () => {
    const name = 'docker.io/linuxkit/kernel:6.6';
    expect(imageHash(name, [amd64])).not.toBe(imageHash(name, [arm64]));
    expect(imageHash(name, [amd64])).not.toBe(imageHash(name, [amd64, arm64]));
    expect(imageHash(name, [amd64, arm64])).toBe(imageHash(name, [arm64, amd64]));
    expect(imageHash(name, [amd64])).not.toBe(imageHash('docker.io/linuxkit/kernel:6.7', [amd64]));
    expect(keyNamespace({ keyPrefix: 'p' }, { RUNNER_OS: 'Linux' })).toBe('p-linux');
    expect(keyNamespace({ keyPrefix: 'p', key: 'mine' }, { RUNNER_OS: 'Linux' })).toBe('mine');
  });

  it('a key of another image, or not ours, names no digest', () => {
    const prefix = entryPrefix('ns', 'a', [amd64]);
    const other = entryPrefix('ns', 'b', [amd64]);
    const d = makeDigest('sha256', 'a'.repeat(64));
    expect(keyDigest(other, contentKey(prefix, d))).toBeUndefined();
    expect(keyDigest(prefix, `${prefix}sha256-xyz`)).toBeUndefined();
    expect(keyDigest(prefix, `${contentKey(prefix, d)}-extra`)).toBeUndefined();
  });

  it('a tag restores the newest entry of its image; a pinned digest only keys of that digest, superseding first', () => {
    const prefix = entryPrefix('ns', 'x', [amd64]);
    const d = makeDigest('sha256', 'b'.repeat(64)) as Digest;
    expect(restoreKeys(prefix, undefined)).toEqual({ primary: prefix, fallbacks: [prefix] });
    expect(restoreKeys(prefix, d)).toEqual({
      primary: `${contentKey(prefix, d)}-`,
      fallbacks: [contentKey(prefix, d)],
    });
  });
});

describe('the cache service as the store judges it (real @actions/cache, emulator)', () => {
  let emulator: CacheEmulator;
  let root: string;
  let restoreEnv: () => void;
  let n = 0;
  const newDir = async (content = 'x'): Promise<string> => {
    const dir = path.join(root, 'temp', 'entries', `e${++n}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'f'), content);
    return dir;
  };

  beforeAll(async () => {
    emulator = await startCacheEmulator();
    root = await mkdtemp(path.join(tmpdir(), 'ocg-store-'));
    await mkdir(path.join(root, 'work'), { recursive: true });
    restoreEnv = applyEnv({
      ...emulatorEnv(emulator, { workspace: path.join(root, 'work'), runnerTemp: path.join(root, 'temp') }),
      ACTIONS_CACHE_MODE: undefined,
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    restoreEnv?.();
    await emulator?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('save: saved, then taken (another job got there first), then refused on 429', async () => {
    const dir = await newDir();
    expect(await entryExists(dir, 'k-1')).toBe(false);
    expect(await saveEntry(dir, 'k-1')).toEqual({ kind: 'saved' });
    expect(await entryExists(dir, 'k-1')).toBe(true);
    expect(await entryExists(dir, 'k-')).toBe(false); // a prefix match is not the key
    // The same key while its first save is still reserved: the service answers 409.
    const other = await newDir();
    const [a, b] = await Promise.all([saveEntry(other, 'k-2'), saveEntry(other, 'k-2')]);
    expect([a.kind, b.kind].sort()).toEqual(['exists', 'saved']);
    emulator.createLimit = 0;
    try {
      const refused = await saveEntry(dir, 'k-3');
      expect(refused.kind).toBe('refused');
      expect(refused.kind === 'refused' && refused.why).toMatch(/429|rate limit/i);
    } finally {
      emulator.createLimit = undefined;
    }
  });

  it('restore: a miss, a cut download (this image only), a service that is down (stop asking)', async () => {
    const dir = await newDir('content');
    expect(await saveEntry(dir, 'r-1')).toEqual({ kind: 'saved' });
    await rm(dir, { recursive: true });
    expect(await restoreEntry(dir, 'none-', ['none-'])).toEqual({ serviceFailed: false });
    expect(await restoreEntry(dir, 'r-', ['r-'])).toEqual({ key: 'r-1', serviceFailed: false });
    emulator.cutDownloads.add('r-1');
    try {
      const cut = await restoreEntry(dir, 'r-', ['r-']);
      expect(cut).toMatchObject({
        serviceFailed: false,
        failure: expect.stringMatching(/^Failed to restore/),
      });
    } finally {
      emulator.cutDownloads.clear();
    }
    emulator.down = 'reset';
    try {
      expect(await restoreEntry(dir, 'r-', ['r-'])).toMatchObject({ serviceFailed: true });
      expect(await entryExists(dir, 'r-1')).toMatchObject({ failure: expect.any(String) });
    } finally {
      emulator.down = false;
    }
  });
});
