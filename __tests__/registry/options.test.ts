import { describe, expect, it } from 'vitest';
import { DEFAULTS, registryKey, resolveOptions } from '../../src/registry/options.js';
import { UsageError } from '../../src/errors.js';

describe('resolveOptions', () => {
  it('merges DEFAULTS, nested retry and timeouts included', () => {
    const sleep = async () => {};
    const o = resolveOptions({
      retry: { maxAttempts: 2, sleep },
      timeouts: { bodyIdleMs: 5 },
      userAgent: undefined,
    });
    expect(o.retry).toMatchObject({ maxAttempts: 2, baseDelayMs: DEFAULTS.retry.baseDelayMs, sleep });
    expect(o.timeouts).toEqual({ ...DEFAULTS.timeouts, bodyIdleMs: 5 });
    expect(o.userAgent).toBe('oci-cache-guard');
    expect(o.maxManifestBytes).toBe(4 * 1024 * 1024);
    expect(o.maxRedirects).toBe(10);
  });

  it('HTTP/2 unless turned off, by the option or by OCI_CACHE_GUARD_HTTP1=1 in the environment', () => {
    expect(resolveOptions({ env: {} }).http2).toBe(true);
    expect(resolveOptions({ env: { OCI_CACHE_GUARD_HTTP1: '1' } }).http2).toBe(false);
    expect(resolveOptions({ env: { OCI_CACHE_GUARD_HTTP1: '0' } }).http2).toBe(true);
    expect(resolveOptions({ env: {}, http2: false }).http2).toBe(false);
    expect(resolveOptions({ env: { OCI_CACHE_GUARD_HTTP1: '1' }, http2: true }).http2).toBe(true);
  });

  it('normalises mirror URLs and registry keys', () => {
    const o = resolveOptions({
      mirrors: { 'index.docker.io': ['mirror.example/', 'http://127.0.0.1:5001/prefix/'] },
      credentials: { 'https://index.docker.io/v1/': { username: 'u', password: 'p' } },
    });
    expect(o.mirrors).toEqual({ 'docker.io': ['https://mirror.example', 'http://127.0.0.1:5001/prefix'] });
    expect(Object.keys(o.credentials)).toEqual(['docker.io']);
    expect(registryKey('HTTPS://Registry-1.Docker.IO/v2/')).toBe('docker.io');
    expect(registryKey('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });

  it.each([
    [{ retry: { maxAttempts: 0 } }, /retry.maxAttempts must be a number ≥ 1, got 0/],
    [{ timeouts: { connectMs: 0 } }, /timeouts.connectMs/],
    [{ maxRedirects: -1 }, /maxRedirects/],
    [
      { mirrors: { 'docker.io': ['ftp://m.example'] } },
      /invalid registry mirror "ftp:\/\/m.example" for docker.io: must be http\(s\)/,
    ],
    [{ mirrors: { 'docker.io': ['https://u:p@m.example'] } }, /give credentials separately/],
  ])('rejects %j', (input, message) => {
    expect(() => resolveOptions(input)).toThrow(UsageError);
    expect(() => resolveOptions(input)).toThrow(message);
  });
});
