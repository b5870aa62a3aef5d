// networkMessage: undici's network errors in a few words, the same for a request that could not
// reach a registry and for a blob transfer that broke halfway.
import { errors as undici } from 'undici';
import { describe, expect, it } from 'vitest';
import { networkMessage } from '../../src/registry/errors.js';
import { TIMEOUT_DEFAULTS } from '../../src/registry/options.js';

const errno = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('networkMessage', () => {
  it.each([
    ['a connect timeout', new undici.ConnectTimeoutError(), 'connect timeout after 10s'],
    ['a headers timeout', new undici.HeadersTimeoutError(), 'no response within 10s'],
    ['a body timeout', new undici.BodyTimeoutError(), 'the registry stopped sending for 10s (body timeout)'],
    ['a closed socket', new undici.SocketError('other side closed'), 'connection lost (other side closed)'],
    ['a reset', errno('read ECONNRESET', 'ECONNRESET'), 'connection lost (read ECONNRESET)'],
    [
      'a refusal inside a cause',
      new TypeError('fetch failed', { cause: errno('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED') }),
      'connect ECONNREFUSED 127.0.0.1:1',
    ],
    [
      'a code the message lacks',
      errno('getaddrinfo failed\nmore', 'ENOTFOUND'),
      'ENOTFOUND getaddrinfo failed',
    ],
  ])('%s', (_what, err, expected) => {
    expect(networkMessage(err, TIMEOUT_DEFAULTS)).toBe(expected);
  });

  it('without the timeouts (a transfer does not know them), says which timeout, not how long', () => {
    expect(networkMessage(new undici.BodyTimeoutError())).toBe('the registry stopped sending (body timeout)');
    expect(networkMessage(new undici.ConnectTimeoutError())).toBe('connect timeout');
  });
});
