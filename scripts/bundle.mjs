// Builds the committed bundles: tsc compiles src/ to lib/, then ncc packs one file per entry
// point into dist/<entry>/index.js. CI rebuilds and fails when dist/ differs.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const ENTRIES = {
  main: 'lib/action/main.js',
  post: 'lib/action/post.js',
  restore: 'lib/action/restore-only.js',
  save: 'lib/action/save-only.js',
  cli: 'lib/cli/index.js',
};
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

rmSync('lib', { recursive: true, force: true });
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
for (const [name, entry] of Object.entries(ENTRIES)) {
  rmSync(`dist/${name}`, { recursive: true, force: true });
  run('npx', ['ncc', 'build', entry, '-o', `dist/${name}`, '--license', 'licenses.txt', '--quiet']);
}
