import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, type Challenge } from '../../src/registry/auth/challenge.js';

describe('parseWwwAuthenticate', () => {
  it.each<[string, string | string[] | undefined, Challenge[]]>([
    ['absent', undefined, []],
    ['empty', '', []],
    [
      'Docker Hub bearer',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/redis:pull',
          },
        },
      ],
    ],
    ['basic', 'Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['scheme case and spaces', '  BASIC   Realm = "x" ', [{ scheme: 'basic', params: { realm: 'x' } }]],
    [
      'quoted value with commas, spaces and escapes',
      'Bearer realm="https://a/t",scope="repository:a/b:pull,push repository:c:pull",error="say \\"no\\", please"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://a/t',
            scope: 'repository:a/b:pull,push repository:c:pull',
            error: 'say "no", please',
          },
        },
      ],
    ],
    [
      'unquoted token values',
      'Bearer realm=https://a/t, service=reg',
      [{ scheme: 'bearer', params: { realm: 'https://a/t', service: 'reg' } }],
    ],
    [
      'two challenges in one header',
      'Basic realm="b", Bearer realm="https://t/token",service="s"',
      [
        { scheme: 'basic', params: { realm: 'b' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      ],
    ],
    [
      'two header lines',
      ['Bearer realm="https://t/token"', 'Basic realm="b"'],
      [
        { scheme: 'bearer', params: { realm: 'https://t/token' } },
        { scheme: 'basic', params: { realm: 'b' } },
      ],
    ],
    [
      'token68 challenge skipped over',
      'Negotiate abc123==, Basic realm="b"',
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'b' } },
      ],
    ],
    [
      'insufficient_scope error',
      'Bearer realm="http://127.0.0.1:9999/token",service="test",scope="repository:x/y:pull",error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'http://127.0.0.1:9999/token',
            service: 'test',
            scope: 'repository:x/y:pull',
            error: 'insufficient_scope',
          },
        },
      ],
    ],
    [
      'unterminated quote keeps what is there',
      'Basic realm="oops',
      [{ scheme: 'basic', params: { realm: 'oops' } }],
    ],
    [
      'first value of a repeated parameter wins',
      'Basic realm="a", realm="b"',
      [{ scheme: 'basic', params: { realm: 'a' } }],
    ],
    [
      'parameters without a scheme are ignored',
      'realm="x", Basic realm="y"',
      [{ scheme: 'basic', params: { realm: 'y' } }],
    ],
  ])('%s', (_name, header, want) => {
    expect(parseWwwAuthenticate(header)).toEqual(want);
  });
});
