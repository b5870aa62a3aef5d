import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Outputs, State } from './constants.js';

/**
 * Passes what main learnt to post. The combined action keeps it in the runner's state; the
 * split restore/save sub-actions turn it into outputs the workflow passes on.
 */
export interface StateStore {
  set(name: State, value: string): void;
  get(name: State): string;
}

export class ActionState implements StateStore {
  set(name: State, value: string): void {
    core.saveState(name, value);
  }
  get(name: State): string {
    return core.getState(name);
  }
}

const AS_OUTPUT: Partial<Record<State, Outputs>> = {
  [State.RestoredFingerprint]: Outputs.Fingerprint,
};

/** State held in memory: the save sub-action seeds it from its inputs. */
export class MemoryState implements StateStore {
  protected readonly values = new Map<State, string>();
  set(name: State, value: string): void {
    this.values.set(name, value);
  }
  get(name: State): string {
    return this.values.get(name) ?? '';
  }
}

/** The restore sub-action: state the save sub-action needs becomes an output. */
export class OutputState extends MemoryState {
  override set(name: State, value: string): void {
    super.set(name, value);
    const output = AS_OUTPUT[name];
    if (output) core.setOutput(output, value);
  }
}

/**
 * Where main leaves its stat snapshot for post: the runner's temp dir (emptied after each job),
 * one file per cache path, so the save sub-action finds it without being told.
 */
export function statSnapshotFile(cacheRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const id = createHash('sha256').update(cacheRoot).digest('hex').slice(0, 16);
  return path.join(env.RUNNER_TEMP || tmpdir(), 'oci-cache-guard', `stat-snapshot-${id}.json`);
}
