// npm run demo: the Action end to end on loopback, no internet. Starts Debian's docker-registry
// (behind a proxy that records every request) and a GitHub Actions cache v2 service emulator
// that the real @actions/cache talks to, pushes a small linuxkit-like multi-arch image set,
// writes a linuxkit.yml, then runs the main and post steps (from src/, as the bundles do) as a
// runner does (INPUT_*, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY, RUNNER_TEMP, ACTIONS_*).
// One Actions-cache entry per image:
//   run 1: nothing cached → pull → post saves one entry per image;
//   a damaged entry for the kernel (a layer cut short) is saved by a plain cache step;
//   run 2: four entries restored; the kernel's is refused → pulled → a superseding entry saved;
//   run 3: one image moved to a new tag → four entries restored, only the moved one uploaded;
//   run 4: hit → one lookup and one download per image, nothing pulled, nothing saved.
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stagingDir } from '../src/action/state.js';
import { stageEntry } from '../src/action/store/entry.js';
import { contentKey, entryPrefix, imageHash, supersedingKey } from '../src/action/store/keys.js';
import { Layout } from '../src/layout/layout.js';
import type { Digest } from '../src/oci/digest.js';
import { parsePlatform } from '../src/oci/platform.js';
import { parseReference } from '../src/oci/reference.js';
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
  console.log(`\n  $ ${step.entry} step   → exit ${step.code} in ${(step.ms / 1000).toFixed(1)} s`);
  for (const a of step.annotations) {
    const where = a.properties.file ? ` ${a.properties.file}:${a.properties.line ?? ''}` : '';
    console.log(`    ${a.level.toUpperCase()}${where}: ${a.message}`);
  }
  if (step.entry === 'main') {
    // cache-matched-key holds one key per line: shown as a count.
    const shown = (o: string) => {
      const v = step.outputs[o] ?? '';
      return o === 'cache-matched-key' && v.includes('\n') ? `(${v.split('\n').length} keys)` : v;
    };
    console.log(`    outputs: ${SHOWN_OUTPUTS.map((o) => `${o}=${shown(o)}`).join('  ')}`);
    console.log(`\n${indent(summaryText(step.summary), '    │ ')}`);
  } else {
    console.log(`\n${indent(summaryText(step.summary), '    │ ')}`);
  }
}

/** What the cache service saw since `mark`: lookups, downloads, entries created. */
function serviceCalls(lab: ActionLab, mark: number): string {
  const events = lab.emulator.events.slice(mark);
  const n = (kind: string) => events.filter((e) => e.kind === kind).length;
  const bytes = (kind: string) =>
    events.filter((e) => e.kind === kind).reduce((s, e) => s + (e.bytes ?? 0), 0);
  return `${n('lookup')} lookups, ${n('download')} downloads (${bytes('download')} bytes), ${n('create')} entries created (${bytes('commit')} bytes)`;
}

async function runJob(lab: ActionLab, title: string): Promise<JobResult> {
  console.log(`\n━━ ${title} ━━`);
  await lab.runner.freshMachine();
  const mark = lab.emulator.events.length;
  const job = await lab.runner.job({ inputs: INPUTS });
  showStep(job.main);
  showStep(job.post);
  console.log(`\n  the cache service saw: ${serviceCalls(lab, mark)}`);
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
lab.runner.fromSource = true;
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

  const platforms = [parsePlatform('linux/amd64')];
  const nameOf = (ref: string) => parseReference(ref).name;
  const keyOf = (image: ActionLab['images'][number]) =>
    contentKey(
      entryPrefix('oci-cache-guard-linux', nameOf(image.ref), platforms),
      image.built.index.digest as Digest,
    );
  const saved = (job: JobResult) => (job.post.outputs['saved-key'] ?? '').split('\n').filter(Boolean);

  const run1 = await runJob(lab, 'Run 1: a fresh runner, nothing cached');
  expectThat(run1.main.code === 0 && run1.main.outputs['pulled-images'] === '5', 'run 1 pulls 5 images');
  expectThat(saved(run1).length === 5, 'run 1 saves 5 entries');

  // The runner of run 1 still holds the cache: an entry for the kernel with a layer cut short.
  const kernel = lab.images[0]!;
  const layer = kernel.built.platforms[0]!.layers[0]!;
  console.log('\n━━ Between the runs: a damaged entry ━━');
  const cache = Layout.at(lab.runner.linuxkitCache);
  const read = await cache.readIndex();
  const entry = read.state === 'ok' ? read.doc.entries.find((e) => e.name === nameOf(kernel.ref)) : undefined;
  if (!entry?.descriptor || !entry.name) throw new Error('run 1 left no kernel entry');
  const dir = path.join(stagingDir({ RUNNER_TEMP: lab.runner.temp }), imageHash(entry.name, platforms));
  await stageEntry(cache, dir, { ...entry, descriptor: entry.descriptor, name: entry.name }, platforms);
  await truncate(path.join(dir, 'blobs', ...layer.digest.split(':')), 1104);
  const damagedKey = supersedingKey(keyOf(kernel), 'demo');
  await lab.plainSave([dir], damagedKey);
  console.log(
    `  ${kernel.ref} linux/amd64: layer ${layer.digest.slice(0, 19)}… cut at 1104 of ${layer.size} bytes`,
  );
  console.log(
    `  a plain cache step saves that entry as it is, unverified, newer than the good one: ${damagedKey}`,
  );

  const run2 = await runJob(lab, 'Run 2: the kernel entry is damaged');
  expectThat(
    run2.main.code === 0 && run2.main.outputs['pulled-images'] === '1',
    'run 2 pulls the kernel again',
  );
  expectThat(
    saved(run2).length === 1 && saved(run2)[0] === supersedingKey(keyOf(kernel), damagedKey),
    'run 2 saves one entry that supersedes the damaged one',
  );

  await lab.writeLinuxkitYml([...lab.images.slice(0, 4), lab.moved]);
  const run3 = await runJob(lab, `Run 3: ${lab.images[4]!.ref} moved to ${lab.moved.ref}`);
  expectThat(run3.main.outputs['pulled-images'] === '1', 'run 3 pulls only the moved image');
  expectThat(saved(run3).length === 1 && saved(run3)[0] === keyOf(lab.moved), 'run 3 uploads only its entry');

  const mark = lab.proxy.requests.length;
  const run4 = await runJob(lab, 'Run 4: a hit');
  const blobGets = lab.blobGets(mark).length;
  console.log(`  registry requests for blobs during run 4: ${blobGets}`);
  expectThat(run4.main.outputs['cache-hit'] === 'true', 'run 4 is a hit');
  expectThat(run4.main.outputs['pulled-images'] === '0' && blobGets === 0, 'run 4 fetches nothing');
  expectThat(saved(run4).length === 0, 'run 4 saves nothing');

  console.log('\n━━ The cache service now holds ━━');
  for (const e of lab.emulator.entries()) console.log(`  ${e.key}  (${e.size} bytes)`);
  if (problems.length) {
    console.error(`\ndemo: unexpected behaviour: ${problems.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log(
      '\nRun 2 refused the damaged kernel entry, pulled the kernel and saved an entry that supersedes it; run 3 uploaded only the moved image; run 4 needed nothing from the registry and saved nothing.',
    );
  }
} finally {
  await lab.stop();
}
