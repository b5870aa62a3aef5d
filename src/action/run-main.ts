import * as core from '@actions/core';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { HashPool } from '../hash/hash-pool.js';
import { ImageListError } from '../imagelist/imagelist.js';
import { Layout } from '../layout/layout.js';
import type { Digest } from '../oci/digest.js';
import { formatPlatform } from '../oci/platform.js';
import { pullImages } from '../pull/pull.js';
import { pullFailure } from '../pull/result.js';
import { createRegistryClient } from '../registry/index.js';
import { checkLayoutDetailed, StatSnapshot, type CheckResult } from '../verify/index.js';
import { isProblem } from '../verify/findings.js';
import { blobStat } from '../verify/scan.js';
import { RACY_MS } from '../verify/snapshot.js';
import { State } from './constants.js';
import { getSettings, type Settings } from './inputs.js';
import { exportLinuxkitCache, installLinuxkit } from './linuxkit.js';
import { actionLogger } from './logger.js';
import { annotate, failureReason, writeOutputs, writeSummary, type RunReport } from './report.js';
import { ActionState, restoredFile, statSnapshotFile, type StateStore } from './state.js';
import { writeRecord, type RecordedImage } from './store/record.js';
import { storeFor, type RestoreRun } from './store/store.js';

/**
 * The main step: image list → install linuxkit (when asked) → verify what is on disk → restore
 * each missing image's entry (verified as it lands) → pull what is still missing → report.
 * Leaves post a record of what each image's entry was.
 */
export async function runMain(state: StateStore = new ActionState()): Promise<void> {
  try {
    const settings = await getSettings();
    const { linuxkit } = settings;
    if (linuxkit) await core.group('install linuxkit', () => installLinuxkit(linuxkit));
    exportLinuxkitCache(settings);
    const ok = await restoreVerifyPull(settings, state);
    if (!ok.passed) core.setFailed(ok.reason);
  } catch (err) {
    if (err instanceof ImageListError && err.origin.file) {
      // One error, on the file and line at fault (setFailed would repeat it unannotated).
      core.error(err.message, {
        file: err.origin.file,
        ...(err.origin.line ? { startLine: err.origin.line } : {}),
        title: 'bad image list',
      });
      process.exitCode = core.ExitCode.Failure;
    } else {
      core.setFailed(errorMessage(err));
    }
  }
}

async function restoreVerifyPull(
  settings: Readonly<Settings>,
  state: StateStore,
): Promise<{ passed: boolean; reason: string }> {
  // A directory that is not a cache is refused untouched.
  const layout = await Layout.open(settings.path, { create: true });
  await layout.init();
  const run: RunReport = {
    cache: layout.root,
    platforms: settings.platforms.map(formatPlatform),
    entries: [],
    timings: { restoreMs: 0, verifyMs: 0, pullMs: 0 },
    pulls: [],
  };
  const pool = HashPool.create();
  let checked: CheckResult;
  let restored: RestoreRun;
  try {
    // What is on disk first (nothing on a fresh runner): entries then fill only what is missing.
    let started = Date.now();
    checked = await core.group('verify the cache', () =>
      checkLayoutDetailed(layout, {
        mode: settings.verify,
        platforms: [],
        repair: settings.onCorrupt === 'repair',
        logger: actionLogger,
        hasher: pool,
      }),
    );
    run.timings.verifyMs = Date.now() - started;
    run.verification = checked.report;
    if (!checked.report.ok) {
      annotate(run, settings);
      await finish(run, false, state);
      const n = checked.report.findings.filter(isProblem).length;
      return {
        passed: false,
        reason: `cache ${layout.root} has ${n} problem${n === 1 ? '' : 's'}${settings.onCorrupt === 'fail' ? ' (on-corrupt: fail)' : ' left after repair'}`,
      };
    }

    started = Date.now();
    const store = storeFor(layout, settings);
    const read = await layout.readIndex();
    const onDisk = new Set(read.state === 'ok' ? read.doc.entries.map((e) => e.name) : []);
    const wanted = settings.images
      .filter((i) => !onDisk.has(i.reference.name))
      .map((i) => ({
        name: i.reference.name,
        ...(i.reference.digest ? { pinned: i.reference.digest } : {}),
      }));
    restored = await core.group(`restore ${wanted.length} cache entries`, () =>
      store.restore(wanted, pool, checked.valid),
    );
    run.timings.restoreMs = Date.now() - started;
    run.entries = restored.images;
    if (restored.off ?? restored.note) run.entriesNote = restored.off ?? restored.note;
    reportEntries(restored);
    for (const d of restored.imported) checked.valid.add(d);
    await recordSnapshot(layout, checked, restored.imported, pool, state);
  } finally {
    await pool.close();
  }

  const started = Date.now();
  const client = createRegistryClient({
    credentials: settings.credentials,
    mirrors: settings.mirrors,
    logger: actionLogger,
    onSecret: (s) => core.setSecret(s),
    connectionsPerHost: settings.concurrency,
  });
  try {
    run.pulls = await core.group(`pull ${settings.images.length} images`, () =>
      pullImages(
        layout,
        client,
        settings.images.map((i) => i.reference),
        {
          platforms: settings.platforms,
          concurrency: settings.concurrency,
          refresh: settings.refresh,
          valid: checked.valid,
          validMode: checked.report.mode,
          logger: actionLogger,
        },
      ),
    );
    if (client.rateLimit) run.rateLimit = client.rateLimit;
  } finally {
    await client.close();
  }
  run.timings.pullMs = Date.now() - started;
  for (const p of run.pulls) core.info(p.error ? `failed: ${pullFailure(p)}` : `${p.name}: ${p.status}`);
  await writeRecord(restoredFile(layout.root), { cache: layout.root, images: recorded(run) });
  state.set(State.Restored, restoredFile(layout.root));
  annotate(run, settings);
  const failed = run.pulls.filter((p) => p.status === 'failed');
  await finish(run, true, state);
  if (failed.length && settings.failOnMissing) return { passed: false, reason: failureReason(failed) };
  return { passed: true, reason: '' };
}

/** One line per refused entry (damage, like a bad blob), one for a service that failed. */
function reportEntries(restored: RestoreRun): void {
  const got = restored.images.filter((i) => i.key);
  core.info(`${got.length} of ${restored.images.length} images restored from their cache entries`);
  const bad = restored.images.filter((i) => i.badKey || i.problem);
  for (const i of bad.slice(0, 10))
    core.warning(
      i.badKey
        ? `cache entry ${i.badKey} of ${i.name} refused: ${i.problem}; pulling the image, post saves an entry that supersedes it`
        : `cache entry of ${i.name}: ${i.problem}; pulling the image`,
    );
  if (bad.length > 10) core.warning(`${bad.length - 10} more cache entries refused (see the report)`);
  if (restored.off) core.info(`cache entries not read: ${restored.off}`);
  if (restored.note) core.warning(`cache entries: ${restored.note}; pulling from the registries instead`);
}

/** Per image: which entry it came from, or that it was pulled, for post and its summary. */
function recorded(run: RunReport): Record<string, RecordedImage> {
  const images: Record<string, RecordedImage> = {};
  const entries = new Map(run.entries.map((e) => [e.name, e]));
  for (const p of run.pulls) {
    const e = entries.get(p.name);
    const source =
      p.status === 'failed' ? 'failed' : p.status === 'cached' ? (e?.key ? 'entry' : 'disk') : 'pulled';
    images[p.name] = {
      source,
      ...(e?.key ? { key: e.key } : {}),
      ...(e?.badKey ? { badKey: e.badKey } : {}),
    };
  }
  return images;
}

/**
 * What post trusts instead of hashing again (verify/snapshot.ts). Entries' blobs were hashed
 * before they were linked into the cache; they are recorded with their stat after RACY_MS, so
 * a later write shows. Best effort: post can hash.
 */
async function recordSnapshot(
  layout: Layout,
  checked: CheckResult,
  imported: readonly Digest[],
  hasher: HashPool,
  state: StateStore,
): Promise<void> {
  const file = statSnapshotFile(layout.root);
  try {
    if (!path.relative(layout.root, file).startsWith('..')) throw new Error(`${file} is inside the cache`);
    if (imported.length) await new Promise((resolve) => setTimeout(resolve, RACY_MS + 1));
    for (const digest of imported) {
      const p = layout.blobPath(digest);
      const takenAt = Date.now();
      const s = await lstat(p, { bigint: true });
      checked.scan.blobs.set(digest, {
        digest,
        path: p,
        size: Number(s.size),
        hashOk: true,
        stat: blobStat(s, takenAt),
      });
    }
    const snapshot = await StatSnapshot.record(layout, checked.scan, checked.valid, {
      hasher,
      logger: actionLogger,
    });
    await snapshot.write(file);
    state.set(State.StatSnapshot, file);
    core.debug(`stat snapshot of ${snapshot.blobCount} verified blobs in ${file}`);
  } catch (err) {
    core.debug(`no stat snapshot (${errorMessage(err)}): the post step will hash every blob`);
  }
}

async function finish(run: RunReport, verified: boolean, state: StateStore): Promise<void> {
  await writeOutputs(run, verified);
  await writeSummary(run, 'oci-cache-guard: image cache');
  state.set(State.MainCompleted, 'true');
}
