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

/**
 * Characters a reader cannot see or tell apart from a plain one: controls (C0, DEL, C1), which
 * can drive a terminal; format characters (zero-width spaces and joiners, the byte order mark,
 * bidirectional overrides, which can reorder a line, soft hyphens, tag characters); other
 * default-ignorable code points (variation selectors, Hangul fillers); line and paragraph
 * separators; spaces other than U+0020 (a no-break space passes for one); lone surrogates.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/gu;
/** The same, less what JSON.stringify escapes itself (C0 controls) and the newlines of its indentation. */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/gu;

/**
 * Every UTF-16 unit UNPRINTABLE may match, and a few more: a plain character class, tried on
 * the few characters of a line outside printable ASCII, so that most lines skip the Unicode
 * property classes, which cost ten times more (a test checks every code point).
 */
/* eslint-disable no-control-regex, no-misleading-character-class -- controls and lone marks are the point */
const MAYBE_UNPRINTABLE =
  /[\u0000-\u001f\u007f-\u00a0\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ud800-\udfff]/;
/* eslint-enable no-control-regex, no-misleading-character-class */
const OUTSIDE_PRINTABLE_ASCII = /[^\u0020-\u007e]/g;

function mayBeUnprintable(text: string): boolean {
  OUTSIDE_PRINTABLE_ASCII.lastIndex = 0;
  for (let m = OUTSIDE_PRINTABLE_ASCII.exec(text); m; m = OUTSIDE_PRINTABLE_ASCII.exec(text))
    if (MAYBE_UNPRINTABLE.test(m[0])) return true;
  return false;
}

/** `\uXXXX` per UTF-16 unit (a character beyond U+FFFF as its surrogate pair, as JSON writes it). */
function unicodeEscape(c: string): string {
  let escaped = '';
  for (let i = 0; i < c.length; i++) escaped += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return escaped;
}

/**
 * Text from a cache or a registry (an index.json name, a file name, an error body), safe to
 * print on a terminal: control characters, line and paragraph separators, bidirectional
 * overrides and characters one cannot see (zero-width, a byte order mark, odd spaces) are
 * written as escapes (`\u001b`, `\n`, `\u200b`), so a name can neither send terminal escape
 * sequences, break or reorder a line, nor hide a character. Other text is unchanged.
 */
export function printable(text: string): string {
  if (!mayBeUnprintable(text)) return text; // the common case
  return text.replace(UNPRINTABLE, (c) => {
    const json = c.length === 1 ? JSON.stringify(c).slice(1, -1) : '';
    return json.startsWith('\\') ? json : unicodeEscape(c);
  });
}

/** JSON.stringify, indented, with the characters it leaves raw that a terminal would act on escaped too. */
export function printableJson(value: unknown): string {
  return stringifyJson(value, 2).replace(UNPRINTABLE_IN_JSON, unicodeEscape);
}

/**
 * A string quoted as JSON with every character outside printable ASCII escaped: for text that
 * must be ASCII to be valid (an image reference), where a look-alike letter (Cyrillic `е` for
 * `e`, a fullwidth `ｒ`) is the fault to show.
 */
export function quoteAscii(text: string): string {
  return JSON.stringify(text).replace(/[^\u0020-\u007e]/g, unicodeEscape);
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
