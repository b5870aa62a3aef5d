/**
 * Save keys: `<base><fingerprint>`, except after a damaged restore, when the key must differ
 * from every key saved before (an older entry may hold the same content, shadowed by the
 * damaged one) yet keep the same shape and stay deterministic (two jobs repairing the same
 * entry race for one key, not two).
 */
import { describe, expect, it } from 'vitest';
import { damagedFingerprint, isDamagedFingerprint, saveKey, type CacheKeys } from '../../src/action/keys.js';

const keys: CacheKeys = { base: 'oci-cache-guard-linux-0123456789abcdef-', restoreKeys: [] };
const FP = 'fedcba9876543210';

describe('save keys', () => {
  it('is the base plus the content fingerprint, or the explicit key', () => {
    expect(saveKey(keys, FP, false)).toBe(`${keys.base}${FP}`);
    expect(saveKey(keys, FP, false, 'a1a1a1a1a1a1a1a1')).toBe(`${keys.base}${FP}`);
    expect(saveKey({ base: 'mine', restoreKeys: [] }, FP, true, damagedFingerprint('mine', FP))).toBe('mine');
  });

  it('after a damaged restore: a new key of the same shape, one per damaged entry', () => {
    const a = damagedFingerprint(`${keys.base}interrupted`, FP);
    const b = damagedFingerprint(`${keys.base}flipped`, FP);
    expect(isDamagedFingerprint(a)).toBe(true);
    expect(isDamagedFingerprint(FP)).toBe(false);
    expect(a).not.toBe(FP);
    const key = saveKey(keys, FP, false, a);
    expect(key).toMatch(/^oci-cache-guard-linux-0123456789abcdef-[0-9a-f]{16}$/);
    expect(key).not.toBe(`${keys.base}${FP}`);
    expect(saveKey(keys, FP, false, a)).toBe(key);
    expect(saveKey(keys, FP, false, b)).not.toBe(key);
  });
});
