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
});
