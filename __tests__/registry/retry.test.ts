import { afterEach, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  parseRetryAfter,
  retryDelay,
  RETRY_DEFAULTS,
  type RetryOptions,
} from '../../src/registry/retry.js';
import { RegistryError } from '../../src/registry/errors.js';
import { parseReference } from '../../src/oci/reference.js';
import { anonymousPing, MANIFEST, mockClient, OCI_MANIFEST, sha256, type Harness } from './mock.js';

const ORIGIN = 'http://127.0.0.1:5000';
const ref = parseReference('127.0.0.1:5000/test/img:v1');
let h: Harness | undefined;
afterEach(async () => {
  await h?.client.close();
  await h?.agent.close();
  h = undefined;
});

function status(statusCode: number, headers: Record<string, string> = {}) {
  return Object.assign(new Error('Request failed'), { code: 'UND_ERR_REQ_RETRY', statusCode, headers });
}
const opts = (o: Partial<RetryOptions> = {}): RetryOptions => ({
  ...RETRY_DEFAULTS,
  random: () => 0.5,
  now: () => 1000,
  ...o,
});

describe('retry decisions', () => {
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5_000],
    ['Wed, 21 Oct 2015 07:28:30 GMT', 10_000],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
  ])('Retry-After %j → %s ms', (value, want) => {
    expect(parseRetryAfter(value, Date.parse('Wed, 21 Oct 2015 07:28:20 GMT'))).toBe(want);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const o = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, { ...o, random: () => 0.999999 }))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, { ...o, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...o, random: () => 0.5 })).toBe(200);
  });

  it('retries 5xx, 429, 408 and network errors; not 4xx or unknown errors', () => {
    for (const s of [500, 502, 503, 504, 429, 408])
      expect(retryDelay(status(s), 1, 1000, opts())).toBeDefined();
    for (const s of [400, 401, 404, 501]) expect(retryDelay(status(s), 1, 1000, opts())).toBeUndefined();
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_BODY_TIMEOUT', 'ECONNREFUSED']) {
      expect(retryDelay(Object.assign(new Error('x'), { code }), 1, 1000, opts())?.reason).toBe(code);
    }
    expect(retryDelay(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), 1, 1000, opts())).toBeUndefined();
    expect(retryDelay(new Error('x'), 1, 1000, opts())).toBeUndefined();
  });

  it('honours Retry-After over backoff, refuses one longer than allowed, stops at the attempt and time budgets', () => {
    expect(retryDelay(status(429, { 'retry-after': '7' }), 1, 1000, opts())).toEqual({
      delayMs: 7000,
      reason: 'HTTP 429',
      attempts: 5,
      retryAfterMs: 7000,
    });
    expect(retryDelay(status(429, { 'retry-after': '3600' }), 1, 1000, opts())).toBeUndefined();
    expect(retryDelay(status(503), 5, 1000, opts({ maxAttempts: 5 }))).toBeUndefined();
    expect(retryDelay(status(503), 4, 1000, opts({ maxAttempts: 5 }))).toBeDefined();
    // a refused connection has its own, smaller count, and the retry line says it
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED' });
    expect(retryDelay(refused, 1, 1000, opts({ maxRefusedAttempts: 2 }))?.attempts).toBe(2);
    expect(retryDelay(refused, 2, 1000, opts({ maxRefusedAttempts: 2 }))).toBeUndefined();
    // started 119.9 s ago: a 250 ms wait would end past the 120 s budget
    expect(
      retryDelay(status(503), 2, 1000, opts({ now: () => 120_900, maxElapsedMs: 120_000 })),
    ).toBeUndefined();
  });
});

describe('retrying timeouts within the silence budget', () => {
  const timeout = (code: string) => Object.assign(new Error('timeout'), { code });
  const silence = { budgetMs: 1000, timeoutMs: { UND_ERR_HEADERS_TIMEOUT: 400, UND_ERR_BODY_TIMEOUT: 400 } };
  const o = opts({ silence, baseDelayMs: 10, maxAttempts: 10 });

  it('retries a timeout while the timeouts so far and the next wait stay under the budget', () => {
    expect(retryDelay(timeout('UND_ERR_HEADERS_TIMEOUT'), 1, 1000, o, 400)).toBeDefined();
    expect(retryDelay(timeout('UND_ERR_BODY_TIMEOUT'), 2, 1000, o, 800)).toBeDefined();
    expect(retryDelay(timeout('UND_ERR_HEADERS_TIMEOUT'), 3, 1000, o, 1200)).toBeUndefined();
    // 990 ms of silence plus a 10 ms wait (attempt 2: ceiling 20, random 0.5) reaches the budget
    expect(retryDelay(timeout('UND_ERR_HEADERS_TIMEOUT'), 2, 1000, o, 990)).toBeUndefined();
  });

  it('leaves other failures to the attempt and time budgets', () => {
    expect(retryDelay(timeout('ECONNRESET'), 3, 1000, o, 5000)?.reason).toBe('ECONNRESET');
    expect(retryDelay(status(503), 3, 1000, o, 5000)?.reason).toBe('HTTP 503');
    // without a budget a timeout is retried like any network error
    expect(retryDelay(timeout('UND_ERR_HEADERS_TIMEOUT'), 3, 1000, opts(), 5000)).toBeDefined();
  });
});

describe('retry through the client (MockAgent, injected sleep)', () => {
  it('retries 503 three times, then succeeds', async () => {
    h = mockClient({ retry: { random: () => 1 - Number.EPSILON, baseDelayMs: 100 } });
    anonymousPing(h.agent, ORIGIN);
    const pool = h.agent.get(ORIGIN);
    pool.intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' }).reply(503, 'busy').times(3);
    pool
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } });
    const got = await h.client.resolve(ref);
    expect(got.descriptor.digest).toBe(sha256(MANIFEST));
    expect(h.retries.map((r) => [r.attempt, r.reason])).toEqual([
      [1, 'HTTP 503'],
      [2, 'HTTP 503'],
      [3, 'HTTP 503'],
    ]);
    expect(h.sleeps).toEqual([99, 199, 399]);
    expect(
      h.logs.some((l) => l.startsWith('info retrying GET http://127.0.0.1:5000/v2/test/img/manifests/v1')),
    ).toBe(true);
  });

  it('waits what Retry-After says on 429 (seconds and HTTP date)', async () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    h = mockClient({}, () => now);
    anonymousPing(h.agent, ORIGIN);
    const pool = h.agent.get(ORIGIN);
    pool
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(429, '{"errors":[{"code":"TOOMANYREQUESTS"}]}', { headers: { 'retry-after': '3' } });
    pool
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:12 GMT' } });
    pool
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } });
    await h.client.resolve(ref);
    expect(h.sleeps).toEqual([3000, 12_000]);
    expect(h.retries.map((r) => r.retryAfterMs)).toEqual([3000, 12_000]);
  });

  it('gives up after maxAttempts with a temporary RegistryError naming the image', async () => {
    h = mockClient({ retry: { maxAttempts: 3 } });
    anonymousPing(h.agent, ORIGIN);
    h.agent
      .get(ORIGIN)
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(503, 'busy')
      .persist();
    const err = await h.client.resolve(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).temporary).toBe(true);
    expect((err as RegistryError).status).toBe(503);
    expect((err as Error).message).toBe(
      'registry unavailable: 127.0.0.1:5000/test/img:v1 (HTTP 503 from 127.0.0.1:5000, gave up after 3 attempts)',
    );
    expect(h.sleeps).toHaveLength(2);
  });

  it('stops retrying when the time budget since the first failure is spent', async () => {
    let t = 0;
    h = mockClient({ retry: { maxAttempts: 10, maxElapsedMs: 100_000 } }, () => (t += 40_000));
    anonymousPing(h.agent, ORIGIN);
    h.agent
      .get(ORIGIN)
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(503, 'busy')
      .persist();
    const err = await h.client.resolve(ref).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/gave up after 3 attempts/);
    expect(h.sleeps).toHaveLength(2);
  });

  it('retries network errors', async () => {
    h = mockClient();
    anonymousPing(h.agent, ORIGIN);
    const pool = h.agent.get(ORIGIN);
    pool
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .times(2);
    pool
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } });
    await h.client.resolve(ref);
    expect(h.retries.map((r) => r.reason)).toEqual(['ECONNRESET', 'ECONNRESET']);
  });

  it('does not retry 404', async () => {
    h = mockClient();
    anonymousPing(h.agent, ORIGIN);
    h.agent
      .get(ORIGIN)
      .intercept({ path: '/v2/test/img/manifests/v1', method: 'GET' })
      .reply(
        404,
        '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v1"}}]}',
      );
    const err = await h.client.resolve(ref).catch((e: unknown) => e);
    expect((err as Error).message).toBe('manifest unknown: 127.0.0.1:5000/test/img:v1');
    expect((err as RegistryError).code).toBe('MANIFEST_UNKNOWN');
    expect((err as RegistryError).temporary).toBe(false);
    expect(h.retries).toEqual([]);
  });
});
