import * as core from '@actions/core';
import { errorMessage } from '../errors.js';
import { Layout } from '../layout/layout.js';
import { recheckLayout, StatSnapshot } from '../verify/index.js';
import { describeFinding } from '../verify/index.js';
import { isDamage, isProblem } from '../verify/findings.js';
import { Outputs, State } from './constants.js';
import { getSettings, type Settings } from './inputs.js';
import { actionLogger } from './logger.js';
import { writeSaveSummary } from './report.js';
import { ActionState, restoredFile, statSnapshotFile, type StateStore } from './state.js';
import { readRecord } from './store/record.js';
import { storeFor } from './store/store.js';

/**
 * The post step. The build may have written into the cache (linuxkit pulls what it misses,
 * non-atomically), so: verify again in full, repair, prune, and only when the cache is
 * consistent, save an entry for each image that has none yet. Never fails the job: problems
 * are warnings.
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

  const record = await readRecord(state.get(State.Restored) || restoredFile(layout.root), layout.root);
  const read = await layout.readIndex();
  if (read.state !== 'ok') return `not saved: index.json is ${read.state}`;
  const store = storeFor(layout, settings);
  const restored = new Map(Object.entries(record.images));
  const saved = await core.group(`save cache entries of ${read.doc.entries.length} images`, () =>
    store.save(read.doc.entries, restored, settings.maxNewEntries),
  );
  const created = saved.images.filter((i) => i.outcome === 'saved');
  const left = saved.images.filter((i) => ['capped', 'refused', 'skipped'].includes(i.outcome)).length;
  if (saved.refused)
    core.warning(
      `the cache service did not take new entries (${saved.refused}): saved ${created.length}, ${left} left for the next run`,
    );
  const capped = saved.images.filter((i) => i.outcome === 'capped').length;
  if (capped)
    core.info(`max-new-entries: ${settings.maxNewEntries} entries created, ${capped} left for the next run`);
  core.setOutput(Outputs.SavedKey, created.map((i) => i.key).join('\n'));
  await writeSaveSummary(saved.images, record.images, saved.off ?? saved.refused);
  const unchanged = saved.images.filter((i) => i.outcome === 'restored' || i.outcome === 'exists').length;
  return `${created.length} new cache entries saved, ${unchanged} already saved${saved.off ? ` (${saved.off})` : ''}${left ? `, ${left} not saved` : ''}`;
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
