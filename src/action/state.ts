import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { State } from './constants.js';

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

/**
 * State held in memory: the restore sub-action's (what the save sub-action needs is in files
 * under RUNNER_TEMP, found by the cache path), and tests'.
 */
export class MemoryState implements StateStore {
  protected readonly values = new Map<State, string>();
  set(name: State, value: string): void {
    this.values.set(name, value);
  }
  get(name: State): string {
    return this.values.get(name) ?? '';
  }
}

/**
 * Where main leaves its stat snapshot for post: the runner's temp dir (emptied after each job),
 * one file per cache path, so the save sub-action finds it without being told.
 */
export function statSnapshotFile(cacheRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(workDir(env), `stat-snapshot-${cacheId(cacheRoot)}.json`);
}

/** Where main leaves, per image, the entry it restored (or refused) and where it came from. */
export function restoredFile(cacheRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(workDir(env), `restored-${cacheId(cacheRoot)}.json`);
}

/**
 * Where entries are staged to save and unpacked on restore: the same path on every runner of
 * a kind (the cache version hashes it), one directory per image below it (store.ts).
 */
export function stagingDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(workDir(env), 'entries');
}

/** `$RUNNER_TEMP/oci-cache-guard`: emptied after each job, never saved. */
function workDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.RUNNER_TEMP || tmpdir(), 'oci-cache-guard');
}

const cacheId = (cacheRoot: string): string =>
  createHash('sha256').update(cacheRoot).digest('hex').slice(0, 16);
