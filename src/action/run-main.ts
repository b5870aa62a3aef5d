import * as core from '@actions/core';
import { errorMessage } from '../errors.js';
import { Layout, defaultCacheDir } from '../layout/layout.js';
import { checkLayout, describeFinding } from '../verify/index.js';
import { actionLogger } from './logger.js';

/** Main step (first cut): verify the cache at `path` and repair it; fails when problems remain. */
export async function run(): Promise<void> {
  try {
    const dir = core.getInput('path') || defaultCacheDir();
    const layout = Layout.at(dir.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'));
    if (!(await layout.exists())) {
      core.info(`cache ${layout.root} does not exist yet: nothing to verify`);
      core.setOutput('verified', 'true');
      return;
    }
    const report = await checkLayout(layout, {
      mode: 'full',
      platforms: [],
      repair: true,
      logger: actionLogger,
    });
    for (const f of report.findings)
      if (f.kind !== 'unreferenced' && f.kind !== 'partial') core.warning(describeFinding(f));
    core.setOutput('verified', String(report.ok));
    if (!report.ok) core.setFailed(`cache ${layout.root} still has problems after repair`);
  } catch (err) {
    core.setFailed(errorMessage(err));
  }
}
