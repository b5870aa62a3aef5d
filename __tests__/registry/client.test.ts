import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestMismatchError } from '../../src/errors.js';
import { parseDigest } from '../../src/oci/digest.js';
import { InvalidDocumentError } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/mediatypes.js';
import { parseReference } from '../../src/oci/reference.js';
import {
  ManifestTooLargeError,
  RegistryError,
  TransportPolicyError,
  UnsupportedManifestError,
} from '../../src/registry/index.js';
import {
  anonymousPing,
  header,
  LAYER,
  MANIFEST,
  mockClient,
  OCI_MANIFEST,
  sha256,
  type Harness,
} from './mock.js';
import { failure } from './failure.js';

const R = 'https://registry.example';
const LOCAL = 'http://127.0.0.1:5000';
let h: Harness | undefined;
afterEach(async () => {
  await h?.client.close();
  await h?.agent.close();
  h = undefined;
});

const layerDesc = {
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest: parseDigest(sha256(LAYER)),
  size: LAYER.length,
};
const repo = { registry: 'registry.example', repository: 'team/app' };

describe('resolve', () => {
  it('returns the descriptor as served and checks both digests', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    h.agent
      .get(R)
      .intercept({
        path: '/v2/team/app/manifests/v1',
        method: 'GET',
        headers: { accept: /vnd\.oci\.image\.index/ },
      })
      .reply(200, MANIFEST, {
        headers: {
          'content-type': `${OCI_MANIFEST}; charset=utf-8`,
          'docker-content-digest': sha256(MANIFEST),
        },
      });
    const got = await h.client.resolve(parseReference('registry.example/team/app:v1'));
    expect(got.descriptor).toEqual({
      mediaType: OCI_MANIFEST,
      digest: sha256(MANIFEST),
      size: MANIFEST.length,
    });
    expect(got.bytes.equals(MANIFEST)).toBe(true);
  });

  it('fetches a digest reference by digest and refuses bytes that hash to something else', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const wanted = `sha256:${'1'.repeat(64)}`;
    h.agent
      .get(R)
      .intercept({ path: `/v2/team/app/manifests/${wanted}`, method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } });
    const err = await failure(h.client.resolve(parseReference(`registry.example/team/app:v1@${wanted}`)));
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toBe(
      `manifest registry.example/team/app:v1@${wanted}: its bytes hash to ${sha256(MANIFEST)}, not ${wanted}`,
    );
  });

  it('refuses bytes that contradict Docker-Content-Digest, ignores a malformed one', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    const other = `sha256:${'2'.repeat(64)}`;
    pool
      .intercept({ path: '/v2/team/app/manifests/v1', method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': other } });
    const err = await failure(h.client.resolve(parseReference('registry.example/team/app:v1')));
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toContain(`but the registry's Docker-Content-Digest says ${other}`);
    pool.intercept({ path: '/v2/team/app/manifests/v2', method: 'GET' }).reply(200, MANIFEST, {
      headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': 'sha256:../../x' },
    });
    await expect(h.client.resolve(parseReference('registry.example/team/app:v2'))).resolves.toBeDefined();
  });

  it('refuses a manifest over the size cap, announced or streamed', async () => {
    h = mockClient({ maxManifestBytes: 1024 });
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    const big = Buffer.alloc(2048, 0x20);
    pool
      .intercept({ path: '/v2/team/app/manifests/announced', method: 'GET' })
      .reply(200, big, { headers: { 'content-type': OCI_MANIFEST, 'content-length': String(big.length) } });
    pool
      .intercept({ path: '/v2/team/app/manifests/streamed', method: 'GET' })
      .reply(200, big, { headers: { 'content-type': OCI_MANIFEST } });
    const a = await failure(h.client.resolve(parseReference('registry.example/team/app:announced')));
    expect(a).toBeInstanceOf(ManifestTooLargeError);
    expect(a.message).toBe(
      'manifest registry.example/team/app:announced is 2048 bytes, more than the 1 KiB we accept',
    );
    const b = await failure(h.client.resolve(parseReference('registry.example/team/app:streamed')));
    expect(b).toBeInstanceOf(ManifestTooLargeError);
    const c = await failure(
      h.client.manifest(repo, { mediaType: OCI_MANIFEST, digest: parseDigest(sha256(big)), size: 2048 }),
    );
    expect(c).toBeInstanceOf(ManifestTooLargeError);
  });

  it('says "unsupported" for Docker schema 1, by content type or by schemaVersion', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'team/app', tag: 'old', fsLayers: [] }));
    pool
      .intercept({ path: '/v2/team/app/manifests/old', method: 'GET' })
      .reply(200, s1, { headers: { 'content-type': MediaType.DockerManifestSchema1Signed } });
    pool
      .intercept({ path: '/v2/team/app/manifests/older', method: 'GET' })
      .reply(200, s1, { headers: { 'content-type': 'application/json' } });
    for (const tag of ['old', 'older']) {
      const err = await failure(h.client.resolve(parseReference(`registry.example/team/app:${tag}`)));
      expect(err).toBeInstanceOf(UnsupportedManifestError);
      expect(err.message).toBe(
        `unsupported: registry.example/team/app:${tag} is a Docker schema 1 manifest; push it again with a current docker, buildx or skopeo`,
      );
    }
  });

  it('takes the media type from the document when Content-Type is generic, refuses non-images and bad JSON', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    const list = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [] }),
    );
    pool
      .intercept({ path: '/v2/team/app/manifests/list', method: 'GET' })
      .reply(200, list, { headers: { 'content-type': 'application/json' } });
    pool.intercept({ path: '/v2/team/app/manifests/art', method: 'GET' }).reply(200, '{"schemaVersion":2}', {
      headers: { 'content-type': 'application/vnd.example.thing+json' },
    });
    pool
      .intercept({ path: '/v2/team/app/manifests/junk', method: 'GET' })
      .reply(200, '{"schemaVersion":', { headers: { 'content-type': OCI_MANIFEST } });
    expect(
      (await h.client.resolve(parseReference('registry.example/team/app:list'))).descriptor.mediaType,
    ).toBe(MediaType.DockerManifestList);
    const art = await failure(h.client.resolve(parseReference('registry.example/team/app:art')));
    expect(art).toBeInstanceOf(UnsupportedManifestError);
    expect(art.message).toContain(
      'has media type application/vnd.example.thing+json, not an image index or manifest',
    );
    const junk = await failure(h.client.resolve(parseReference('registry.example/team/app:junk')));
    expect(junk).toBeInstanceOf(InvalidDocumentError);
    expect(junk.message).toMatch(/^manifest registry.example\/team\/app:junk: not valid JSON/);
  });

  it('names the expanded image in registry errors: manifest unknown, unauthorized, denied', async () => {
    h = mockClient();
    anonymousPing(h.agent, LOCAL);
    const pool = h.agent.get(LOCAL);
    pool
      .intercept({ path: '/v2/test/img/manifests/nope', method: 'GET' })
      .reply(
        404,
        '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}',
      );
    pool
      .intercept({ path: '/v2/test/img/manifests/private', method: 'GET' })
      .reply(401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    pool.intercept({ path: '/v2/test/img/manifests/teapot', method: 'GET' }).reply(418, 'short and stout');
    expect((await failure(h.client.resolve(parseReference('127.0.0.1:5000/test/img:nope')))).message).toBe(
      'manifest unknown: 127.0.0.1:5000/test/img:nope',
    );
    const unauth = await failure(h.client.resolve(parseReference('127.0.0.1:5000/test/img:private')));
    expect(unauth.message).toBe(
      'unauthorized: 127.0.0.1:5000/test/img:private (authentication required; no credentials for 127.0.0.1:5000)',
    );
    expect((unauth as RegistryError).status).toBe(401);
    const tea = await failure(h.client.resolve(parseReference('127.0.0.1:5000/test/img:teapot')));
    expect(tea.message).toBe('HTTP 418: 127.0.0.1:5000/test/img:teapot');
    expect((tea as RegistryError).body).toBe('short and stout');
  });

  it('records Docker Hub rate-limit headers', async () => {
    h = mockClient();
    anonymousPing(h.agent, 'https://registry-1.docker.io');
    h.agent
      .get('https://registry-1.docker.io')
      .intercept({ path: '/v2/library/redis/manifests/latest', method: 'GET' })
      .reply(200, MANIFEST, {
        headers: {
          'content-type': OCI_MANIFEST,
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': '76;w=21600',
          'docker-ratelimit-source': '192.0.2.1',
        },
      });
    expect(h.client.rateLimit).toBeUndefined();
    await h.client.resolve(parseReference('redis'));
    expect(h.client.rateLimit).toMatchObject({
      host: 'registry-1.docker.io',
      limit: 100,
      remaining: 76,
      windowSeconds: 21600,
      source: '192.0.2.1',
    });
  });
});

describe('manifest by descriptor', () => {
  it('checks size and digest against the descriptor', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const d = parseDigest(sha256(MANIFEST));
    h.agent
      .get(R)
      .intercept({ path: `/v2/team/app/manifests/${d}`, method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } })
      .times(2);
    expect(
      (await h.client.manifest(repo, { mediaType: OCI_MANIFEST, digest: d, size: MANIFEST.length })).equals(
        MANIFEST,
      ),
    ).toBe(true);
    const err = await failure(
      h.client.manifest(repo, { mediaType: OCI_MANIFEST, digest: d, size: MANIFEST.length + 1 }),
    );
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toBe(
      `manifest registry.example/team/app@${d}: ${MANIFEST.length} bytes received, its descriptor declares ${MANIFEST.length + 1}`,
    );
  });
});

describe('blob', () => {
  const path = `/v2/team/app/blobs/${layerDesc.digest}`;

  it('streams the whole blob', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    h.agent
      .get(R)
      .intercept({ path, method: 'GET' })
      .reply(200, LAYER, { headers: { 'content-length': String(LAYER.length) } });
    const b = await h.client.blob(repo, layerDesc);
    expect({ start: b.start, partial: b.partial, length: b.length }).toEqual({
      start: 0,
      partial: false,
      length: LAYER.length,
    });
    expect(await text(b.body)).toBe(LAYER.toString());
  });

  it('asks for the tail with Range and says whether the server honoured it', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    pool
      .intercept({ path, method: 'GET', headers: { range: 'bytes=1000-' } })
      .reply(206, LAYER.subarray(1000), {
        headers: {
          'content-range': `bytes 1000-${LAYER.length - 1}/${LAYER.length}`,
          'content-length': String(LAYER.length - 1000),
        },
      });
    const tail = await h.client.blob(repo, layerDesc, { offset: 1000 });
    expect({ start: tail.start, partial: tail.partial, length: tail.length }).toEqual({
      start: 1000,
      partial: true,
      length: LAYER.length - 1000,
    });
    expect(await text(tail.body)).toBe(LAYER.subarray(1000).toString());
    // a server that ignores Range sends everything: start is 0
    pool.intercept({ path, method: 'GET', headers: { range: 'bytes=10-' } }).reply(200, LAYER);
    const whole = await h.client.blob(repo, layerDesc, { offset: 10 });
    expect({ start: whole.start, partial: whole.partial, length: whole.length }).toEqual({
      start: 0,
      partial: false,
      length: LAYER.length,
    });
    expect((await text(whole.body)).length).toBe(LAYER.length);
    // a Content-Range that does not start where we asked is refused
    pool.intercept({ path, method: 'GET', headers: { range: 'bytes=20-' } }).reply(206, LAYER.subarray(0), {
      headers: { 'content-range': `bytes 0-${LAYER.length - 1}/${LAYER.length}` },
    });
    const bad = await failure(h.client.blob(repo, layerDesc, { offset: 20 }));
    expect(bad.message).toContain('asked for bytes 20- of 1200, got Content-Range "bytes 0-1199/1200"');
    await expect(h.client.blob(repo, layerDesc, { offset: LAYER.length })).rejects.toThrow(
      /outside its 1200 bytes/,
    );
  });

  it('a resume accepts only the Content-Range it asked for: start, end and total each checked', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    const last = LAYER.length - 1;
    // [Content-Range, accepted]: the right one, then each field wrong alone (the body fits the length asked for)
    const cases: [string, boolean][] = [
      [`bytes 20-${last}/${LAYER.length}`, true],
      [`bytes 20-${last}/*`, true],
      [`bytes 21-${last}/${LAYER.length}`, false],
      [`bytes 20-${last - 1}/${LAYER.length}`, false],
      [`bytes 20-${last + 1}/${LAYER.length}`, false],
      [`bytes 20-${last}/${LAYER.length + 1}`, false],
      [`bytes 20-${last}/${LAYER.length - 1}`, false],
    ];
    for (const [contentRange, accepted] of cases) {
      pool
        .intercept({ path, method: 'GET', headers: { range: 'bytes=20-' } })
        .reply(206, LAYER.subarray(20), { headers: { 'content-range': contentRange } });
      const got = h.client.blob(repo, layerDesc, { offset: 20 });
      if (accepted) {
        const tail = await got;
        expect({ start: tail.start, partial: tail.partial }).toEqual({ start: 20, partial: true });
        expect(await text(tail.body)).toBe(LAYER.subarray(20).toString());
      } else {
        const err = await failure(got);
        expect(err).toBeInstanceOf(RegistryError);
        expect(err.message).toContain(`asked for bytes 20- of 1200, got Content-Range "${contentRange}"`);
      }
    }
  });

  it('a range is a range only with exactly the Content-Range asked for: start, end and total each checked', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    const size = LAYER.length;
    // [Content-Range, kind]: asked for bytes 100-399
    const cases: [string | undefined, 200 | 206, 'range' | 'whole' | 'mismatch'][] = [
      [`bytes 100-399/${size}`, 206, 'range'],
      ['bytes 100-399/*', 206, 'range'],
      [undefined, 200, 'whole'],
      [`bytes 101-399/${size}`, 206, 'mismatch'],
      [`bytes 100-398/${size}`, 206, 'mismatch'],
      [`bytes 100-400/${size}`, 206, 'mismatch'],
      [`bytes 100-${size - 1}/${size}`, 206, 'mismatch'],
      [`bytes 100-399/${size + 1}`, 206, 'mismatch'],
      [`bytes 100-399/${size - 1}`, 206, 'mismatch'],
      [`bytes 100-399/${size}`, 200, 'mismatch'],
    ];
    for (const [contentRange, status, kind] of cases) {
      const body = status === 200 && contentRange === undefined ? LAYER : LAYER.subarray(100, 400);
      pool
        .intercept({ path, method: 'GET', headers: { range: 'bytes=100-399' } })
        .reply(status, body, { headers: contentRange ? { 'content-range': contentRange } : {} });
      const got = await h.client.blobRange(repo, layerDesc, { start: 100, end: 400 });
      expect([contentRange, status, got.kind]).toEqual([contentRange, status, kind]);
      if (got.kind === 'mismatch')
        expect(got.detail).toBe(
          `asked for bytes 100-399 of ${size}, got HTTP ${status} with Content-Range ${JSON.stringify(contentRange ?? null)}`,
        );
      else expect(await text(got.body)).toBe(body.toString());
    }
  });

  it('never delivers more than the declared size, and reports truncation', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    pool.intercept({ path, method: 'GET' }).reply(200, Buffer.concat([LAYER, Buffer.from('EXTRA')]));
    const long = await h.client.blob(repo, layerDesc);
    let delivered = 0;
    const err = await failure(
      (async () => {
        for await (const c of long.body) delivered += (c as Buffer).length;
      })(),
    );
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err.message).toBe(
      `blob registry.example/team/app@${layerDesc.digest}: the registry sent more than the 1200 bytes its descriptor declares`,
    );
    expect(delivered).toBeLessThanOrEqual(LAYER.length);

    pool.intercept({ path, method: 'GET' }).reply(200, LAYER.subarray(0, 500));
    const short = await h.client.blob(repo, layerDesc);
    const err2 = await failure(text(short.body));
    expect(err2.message).toBe(
      `blob registry.example/team/app@${layerDesc.digest}: truncated: 500 of 1200 bytes`,
    );

    pool.intercept({ path, method: 'GET' }).reply(200, LAYER, { headers: { 'content-length': '5000' } });
    const announced = await failure(h.client.blob(repo, layerDesc));
    expect(announced).toBeInstanceOf(DigestMismatchError);
    expect(announced.message).toContain(
      'the registry announces 5000 bytes from offset 0, its descriptor declares 1200',
    );
  });

  it('reports blob unknown', async () => {
    h = mockClient();
    anonymousPing(h.agent, R);
    h.agent
      .get(R)
      .intercept({ path, method: 'GET' })
      .reply(404, '{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
    const err = await failure(h.client.blob(repo, layerDesc));
    expect(err.message).toBe(
      `blob unknown: blob registry.example/team/app@${layerDesc.digest} (blob unknown to registry)`,
    );
  });
});

describe('redirects', () => {
  const path = `/v2/team/app/blobs/${layerDesc.digest}`;

  it('follows a blob redirect to object storage without our Authorization, and redacts its query', async () => {
    h = mockClient({ credentials: { 'registry.example': { username: 'u', password: 'pw-123456' } } });
    h.agent
      .get(R)
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': 'Basic realm="r"' } });
    const seen: Record<string, string | undefined> = {};
    h.agent
      .get(R)
      .intercept({ path, method: 'GET' })
      .reply((opts) => {
        seen.registry = header(opts, 'authorization');
        return {
          statusCode: 307,
          data: '',
          responseOptions: { headers: { location: 'https://storage.example/b/x?X-Sig=topsecret&exp=1' } },
        };
      });
    h.agent
      .get('https://storage.example')
      .intercept({ path: '/b/x?X-Sig=topsecret&exp=1', method: 'GET' })
      .reply((opts) => {
        seen.storage = header(opts, 'authorization');
        seen.ua = header(opts, 'user-agent');
        return { statusCode: 200, data: LAYER };
      });
    const b = await h.client.blob(repo, layerDesc);
    expect(await text(b.body)).toBe(LAYER.toString());
    expect(seen.registry).toBe(`Basic ${Buffer.from('u:pw-123456').toString('base64')}`);
    expect(seen.storage).toBeUndefined();
    expect(seen.ua).toBe('oci-cache-guard');
    expect(b.url).toBe('https://storage.example/b/x?X-Sig=…&exp=…');
    expect(b.url).not.toContain('topsecret');
  });

  it('refuses https → http, redirects to local addresses, and endless hops', async () => {
    h = mockClient({ maxRedirects: 3 });
    anonymousPing(h.agent, R);
    const pool = h.agent.get(R);
    pool
      .intercept({ path, method: 'GET' })
      .reply(302, '', { headers: { location: 'http://storage.example/x' } });
    const down = await failure(h.client.blob(repo, layerDesc));
    expect(down).toBeInstanceOf(TransportPolicyError);
    expect(down.message).toBe(
      `registry.example/team/app@${layerDesc.digest}: refusing redirect from https://registry.example to http://storage.example`,
    );

    pool
      .intercept({ path, method: 'GET' })
      .reply(302, '', { headers: { location: 'https://127.0.0.1/steal' } });
    expect((await failure(h.client.blob(repo, layerDesc))).message).toBe(
      `registry.example/team/app@${layerDesc.digest}: refusing redirect from registry.example to local address 127.0.0.1`,
    );

    pool
      .intercept({ path: /^\/loop/, method: 'GET' })
      .reply(302, '', { headers: { location: '/loop' } })
      .persist();
    pool.intercept({ path, method: 'GET' }).reply(302, '', { headers: { location: '/loop' } });
    const loop = await failure(h.client.blob(repo, layerDesc));
    expect(loop).toBeInstanceOf(TransportPolicyError);
    expect(loop.message).toBe(
      `too many redirects for registry.example/team/app@${layerDesc.digest} (more than 3, last at registry.example)`,
    );
  });

  it('between loopback hosts, drops Authorization on the second host', async () => {
    h = mockClient({ credentials: { '127.0.0.1:5000': { username: 'u', password: 'pw-123456' } } });
    h.agent
      .get(LOCAL)
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': 'Basic realm="r"' } });
    const seen: (string | undefined)[] = [];
    h.agent
      .get(LOCAL)
      .intercept({ path: '/v2/test/img/blobs/' + layerDesc.digest, method: 'GET' })
      .reply((opts) => {
        seen.push(header(opts, 'authorization'));
        return {
          statusCode: 307,
          data: '',
          responseOptions: { headers: { location: 'http://127.0.0.2:6000/blob' } },
        };
      });
    h.agent
      .get('http://127.0.0.2:6000')
      .intercept({ path: '/blob', method: 'GET' })
      .reply((opts) => {
        seen.push(header(opts, 'authorization'));
        return { statusCode: 200, data: LAYER };
      });
    const b = await h.client.blob({ registry: '127.0.0.1:5000', repository: 'test/img' }, layerDesc);
    await text(b.body);
    expect(seen[0]).toMatch(/^Basic /);
    expect(seen[1]).toBeUndefined();
  });
});

describe('plain HTTP', () => {
  it('refuses a non-loopback registry over HTTP unless named insecure, and never sends it credentials', async () => {
    h = mockClient({ retry: { maxAttempts: 1 } });
    // registry.example only speaks HTTP: without --insecure-registry we never try HTTP
    const err = await failure(h.client.resolve(parseReference('registry.example/team/app:v1')));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toMatch(/^registry.example\/team\/app:v1: cannot reach registry.example: /);
    await h.client.close();
    await h.agent.close();

    h = mockClient({
      insecureRegistries: ['registry.example'],
      credentials: { 'registry.example': { username: 'u', password: 'pw-123456' } },
    });
    const http = 'http://registry.example';
    h.agent
      .get(http)
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': 'Basic realm="r"' } });
    const denied = await failure(h.client.resolve(parseReference('registry.example/team/app:v1')));
    expect(denied).toBeInstanceOf(TransportPolicyError);
    expect(denied.message).toBe(
      'registry.example/team/app:v1: refusing to send credentials to registry.example over plain HTTP (only loopback registries may use HTTP with credentials)',
    );
  });

  it('uses HTTP for an anonymous insecure registry', async () => {
    h = mockClient({ insecureRegistries: ['registry.example'] });
    const http = 'http://registry.example';
    anonymousPing(h.agent, http);
    h.agent
      .get(http)
      .intercept({ path: '/v2/team/app/manifests/v1', method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } });
    await expect(h.client.resolve(parseReference('registry.example/team/app:v1'))).resolves.toBeDefined();
  });
});

describe('token auth', () => {
  const challenge = 'Bearer realm="https://auth.example/token",service="reg.example"';

  function setUp(now: () => number, tokenTtl = 300) {
    h = mockClient(
      { credentials: { 'registry.example': { username: 'alice', password: 's3cret-pass' } } },
      now,
    );
    h.agent
      .get(R)
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': challenge } });
    const tokenRequests: { path: string; auth: string | undefined }[] = [];
    let n = 0;
    h.agent
      .get('https://auth.example')
      .intercept({ path: /^\/token/, method: 'GET' })
      .reply((opts) => {
        tokenRequests.push({ path: opts.path, auth: header(opts, 'authorization') });
        n += 1;
        return { statusCode: 200, data: JSON.stringify({ token: `tok-${n}`, expires_in: tokenTtl }) };
      })
      .persist();
    return tokenRequests;
  }

  it('fetches a token with Basic credentials for the scope, caches it, refetches after expiry', async () => {
    let clock = 1_000_000;
    const tokenRequests = setUp(() => clock);
    const used: (string | undefined)[] = [];
    h!.agent
      .get(R)
      .intercept({ path: /^\/v2\/team\/app\/manifests\//, method: 'GET' })
      .reply((opts) => {
        used.push(header(opts, 'authorization'));
        return {
          statusCode: 200,
          data: MANIFEST,
          responseOptions: { headers: { 'content-type': OCI_MANIFEST } },
        };
      })
      .persist();
    const ref = parseReference('registry.example/team/app:v1');
    await h!.client.resolve(ref);
    await h!.client.resolve(ref);
    clock += 301_000;
    await h!.client.resolve(ref);
    expect(used).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    expect(tokenRequests).toHaveLength(2);
    const u = new URL(tokenRequests[0]!.path, 'https://auth.example');
    expect(u.searchParams.get('service')).toBe('reg.example');
    expect(u.searchParams.get('scope')).toBe('repository:team/app:pull');
    expect(tokenRequests[0]!.auth).toBe(`Basic ${Buffer.from('alice:s3cret-pass').toString('base64')}`);
    expect(h!.client.secrets()).toEqual(expect.arrayContaining(['s3cret-pass', 'tok-1', 'tok-2']));
  });

  it('refreshes the token once on 401, then reports unauthorized', async () => {
    setUp(() => 1_000_000);
    const used: (string | undefined)[] = [];
    const pool = h!.agent.get(R);
    pool.intercept({ path: '/v2/team/app/manifests/v1', method: 'GET' }).reply((opts) => {
      used.push(header(opts, 'authorization'));
      return {
        statusCode: 401,
        data: '',
        responseOptions: {
          headers: {
            'www-authenticate': `${challenge},scope="repository:team/app:pull",error="invalid_token"`,
          },
        },
      };
    });
    pool.intercept({ path: '/v2/team/app/manifests/v1', method: 'GET' }).reply((opts) => {
      used.push(header(opts, 'authorization'));
      return {
        statusCode: 200,
        data: MANIFEST,
        responseOptions: { headers: { 'content-type': OCI_MANIFEST } },
      };
    });
    await h!.client.resolve(parseReference('registry.example/team/app:v1'));
    expect(used).toEqual(['Bearer tok-1', 'Bearer tok-2']);

    pool
      .intercept({ path: '/v2/team/app/manifests/v2', method: 'GET' })
      .reply(401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
        headers: { 'www-authenticate': challenge },
      })
      .times(2);
    const err = await failure(h!.client.resolve(parseReference('registry.example/team/app:v2')));
    expect(err.message).toBe(
      'unauthorized: registry.example/team/app:v2 (authentication required; using the credentials given for registry.example)',
    );
  });

  it('exchanges an identity token with the OAuth2 refresh-token grant', async () => {
    h = mockClient({ credentials: { 'registry.example': { identityToken: 'refresh-me-1234' } } });
    h.agent
      .get(R)
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': challenge } });
    let form: URLSearchParams | undefined;
    h.agent
      .get('https://auth.example')
      .intercept({ path: '/token', method: 'POST' })
      .reply((opts) => {
        form = new URLSearchParams(String(opts.body));
        return { statusCode: 200, data: JSON.stringify({ access_token: 'oauth-tok', expires_in: 60 }) };
      });
    let used: string | undefined;
    h.agent
      .get(R)
      .intercept({ path: '/v2/team/app/manifests/v1', method: 'GET' })
      .reply((opts) => {
        used = header(opts, 'authorization');
        return {
          statusCode: 200,
          data: MANIFEST,
          responseOptions: { headers: { 'content-type': OCI_MANIFEST } },
        };
      });
    await h.client.resolve(parseReference('registry.example/team/app:v1'));
    expect(used).toBe('Bearer oauth-tok');
    expect(Object.fromEntries(form!)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-me-1234',
      client_id: 'oci-cache-guard',
      scope: 'repository:team/app:pull',
      service: 'reg.example',
    });
  });

  it('never repeats a secret in a token-server error', async () => {
    const seen: string[] = [];
    h = mockClient({
      credentials: { 'registry.example': { username: 'alice', password: 's3cret-pass' } },
      onSecret: (s) => seen.push(s),
    });
    h.agent
      .get(R)
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': challenge } });
    h.agent
      .get('https://auth.example')
      .intercept({ path: /^\/token/, method: 'GET' })
      .reply(401, 'bad password s3cret-pass for alice');
    const err = await failure(h.client.resolve(parseReference('registry.example/team/app:v1')));
    expect(err.message).toBe(
      'registry.example/team/app:v1: token server auth.example (scope repository:team/app:pull, using the credentials given for registry.example) refused with HTTP 401: bad password *** for alice',
    );
    expect(seen).toContain('s3cret-pass');
  });
});

describe('a token answer bigger than a token answer may be', () => {
  it('is refused naming the 1 MiB limit, not called "not JSON"', async () => {
    h = mockClient({ credentials: { 'registry.example': { username: 'alice', password: 's3cret-pass' } } });
    h.agent
      .get(R)
      .intercept({ path: '/v2/', method: 'GET' })
      .reply(401, '', { headers: { 'www-authenticate': 'Bearer realm="https://auth.example/token"' } });
    h.agent
      .get('https://auth.example')
      .intercept({ path: /^\/token/, method: 'GET' })
      .reply(200, `{"token": "${'x'.repeat(3 * 1024 * 1024)}"}`);
    const err = await failure(h.client.resolve(parseReference('registry.example/team/app:v1')));
    expect(err.message).toBe(
      'registry.example/team/app:v1: token server auth.example (scope repository:team/app:pull, using the credentials given for registry.example) answered with more than 1 MiB, more than a token answer may be: refusing it',
    );
  });
});

describe('mirrors', () => {
  it('tries the mirror first and falls back to the origin', async () => {
    h = mockClient({ mirrors: { 'docker.io': ['https://mirror.example'] } });
    anonymousPing(h.agent, 'https://mirror.example');
    anonymousPing(h.agent, 'https://registry-1.docker.io');
    h.agent
      .get('https://mirror.example')
      .intercept({ path: '/v2/library/redis/manifests/7', method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } });
    h.agent
      .get('https://mirror.example')
      .intercept({ path: '/v2/library/redis/manifests/8', method: 'GET' })
      .reply(404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
    h.agent
      .get('https://registry-1.docker.io')
      .intercept({ path: '/v2/library/redis/manifests/8', method: 'GET' })
      .reply(200, MANIFEST, { headers: { 'content-type': OCI_MANIFEST } });
    await h.client.resolve(parseReference('redis:7'));
    await h.client.resolve(parseReference('redis:8'));
    expect(
      h.logs.some((l) =>
        l.startsWith('info mirror mirror.example failed for docker.io/library/redis:8 (manifest unknown'),
      ),
    ).toBe(true);
    h.agent.assertNoPendingInterceptors();
  });
});
