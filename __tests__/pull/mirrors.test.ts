// A dead mirror costs one first contact per run, not one per blob: pull an image of several
// blobs from the real docker-registry with a mirror on a port nobody listens on in front of it,
// counting every connection attempt (retries included) that reaches the dispatcher.
import path from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  freePort,
  makeTempDir,
  pushFixture,
  removeTempDir,
  startRegistry,
  type Registry,
} from '../harness/index.js';
import { Layout } from '../../src/layout/layout.js';
import { parsePlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';
import { pullImages } from '../../src/pull/pull.js';
import { createRegistryClient } from '../../src/registry/index.js';

let work: string;
let registry: Registry;

beforeAll(async () => {
  work = await makeTempDir('pull-mirrors');
  const source = path.join(work, 'src');
  await buildImage(source, { tag: 'v1', layers: [300, 400, 500, 600, 700] });
  registry = await startRegistry();
  await pushFixture(source, 'v1', registry, { repo: 'test/img' });
});

afterAll(async () => {
  await registry?.stop();
  if (work) await removeTempDir(work);
});

/** An Agent that counts the requests dispatched to each origin (each retry is one more). */
function countingAgent(): { dispatcher: Dispatcher; attempts: Map<string, number>; close(): Promise<void> } {
  const agent = new Agent();
  const attempts = new Map<string, number>();
  const dispatcher = agent.compose((dispatch) => (opts, handler) => {
    const origin = String(opts.origin);
    attempts.set(origin, (attempts.get(origin) ?? 0) + 1);
    return dispatch(opts, handler);
  });
  return { dispatcher, attempts, close: () => agent.close() };
}

describe('a mirror nobody listens on', () => {
  it('is tried at first contact, twice at most, then skipped for every blob: one line says so', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const counting = countingAgent();
    const logs: string[] = [];
    const client = createRegistryClient({
      dockerConfigDir: false,
      env: {},
      mirrors: { [registry.host]: [`http://${dead}`] },
      dispatcher: counting.dispatcher,
      retry: { baseDelayMs: 10 },
      logger: { debug() {}, info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    });
    try {
      const [r] = await pullImages(
        Layout.at(path.join(work, 'cache')),
        client,
        [parseReference(`${registry.host}/test/img:v1`)],
        { platforms: [parsePlatform('linux/amd64')], concurrency: 4 },
      );
      expect(r!.status, r!.error).toBe('pulled');
      expect(r!.fetchedBlobs).toBe(6);
      // ECONNREFUSED on first contact: the attempt and one more, for a server restarting.
      expect(counting.attempts.get(`http://${dead}`)).toBe(2);
      const said = logs.filter((l) => l.includes(`mirror ${dead}`));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(
        new RegExp(
          `^mirror ${dead} failed first contact \\(.*ECONNREFUSED.*\\); not trying it again in this run$`,
        ),
      );
    } finally {
      await client.close();
      await counting.close();
    }
  });
});
