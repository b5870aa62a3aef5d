import * as core from '@actions/core';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { HashPool } from '../hash/hash-pool.js';
import { ImageListError } from '../imagelist/imagelist.js';
import { Layout } from '../layout/layout.js';
import { formatPlatform } from '../oci/platform.js';
import { pullImages } from '../pull/pull.js';
import { pullFailure } from '../pull/result.js';
import { createRegistryClient } from '../registry/index.js';
import { checkLayoutDetailed, layoutFingerprint, StatSnapshot, type CheckResult } from '../verify/index.js';
import { isProblem, PROBLEM_KINDS } from '../verify/findings.js';
import { restore } from './cache-service.js';
import { State } from './constants.js';
import { getSettings, type Settings } from './inputs.js';
import { cacheKeys, damagedFingerprint } from './keys.js';
import { exportLinuxkitCache, installLinuxkit } from './linuxkit.js';
import { actionLogger } from './logger.js';
import { annotate, writeOutputs, writeSummary, type RunReport } from './report.js';
import { ActionState, statSnapshotFile, type StateStore } from './state.js';

/**
 * The main step: image list → install linuxkit (when asked) → restore → verify (repair or
 * fail) → pull what is missing → report. Saves for the post step what it restored, so post
 * saves only a changed cache.
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
  // Before the restore writes into it: a directory that is not a cache is refused untouched.
  const layout = await Layout.open(settings.path, { create: true });
  const keys = cacheKeys(settings);
  const [primary = keys.base, ...fallbacks] = keys.restoreKeys;
  core.info(`restoring ${layout.root} (keys: ${keys.restoreKeys.join(', ')})`);
  const restored = await restore(layout.root, primary, fallbacks);
  state.set(State.MatchedKey, restored.matchedKey ?? '');
  const restoredFingerprint = await layoutFingerprint(layout);
  state.set(State.RestoredFingerprint, restoredFingerprint);
  core.info(
    restored.matchedKey
      ? `restored ${restored.matchedKey} in ${restored.ms} ms`
      : `no cache restored${restored.note ? `: ${restored.note}` : ''}`,
  );

  const run: RunReport = {
    cache: layout.root,
    keys: {
      restoreKeys: keys.restoreKeys,
      ...(restored.matchedKey ? { matchedKey: restored.matchedKey } : {}),
      ...(restored.note ? { note: restored.note } : {}),
    },
    platforms: settings.platforms.map(formatPlatform),
    timings: { restoreMs: restored.ms, verifyMs: 0, pullMs: 0 },
    pulls: [],
  };
  await layout.init();
  let started = Date.now();
  // One pool hashes for the check and for the stat snapshot after it.
  const pool = HashPool.create();
  let checked: CheckResult;
  try {
    checked = await core.group('verify the cache', () =>
      checkLayoutDetailed(layout, {
        mode: settings.verify,
        platforms: [],
        repair: settings.onCorrupt === 'repair',
        logger: actionLogger,
        hasher: pool,
      }),
    );
    await recordSnapshot(layout, checked, pool, state);
  } finally {
    await pool.close();
  }
  run.timings.verifyMs = Date.now() - started;
  run.verification = checked.report;
  if (checked.report.findings.some((f) => PROBLEM_KINDS.has(f.kind))) {
    // What was restored is not what its key promised: post must save the repaired cache under
    // a key that supersedes it, even when the content comes back the same.
    state.set(State.RestoredFingerprint, damagedFingerprint(restored.matchedKey ?? '', restoredFingerprint));
  }
  if (!checked.report.ok) {
    annotate(run, settings.images);
    await finish(run, false, state);
    const n = checked.report.findings.filter(isProblem).length;
    return {
      passed: false,
      reason: `cache ${layout.root} has ${n} problem${n === 1 ? '' : 's'}${settings.onCorrupt === 'fail' ? ' (on-corrupt: fail)' : ' left after repair'}`,
    };
  }

  started = Date.now();
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
  annotate(run, settings.images);
  const failed = run.pulls.filter((p) => p.status === 'failed');
  await finish(run, true, state);
  if (failed.length && settings.failOnMissing) {
    return {
      passed: false,
      reason: `${failed.length} image${failed.length === 1 ? '' : 's'} could not be cached: ${failed.map((p) => p.reference).join(', ')}`,
    };
  }
  return { passed: true, reason: '' };
}

/** What post trusts instead of hashing again (verify/snapshot.ts). Best effort: post can hash. */
async function recordSnapshot(
  layout: Layout,
  checked: CheckResult,
  hasher: HashPool,
  state: StateStore,
): Promise<void> {
  const file = statSnapshotFile(layout.root);
  try {
    if (!path.relative(layout.root, file).startsWith('..')) throw new Error(`${file} is inside the cache`);
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
