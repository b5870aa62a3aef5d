import { describe, expect, it } from 'vitest';
import {
  checkRedirect,
  checkUrl,
  credentialsAllowed,
  isLocalHost,
  isLoopbackHost,
  plainHttpAllowed,
} from '../../src/registry/policy.js';
import { TransportPolicyError } from '../../src/registry/errors.js';

const policy = { insecureRegistries: ['insecure.example:5000', 'bare.example'] };

describe('transport policy', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['127.0.0.1:5000', true],
    ['127.8.9.10', true],
    ['[::1]:5000', true],
    ['::1', true],
    ['[::ffff:127.0.0.1]:80', true],
    ['128.0.0.1', false],
    ['10.0.0.1:5000', false],
    ['registry.example', false],
    ['localhost.example.com', false],
  ])('loopback %s → %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });

  it('treats link-local and unspecified addresses as local', () => {
    expect(isLocalHost('169.254.169.254')).toBe(true);
    expect(isLocalHost('[fe80::1]:80')).toBe(true);
    expect(isLocalHost('0.0.0.0:5000')).toBe(true);
    expect(isLocalHost('8.8.8.8')).toBe(false);
  });

  it('allows plain HTTP for loopback and named insecure registries only', () => {
    expect(plainHttpAllowed('127.0.0.1:5000', policy)).toBe(true);
    expect(plainHttpAllowed('insecure.example:5000', policy)).toBe(true);
    expect(plainHttpAllowed('insecure.example:6000', policy)).toBe(false);
    expect(plainHttpAllowed('bare.example:6000', policy)).toBe(true);
    expect(plainHttpAllowed('registry.example', policy)).toBe(false);
    expect(() => checkUrl(new URL('http://registry.example/v2/'), policy)).toThrow(
      'refusing plain HTTP to registry.example: use HTTPS, or name it with --insecure-registry registry.example',
    );
    expect(() => checkUrl(new URL('ftp://registry.example/'), policy)).toThrow(TransportPolicyError);
    expect(() => checkUrl(new URL('http://insecure.example:5000/v2/'), policy)).not.toThrow();
  });

  it('sends credentials over HTTPS, or over HTTP to loopback only', () => {
    expect(credentialsAllowed(new URL('https://registry.example/'))).toBe(true);
    expect(credentialsAllowed(new URL('http://127.0.0.1:5000/'))).toBe(true);
    expect(credentialsAllowed(new URL('http://insecure.example:5000/'))).toBe(false);
  });

  it.each([
    ['https://r.example/a', 'https://cdn.example/b', undefined],
    ['http://127.0.0.1:5000/a', 'http://127.0.0.2:6000/b', undefined],
    ['http://127.0.0.1:5000/a', 'https://cdn.example/b', undefined],
    [
      'https://r.example/a',
      'http://r.example/b',
      'refusing redirect from https://r.example to http://r.example',
    ],
    [
      'https://r.example/a',
      'https://127.0.0.1/b',
      'refusing redirect from r.example to local address 127.0.0.1',
    ],
    [
      'https://r.example/a',
      'https://169.254.169.254/latest',
      'refusing redirect from r.example to local address',
    ],
    ['http://insecure.example:5000/a', 'http://cdn.example/b', 'refusing plain HTTP to cdn.example'],
    ['https://r.example/a', 'file:///etc/passwd', 'refusing redirect from https://r.example to file:'],
  ])('redirect %s → %s', (from, to, error) => {
    const run = () => checkRedirect(new URL(from), new URL(to), policy);
    if (error) expect(run).toThrow(error);
    else expect(run).not.toThrow();
  });
});
