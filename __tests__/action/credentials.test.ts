/**
 * Registry credentials through the Action: `registry-auth` lets the main step pull from an
 * htpasswd-protected registry, and every secret it was given (`registry-auth`'s password,
 * `github-token`) is masked before anything could print it and appears nowhere in the log,
 * the job summary or the JSON report.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startRegistry,
  type Registry,
} from '../harness/index.js';
import { makeRunner, type Runner } from '../harness/runner.js';

const USER = 'ocg-ci';
const PASSWORD = 'pw-7Hq2-never-printed';
const TOKEN = 'ghs_0123456789abcdefNEVERPRINTED';

let registry: Registry;
let runner: Runner;
let ref: string;

beforeAll(async () => {
  registry = await startRegistry({ auth: { htpasswd: { user: USER, password: PASSWORD } } });
  const build = await makeTempDir('creds-build');
  try {
    await buildImage(build, { tag: 'one', layers: [4096] });
    ref = (await pushFixture(build, 'one', registry, { repo: 'private/img' })).ref;
  } finally {
    await removeTempDir(build);
  }
  runner = await makeRunner();
  runner.fromSource = true; // src/ through tsx: tested before dist/ is rebuilt
});
afterAll(async () => {
  await runner?.remove();
  await registry?.stop();
});

describe('registry credentials in the Action', () => {
  it('pulls with registry-auth, and masks every secret it was given', async () => {
    const main = await runner.step('main', {
      inputs: {
        images: ref,
        platforms: 'linux/amd64',
        'registry-auth': `${registry.host}=${USER}:${PASSWORD}`,
        'github-token': TOKEN,
      },
    });
    expect(main.code, main.stdout).toBe(0);
    expect(main.outputs['pulled-images']).toBe('1');
    expect(main.masks).toEqual(expect.arrayContaining([PASSWORD, TOKEN]));
    const firstMask = main.stdout.indexOf('::add-mask::');
    const log = main.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    const report = await readFile(main.outputs.report!, 'utf8');
    for (const text of [log, main.stderr, main.summary, report]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(TOKEN);
    }
    // Masks come first: nothing was printed before the runner knew what to hide.
    expect(main.stdout.slice(0, firstMask)).not.toMatch(/\S/);
  });

  it('without credentials, fails naming the image and the registry answer', async () => {
    await runner.freshMachine(); // an empty cache: the image must come from the registry
    const main = await runner.step('main', { inputs: { images: ref, platforms: 'linux/amd64' } });
    expect(main.code).not.toBe(0);
    const errors = main.annotations.filter((a) => a.level === 'error').map((a) => a.message);
    // The registry's answer, naming the image once (not "REF: unauthorized: REF").
    const line = errors.find((e) => /unauthorized/i.test(e));
    expect(line).toBeDefined();
    expect(line!.split(ref)).toHaveLength(2);
  });
});
