// npm run demo: the Action end to end on loopback, no internet. Starts Debian's docker-registry
// (behind a proxy that records every request) and a GitHub Actions cache v2 service emulator
// that the real @actions/cache talks to, pushes a small linuxkit-like multi-arch image set,
// writes a linuxkit.yml, then runs the committed bundles dist/main and dist/post as a runner
// does (INPUT_*, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY, RUNNER_TEMP, ACTIONS_*):
//   run 1: nothing cached → pull → save;
//   an interrupted pull cuts a blob, and a plain cache step saves the cache as it is;
//   run 2: restore → the cut blob is found and removed → re-pulled → saved under a new key;
//   run 3: hit → nothing pulled → nothing saved.
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cachePaths } from '../src/action/cache-service.js';
import {
  startActionLab,
  type ActionLab,
  type JobResult,
  type StepResult,
} from '../__tests__/harness/runner.js';

const INPUTS = { 'linuxkit-files': 'linuxkit.yml' };
const SHOWN_OUTPUTS = [
  'cache-hit',
  'cache-matched-key',
  'verified',
  'corrupt-blobs',
  'removed-blobs',
  'pulled-images',
  'bytes-downloaded',
];

const indent = (text: string, by = '    '): string =>
  text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

/** The job summary (the HTML core.summary writes) as plain text: headings, aligned tables, lists. */
function summaryText(html: string): string {
  const strip = (s: string) => s.replace(/<[^>]+>/g, '').trim();
  const out: string[] = [];
  for (const m of html.matchAll(/<h(\d)>(.*?)<\/h\1>|<table>(.*?)<\/table>|<ul>(.*?)<\/ul>/gs)) {
    const [, , heading, table, list] = m;
    if (heading !== undefined) out.push(strip(heading));
    if (table !== undefined) {
      const rows = [...table.matchAll(/<tr>(.*?)<\/tr>/gs)].map((r) =>
        [...r[1]!.matchAll(/<t[hd]>(.*?)<\/t[hd]>/gs)].map((c) => strip(c[1]!)),
      );
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
      const line = (r: string[]) =>
        r
          .map((c, i) => c + ' '.repeat(widths[i]! - [...c].length))
          .join('  ')
          .trimEnd();
      out.push(line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line));
    }
    if (list !== undefined)
      for (const li of list.matchAll(/<li>(.*?)<\/li>/gs)) out.push(`• ${strip(li[1]!)}`);
  }
  return out.join('\n');
}

function showStep(step: StepResult): void {
  console.log(
    `\n  $ node dist/${step.entry}/index.js   → exit ${step.code} in ${(step.ms / 1000).toFixed(1)} s`,
  );
  for (const a of step.annotations) {
    const where = a.properties.file ? ` ${a.properties.file}:${a.properties.line ?? ''}` : '';
    console.log(`    ${a.level.toUpperCase()}${where}: ${a.message}`);
  }
  if (step.entry === 'main') {
    console.log(`    outputs: ${SHOWN_OUTPUTS.map((o) => `${o}=${step.outputs[o] ?? ''}`).join('  ')}`);
    console.log(`\n${indent(summaryText(step.summary), '    │ ')}`);
  } else {
    // The post step's verdict is its last log line.
    const last = step.stdout
      .split('\n')
      .filter((l) => l && !l.startsWith('::'))
      .at(-1);
    console.log(`    ${last ?? '(no output)'}`);
  }
}

async function runJob(lab: ActionLab, title: string): Promise<JobResult> {
  console.log(`\n━━ ${title} ━━`);
  await lab.runner.freshMachine();
  const job = await lab.runner.job({ inputs: INPUTS });
  showStep(job.main);
  showStep(job.post);
  // OCG_DEMO_SUMMARIES=DIR keeps each job summary's HTML (docs/job-summary.png is made from run 2's).
  const keep = process.env.OCG_DEMO_SUMMARIES;
  if (keep)
    await writeFile(
      path.join(keep, `${title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.html`),
      job.main.summary,
    );
  return job;
}

const problems: string[] = [];
function expectThat(ok: boolean, what: string): void {
  if (!ok) problems.push(what);
}

console.log('oci-cache-guard demo: the Action end to end on 127.0.0.1 (no internet)');
console.log('starting docker-registry and the cache service emulator, building and pushing images…');
const lab = await startActionLab();
try {
  const { file } = await lab.writeLinuxkitYml();
  console.log(
    `  registry:  docker-registry at ${lab.registry.url}, images referenced through ${lab.proxy.url}`,
  );
  console.log(
    `  cache:     GitHub Actions cache v2 emulator at ${lab.emulator.url} (the real @actions/cache)`,
  );
  console.log(`  runner:    HOME=${lab.runner.home}  (the cache: ~/.linuxkit/cache)`);
  console.log(
    `  images:    ${lab.images.length}, each an OCI index for linux/amd64 and linux/arm64 with SBOM attestations`,
  );
  console.log(`\n  ${path.relative(lab.runner.workspace, file)}, the action's input linuxkit-files:`);
  const yml = (await readFile(file, 'utf8')).trimEnd().split('\n');
  yml.forEach((l, i) => console.log(`    ${String(i + 1).padStart(2)}  ${l}`));

  const run1 = await runJob(lab, 'Run 1: a fresh runner, nothing cached');
  const key1 = run1.post.outputs['saved-key'] ?? '';
  expectThat(run1.main.code === 0 && run1.main.outputs['pulled-images'] === '5', 'run 1 pulls 5 images');
  expectThat(key1 !== '', 'run 1 saves the cache');

  // The runner of run 1 still holds the cache: a pull of the build is interrupted there.
  const kernel = lab.images[0]!;
  const layer = kernel.built.platforms[0]!.layers[0]!;
  console.log('\n━━ Between the runs: an interrupted pull ━━');
  await truncate(path.join(lab.runner.linuxkitCache, 'blobs', ...layer.digest.split(':')), 1104);
  console.log(
    `  ${kernel.ref} linux/amd64: layer ${layer.digest.slice(0, 19)}… cut at 1104 of ${layer.size} bytes`,
  );
  const damagedKey = `${key1.slice(0, -16)}interrupted`;
  await lab.plainSave(cachePaths(lab.runner.linuxkitCache), damagedKey);
  console.log(`  a plain cache step saves it as it is, unverified: ${damagedKey}`);
  console.log('  (linuxkit would now fail with "unexpected EOF", run after run, naming no file)');

  const run2 = await runJob(lab, 'Run 2: restore the damaged cache');
  const key2 = run2.post.outputs['saved-key'] ?? '';
  expectThat(run2.main.code === 0 && run2.main.outputs['corrupt-blobs'] === '1', 'run 2 finds the cut blob');
  expectThat(run2.main.outputs['pulled-images'] === '1', 'run 2 re-pulls one image');
  expectThat(key2 !== '' && key2 !== key1 && key2 !== damagedKey, 'run 2 saves under a new key');

  const mark = lab.proxy.requests.length;
  const run3 = await runJob(lab, 'Run 3: restore the repaired cache');
  const blobGets = lab.blobGets(mark).length;
  console.log(`\n  registry requests for blobs during run 3: ${blobGets}`);
  expectThat(run3.main.outputs['cache-matched-key'] === key2, 'run 3 restores what run 2 saved');
  expectThat(run3.main.outputs['pulled-images'] === '0' && blobGets === 0, 'run 3 fetches nothing');
  expectThat(run3.post.outputs['saved-key'] === undefined, 'run 3 saves nothing');

  console.log('\n━━ The cache service now holds ━━');
  for (const e of lab.emulator.entries()) console.log(`  ${e.key}  (${e.size} bytes)`);
  if (problems.length) {
    console.error(`\ndemo: unexpected behaviour: ${problems.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log(
      '\nRun 2 found the cut blob, pulled that one layer again and saved a cache that supersedes the damaged one; run 3 needed nothing from the registry.',
    );
  }
} finally {
  await lab.stop();
}
