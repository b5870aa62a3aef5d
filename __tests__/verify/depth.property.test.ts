// Issue 17 item 6, as a property: no nesting depth, anywhere a cache holds JSON (an index.json
// entry, a top-level field, the manifests array, a manifest, a config), crashes validate,
// validate --repair, ls or pull's index.json update; repair keeps every entry it did not judge.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Layout } from '../../src/layout/layout.js';
import { makeTempDir, removeTempDir } from '../harness/index.js';
import { cli } from '../cli/capture.js';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await makeTempDir('depth-property');
});
afterAll(async () => {
  if (work) await removeTempDir(work);
});

type Where = 'entry' | 'top-level field' | 'manifests element' | 'manifest' | 'config';
type Shape = 'array' | 'object' | 'mixed';

/** A JSON text `depth` containers deep. */
function nested(depth: number, shape: Shape): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    const array = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
    open.push(array ? '[' : '{"k":');
    close.push(array ? ']' : '}');
  }
  return `${open.join('')}${shape === 'array' ? '' : '0'}${close.reverse().join('')}`.replace('[0]', '[]');
}

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const A = 'registry.invalid/deep/a:1';
const B = 'registry.invalid/deep/b:1';

/** A cache of one image under names A and B, with `deep` put where `where` says. */
async function cacheWith(where: Where, deep: string): Promise<string> {
  const dir = path.join(work, `cache-${n++}`);
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (text: string) => {
    const hex = createHash('sha256').update(text).digest('hex');
    await writeFile(path.join(blobs, hex), text);
    return `"digest":"sha256:${hex}","size":${Buffer.byteLength(text)}`;
  };
  const layer = await put('a layer');
  const extra = (at: Where) => (where === at ? `,"x-deep":${deep}` : '');
  const config = await put(`{"architecture":"amd64","os":"linux"${extra('config')}}`);
  const manifest = await put(
    `{"schemaVersion":2,"mediaType":"${MANIFEST}","config":{"mediaType":"application/vnd.oci.image.config.v1+json",${config}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",${layer}}]${extra('manifest')}}`,
  );
  const entry = (name: string, more = '') =>
    `{"mediaType":"${MANIFEST}",${manifest},"annotations":{"org.opencontainers.image.ref.name":"${name}"}${more}}`;
  const entries = [entry(A, extra('entry')), entry(B)];
  if (where === 'manifests element') entries.push(deep);
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    path.join(dir, 'index.json'),
    `{"schemaVersion":2${where === 'top-level field' ? `,"x-deep":${deep}` : ''},"manifests":[${entries.join(',')}]}`,
  );
  return dir;
}

const names = async (dir: string) =>
  (
    JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as {
      manifests: { annotations?: Record<string, string> }[];
    }
  ).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);

/** A command ran to its end: exit 0 or 1 (2 is a usage error), no crash, no stack. */
function ranThrough(r: { code: number; err: string }, what: string): void {
  expect(r.err, what).not.toMatch(/call stack|RangeError|^\s+at /m);
  expect([0, 1], `${what}: ${r.err}`).toContain(r.code);
}

describe('no input depth crashes a command', () => {
  it('validate, validate --repair, ls and an index.json update, at any depth in any JSON of the cache', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Where>('entry', 'top-level field', 'manifests element', 'manifest', 'config'),
        fc.oneof(fc.constantFrom(9_997, 9_998, 9_999, 10_000, 10_001), fc.integer({ min: 1, max: 60_000 })),
        fc.constantFrom<Shape>('array', 'object', 'mixed'),
        async (where, depth, shape) => {
          const dir = await cacheWith(where, nested(depth, shape));
          ranThrough(await cli(['validate', '--cache', dir]), 'validate');
          ranThrough(await cli(['ls', '--cache', dir]), 'ls');
          // pull's index.json update: another entry written beside whatever is there.
          const layout = await Layout.open(dir, { create: false });
          const read = await layout.readIndex();
          expect(read.state).toBe('ok');
          const descriptor = read.state === 'ok' ? read.doc.entries[1]!.descriptor! : undefined;
          await layout.setEntry(descriptor!, 'registry.invalid/deep/c:1');
          const repaired = await cli(['validate', '--repair', '--cache', dir]);
          ranThrough(repaired, 'validate --repair');
          expect(repaired.code, repaired.out.join('\n')).toBe(0);
          // Entries nobody judged broken are kept: all of them unless the manifest they share is.
          const kept = await names(dir);
          if (where === 'manifest' && depth > 10_000 - 1) expect(kept).toEqual([]);
          else if (where === 'entry' && depth > 10_000 - 3)
            expect(kept).toEqual([B, 'registry.invalid/deep/c:1']);
          else expect(kept).toEqual([A, B, 'registry.invalid/deep/c:1']);
          ranThrough(await cli(['validate', '--cache', dir]), 'validate after repair');
        },
      ),
      {
        numRuns: 20,
        // The two deep branches above run every time, not only when the draw reaches them.
        examples: [
          ['manifest', 10_001, 'array'],
          ['entry', 9_998, 'object'],
        ],
      },
    );
  }, 300_000);
});
