import { UsageError } from '../errors.js';
import type { StaticCredential } from './options.js';

/**
 * Parses `host=user:password` lines (the Action's `registry-auth` input and the CLI's
 * `OCI_CACHE_GUARD_REGISTRY_AUTH` variable). Errors name the line number, never its secret.
 */
export function parseRegistryAuth(text: string, source: string): Record<string, StaticCredential> {
  const out: Record<string, StaticCredential> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const colon = line.indexOf(':', eq + 1);
    const host = line.slice(0, Math.max(eq, 0)).trim();
    if (eq <= 0 || colon < 0 || host === '' || /\s/.test(host)) {
      throw new UsageError(
        `${source} line ${i + 1}: expected host=user:password (e.g. ghcr.io=octocat:TOKEN)`,
      );
    }
    out[host] = { username: line.slice(eq + 1, colon), password: line.slice(colon + 1) };
  });
  return out;
}

/** Parses `registry=https://mirror` entries (`--registry-mirror`, the `registry-mirrors` input). */
export function parseMirrors(entries: string[], source: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const entry of entries
    .flatMap((e) => e.split(/\r?\n/))
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `${source} ${JSON.stringify(entry)}: expected registry=URL (e.g. docker.io=https://mirror.gcr.io)`,
      );
    (out[entry.slice(0, eq).trim()] ??= []).push(entry.slice(eq + 1).trim());
  }
  return out;
}
