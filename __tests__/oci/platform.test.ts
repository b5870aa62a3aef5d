import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { formatPlatform, parsePlatform, platformSatisfies } from '../../src/oci/platform.js';

describe('platforms', () => {
  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['Linux/AMD64', 'linux/amd64'],
    ['linux/x86_64', 'linux/amd64'],
  ])('parses %s as %s', (input, expected) => {
    expect(formatPlatform(parsePlatform(input))).toBe(expected);
  });

  it.each(['linux', 'linux/', '/amd64', 'linux/amd64/v1/x', 'linux/am d64', ''])('rejects %j', (input) => {
    expect(() => parsePlatform(input)).toThrow(UsageError);
  });

  it('matches arm64 with and without the implied v8 variant, not other arches', () => {
    expect(
      platformSatisfies({ os: 'linux', architecture: 'arm64', variant: 'v8' }, parsePlatform('linux/arm64')),
    ).toBe(true);
    expect(platformSatisfies({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/arm64'))).toBe(
      false,
    );
    expect(
      platformSatisfies({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatform('linux/arm')),
    ).toBe(false);
  });
});
