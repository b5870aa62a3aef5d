/**
 * The bundles under the runtime action.yml declares (node24), when the tests themselves run
 * on another Node: `scripts/e2e-node24.sh` (called by .ci/run) gets a Node 24 binary from the
 * npm package `node@24` and passes its path in OCG_E2E_NODE. Without it, this file skips:
 * `npm test` stays hermetic.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startActionLab, type ActionLab } from '../harness/runner.js';

const NODE = process.env.OCG_E2E_NODE ?? '';
const INPUTS = { 'linuxkit-files': 'linuxkit.yml' };

describe.skipIf(NODE === '')('the action under Node 24 (OCG_E2E_NODE; scripts/e2e-node24.sh)', () => {
  let lab: ActionLab;

  beforeAll(async () => {
    expect(execFileSync(NODE, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
    lab = await startActionLab();
    await lab.writeLinuxkitYml();
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('run 1: nothing cached; pulls every image, post saves; then a hit pulls and saves nothing', async () => {
    const first = await lab.runner.job({ inputs: INPUTS, node: NODE });
    expect(first.main.code, first.main.stdout).toBe(0);
    expect(first.main.outputs).toMatchObject({
      'cache-hit': 'false',
      verified: 'true',
      'pulled-images': String(lab.images.length),
    });
    expect(first.main.annotations).toEqual([]);
    expect(first.post.code, first.post.stdout).toBe(0);
    // One entry per image.
    const saved = (first.post.outputs['saved-key'] ?? '').split('\n').sort();
    expect(saved).toHaveLength(lab.images.length);
    for (const key of saved) expect(key).toMatch(/^oci-cache-guard-linux-[0-9a-f]{16}-sha256-[0-9a-f]{64}$/);
    expect(
      lab.emulator
        .entries()
        .map((e) => e.key)
        .sort(),
    ).toEqual(saved);

    await lab.runner.freshMachine();
    const mark = lab.proxy.requests.length;
    const second = await lab.runner.job({ inputs: INPUTS, node: NODE });
    expect(second.main.code, second.main.stdout).toBe(0);
    expect(second.main.outputs, second.main.stdout).toMatchObject({
      'cache-hit': 'true',
      'pulled-images': '0',
    });
    expect((second.main.outputs['cache-matched-key'] ?? '').split('\n').sort()).toEqual(saved);
    expect(lab.blobGets(mark)).toEqual([]);
    expect(second.post.outputs['saved-key']).toBe('');
    expect(lab.emulator.entries()).toHaveLength(lab.images.length);
  });
});
