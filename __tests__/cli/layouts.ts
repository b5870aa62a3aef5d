// Layouts written directly (no registry): one small linux/amd64 image under many index.json
// names, plus unreferenced blobs, for tests whose point is the size of the output.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface GeneratedLayout {
  dir: string;
  /** The image's manifest, config and layer digests. */
  blobs: string[];
  /** Digests of the unreferenced blobs. */
  unreferenced: string[];
}

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export async function writeLayout(
  dir: string,
  options: { names: string[]; unreferenced?: number },
): Promise<GeneratedLayout> {
  const blobDir = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const put = async (bytes: Buffer) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(blobDir, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const layer = await put(Buffer.from('a layer'));
  const config = await put(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    ),
  );
  const manifest = await put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  const unreferenced: string[] = [];
  for (let i = 0; i < (options.unreferenced ?? 0); i++)
    unreferenced.push((await put(Buffer.from(`unreferenced ${i}`))).digest);
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const manifests = options.names.map((name) => ({
    mediaType: MANIFEST,
    ...manifest,
    annotations: { 'org.opencontainers.image.ref.name': name },
  }));
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return { dir, blobs: [manifest.digest, config.digest, layer.digest], unreferenced };
}

/** `count` names `registry.invalid/many/img:<i>`. */
export function manyNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `registry.invalid/many/img:${i}`);
}
