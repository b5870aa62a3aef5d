// Hand-written OCI layouts for graph-walk tests: blobs are written under their real sha256 (or,
// to plant damage, under a name of our choosing), documents are plain JSON. Self-contained: an
// oracle for src/, so it does not import it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MT, type Desc } from '../harness/index.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const ATTESTATION = {
  type: 'vnd.docker.reference.type',
  digest: 'vnd.docker.reference.digest',
} as const;

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** Descriptors as written to index.json, with a ref name. */
export const named = (d: Desc, name: string): Desc => ({
  ...d,
  annotations: { ...d.annotations, [REF_NAME]: name },
});

export class SyntheticLayout {
  private constructor(readonly dir: string) {}

  /** oci-layout, an empty blobs/sha256 and no index.json yet. */
  static async create(dir: string): Promise<SyntheticLayout> {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    return new SyntheticLayout(dir);
  }

  file(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  /** Writes bytes under their digest and returns their descriptor. */
  async blob(bytes: Buffer | string, mediaType: string): Promise<Desc> {
    const data = Buffer.from(bytes);
    const digest = `sha256:${sha256(data)}`;
    await writeFile(this.file(digest), data);
    return { mediaType, digest, size: data.length };
  }

  /** Writes bytes under a digest that is not theirs (a blob whose content does not match its name). */
  async forge(digest: string, bytes: Buffer | string): Promise<void> {
    await writeFile(this.file(digest), bytes);
  }

  async layer(size = 64): Promise<Desc> {
    return this.blob(randomBytes(size), MT.ociLayerGzip);
  }

  async config(architecture = 'amd64'): Promise<Desc> {
    const doc = {
      architecture,
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      nonce: randomBytes(4).toString('hex'),
    };
    return this.blob(JSON.stringify(doc), MT.ociConfig);
  }

  async manifest(config: Desc, layers: Desc[], mediaType: string = MT.ociManifest): Promise<Desc> {
    return this.blob(JSON.stringify({ schemaVersion: 2, mediaType, config, layers }), mediaType);
  }

  /** An image manifest with a fresh config and one fresh layer. */
  async image(architecture = 'amd64'): Promise<Desc> {
    return this.manifest(await this.config(architecture), [await this.layer()]);
  }

  async index(manifests: Desc[], mediaType: string = MT.ociIndex): Promise<Desc> {
    return this.blob(JSON.stringify({ schemaVersion: 2, mediaType, manifests }), mediaType);
  }

  async writeIndexJson(entries: Desc[]): Promise<void> {
    await writeFile(
      path.join(this.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: entries }),
    );
  }
}

/** A buildkit-style attestation descriptor for the manifest `subject`. */
export function attestationOf(att: Desc, subject: Desc): Desc {
  return {
    ...att,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: { [ATTESTATION.type]: 'attestation-manifest', [ATTESTATION.digest]: subject.digest },
  };
}

/**
 * Indexes nested `depth` deep over `leaf`, each listing its child `fanout` times: `depth`
 * index blobs, but fanout^depth paths from the top.
 */
export async function nestedIndexes(
  layout: SyntheticLayout,
  leaf: Desc,
  depth: number,
  fanout: number,
): Promise<Desc> {
  let child = leaf;
  for (let i = 0; i < depth; i++) child = await layout.index(Array.from({ length: fanout }, () => child));
  return child;
}
