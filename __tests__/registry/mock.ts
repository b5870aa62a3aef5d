/** Shared set-up for registry unit tests: a MockAgent, a client on it with zero-delay retries. */
import { createHash } from 'node:crypto';
import { MockAgent } from 'undici';
import type { MockInterceptor } from 'undici/types/mock-interceptor.js';
import {
  createRegistryClient,
  type RegistryClient,
  type RegistryClientInput,
} from '../../src/registry/index.js';
import type { RetryEvent } from '../../src/registry/retry.js';
import type { Logger } from '../../src/log.js';

export function sha256(data: string | Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export const CONFIG = Buffer.from('{"architecture":"amd64","os":"linux"}');
export const LAYER = Buffer.from('layer bytes '.repeat(100));
export const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256(CONFIG),
      size: CONFIG.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(LAYER), size: LAYER.length },
    ],
  }),
);
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface Harness {
  agent: MockAgent;
  client: RegistryClient;
  sleeps: number[];
  retries: RetryEvent[];
  logs: string[];
}

export function header(opts: MockInterceptor.MockResponseCallbackOptions, name: string): string | undefined {
  const h = opts.headers as Record<string, string> | undefined;
  if (!h) return undefined;
  if (typeof (h as unknown as Headers).get === 'function')
    return (h as unknown as Headers).get(name) ?? undefined;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  return key ? h[key] : undefined;
}

export function mockClient(input: RegistryClientInput = {}, now = () => Date.now()): Harness {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const sleeps: number[] = [];
  const retries: RetryEvent[] = [];
  const logs: string[] = [];
  const logger: Logger = {
    debug: (m) => logs.push(`debug ${m}`),
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
  };
  const client = createRegistryClient({
    dispatcher: agent,
    dockerConfigDir: false,
    env: {},
    logger,
    ...input,
    retry: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onRetry: (e) => retries.push(e),
      now,
      ...input.retry,
    },
  });
  return { agent, client, sleeps, retries, logs };
}

/** An anonymous registry at `origin` answering the ping. */
export function anonymousPing(agent: MockAgent, origin: string): void {
  agent.get(origin).intercept({ path: '/v2/', method: 'GET' }).reply(200, '{}').persist();
}
