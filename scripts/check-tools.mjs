// Tests and the demo drive real components: make sure Debian's tools are here, install them
// when we can (root or passwordless sudo), otherwise stop with the one command to run.
import { execFileSync, spawnSync } from 'node:child_process';

const TOOLS = {
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  htpasswd: 'apache2-utils',
};
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

const missing = Object.entries(TOOLS).filter(([bin]) => !has(bin));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
const install = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
const asRoot = process.getuid?.() === 0;
const sudo = !asRoot && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!has('apt-get') || (!asRoot && !sudo)) {
  console.error(`missing ${missing.map(([b]) => b).join(', ')}: run: sudo sh -c '${install}'`);
  process.exit(1);
}
console.error(`installing ${pkgs.join(' ')} from Debian...`);
try {
  const run = (args) =>
    execFileSync(sudo ? 'sudo' : args[0], sudo ? args : args.slice(1), {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', ...pkgs]);
} catch {
  console.error(`could not install ${pkgs.join(' ')}: run: sudo sh -c '${install}'`);
  process.exit(1);
}
