// Issue 8 item 14: a cache this user may not write to can be validated (even with --repair
// when nothing needs repair), listed, pruned with --dry-run and pulled from when complete;
// a write that is needed and refused is one line naming the directory.
//
// Permissions are enforced only for a non-root user: as root (CI containers) the CLI runs as
// `nobody` through setpriv(1) (util-linux, in every Debian); the test is skipped, saying so,
// only when it runs as root and setpriv is missing.
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlatform } from '../../src/oci/platform.js';
import { parseReference } from '../../src/oci/reference.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const NOBODY = 65534;
const REF = '127.0.0.1:1/ro/image:1'; // port 1: a pull that asked the registry would fail

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const isRoot = process.getuid?.() === 0;
const skip =
  isRoot && !hasSetpriv()
    ? 'running as root without setpriv(1): cannot drop to a user that permissions bind'
    : '';

/** Node (with tsx, in the repository) as a user the permissions apply to. */
function nodeAsUser(nodeArgs: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const node = [process.execPath, '--import', 'tsx', ...nodeArgs];
  const [cmd, ...args] = isRoot
    ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...node]
    : node;
  return new Promise((resolve) => {
    execFile(
      cmd!,
      args,
      { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: '/nonexistent', LINUXKIT_CACHE: '' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** The CLI as a user the permissions apply to. */
const cliAsUser = (argv: string[]) => nodeAsUser(['src/cli/index.ts', ...argv]);

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Writes a blob; returns its descriptor. */
async function blob(dir: string, mediaType: string, bytes: Buffer) {
  const hex = sha256(bytes);
  await writeFile(path.join(dir, 'blobs', 'sha256', hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

/** A complete one-platform image for the host, named REF, plus an unreferenced blob. */
async function makeCache(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const platform = hostPlatform();
  const layer = await blob(dir, 'application/vnd.oci.image.layer.v1.tar', randomBytes(2000));
  const config = await blob(
    dir,
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(
      JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }),
    ),
  );
  const manifest = await blob(
    dir,
    'application/vnd.oci.image.manifest.v1+json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [layer],
      }),
    ),
  );
  await blob(dir, 'application/octet-stream', Buffer.from('nothing needs me'));
  const name = parseReference(REF).name;
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': name } }],
    }),
  );
}

async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const s = await lstat(path.join(root, rel));
    if (s.isDirectory()) {
      out.push(`${rel}/`);
      for (const name of (await readdir(path.join(root, rel))).sort()) await walk(path.join(rel, name));
    } else out.push(`${rel} ${sha256(await readFile(path.join(root, rel)))}`);
  };
  await walk('.');
  return out;
}

async function makeReadOnly(dir: string): Promise<void> {
  const s = await lstat(dir);
  if (s.isDirectory()) for (const name of await readdir(dir)) await makeReadOnly(path.join(dir, name));
  await chmod(dir, s.mode & 0o555);
}

describe.skipIf(skip !== '')(`a read-only cache${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let root: string;
  let clean: string;
  let damaged: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ocg-ro-'));
    await chmod(root, 0o755); // nobody must reach the caches inside
    clean = path.join(root, 'clean');
    await makeCache(clean);
    // A copy with a blob whose content does not match its name: repair must delete it.
    damaged = path.join(root, 'damaged');
    await cp(clean, damaged, { recursive: true });
    await writeFile(path.join(damaged, 'blobs', 'sha256', sha256('x')), 'not x');
    await makeReadOnly(clean);
    await makeReadOnly(damaged);
  });
  afterAll(async () => {
    if (!root) return;
    execFileSync('chmod', ['-R', 'u+w', root]);
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['validate', [], /cache is consistent/],
    ['validate --repair (nothing to repair)', ['--repair'], /cache is consistent/],
    ['ls', [], new RegExp(`${parseReference(REF).name}`)],
    ['prune --dry-run', ['--dry-run'], /would delete 1 file/],
    ['pull of an image already cached', [REF], /: cached \(\d+ blobs verified\)/],
  ] as const)('%s works and writes nothing', async (title, extra, stdout) => {
    const before = await snapshot(clean);
    const r = await cliAsUser([title.split(' ')[0]!, '--cache', clean, ...extra]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) as string });
    expect(r.stderr).not.toMatch(/EACCES|oci-cache-guard\.lock/);
    expect(r.stdout).toMatch(stdout);
    expect(await snapshot(clean)).toEqual(before);
  });

  it.each([
    ['validate --repair with a corrupt blob', ['validate', '--repair'], 'damaged'],
    ['prune', ['prune'], 'clean'],
  ] as const)('%s: one line naming the directory it cannot write to', async (_title, argv, which) => {
    const dir = which === 'clean' ? clean : damaged;
    const before = await snapshot(dir);
    const r = await cliAsUser([...argv, '--cache', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `oci-cache-guard ${argv[0]}: cannot write to ${dir}: permission denied; make it writable for this user, or use another cache directory\n`,
    );
    expect(await snapshot(dir)).toEqual(before);
  });

  // The download writers create their files in blobs/sha256 themselves, not through Layout's writes.
  it.each([
    ['BlobWriter', 'blob-writer'],
    ['RangedWriter', 'ranged-writer'],
  ] as const)('%s.open of a missing blob: one line naming blobs/sha256', async (writer, module) => {
    const before = await snapshot(clean);
    const descriptor = {
      mediaType: 'application/octet-stream',
      digest: `sha256:${sha256('absent')}`,
      size: 9,
    };
    const r = await nodeAsUser([
      '--input-type=module',
      '-e',
      `import { Layout } from './src/layout/layout.js';
       import { ${writer} } from './src/layout/${module}.js';
       const layout = Layout.at(${JSON.stringify(clean)});
       await ${writer}.open(layout, ${JSON.stringify(descriptor)}, { resume: true }).then(
         () => console.log('opened'),
         (err) => console.log(\`\${err.name}: \${err.message}\`),
       );`,
    ]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      `CannotWriteError: cannot write to ${path.join(clean, 'blobs', 'sha256')}: permission denied; make it writable for this user, or use another cache directory\n`,
    );
    expect(await snapshot(clean)).toEqual(before);
  });
});
