// npm run demo: the verifier at work on a real cache. Builds small images with umoci, pushes
// them through Debian's docker-registry on 127.0.0.1 and pulls them back with skopeo into an
// OCI layout (as linuxkit's cache looks), damages it the way an interrupted pull does, then
// runs the bundled CLI: validate, validate --repair, validate, ls.
import { spawnSync } from 'node:child_process';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURE_NAMES, makeCache } from '../__tests__/harness/index.js';

const CLI = path.resolve('dist/cli/index.js');

function step(title: string, args: string[]): number {
  console.log(`\n$ oci-cache-guard ${args.join(' ')}    # ${title}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { stdio: 'inherit' });
  console.log(`(exit ${r.status})`);
  return r.status ?? 1;
}

const cache = await makeCache();
try {
  const blob = (digest: string) => path.join(cache.dir, 'blobs', ...digest.split(':'));
  const multi = cache.images.multi.platforms[0]!;
  const single = cache.images.single.platforms[0]!;

  console.log(`A cache of ${cache.blobs.length} blobs in ${cache.dir}:`);
  for (const name of Object.values(FIXTURE_NAMES)) console.log(`  ${name}`);
  console.log('\nDamaging it the way interrupted pulls do:');
  await truncate(blob(cache.bigLayer.digest), 1104);
  console.log(`  ${FIXTURE_NAMES.multi} linux/amd64: big layer cut at 1104 of ${cache.bigLayer.size} bytes`);
  const layer = single.layers[0]!;
  const bytes = await readFile(blob(layer.digest));
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
  await writeFile(blob(layer.digest), bytes);
  console.log(`  ${FIXTURE_NAMES.single}: one byte flipped in a layer (same size: only a hash sees it)`);
  await writeFile(`${blob(multi.config.digest)}123456`, 'half a config');
  console.log('  a temp file of an interrupted go-containerregistry write left in blobs/sha256');

  const damaged = step('find what is wrong, change nothing', ['validate', '--cache', cache.dir]);
  const repaired = step('delete what is proven wrong, drop broken entries', [
    'validate',
    '--repair',
    '--cache',
    cache.dir,
  ]);
  const clean = step('check again', ['validate', '--cache', cache.dir]);
  step('what is left', ['ls', '--cache', cache.dir]);
  if (damaged !== 1 || repaired !== 0 || clean !== 0) {
    console.error('\ndemo: unexpected exit status (expected 1, 0, 0)');
    process.exitCode = 1;
  } else {
    console.log('\nThe two damaged images were dropped from index.json: the next pull fetches them again.');
  }
} finally {
  await cache.remove();
}
