import * as cache from '@actions/cache';
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { CACHE_MODE_ENV } from './constants.js';

/**
 * The Actions cache as the entry store uses it: one directory per entry, restored, looked up
 * and saved with the real `@actions/cache`. The library reports its failures itself, as
 * warning and error lines per call; with one call per image that is one annotation per image
 * for one outage. So while it runs, its warning and error lines become plain log lines, and
 * what they said is returned for the store to judge once (see `heard`).
 */

/** `ACTIONS_CACHE_MODE`: read, write, none; unset means both. */
export function cacheMode(env: NodeJS.ProcessEnv = process.env): { read: boolean; write: boolean } {
  const mode = (env[CACHE_MODE_ENV] ?? '').trim().toLowerCase();
  return { read: mode !== 'write' && mode !== 'none', write: mode !== 'read' && mode !== 'none' };
}

/** Why the cache cannot be used at all in this run, or undefined when it can. */
export function unavailable(want: 'read' | 'write'): string | undefined {
  if (!cacheMode()[want])
    return `${CACHE_MODE_ENV} does not allow ${want === 'read' ? 'reading' : 'writing'} the cache`;
  if (!cache.isFeatureAvailable()) return 'the GitHub Actions cache service is not available here';
  return undefined;
}

export interface Heard {
  /** The library's warning and error lines while the call ran (of any call running then). */
  problems: string[];
  /** Its debug and info lines (`Cache hit for: <key>`, `Failed to reserve cache: …`). */
  lines: string[];
}

let listening = 0;
let log: { problems: string[]; lines: string[] }[] = [];
let original: typeof process.stdout.write | undefined;
/**
 * The call a line was written in: up to 8 calls run at once, and one's failure must not be
 * read as another's (a failed download taken for a dead service stopped every restore). A line
 * written outside any call's context goes to every running call.
 */
const currentCall = new AsyncLocalStorage<Heard>();
const hearers = (): Heard[] => {
  const call = currentCall.getStore();
  return call ? [call] : log;
};

/** Runs `fn` with the library's workflow lines captured (see the module comment). */
async function heard<T>(fn: () => Promise<T>): Promise<{ value: T } & Heard> {
  const mine = { problems: [] as string[], lines: [] as string[] };
  log.push(mine);
  if (listening++ === 0) {
    original = process.stdout.write.bind(process.stdout) as typeof process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const out = text.replace(/^::(warning|error)::(.*)$/gm, (_, _level: string, message: string) => {
        for (const l of hearers()) l.problems.push(message);
        return `cache service: ${message}`;
      });
      const to = hearers();
      for (const m of text.matchAll(/^(?:::debug::)?(.*)$/gm)) for (const l of to) l.lines.push(m[1] ?? '');
      return (original as (c: string, ...r: unknown[]) => boolean)(out, ...rest);
    }) as typeof process.stdout.write;
  }
  try {
    return { value: await currentCall.run(mine, fn), ...mine };
  } finally {
    log = log.filter((l) => l !== mine);
    if (--listening === 0 && original) {
      process.stdout.write = original;
      original = undefined;
    }
  }
}

export interface RestoreResult {
  /** The key restored; undefined on a miss or a failure. */
  key?: string;
  /** Set when the service or the download failed (not on a miss). */
  failure?: string;
  /** True when the lookup itself failed: the service is unusable, stop asking. */
  serviceFailed: boolean;
}

/** Restores the newest entry matching `primary` then `fallbacks` into `dir`. */
export async function restoreEntry(
  dir: string,
  primary: string,
  fallbacks: string[],
): Promise<RestoreResult> {
  // Made here, not by tar: GNU tar fails ("Cannot mkdir") when another tar makes a missing
  // parent they share at the same moment, and restores run side by side.
  await mkdir(dir, { recursive: true });
  try {
    const r = await heard(() => cache.restoreCache([dir], primary, fallbacks));
    if (r.value) return { key: r.value, serviceFailed: false };
    const failure = r.problems.find((p) => /^Failed to restore/.test(p));
    if (!failure) return { serviceFailed: false };
    // `Cache hit for…: <key>` of this image's keys: the lookup worked, the download did not.
    const found = r.lines.some(
      (l) => /^Cache hit for(?: restore-key)?: /.test(l) && l.includes(primary.replace(/-$/, '')),
    );
    return { failure, serviceFailed: !found };
  } catch (err) {
    return { failure: errorMessage(err), serviceFailed: true };
  }
}

/** Whether an entry with exactly `key` exists (one lookup, no download). */
export async function entryExists(dir: string, key: string): Promise<boolean | { failure: string }> {
  try {
    const r = await heard(() => cache.restoreCache([dir], key, [], { lookupOnly: true }));
    if (r.value !== undefined) return r.value === key;
    const failure = r.problems.find((p) => /^Failed to restore/.test(p));
    return failure ? { failure } : false;
  } catch (err) {
    return { failure: errorMessage(err) };
  }
}

export type SaveResult =
  | { kind: 'saved' }
  /** Another job created the same key first: the content is saved, by it. */
  | { kind: 'exists' }
  /** The service refused (429, a denied write, an error): stop creating entries this run. */
  | { kind: 'refused'; why: string };

/** Saves `dir` as the entry `key`. */
export async function saveEntry(dir: string, key: string): Promise<SaveResult> {
  try {
    const r = await heard(() => cache.saveCache([dir], key));
    if (r.value !== -1) return { kind: 'saved' };
    if (r.lines.some((l) => l.startsWith('Failed to reserve cache') && /\(409\)|already exists/.test(l)))
      return { kind: 'exists' };
    const why =
      r.problems.find((p) => /rate limit/i.test(p)) ??
      r.lines
        .find((l) => l.startsWith('Failed to reserve cache: '))
        ?.slice('Failed to reserve cache: '.length) ??
      r.problems.at(-1) ??
      'the service did not accept it';
    return { kind: 'refused', why };
  } catch (err) {
    return { kind: 'refused', why: errorMessage(err) };
  }
}
