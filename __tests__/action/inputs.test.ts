/**
 * Bad input fails the main step at once (before any restore or pull) with one clear error
 * that quotes the value at fault, annotated on the file and line when it comes from a
 * linuxkit file. The step runs as a runner runs it; no registry, no cache service: a
 * step that got as far as restoring would say so in its log.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRunner, type Annotation, type Runner } from '../harness/runner.js';

// Port 1 on loopback: should validation ever let an image through, nothing leaves the machine.
const KERNEL = '127.0.0.1:1/lk/kernel:1';

let runner: Runner;

beforeAll(async () => {
  runner = await makeRunner();
  // The entry points from src/ (tsx): a change in src/action is tested before dist/ is rebuilt.
  runner.fromSource = true;
  const file = (name: string, lines: string[]) =>
    writeFile(path.join(runner.workspace, name), `${lines.join('\n')}\n`);
  await file('unparseable.yml', [
    'kernel:',
    `  image: ${KERNEL}`,
    'init:',
    '  - 127.0.0.1:1/lk/init:1',
    '  - [127.0.0.1:1/lk/runc:1', // line 5: a flow sequence never closed…
    'onboot:', // …which the parser notices on line 6
    '  - name: sysctl',
  ]);
  await file('badref.yml', [
    'kernel:',
    `  image: ${KERNEL}`,
    'services:',
    '  - name: getty',
    '    image: 127.0.0.1:1/lk/Getty:1', // line 5, column 12
  ]);
});
afterAll(async () => {
  await runner?.remove();
});

interface Case {
  title: string;
  inputs: Record<string, string>;
  message: RegExp;
  /** Where the one error annotation must point. */
  at?: { file: string; line: string };
}

const CASES: Case[] = [
  {
    title: 'a bad reference in images',
    inputs: { images: `${KERNEL}\nlk/Init:1` },
    message: /^input images:2: invalid image reference "lk\/Init:1": .*lowercase/,
  },
  {
    title: 'an unknown platform',
    inputs: { images: KERNEL, platforms: 'linux/amd64, linux/amd46' },
    message: /^input platforms: unknown platform "linux\/amd46": architecture "amd46"/,
  },
  {
    title: 'a malformed platform',
    inputs: { images: KERNEL, platforms: 'linux' },
    message: /^input platforms: invalid platform "linux": expected os\/arch/,
  },
  {
    title: 'a missing linuxkit file',
    inputs: { 'linuxkit-files': 'missing.yml' },
    message: /^input linuxkit-files: "missing.yml" matches no file$/,
  },
  {
    title: 'an unparseable linuxkit file',
    inputs: { 'linuxkit-files': 'unparseable.yml' },
    message: /^unparseable.yml:6:1: not valid YAML: /,
    at: { file: 'unparseable.yml', line: '6' },
  },
  {
    title: 'a bad reference in a linuxkit file',
    inputs: { 'linuxkit-files': '*.yml\n!unparseable.yml' },
    message: /^badref.yml:5:12: invalid image reference "127.0.0.1:1\/lk\/Getty:1"/,
    at: { file: 'badref.yml', line: '5' },
  },
  {
    title: 'a bad verify value',
    inputs: { images: KERNEL, verify: 'fast' },
    message: /^input verify: "fast" is not one of full, size$/,
  },
  {
    title: 'a bad on-corrupt value',
    inputs: { images: KERNEL, 'on-corrupt': 'ignore' },
    message: /^input on-corrupt: "ignore" is not one of repair, fail$/,
  },
  {
    title: 'a bad max-new-entries value',
    inputs: { images: KERNEL, 'max-new-entries': 'lots' },
    message: /^input max-new-entries: "lots" is not a whole number from 0 to 10000$/,
  },
];

describe.concurrent('bad input fails at once with one clear error', () => {
  for (const c of CASES) {
    it(c.title, async () => {
      const step = await runner.step('main', { inputs: c.inputs, timeoutMs: 30_000 });
      const log = `${step.stdout}\n${step.stderr}`;

      expect(step.code, log).toBe(1);
      const errors = step.annotations.filter((a) => a.level === 'error');
      expect(errors, log).toHaveLength(1);
      const [error] = errors as [Annotation];
      expect(error.message).toMatch(c.message);
      expect(error.message).not.toContain('\n');
      if (c.at) expect(error.properties).toMatchObject(c.at);
      else expect(error.properties.file).toBeUndefined();
      // At once: nothing restored, verified, pulled or written; no stack trace.
      expect(step.stdout).not.toMatch(/restoring|::group::/);
      expect(step.stderr).toBe('');
      expect(existsSync(runner.linuxkitCache)).toBe(false);
      expect(step.outputs).toEqual({});
    });
  }
});
