// The one formatter of sizes, rates and durations (issue 8 item 19), the terminal escape of
// names from a cache (item 15) and naming an image once in an error (item 20).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatRate,
  naming,
  printable,
  printableJson,
  quoteAscii,
} from '../../src/format.js';

const UNIT = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15 } as const;

describe('formatBytes and formatRate', () => {
  it('the cases people see', () => {
    expect(formatRate(52.1149384258433)).toBe('52 B/s');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(999.6)).toBe('1.0 kB');
    expect(formatBytes(3700)).toBe('3.7 kB');
    expect(formatBytes(205_357)).toBe('205 kB');
    expect(formatBytes(99_950)).toBe('100 kB');
    // Rounding picks the unit: never "1000.0 kB".
    expect(formatBytes(999_960)).toBe('1.0 MB');
    expect(formatRate(24_812_345.678)).toBe('24.8 MB/s');
    expect(formatBytes(Number.NaN)).toBe('? B');
    expect(formatBytes(-1)).toBe('? B');
  });

  it('any size: at most three digits before the point, one after, and within 5% of the value', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e17, noNaN: true }), (n) => {
        const text = formatBytes(n);
        const m = /^(\d+)(?:\.(\d))? (B|kB|MB|GB|TB|PB)$/.exec(text);
        expect(m, text).not.toBeNull();
        const [, whole, tenth, unit] = m!;
        if (unit === 'B') expect(tenth, text).toBeUndefined();
        if (unit !== 'PB') expect(whole!.length, text).toBeLessThanOrEqual(3);
        if (whole!.length === 3) expect(tenth, text).toBeUndefined();
        const value = Number(`${whole}.${tenth ?? 0}`) * UNIT[unit as keyof typeof UNIT];
        // Whole bytes below 1 kB are exact but for rounding; above, a tenth of at least 1.0.
        expect(Math.abs(value - n), text).toBeLessThanOrEqual(Math.max(0.5, n * 0.05));
      }),
    );
  });
});

describe('formatDuration', () => {
  it('the cases people see', () => {
    expect(formatDuration(840)).toBe('840 ms');
    expect(formatDuration(999.6)).toBe('1.0 s');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(59_960)).toBe('1m00s');
    expect(formatDuration(119_600)).toBe('2m00s');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(3_599_600)).toBe('1h00m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('any duration: one of the four shapes, with no field that overflows (no "60.0 s", "1m60s")', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (ms) => {
        const text = formatDuration(ms);
        const shape =
          /^(\d{1,3}) ms$/.exec(text) ??
          /^(\d{1,2})\.\d s$/.exec(text) ??
          /^\d+m([0-5]\d)s$/.exec(text) ??
          /^\d+h([0-5]\d)m$/.exec(text);
        expect(shape, text).not.toBeNull();
      }),
    );
  });
});

describe('printable', () => {
  it('escapes terminal sequences, line breaks and bidi overrides; printable text is unchanged', () => {
    expect(printable('docker.io/x/y:\x1b]0;pwn\x07')).toBe('docker.io/x/y:\\u001b]0;pwn\\u0007');
    expect(printable('a\x1b[2Jb')).toBe('a\\u001b[2Jb');
    expect(printable('one\ntwo\r')).toBe('one\\ntwo\\r');
    expect(printable('\u009b31m \u202eevil \u2028')).toBe('\\u009b31m \\u202eevil \\u2028');
    const plain = '<img src=x onerror=alert(1)> docker.io/library/redis:7 — ünïcødé ✓';
    expect(printable(plain)).toBe(plain);
  });

  it('escapes what cannot be seen: zero-width characters, a byte order mark, odd spaces, tags, fillers', () => {
    expect(printable('red\u200bis')).toBe('red\\u200bis');
    expect(printable('\ufeff{"schemaVersion"')).toBe('\\ufeff{"schemaVersion"');
    expect(printable('a\u00a0b\u2060c\u00add\u3164e\ufe0ff')).toBe(
      'a\\u00a0b\\u2060c\\u00add\\u3164e\\ufe0ff',
    );
    expect(printable('x\u{e0041}y')).toBe('x\\udb40\\udc41y');
    expect(printable('a b\tc')).toBe('a b\\tc');
  });

  it('every code point the Unicode classes call unprintable is escaped; every other comes back as is', () => {
    const unsafe = /^(?:[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs})$/u;
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      const c = String.fromCodePoint(cp);
      if (unsafe.test(c) === (printable(c) === c)) wrong.push(cp.toString(16));
    }
    expect(wrong).toEqual([]);
  });

  it('any string: the result has no control or invisible character, and printable input comes back as is', () => {
    const unsafe = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/u;
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = printable(s);
        expect(unsafe.test(out)).toBe(false);
        if (!unsafe.test(s)) expect(out).toBe(s);
      }),
    );
  });
});

describe('printableJson', () => {
  it('any value: parses back to itself, and no character a terminal acts on is left raw', () => {
    const unsafe = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]|(?! )\p{Zs}/u;
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, name) => {
        const doc = { name, value };
        const text = printableJson(doc);
        expect(unsafe.test(text)).toBe(false);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
    );
  });
});

describe('quoteAscii', () => {
  it('shows a look-alike letter for what it is: everything outside printable ASCII escaped', () => {
    expect(quoteAscii('r\u0435dis')).toBe('"r\\u0435dis"'); // Cyrillic е
    expect(quoteAscii('\uff52edis\u200b')).toBe('"\\uff52edis\\u200b"'); // fullwidth ｒ, zero-width space
    expect(quoteAscii('docker.io/library/redis:7')).toBe('"docker.io/library/redis:7"');
  });
});

describe('naming', () => {
  it('prefixes the subject only when the message does not already name the image', () => {
    const ref = '127.0.0.1:5000/x/y:1';
    expect(naming(ref, `${ref}: cannot reach 127.0.0.1:5000: connection refused`)).toBe(
      `${ref}: cannot reach 127.0.0.1:5000: connection refused`,
    );
    expect(naming('redis', 'docker.io/library/redis: not found', ['redis', 'docker.io/library/redis'])).toBe(
      'docker.io/library/redis: not found',
    );
    expect(naming(ref, 'blob sha256:ab…: truncated: 3 of 9 bytes')).toBe(
      `${ref}: blob sha256:ab…: truncated: 3 of 9 bytes`,
    );
  });
});
