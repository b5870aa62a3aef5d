/**
 * `npm run bench -- cache [--scale F] [--bundles DIR] [--keep]`
 *
 * Issue 18's scenario, everything in one run, on fresh runners (the test harness's runner: one
 * child process per step, a runner's environment; the steps from src/ through tsx, or the
 * bundles in DIR, e.g. an older release's dist/ to measure "before"), the real
 * `@actions/cache` against the cache service emulator, docker-registry on loopback, and a
 * linuxkit-shaped set of 12 images (each an OCI index for linux/amd64 and linux/arm64 with one
 * SBOM attestation per platform; amd64 layers, MB: kernel 60 + 1, containerd 26 + 2, runc 9,
 * sshd 5 + 0.5, init 3 + 1 + 0.2, format 3, getty 2, dhcpcd 1.2, sysctl 1, openntpd 0.9,
 * rngd 0.8, ca-certificates 0.3; times F):
 *   A cold (the 12), A after sshd moved to a new tag (other content), B (7 of them plus a new
 *   image), A again (a hit).
 * Printed per job: bytes uploaded and downloaded by the cache service, entries created; then
 * the service's storage against the distinct content. Goals (issue 18): after the change,
 * uploaded ≤ 1.2× the moved image; B downloads ≤ 1.2× its subset; storage ≤ 1.2× the distinct
 * content; a hit uploads nothing. Exit 1 when a goal fails.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { collect, mb } from './common.js';

/** The harness (runner, registry, emulator): loaded when the bench runs, not when it is listed. */
const harness = () => import('../__tests__/harness/index.js');
const runnerModule = () => import('../__tests__/harness/runner.js');
const emulatorModule = () => import('../__tests__/harness/cache-emulator.js');

export const summary =
  "issue 18's scenario: 12 linuxkit-shaped images, one moves, a job needs a subset plus one: bytes to and from the Actions cache";

const MB = 1e6;
const GOAL = 1.2;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';

/** [name, tag, layer sizes in MB]: the 12, then sshd moved to tag 2, then B's new image. */
const IMAGES: [string, string, number[]][] = [
  ['kernel', '1', [60, 1]],
  ['containerd', '1', [26, 2]],
  ['runc', '1', [9]],
  ['sshd', '1', [5, 0.5]],
  ['init', '1', [3, 1, 0.2]],
  ['format', '1', [3]],
  ['getty', '1', [2]],
  ['dhcpcd', '1', [1.2]],
  ['sysctl', '1', [1]],
  ['openntpd', '1', [0.9]],
  ['rngd', '1', [0.8]],
  ['ca-certificates', '1', [0.3]],
  ['sshd', '2', [5, 0.5]],
  ['metadata', '1', [1.5]],
];
/** B: 7 of the 12 (not the kernel nor containerd), plus metadata. */
const B_SUBSET = ['runc', 'init', 'format', 'getty', 'dhcpcd', 'sysctl', 'rngd'];

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

async function writeBlob(dir: string, bytes: Buffer, mediaType: string): Promise<Desc> {
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(path.join(dir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}
const json = (dir: string, mediaType: string, doc: unknown) =>
  writeBlob(dir, Buffer.from(JSON.stringify(doc)), mediaType);

/** Builds the images into one layout; returns, per `name:tag`, its linux/amd64 blobs. */
async function build(dir: string, scale: number): Promise<Map<string, Desc[]>> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const closures = new Map<string, Desc[]>();
  const entries: unknown[] = [];
  for (const [name, tag, sizes] of IMAGES) {
    const children: unknown[] = [];
    const attestations: unknown[] = [];
    const amd64: Desc[] = [];
    for (const arch of ['amd64', 'arm64']) {
      const layers: Desc[] = [];
      for (const size of sizes)
        layers.push(
          await writeBlob(
            dir,
            randomFillSync(Buffer.allocUnsafe(Math.max(1, Math.round(size * MB * scale)))),
            'application/vnd.oci.image.layer.v1.tar',
          ),
        );
      const config = await json(dir, OCI_CONFIG, {
        architecture: arch,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      });
      const manifest = await json(dir, OCI_MANIFEST, {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config,
        layers,
      });
      const sbom = await json(dir, IN_TOTO, {
        _type: 'https://in-toto.io/Statement/v0.1',
        subject: [{ name: `pkg:docker/bench/${name}@${tag}`, digest: { sha256: manifest.digest.slice(7) } }],
      });
      const attConfig = await json(dir, OCI_CONFIG, {
        architecture: 'unknown',
        os: 'unknown',
        rootfs: { type: 'layers', diff_ids: [sbom.digest] },
      });
      const att = await json(dir, OCI_MANIFEST, {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: attConfig,
        layers: [sbom],
      });
      if (arch === 'amd64') amd64.push(manifest, config, ...layers, att, attConfig, sbom);
      children.push({ ...manifest, platform: { os: 'linux', architecture: arch } });
      attestations.push({
        ...att,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: {
          'vnd.docker.reference.digest': manifest.digest,
          'vnd.docker.reference.type': 'attestation-manifest',
        },
      });
    }
    const index = await json(dir, OCI_INDEX, {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [...children, ...attestations],
    });
    closures.set(`${name}:${tag}`, [index, ...amd64]);
    entries.push({ ...index, annotations: { 'org.opencontainers.image.ref.name': `${name}-${tag}` } });
  }
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: entries }));
  return closures;
}

const bytesOf = (blobs: Iterable<Desc>): number => {
  const distinct = new Map<string, number>();
  for (const b of blobs) distinct.set(b.digest, b.size);
  return [...distinct.values()].reduce((a, b) => a + b, 0);
};

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scale: { type: 'string', default: '1' },
      bundles: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const scale = Number(values.scale);
  if (!(scale > 0)) throw new Error(`--scale ${values.scale}: expected a positive number`);
  const { startRegistry } = await harness();
  const { makeRunner } = await runnerModule();
  const { emulatorEnv, startCacheEmulator } = await emulatorModule();
  const work = await mkdtemp(path.join(tmpdir(), 'ocg-bench-cache-'));
  const registry = await startRegistry();
  const emulator = await startCacheEmulator();
  const runner = await makeRunner(emulatorEnv(emulator));
  if (values.bundles) runner.bundleDir = path.resolve(values.bundles);
  else runner.fromSource = true;
  try {
    const layout = path.join(work, 'layout');
    const closures = await build(layout, scale);
    await Promise.all(
      IMAGES.map(async ([name, tag]) => {
        const out = await collect('skopeo', [
          'copy', '--quiet', '--all', '--preserve-digests', '--dest-tls-verify=false',
          `oci:${layout}:${name}-${tag}`, `docker://${registry.host}/bench/${name}:${tag}`,
        ]); // prettier-ignore
        if (out.code !== 0) throw new Error(`skopeo push of ${name}:${tag} failed: ${out.stderr.trim()}`);
      }),
    );
    const ref = (image: string) => `${registry.host}/bench/${image}`;
    const listA = IMAGES.slice(0, 12).map(([n]) => `${n}:1`);
    const listA2 = listA.map((i) => (i === 'sshd:1' ? 'sshd:2' : i));
    const listB = [...B_SUBSET.map((n) => `${n}:1`), 'metadata:1'];
    const closure = (list: string[]) => list.flatMap((i) => closures.get(i)!);

    const rows: { job: string; up: number; down: number; created: number; code: string }[] = [];
    const job = async (title: string, list: string[]) => {
      await runner.freshMachine();
      const before = { ...emulator.counters };
      const commits = emulator.entries().filter((e) => e.committed).length;
      const inputs = { images: list.map(ref).join('\n'), 'key-prefix': 'bench' };
      const main = await runner.step('main', { inputs, timeoutMs: 600_000 });
      const post = await runner.step('post', {
        inputs,
        state: main.state,
        env: main.exportedEnv,
        timeoutMs: 600_000,
      });
      if (main.code !== 0 || post.code !== 0)
        throw new Error(
          `${title}: main exited ${main.code}, post ${post.code}\n${main.stdout}\n${post.stdout}`,
        );
      const row = {
        job: title,
        up: emulator.counters.bytesUploaded - before.bytesUploaded,
        down: emulator.counters.bytesDownloaded - before.bytesDownloaded,
        created: emulator.entries().filter((e) => e.committed).length - commits,
        code: `pulled ${main.outputs['pulled-images']}, cache-hit ${main.outputs['cache-hit']}`,
      };
      rows.push(row);
      console.log(
        `${title.padEnd(32)} uploaded ${mb(row.up).padStart(7)} MB  downloaded ${mb(row.down).padStart(7)} MB  entries created ${row.created}  (${row.code})`,
      );
      return row;
    };
    console.log(
      `\ncache bench: 12 images, ${mb(bytesOf(closure(listA)))} MB linux/amd64 (scale ${scale}); ${values.bundles ? `bundles ${values.bundles}` : 'src/ through tsx'}`,
    );
    await job('A cold', listA);
    const changed = await job('A after sshd moved to tag 2', listA2);
    const b = await job('B: 7 of them + 1 new', listB);
    const hit = await job('A again (a hit)', listA2);

    const moved = bytesOf(closures.get('sshd:2')!);
    const subset = bytesOf(closure(B_SUBSET.map((n) => `${n}:1`)));
    const distinct = bytesOf([...closure(listA), ...closure(listA2), ...closure(listB)]);
    const stored = emulator.entries().reduce((n, e) => n + e.size, 0);
    const ratio = (x: number, of: number) => x / of;
    const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    const goals = [
      [
        `after the change: uploaded ${mb(changed.up)} MB, the moved image ${mb(moved)} MB`,
        ratio(changed.up, moved),
      ],
      [`B: downloaded ${mb(b.down)} MB, its subset ${mb(subset)} MB`, ratio(b.down, subset)],
      [
        `storage: ${mb(stored)} MB in ${emulator.entries().length} entries, distinct content ${mb(distinct)} MB`,
        ratio(stored, distinct),
      ],
    ] as const;
    let ok = true;
    console.log('');
    for (const [what, r] of goals) {
      ok &&= r <= GOAL;
      console.log(`  ${what}: ${r.toFixed(2)}×   goal ≤ ${GOAL}×   ${pass(r <= GOAL)}`);
    }
    ok &&= hit.up === 0;
    console.log(`  a hit uploads ${mb(hit.up)} MB   goal 0   ${pass(hit.up === 0)}`);
    return ok ? 0 : 1;
  } finally {
    await emulator.stop();
    await registry.stop();
    if (values.keep) console.log(`kept ${work} and ${runner.root}`);
    else {
      await runner.remove();
      await rm(work, { recursive: true, force: true });
    }
  }
}
