import * as core from '@actions/core';
import { errorMessage } from '../errors.js';
import { Layout } from '../layout/layout.js';
import { recheckLayout, StatSnapshot } from '../verify/index.js';
import { describeFinding } from '../verify/index.js';
import { isDamage, isProblem } from '../verify/findings.js';
import { Outputs, State } from './constants.js';
import { getSettings, type Settings } from './inputs.js';
import { cacheKeys, isDamagedFingerprint, saveKey } from './keys.js';
import { actionLogger } from './logger.js';
import { ActionState, statSnapshotFile, type StateStore } from './state.js';

/**
 * The post step. The build may have written into the cache (linuxkit pulls what it misses,
 * non-atomically), so: verify again in full, repair, prune, and save only a consistent cache,
 * only when it differs from what was restored. Never fails the job: problems are warnings.
 */
export async function runPost(state: StateStore = new ActionState()): Promise<void> {
  try {
    const settings = await getSettings();
    const outcome = await verifyAndSave(settings, state);
    core.info(outcome);
  } catch (err) {
    core.warning(`cache not saved: ${errorMessage(err)}`);
  }
}

export async function verifyAndSave(settings: Readonly<Settings>, state: StateStore): Promise<string> {
  if (!settings.save) return 'save: false, not saving the cache';
  if (state.get(State.MainCompleted) !== 'true')
    return 'the main step did not complete: not saving the cache';
  if (!(await Layout.at(settings.path).exists()))
    return `cache ${settings.path} does not exist: nothing to save`;
  const layout = await Layout.open(settings.path, { create: false });
  if (settings.prune === 'unlisted') await dropUnlisted(layout, settings);
  const snapshotFile = state.get(State.StatSnapshot) || statSnapshotFile(layout.root);
  const snapshot = await StatSnapshot.read(snapshotFile, layout, actionLogger);
  const checked = await core.group('verify the cache again before saving', () =>
    recheckLayout(layout, {
      ...(snapshot ? { snapshot } : {}),
      prune: settings.prune !== 'off',
      logger: actionLogger,
    }),
  );
  const { report, pruned } = checked;
  core.info(`${checked.hashed} blobs hashed, ${checked.trusted} unchanged since the main step verified them`);
  for (const f of report.findings.filter(isDamage)) core.warning(`after the build: ${describeFinding(f)}`);
  if (!report.ok) {
    core.warning(
      `cache ${layout.root} still has ${report.findings.filter(isProblem).length} problems after repair: not saving it`,
    );
    return 'not saved: the cache is not consistent';
  }
  if (pruned?.removed.length)
    core.info(`pruned ${pruned.removed.length} files (${pruned.bytes} bytes) no image needs`);
  if (pruned?.note) core.info(`prune: ${pruned.note}`);
  const { fingerprint } = checked;
  const restored = state.get(State.RestoredFingerprint);
  if (fingerprint === restored) return `cache unchanged since restore (${fingerprint}): not saving`;
  const keys = cacheKeys(settings);
  const key = saveKey(keys, fingerprint, settings.key !== undefined, restored);
  if (key === state.get(State.MatchedKey)) {
    if (!isDamagedFingerprint(restored)) return `cache ${key} was restored as it is: not saving`;
    core.warning(
      `the cache restored from ${key} was damaged and has been repaired, but keys cannot be overwritten: change the key input to save the repaired cache`,
    );
    return 'not saved: the key is taken by the damaged cache';
  }
  // Loaded only to save: @actions/cache is most of this bundle, and a warm run saves nothing.
  const { save } = await import('./cache-service.js');
  const outcome = await save(layout.root, key);
  if (outcome.saved) core.setOutput(Outputs.SavedKey, key);
  return outcome.saved ? `saved the verified cache as ${key}` : `not saved: ${outcome.note}`;
}

/** prune: unlisted also drops index.json entries the image list does not name. */
async function dropUnlisted(layout: Layout, settings: Readonly<Settings>): Promise<void> {
  const wanted = new Set(settings.images.map((i) => i.reference.name));
  await layout.withLock(async () => {
    const read = await layout.readIndex();
    if (read.state !== 'ok') return;
    const keep = read.doc.entries.filter((e) => e.name !== undefined && wanted.has(e.name));
    if (keep.length === read.doc.entries.length) return;
    await layout.writeIndex({ fields: read.doc.fields, entries: keep });
    core.info(
      `prune: unlisted dropped ${read.doc.entries.length - keep.length} index.json entries not in the image list`,
    );
  });
}
