/** Sizes, rates and durations as people read them, for the CLI, the job summary and the report. */

import { stringifyJson } from './oci/json.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** "512 B", "1.2 kB", "205 kB", "17.2 MB": whole bytes, then three significant digits at most. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '? B';
  let i = 0;
  let v = Math.round(n);
  // Round before choosing the unit, so 999.96 kB reads "1.0 MB", not "1000.0 kB".
  while (i < UNITS.length - 1 && roundFor(v) >= 1000) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 99.95 ? 0 : 1)} ${UNITS[i]}`;
}

function roundFor(v: number): number {
  return v >= 99.95 ? Math.round(v) : Math.round(v * 10) / 10;
}

/** "52 B/s", "24.8 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "840 ms", "12.3 s", "4m05s", "1h02m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Characters that can drive a terminal or reorder a line; C0 controls are also JSON's to escape. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Text from a cache or a registry (an index.json name, a file name, an error body), safe to
 * print on a terminal: control characters (C0, DEL, C1), line and paragraph separators and
 * bidirectional overrides are written as escapes (`\u001b`, `\n`), so a name can neither send
 * terminal escape sequences nor break or reorder a line. Printable text is unchanged.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const json = JSON.stringify(c).slice(1, -1);
    return json.startsWith('\\') ? json : unicodeEscape(c);
  });
}

/** JSON.stringify, indented, with the characters it leaves raw that a terminal would act on escaped too. */
export function printableJson(value: unknown): string {
  return stringifyJson(value, 2).replace(UNPRINTABLE_IN_JSON, unicodeEscape);
}

/** `message`, prefixed with `subject: ` unless it already names one of `names`. */
export function naming(subject: string, message: string, names: string[] = [subject]): string {
  return names.some((n) => n && message.includes(n)) ? message : `${subject}: ${message}`;
}

/** Docker Hub's pull allowance from its RateLimit headers: "Docker Hub pulls left: 76 of 100 per 6 h". */
export function formatPullsLeft(r: { remaining: number; limit: number; windowSeconds?: number }): string {
  const w = r.windowSeconds;
  const window = w ? ` per ${w % 3600 === 0 ? `${w / 3600} h` : `${w} s`}` : '';
  return `Docker Hub pulls left: ${r.remaining} of ${r.limit}${window}`;
}
