// Repair deletes only what it proved wrong: never a valid blob, referenced or not, nor a
// partial download (prune's business), nor a valid blob a descriptor gives the wrong size.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Layout } from '../../src/layout/layout.js';
import { checkLayout } from '../../src/verify/index.js';
import { makeTempDir } from '../harness/index.js';
import { writeLayout } from '../cli/layouts.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('repair-keeps');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('repair removes a blob whose bytes are wrong and keeps every valid blob and partial download', async () => {
  const cache = await writeLayout(dir, { names: ['registry.invalid/a/img:1'], unreferenced: 2 });
  const blobDir = path.join(dir, 'blobs', 'sha256');
  const hex = (d: string) => d.slice('sha256:'.length);
  // One unreferenced blob gets a wrong byte: proven wrong by its hash.
  const [valid, flipped] = cache.unreferenced as [string, string];
  const bytes = await readFile(path.join(blobDir, hex(flipped)));
  bytes[0]! ^= 0x01;
  await writeFile(path.join(blobDir, hex(flipped)), bytes);
  // A partial download of some blob: prune's to judge, never repair's.
  const partial = `${'c'.repeat(64)}.download`;
  await writeFile(path.join(blobDir, partial), 'half a blob');
  // A second entry names the image's manifest with a wrong size: the entry is wrong, not the blob.
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
  const [entry] = index.manifests;
  index.manifests.push({
    ...entry,
    size: entry.size + 1,
    annotations: { 'org.opencontainers.image.ref.name': 'registry.invalid/a/img:2' },
  });
  await writeFile(path.join(dir, 'index.json'), JSON.stringify(index));

  const report = await checkLayout(Layout.at(dir), { mode: 'full', platforms: [], repair: true });
  expect(report.findings.map((f) => [f.kind, f.digest && hex(f.digest).slice(0, 1), f.action])).toEqual([
    ['index', undefined, 'removed'],
    ['corrupt', hex(flipped).slice(0, 1), 'removed'],
    ['corrupt', hex(cache.blobs[0]!).slice(0, 1), 'kept'],
    ['partial', 'c', 'kept'],
    ['unreferenced', hex(valid).slice(0, 1), 'kept'],
  ]);
  const left = (await readdir(blobDir)).sort();
  expect(left).toEqual([...cache.blobs, valid].map(hex).concat(partial).sort());
  const names = (await Layout.at(dir).readIndex()).state;
  expect(names).toBe('ok');
  const kept = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')).manifests;
  expect(kept.map((m: { annotations: Record<string, string> }) => Object.values(m.annotations))).toEqual([
    ['registry.invalid/a/img:1'],
  ]);
});
