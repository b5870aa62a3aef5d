// Raw pushes through the distribution API, for images skopeo and umoci would not make: padded
// or lying configs, manifests listing one digest twice, nested indexes.
import { createHash } from 'node:crypto';
import type { Desc } from './fixtures.js';
import { trustingFetch, type Registry } from './registry.js';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Uploads a blob (POST, then PUT with its digest) and returns its descriptor. */
export async function pushBlob(
  registry: Registry,
  repo: string,
  bytes: Buffer,
  mediaType: string,
): Promise<Desc> {
  const digest = sha256(bytes);
  const fetch = trustingFetch(registry.certificate);
  const start = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await start.body?.cancel();
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const location = new URL(start.headers.get('location')!, registry.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`upload: ${put.status}`);
  return { mediaType, digest, size: bytes.length };
}

/** Puts a manifest or index (`schemaVersion` and `mediaType` added) by digest, and under `tag` too when given. */
export async function pushManifest(
  registry: Registry,
  repo: string,
  doc: object,
  mediaType: string,
  tag?: string,
): Promise<Desc> {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, ...doc }));
  const digest = sha256(bytes);
  const fetch = trustingFetch(registry.certificate);
  for (const ref of tag ? [digest, tag] : [digest]) {
    const res = await fetch(`${registry.url}/v2/${repo}/manifests/${ref}`, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': mediaType },
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`manifest ${ref}: ${res.status} ${text}`);
  }
  return { mediaType, digest, size: bytes.length };
}
