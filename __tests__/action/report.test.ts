// The Action's words (issue 8 items 15, 20, 23), in-process: the job summary is raw HTML, so
// every name and detail is escaped in it; a failed image is named once in its error; the
// default `path` follows $LINUXKIT_CACHE as linuxkit does. (The bundles under dist/, which
// __tests__/action/e2e runs, are rebuilt by the lead; these tests read the sources.)
import * as core from '@actions/core';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cachePath, getSettings } from '../../src/action/inputs.js';
import { actionLogger } from '../../src/action/logger.js';
import {
  annotate,
  failureReason,
  MAX_ANNOTATIONS,
  writeSaveSummary,
  writeSummary,
  type RunReport,
} from '../../src/action/report.js';
import type { PullResult } from '../../src/pull/pull.js';
import { pullFailure } from '../../src/pull/result.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ocg-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const EVIL = '<img src=x onerror=alert(1)>';

function pull(over: Partial<PullResult>): PullResult {
  return {
    name: 'registry.invalid/x/y:1',
    reference: 'registry.invalid/x/y:1',
    status: 'pulled',
    bytes: 1234,
    fetchedBlobs: 1,
    cachedBlobs: 0,
    resumedBytes: 0,
    hashedBlobs: 0,
    skipped: [],
    ms: 52,
    connections: 1,
    ...over,
  };
}

describe('job summary (raw HTML)', () => {
  it('escapes names, errors, paths and keys from the cache and registries', async () => {
    const summary = path.join(dir, 'summary.md');
    await writeFile(summary, '');
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary);
    core.summary.emptyBuffer();
    const run: RunReport = {
      cache: '/c',
      entries: [{ name: `registry.invalid/x/y:1${EVIL}`, badKey: `k-${EVIL}`, problem: EVIL, bytes: 0 }],
      entriesNote: '<b>note</b>',
      platforms: ['linux/amd64'],
      timings: { restoreMs: 1, verifyMs: 2, pullMs: 3 },
      verification: {
        ok: true,
        cache: '/c',
        mode: 'full',
        blobs: { checked: 1, bytes: 1 },
        findings: [
          { kind: 'stray', path: `blobs/sha256/${EVIL}`, detail: '<script>x</script>', action: 'removed' },
        ],
        images: [],
      },
      pulls: [
        pull({ name: `registry.invalid/x/y:1${EVIL}` }),
        pull({ name: 'registry.invalid/x/z:1', status: 'failed', error: `unauthorized: ${EVIL}` }),
      ],
    };
    await writeSummary(run, 'title & <i>');
    const html = await readFile(summary, 'utf8');
    expect(html).not.toMatch(/<img|<script|<b>|<i>/);
    expect(html).toContain('registry.invalid/x/y:1&#60;img src=x onerror=alert(1)&#62;');
    expect(html).toContain('blobs/sha256/&#60;img src=x onerror=alert(1)&#62;');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
    expect(html).toContain('❌ failed: unauthorized: &#60;img');
    expect(html).toContain('title &#38; &#60;i&#62;');
    // The table itself is still HTML.
    expect(html).toContain('<table>');
  });
});

describe('a failed image is named once', () => {
  it('pullFailure: prefixes the reference only when the error does not name the image', () => {
    const ref = '127.0.0.1:5000/x/y:1';
    const named = pull({
      reference: ref,
      name: ref,
      status: 'failed',
      error: `${ref}: cannot reach 127.0.0.1:5000: timed out`,
    });
    expect(pullFailure(named)).toBe(`${ref}: cannot reach 127.0.0.1:5000: timed out`);
    const expanded = pull({
      reference: 'redis',
      name: 'docker.io/library/redis',
      status: 'failed',
      error: 'docker.io/library/redis: not found',
    });
    expect(pullFailure(expanded)).toBe('docker.io/library/redis: not found');
    const blob = pull({
      status: 'failed',
      error: 'blob registry.invalid/x/y@sha256:ab: truncated: 3 of 9 bytes',
    });
    expect(pullFailure(blob)).toBe(
      'registry.invalid/x/y:1: blob registry.invalid/x/y@sha256:ab: truncated: 3 of 9 bytes',
    );
  });

  it('the error annotation says the reference once', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const ref = '127.0.0.1:5000/x/y:1';
    const run = {
      cache: '/c',
      entries: [],
      platforms: [],
      timings: { restoreMs: 0, verifyMs: 0, pullMs: 0 },
      pulls: [
        pull({ reference: ref, name: ref, status: 'failed', error: `${ref}: cannot reach 127.0.0.1:5000` }),
      ],
    } satisfies RunReport;
    annotate(run, { images: [], failOnMissing: true });
    const errors = lines.filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.split(ref)).toHaveLength(2);
  });
});

describe('output at scale (issue 17 item 12)', () => {
  const failures = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      pull({
        reference: `registry.invalid/some/long-repository-name-${i}:v1.2.3`,
        name: `registry.invalid/some/long-repository-name-${i}:v1.2.3`,
        status: 'failed',
        bytes: 0,
        error: `registry.invalid/some/long-repository-name-${i}:v1.2.3: cannot reach registry.invalid: getaddrinfo ENOTFOUND`,
      }),
    );
  const capture = () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    return lines;
  };
  const run = (pulls: PullResult[]): RunReport => ({
    cache: '/c',
    entries: [],
    platforms: ['linux/amd64'],
    timings: { restoreMs: 0, verifyMs: 0, pullMs: 0 },
    pulls,
  });

  it('10 000 missing images: ten error annotations and one saying how many more; a short failure line', () => {
    const lines = capture();
    const pulls = failures(10_000);
    annotate(run(pulls), { images: [], failOnMissing: true });
    const errors = lines.filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(MAX_ANNOTATIONS + 1);
    expect(errors.at(-1)).toMatch(/9990 more images not cached \(see the report\)$/);
    const reason = failureReason(pulls);
    expect(reason.length).toBeLessThan(2000);
    expect(reason).toMatch(/^10000 images could not be cached: .* and 9990 more \(see the report\)$/);
  });

  it('fail-on-missing: false: warnings, not errors', () => {
    const lines = capture();
    annotate(run(failures(3)), { images: [], failOnMissing: false });
    expect(lines.filter((l) => l.startsWith('::error'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('::warning'))).toHaveLength(3);
  });

  it('the job summaries stay under 1 MiB and say how many rows more', async () => {
    // core.summary keeps the first file it was given: the one the test above set.
    const summary = path.join(dir, 'summary.md');
    await writeFile(summary, '');
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary);
    core.summary.emptyBuffer();
    await writeSummary(run(failures(10_000)), 'oci-cache-guard: image cache');
    const main = await readFile(summary, 'utf8');
    expect(Buffer.byteLength(main)).toBeLessThan(1024 * 1024);
    // (not toContain: a failure would print a megabyte)
    expect(main.includes('… and 9500 more (see the JSON report)')).toBe(true);
    expect(main.includes('Downloaded nothing downloaded')).toBe(false);
    expect(main.includes('From registries: nothing downloaded')).toBe(true);

    await writeFile(summary, '');
    core.summary.emptyBuffer();
    const names = Array.from(
      { length: 10_000 },
      (_, i) => `registry.invalid/some/long-repository-name-${i}:v1`,
    );
    await writeSaveSummary(
      names.map((name) => ({
        name,
        key: `oci-cache-guard-linux-${'0'.repeat(16)}-sha256-${'a'.repeat(64)}`,
        outcome: 'saved',
      })),
      {},
      undefined,
    );
    const post = await readFile(summary, 'utf8');
    expect(Buffer.byteLength(post)).toBeLessThan(1024 * 1024);
    expect(post.includes('… and 9500 more (see the JSON report)')).toBe(true);
    expect(post.includes('<td>built by the job</td>')).toBe(true);
  });
});

describe('the job log', () => {
  it('a name with a newline cannot start a workflow command line, nor send escape sequences', () => {
    let written = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
    actionLogger.info('entry registry.invalid/x:1\n::error::pwned\x1b[2J: unusable');
    expect(written.split(/\r?\n/).filter(Boolean)).toEqual([
      'entry registry.invalid/x:1\\n::error::pwned\\u001b[2J: unusable',
    ]);
  });
});

describe('path: $LINUXKIT_CACHE when the input is left at its default', () => {
  it('cachePath', () => {
    const env = { LINUXKIT_CACHE: '/srv/lk-cache' };
    expect(cachePath('', env)).toBe('/srv/lk-cache');
    expect(cachePath('~/.linuxkit/cache', env)).toBe('/srv/lk-cache');
    expect(cachePath(' /explicit ', env)).toBe('/explicit');
    expect(cachePath('~/.linuxkit/cache', {})).toBe(path.join(homedir(), '.linuxkit', 'cache'));
    expect(cachePath('', { LINUXKIT_CACHE: '' })).toBe(path.join(homedir(), '.linuxkit', 'cache'));
    expect(cachePath('', { LINUXKIT_CACHE: '~/lk' })).toBe(path.join(homedir(), 'lk'));
  });

  it('getSettings reads it from the environment as the runner passes it (INPUT_PATH = the default)', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.stubEnv('INPUT_PATH', '~/.linuxkit/cache');
    vi.stubEnv('LINUXKIT_CACHE', path.join(dir, 'lk'));
    expect((await getSettings()).path).toBe(path.join(dir, 'lk'));
    vi.stubEnv('INPUT_PATH', path.join(dir, 'mine'));
    expect((await getSettings()).path).toBe(path.join(dir, 'mine'));
  });
});
