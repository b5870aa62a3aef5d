import { describe, expect, it } from 'vitest';
import { InvalidDigestError } from '../../src/errors.js';
import { digestAlgorithm, digestHex, isDigest, parseDigest, shortDigest } from '../../src/oci/digest.js';

const HEX64 = 'a'.repeat(64);

describe('parseDigest', () => {
  it.each([[`sha256:${HEX64}`], [`sha512:${'0123456789abcdef'.repeat(8)}`]])('accepts %s', (value) => {
    expect(parseDigest(value)).toBe(value);
    expect(isDigest(value)).toBe(true);
  });

  it.each([
    ['sha256:../../x', 'path traversal'],
    [`sha256:${'A'.repeat(64)}`, 'upper-case hex'],
    [`sha256:${HEX64}0`, 'too long'],
    [`sha256:${'a'.repeat(63)}`, 'too short'],
    [`sha512:${HEX64}`, 'wrong length for sha512'],
    [`md5:${'a'.repeat(32)}`, 'unknown algorithm'],
    [HEX64, 'no algorithm'],
    ['', 'empty'],
    [`sha256:${'a'.repeat(62)}/x`, 'slash'],
  ])('rejects %s (%s)', (value) => {
    expect(isDigest(value)).toBe(false);
    expect(() => parseDigest(value)).toThrow(InvalidDigestError);
  });

  it('rejects non-strings and names the value in one line', () => {
    expect(() => parseDigest(42)).toThrow(/invalid digest 42/);
    expect(() => parseDigest('sha256:../../x', 'layer digest')).toThrow(
      'invalid layer digest "sha256:../../x": expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>',
    );
  });

  it('splits and shortens', () => {
    const d = parseDigest(`sha256:${'0123456789ab'}${'c'.repeat(52)}`);
    expect(digestAlgorithm(d)).toBe('sha256');
    expect(digestHex(d)).toHaveLength(64);
    expect(shortDigest(d)).toBe('sha256:0123456789ab…');
  });
});
