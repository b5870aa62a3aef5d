/**
 * The mission's central promise, guarded directly (issue 17 item 14): post saves only a cache
 * its recheck found consistent. A mutation that weakens `if (!report.ok)` in run-post.ts fails
 * here. The recheck is stubbed to answer "not consistent" or "consistent"; the store's save is
 * a spy, so no cache service is needed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { State } from '../../src/action/constants.js';
import type { Settings } from '../../src/action/inputs.js';
import { verifyAndSave } from '../../src/action/run-post.js';
import { MemoryState } from '../../src/action/state.js';
import { EntryStore } from '../../src/action/store/store.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import * as verify from '../../src/verify/index.js';

vi.mock('../../src/verify/index.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/verify/index.js')>()),
  recheckLayout: vi.fn(),
}));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ocg-post-guard-'));
  await Layout.at(dir).init();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const settings = (): Settings => ({
  path: dir,
  images: [],
  linuxkitFiles: [],
  platforms: [parsePlatform('linux/amd64')],
  keyPrefix: 'guard',
  maxNewEntries: 50,
  verify: 'full',
  onCorrupt: 'repair',
  failOnMissing: true,
  save: true,
  prune: 'unreferenced',
  concurrency: 8,
  refresh: 'never',
  credentials: {},
  mirrors: {},
});

function recheckSays(ok: boolean): void {
  vi.mocked(verify.recheckLayout).mockResolvedValue({
    report: {
      ok,
      cache: dir,
      mode: 'full',
      blobs: { checked: 1, bytes: 5 },
      findings: ok
        ? []
        : [{ kind: 'corrupt', path: 'blobs/sha256/x', detail: 'cannot be removed', action: 'kept' }],
      images: [],
    },
    hashed: 1,
    trusted: 0,
  });
}

describe('post saves only what its recheck found consistent', () => {
  it('a recheck that is not ok: nothing is saved, one warning says why', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const save = vi.spyOn(EntryStore.prototype, 'save').mockResolvedValue({ images: [] });
    recheckSays(false);
    const state = new MemoryState();
    state.set(State.MainCompleted, 'true');
    expect(await verifyAndSave(settings(), state)).toBe('not saved: the cache is not consistent');
    expect(save).not.toHaveBeenCalled();
    expect(lines.filter((l) => l.startsWith('::warning')).at(-1)).toMatch(
      /still has 1 problems after repair: not saving it\n$/,
    );
  });

  it('the same cache, recheck ok: the store is asked to save (the control)', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const summary = path.join(dir, '..', `${path.basename(dir)}-summary.md`);
    await writeFile(summary, '');
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary);
    const save = vi.spyOn(EntryStore.prototype, 'save').mockResolvedValue({ images: [] });
    recheckSays(true);
    const state = new MemoryState();
    state.set(State.MainCompleted, 'true');
    await verifyAndSave(settings(), state);
    expect(save).toHaveBeenCalledTimes(1);
  });
});
