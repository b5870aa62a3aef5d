// Builds the committed bundles: tsc compiles src/ to lib/, then ncc packs one file per entry
// point into dist/<entry>/index.js. CI rebuilds and fails when dist/ differs.
//
// `node scripts/bundle.mjs --out DIR [entry...]` builds only those entries into DIR/<entry>/
// (tests bundle the current source this way without touching dist/ or lib/).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ENTRIES = {
  main: 'action/main.js',
  post: 'action/post.js',
  restore: 'action/restore-only.js',
  save: 'action/save-only.js',
  cli: 'cli/index.js',
};
const { values, positionals } = parseArgs({ options: { out: { type: 'string' } }, allowPositionals: true });
const outDir = values.out ?? 'dist';
const names = positionals.length ? positionals : Object.keys(ENTRIES);
for (const name of names) if (!(name in ENTRIES)) throw new Error(`no bundle entry ${name}`);
// ncc resolves dependencies from the compiled files: they must sit inside the repository.
const lib = values.out ? path.join('.tmp', `bundle-${process.pid}`) : 'lib';
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

rmSync(lib, { recursive: true, force: true });
try {
  run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', lib]);
  for (const name of names) {
    const out = path.join(outDir, name);
    rmSync(out, { recursive: true, force: true });
    run('npx', [
      'ncc',
      'build',
      path.join(lib, ENTRIES[name]),
      '-o',
      out,
      '--license',
      'licenses.txt',
      '--quiet',
    ]);
  }
} finally {
  if (values.out) rmSync(lib, { recursive: true, force: true });
}
