import { describe, expect, it } from 'vitest';
import {
  InvalidDocumentError,
  parseDescriptor,
  parseIndex,
  parseManifest,
} from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/mediatypes.js';

const D = `sha256:${'b'.repeat(64)}`;

describe('descriptors and documents', () => {
  it('parses a descriptor with platform and annotations', () => {
    const d = parseDescriptor({
      mediaType: MediaType.OciManifest,
      digest: D,
      size: 12,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      annotations: { a: 'b' },
    });
    expect(d).toEqual({
      mediaType: MediaType.OciManifest,
      digest: D,
      size: 12,
      platform: { os: 'linux', architecture: 'arm64' },
      annotations: { a: 'b' },
    });
  });

  it.each([
    [{ mediaType: 'x', digest: 'sha256:../../etc', size: 1 }, /invalid .*digest/],
    [{ mediaType: 'x', digest: D, size: -1 }, /size -1/],
    [{ mediaType: 'x', digest: D, size: 1.5 }, /size 1.5/],
    [{ mediaType: 'x', digest: D, size: '3' }, /size "3"/],
    [{ digest: D, size: 1 }, /mediaType missing/],
    [{ mediaType: 'x', digest: D, size: 1, annotations: { a: 1 } }, /annotations/],
  ])('rejects %j', (value, message) => {
    expect(() => parseDescriptor(value)).toThrow(InvalidDocumentError);
    expect(() => parseDescriptor(value)).toThrow(message);
  });

  it('parses an index and a manifest and refuses the wrong kind', () => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: D, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D, size: 3 }],
    });
    expect(parseManifest(manifest).layers).toHaveLength(1);
    expect(() => parseIndex(manifest)).toThrow(/manifests must be an array|not an index/);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [{ mediaType: MediaType.OciManifest, digest: D, size: 5 }],
    });
    expect(parseIndex(index).manifests[0]!.size).toBe(5);
    expect(() => parseManifest(index)).toThrow(/not an image manifest/);
    expect(() => parseIndex('{"schemaVersion": 2, "manif')).toThrow(/not valid JSON/);
  });

  it("a size above 2^53 is called that, with the digits the document wrote (not JSON.parse's rounding)", () => {
    const layer = (size: string) =>
      `{"schemaVersion":2,"config":{"mediaType":"x","digest":"${D}","size":2},"layers":[{"mediaType":"x","digest":"${D}", "size" : ${size}}]}`;
    // 2^60 + 1: JSON.parse rounds it to 2^60.
    expect(() => parseManifest(layer('1152921504606846977'), 'manifest m')).toThrow(
      'manifest m layers[0]: size 1152921504606846977 is above 2^53 (9007199254740992), more than any blob can be',
    );
    expect(() =>
      parseIndex(
        `{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"${D}","size":1152921504606846976}]}`,
      ),
    ).toThrow('index manifests[0]: size 1152921504606846976 is above 2^53');
    // Written as an exponent: no digits to quote, the exact value of what was parsed.
    expect(() => parseManifest(layer('1e20'))).toThrow('size 100000000000000000000 is above 2^53');
    expect(() => parseDescriptor({ mediaType: 'x', digest: D, size: 2 ** 60 })).toThrow(
      'descriptor: size 1152921504606846976 is above 2^53',
    );
  });
});
