import { describe, expect, it } from 'vitest';
import {
  expandName,
  formatReference,
  InvalidReferenceError,
  manifestTarget,
  parseReference,
  registryApiHost,
} from '../../src/oci/reference.js';
import { UsageError } from '../../src/errors.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('expandName (linuxkit util.ReferenceExpand, no tag added)', () => {
  // The first six rows are linuxkit's own table (util/reference_test.go), minus its ReferenceWithTag rows.
  it.each([
    ['redis', 'docker.io/library/redis'],
    ['foo/bar', 'docker.io/foo/bar'],
    ['myregistry.io/foo', 'myregistry.io/foo'],
    ['foo/bar/baz', 'foo/bar/baz'],
    ['redis:alpine', 'docker.io/library/redis:alpine'],
    ['linuxkit/kernel:5.10.76', 'docker.io/linuxkit/kernel:5.10.76'],
    ['docker.io/redis', 'docker.io/redis'],
    ['library/redis', 'docker.io/library/redis'],
    ['localhost/foo', 'localhost/foo'],
    ['localhost:5000/foo', 'localhost:5000/foo'],
    [`redis@${D}`, `docker.io/library/redis@${D}`],
    [`x/y:tag@${D}`, `docker.io/x/y:tag@${D}`],
  ])('%s → %s', (input, want) => {
    expect(expandName(input)).toBe(want);
  });
});

describe('parseReference', () => {
  it.each([
    // input, name, registry, repository, tag, digest
    ['redis', 'docker.io/library/redis', 'docker.io', 'library/redis', undefined, undefined],
    ['redis:7', 'docker.io/library/redis:7', 'docker.io', 'library/redis', '7', undefined],
    [
      'linuxkit/kernel:5.10.76',
      'docker.io/linuxkit/kernel:5.10.76',
      'docker.io',
      'linuxkit/kernel',
      '5.10.76',
      undefined,
    ],
    ['docker.io/redis', 'docker.io/redis', 'docker.io', 'library/redis', undefined, undefined],
    [
      'index.docker.io/library/redis:7',
      'index.docker.io/library/redis:7',
      'docker.io',
      'library/redis',
      '7',
      undefined,
    ],
    ['foo/bar/baz', 'foo/bar/baz', 'docker.io', 'foo/bar/baz', undefined, undefined],
    [`ghcr.io/o/r@${D}`, `ghcr.io/o/r@${D}`, 'ghcr.io', 'o/r', undefined, D],
    ['127.0.0.1:5000/a/b:t', '127.0.0.1:5000/a/b:t', '127.0.0.1:5000', 'a/b', 't', undefined],
    [`x/y:tag@${D}`, `docker.io/x/y:tag@${D}`, 'docker.io', 'x/y', 'tag', D],
    ['localhost/foo', 'localhost/foo', 'localhost', 'foo', undefined, undefined],
    ['localhost:5000/foo:v1', 'localhost:5000/foo:v1', 'localhost:5000', 'foo', 'v1', undefined],
    ['[::1]:5000/a/b', '[::1]:5000/a/b', '[::1]:5000', 'a/b', undefined, undefined],
    [
      'Registry.Example.COM/a-b/c__d.e:V1_x',
      'Registry.Example.COM/a-b/c__d.e:V1_x',
      'Registry.Example.COM',
      'a-b/c__d.e',
      'V1_x',
      undefined,
    ],
  ])('%s', (input, name, registry, repository, tag, digest) => {
    const ref = parseReference(input);
    expect(ref).toEqual({
      original: input,
      name,
      registry,
      repository,
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    });
  });

  it.each([
    ['', /empty reference/],
    ['Redis', /repository "library\/Redis" must be lowercase/],
    ['Foo/bar', /repository "Foo\/bar" must be lowercase/],
    ['ghcr.io/Org/repo', /must be lowercase/],
    ['redis:-bad', /tag "-bad" must be/],
    [`redis:${'x'.repeat(129)}`, /tag "x+" must be/],
    ['redis:a+b', /tag "a\+b"/],
    ['redis@sha256:abc', /digest "sha256:abc" is not sha256/],
    [`redis@sha256:${'A'.repeat(64)}`, /digest/],
    [`redis@md5:${'a'.repeat(32)}`, /digest/],
    [`a@${D}@${D}`, /more than one "@"/],
    ['https://ghcr.io/o/r', /no URL scheme/],
    ['redis ', /whitespace/],
    ['ghcr.io/', /repository name is empty/],
    ['ghcr.io//r', /empty path component/],
    ['a..b/c', /registry "a..b" is not a valid host/],
    ['foo/a--/b', /repository component "a--"/],
    ['foo/.a', /repository component ".a"/],
    [`ghcr.io/${'a'.repeat(300)}`, /longer than 255/],
  ])('rejects %j', (input, message) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidReferenceError);
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as Error).message;
    expect(msg).toMatch(message);
    expect(msg.startsWith(`invalid image reference ${JSON.stringify(input.slice(0, 300))}: `)).toBe(true);
    expect(msg).not.toContain('\n');
  });

  it('fetches by digest, else by tag, else latest', () => {
    expect(manifestTarget(parseReference('redis'))).toBe('latest');
    expect(manifestTarget(parseReference('redis:7'))).toBe('7');
    expect(manifestTarget(parseReference(`redis:7@${D}`))).toBe(D);
  });

  it('maps Docker Hub to its API host and formats for messages', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('index.docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(formatReference(parseReference('127.0.0.1:5000/test/img:nope'))).toBe(
      '127.0.0.1:5000/test/img:nope',
    );
    expect(formatReference(parseReference('redis'))).toBe('docker.io/library/redis');
  });
});

describe('invalid references show what cannot be seen (issue 17 item 13)', () => {
  it.each([
    ['a zero-width space', 'redis\u200b:7', 'redis\\u200b'],
    ['a Cyrillic look-alike', 'r\u0435dis', 'r\\u0435dis'],
    ['a fullwidth letter', '\uff52edis', '\\uff52edis'],
    ['a byte order mark', '\ufeffredis', '\\ufeffredis'],
  ])('%s is escaped in the message', (_title, input, shown) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    try {
      parseReference(input);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain(shown);
      expect(message).toMatch(/^[\u0020-\u007e]*$/);
    }
  });
});
