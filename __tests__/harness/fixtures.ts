// Small but real images: built with umoci, indexes and attestations written by hand, pushed to
// and pulled from the real registry with skopeo. Self-contained on purpose: the harness is an
// oracle for src/, so it does not import it.
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir, removeTempDir, run, runChecked } from './proc.js';
import { startRegistry, type Registry } from './registry.js';

/** Media types the fixtures write (the harness keeps its own copy: it must not trust src/oci). */
export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

const REF_NAME = 'org.opencontainers.image.ref.name';

/** A descriptor as written in the fixtures (digest is a plain `sha256:<hex>` string). */
export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

/** One platform's image: manifest, config, layers, and the attestation manifests describing it. */
export interface PlatformImage {
  platform: { os: string; architecture: string };
  manifest: Desc;
  config: Desc;
  layers: Desc[];
  attestations: { manifest: Desc; config: Desc; layers: Desc[] }[];
}

/** A tagged image in a layout: its index.json entry and everything it references. */
export interface FixtureImage {
  /** The `org.opencontainers.image.ref.name` of its index.json entry. */
  name: string;
  /** The index.json entry (an index, a manifest list, or a single manifest). */
  entry: Desc;
  platforms: PlatformImage[];
}

// ---------------------------------------------------------------------------------------------
// Layout plumbing (build side only)

interface IndexJson {
  schemaVersion: number;
  mediaType?: string;
  manifests: Desc[];
}

const blobFile = (dir: string, digest: string): string => path.join(dir, 'blobs', ...digest.split(':'));

async function readIndexJson(dir: string): Promise<IndexJson> {
  return JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as IndexJson;
}

async function readJsonBlob<T>(dir: string, d: Desc): Promise<T> {
  return JSON.parse(await readFile(blobFile(dir, d.digest), 'utf8')) as T;
}

/** Writes bytes as a blob of the layout and returns their digest and size. */
async function writeBlob(dir: string, mediaType: string, bytes: Buffer | string): Promise<Desc> {
  const buf = Buffer.from(bytes);
  const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
  await writeFile(blobFile(dir, digest), buf);
  return { mediaType, digest, size: buf.length };
}

const writeJsonBlob = (dir: string, mediaType: string, doc: unknown): Promise<Desc> =>
  writeBlob(dir, mediaType, JSON.stringify(doc));

/** Points `tag` at `desc` in index.json, replacing any entry of that name. */
async function setTag(dir: string, tag: string, desc: Desc): Promise<void> {
  const index = await readIndexJson(dir);
  index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
  index.manifests.push({ ...desc, annotations: { ...desc.annotations, [REF_NAME]: tag } });
  await writeFile(path.join(dir, 'index.json'), JSON.stringify(index));
}

/** Makes `dir` (existing and empty, or absent) an empty OCI layout; leaves a layout alone. */
async function ensureLayout(dir: string): Promise<void> {
  const exists = (f: string) =>
    readFile(path.join(dir, f)).then(
      () => true,
      () => false,
    );
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  if (!(await exists('oci-layout'))) {
    await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }
  if (!(await exists('index.json'))) {
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [] }));
  }
}

const PLATFORM_UNKNOWN = { os: 'unknown', architecture: 'unknown' };

/**
 * Reads a tagged image out of a layout: follows an index or manifest list to its platform
 * manifests, and attaches attestation manifests (unknown/unknown with
 * `vnd.docker.reference.digest`) to the platform they describe.
 */
export async function describeImage(dir: string, name: string): Promise<FixtureImage> {
  const entry = (await readIndexJson(dir)).manifests.find((m) => m.annotations?.[REF_NAME] === name);
  if (!entry) throw new Error(`describeImage: no index.json entry named ${name} in ${dir}`);
  const readManifest = async (d: Desc) => {
    const m = await readJsonBlob<{ config: Desc; layers: Desc[] }>(dir, d);
    return { manifest: d, config: m.config, layers: m.layers };
  };
  if (entry.mediaType !== MT.ociIndex && entry.mediaType !== MT.dockerList) {
    const img = await readManifest(entry);
    const cfg = await readJsonBlob<{ os: string; architecture: string }>(dir, img.config);
    const platform = { os: cfg.os, architecture: cfg.architecture };
    return { name, entry, platforms: [{ platform, ...img, attestations: [] }] };
  }
  const children = (await readJsonBlob<IndexJson>(dir, entry)).manifests;
  const isAttestation = (d: Desc) => d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
  const platforms: PlatformImage[] = [];
  for (const d of children.filter((c) => !isAttestation(c))) {
    const platform = { os: d.platform?.os ?? '', architecture: d.platform?.architecture ?? '' };
    platforms.push({ platform, ...(await readManifest(d)), attestations: [] });
  }
  for (const d of children.filter(isAttestation)) {
    const target = platforms.find(
      (p) => p.manifest.digest === d.annotations?.['vnd.docker.reference.digest'],
    );
    if (!target) throw new Error(`describeImage: attestation ${d.digest} refers to no platform of ${name}`);
    target.attestations.push(await readManifest(d));
  }
  return { name, entry, platforms };
}

// ---------------------------------------------------------------------------------------------
// Building

export interface BuildImageOptions {
  /** The tag (index.json ref name) to create or replace in the layout. */
  tag: string;
  /** Default 'linux'. */
  os?: string;
  /** Default 'amd64'. */
  architecture?: string;
  /** One layer per entry: a file of this many random bytes (gzip leaves random data its size). */
  layers?: number[];
}

/** What buildImage made: the manifest (tagged in index.json), its config and layers. */
export interface BuiltImage {
  tag: string;
  manifest: Desc;
  config: Desc;
  layers: Desc[];
}

/**
 * Builds a single-platform OCI image with umoci into the layout at `dir` (created if absent or empty):
 * `umoci new`, `umoci config --os --architecture`, then one `umoci insert` per layer.
 */
export async function buildImage(dir: string, opts: BuildImageOptions): Promise<BuiltImage> {
  await ensureLayout(dir);
  const image = `${dir}:${opts.tag}`;
  await runChecked('umoci', ['new', '--image', image]);
  await runChecked('umoci', [
    'config', '--no-history', '--image', image,
    '--os', opts.os ?? 'linux', '--architecture', opts.architecture ?? 'amd64',
  ]); // prettier-ignore
  const staging = await makeTempDir('layer');
  try {
    for (const [i, size] of (opts.layers ?? [512, 1024]).entries()) {
      const file = path.join(staging, `layer-${i}.bin`);
      await writeFile(file, randomBytes(size));
      // With a history entry per layer, as docker tools expect (umoci warns without one).
      await runChecked('umoci', ['insert', '--rootless', '--image', image, file, `/data/layer-${i}.bin`]);
    }
  } finally {
    await removeTempDir(staging);
  }
  const manifest = (await readIndexJson(dir)).manifests.find((m) => m.annotations?.[REF_NAME] === opts.tag);
  if (!manifest) throw new Error(`buildImage: umoci left no ${opts.tag} in ${dir}/index.json`);
  const { annotations: _, ...bare } = manifest;
  const m = await readJsonBlob<{ config: Desc; layers: Desc[] }>(dir, bare);
  return { tag: opts.tag, manifest: bare, config: m.config, layers: m.layers };
}

export interface MultiArchOptions {
  /** The tag to point at the new index. */
  tag: string;
  /**
   * 'oci' (default): an OCI index plus one buildkit-style attestation manifest per platform.
   * 'docker': a Docker manifest list of schema 2 manifests, no attestations (buildkit only
   * attaches attestations to OCI indexes).
   */
  format?: 'oci' | 'docker';
  /** Default: linux/amd64 and linux/arm64, each with layers [512, 1024]. */
  platforms?: { architecture: string; os?: string; layers?: number[] }[];
}

/** What buildMultiArchIndex made: the index (tagged in index.json) and what it points at. */
export interface BuiltIndex {
  tag: string;
  index: Desc;
  platforms: PlatformImage[];
}

/** A buildkit-like SBOM attestation: an in-toto statement whose subject is the platform manifest. */
async function writeAttestation(dir: string, tag: string, p: PlatformImage): Promise<Desc> {
  const statement = {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://spdx.dev/Document',
    subject: [
      {
        name: `pkg:docker/oci-cache-guard/fixture@${tag}?platform=${p.platform.os}%2F${p.platform.architecture}`,
        digest: { sha256: p.manifest.digest.slice('sha256:'.length) },
      },
    ],
    predicate: { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: `sbom-${tag}`, packages: [] },
  };
  const layer = {
    ...(await writeJsonBlob(dir, MT.inToto, statement)),
    annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' },
  };
  const config = await writeJsonBlob(dir, MT.ociConfig, {
    architecture: 'unknown',
    os: 'unknown',
    config: {},
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const manifest = await writeJsonBlob(dir, MT.ociManifest, {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config,
    layers: [layer],
  });
  p.attestations.push({ manifest, config, layers: [layer] });
  return {
    ...manifest,
    annotations: {
      'vnd.docker.reference.digest': p.manifest.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    },
    platform: PLATFORM_UNKNOWN,
  };
}

/** The same image as Docker schema 2: same config and layer bytes, Docker media types. */
async function toDockerManifest(dir: string, img: BuiltImage): Promise<BuiltImage> {
  const config = { ...img.config, mediaType: MT.dockerConfig };
  const layers = img.layers.map((l) => ({ mediaType: MT.dockerLayerGzip, digest: l.digest, size: l.size }));
  const doc = { schemaVersion: 2, mediaType: MT.dockerManifest, config, layers };
  return { tag: img.tag, manifest: await writeJsonBlob(dir, MT.dockerManifest, doc), config, layers };
}

/**
 * Builds one image per platform with umoci, then writes (by hand, sha256 via node:crypto) the
 * attestation manifests and the index or manifest list, and tags it in index.json: the
 * layout gains exactly one index.json entry, `tag`.
 */
export async function buildMultiArchIndex(dir: string, opts: MultiArchOptions): Promise<BuiltIndex> {
  const format = opts.format ?? 'oci';
  const wanted = opts.platforms ?? [{ architecture: 'amd64' }, { architecture: 'arm64' }];
  await ensureLayout(dir);
  // umoci is I/O bound and not safe on one layout concurrently: build each platform in a
  // layout of its own, in parallel, then move its blobs over.
  const platforms = await Promise.all(
    wanted.map(async (w): Promise<PlatformImage> => {
      const os = w.os ?? 'linux';
      const own = await makeTempDir('platform');
      try {
        let img = await buildImage(own, {
          tag: 'img',
          os,
          architecture: w.architecture,
          layers: w.layers ?? [512, 1024],
        });
        for (const hex of await readdir(path.join(own, 'blobs', 'sha256'))) {
          await cp(path.join(own, 'blobs', 'sha256', hex), path.join(dir, 'blobs', 'sha256', hex));
        }
        if (format === 'docker') img = await toDockerManifest(dir, img);
        const { manifest, config, layers } = img;
        return { platform: { os, architecture: w.architecture }, manifest, config, layers, attestations: [] };
      } finally {
        await removeTempDir(own);
      }
    }),
  );
  const children: Desc[] = platforms.map((p) => ({ ...p.manifest, platform: p.platform }));
  if (format === 'oci') {
    for (const p of platforms) children.push(await writeAttestation(dir, opts.tag, p));
  }
  const mediaType = format === 'oci' ? MT.ociIndex : MT.dockerList;
  const index = await writeJsonBlob(dir, mediaType, { schemaVersion: 2, mediaType, manifests: children });
  await setTag(dir, opts.tag, index);
  return { tag: opts.tag, index, platforms };
}

// ---------------------------------------------------------------------------------------------
// Moving images with skopeo

const credsArgs = (flag: string, r: Registry): string[] =>
  r.credentials ? [flag, `${r.credentials.user}:${r.credentials.password}`] : [];

const isDockerType = (mediaType: string): boolean =>
  mediaType === MT.dockerList || mediaType === MT.dockerManifest;
const hexOf = (digest: string): string => digest.slice('sha256:'.length);

/**
 * skopeo's `oci:` transport (containers/image 5.23) reads and writes OCI media types only, so
 * Docker-typed images cross through its `dir:` transport instead: `manifest.json` (the top
 * manifest), `<hex>.manifest.json` per instance of a list, `<hex>` per blob, and `version`.
 */
async function layoutToDir(layoutDir: string, entry: Desc, dirPath: string): Promise<void> {
  await mkdir(dirPath, { recursive: true });
  await writeFile(path.join(dirPath, 'version'), 'Directory Transport Version: 1.1\n');
  const put = (d: Desc, file: string) => cp(blobFile(layoutDir, d.digest), path.join(dirPath, file));
  const putImage = async (m: Desc, file: string) => {
    await put(m, file);
    const doc = await readJsonBlob<{ config: Desc; layers: Desc[] }>(layoutDir, m);
    for (const b of [doc.config, ...doc.layers]) await put(b, hexOf(b.digest));
  };
  if (entry.mediaType !== MT.dockerList) return putImage(entry, 'manifest.json');
  await put(entry, 'manifest.json');
  for (const m of (await readJsonBlob<IndexJson>(layoutDir, entry)).manifests) {
    await putImage(m, `${hexOf(m.digest)}.manifest.json`);
  }
}

/** The reverse of layoutToDir: files of a skopeo `dir:` copy become blobs plus an index.json entry. */
async function dirToLayout(dirPath: string, layoutDir: string, name: string): Promise<void> {
  await ensureLayout(layoutDir);
  for (const file of await readdir(dirPath)) {
    if (file === 'version' || file === 'manifest.json') continue;
    const bytes = await readFile(path.join(dirPath, file));
    await writeBlob(layoutDir, '', bytes);
  }
  const top = await readFile(path.join(dirPath, 'manifest.json'));
  const { mediaType } = JSON.parse(top.toString('utf8')) as { mediaType?: string };
  await setTag(layoutDir, name, await writeBlob(layoutDir, mediaType ?? MT.ociManifest, top));
}

/**
 * Pushes layout tag `tag` to `HOST/REPO:TAG` with `skopeo copy --all --preserve-digests`,
 * using the registry's credentials if it has any (REPO defaults to `test/fixture`). Docker-typed
 * tags go through a `dir:` staging copy (see layoutToDir). Returns the reference and top digest.
 */
export async function pushFixture(
  layoutDir: string,
  tag: string,
  registry: Registry,
  opts: { repo?: string } = {},
): Promise<{ ref: string; digest: string }> {
  const ref = `${registry.host}/${opts.repo ?? 'test/fixture'}:${tag}`;
  const entry = (await readIndexJson(layoutDir)).manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (!entry) throw new Error(`pushFixture: no tag ${tag} in ${layoutDir}`);
  const staging = isDockerType(entry.mediaType) ? await makeTempDir('push') : undefined;
  try {
    if (staging) await layoutToDir(layoutDir, entry, staging);
    await runChecked('skopeo', [
      'copy', '--quiet', '--all', '--preserve-digests', '--dest-tls-verify=false',
      ...credsArgs('--dest-creds', registry), staging ? `dir:${staging}` : `oci:${layoutDir}:${tag}`, `docker://${ref}`,
    ]); // prettier-ignore
  } finally {
    if (staging) await removeTempDir(staging);
  }
  return { ref, digest: entry.digest };
}

/**
 * Pulls `ref` (`repo:tag` or `repo@digest`, relative to the registry, or already prefixed by
 * its host) into the OCI layout `cacheDir` with `skopeo copy --all --preserve-digests`, as an
 * index.json entry named `name` (default: the full reference, `127.0.0.1:PORT/repo:tag`) whose
 * descriptor is exactly what the registry served. skopeo splits `oci:DIR:NAME` at the first
 * ':', so names with ':', '/' and '@' are written verbatim; `cacheDir` must not contain ':'.
 * A Docker-typed image (which skopeo's `oci:` writer would have to convert) is copied to a
 * `dir:` first and laid out here, byte for byte.
 */
export async function pullToLayout(
  registry: Registry,
  ref: string,
  cacheDir: string,
  name?: string,
): Promise<Desc> {
  if (cacheDir.includes(':'))
    throw new Error(`pullToLayout: skopeo cannot address a layout path with ':' (${cacheDir})`);
  const full = ref.startsWith(`${registry.host}/`) ? ref : `${registry.host}/${ref}`;
  const entryName = name ?? full;
  const copy = (dest: string) =>
    run('skopeo', [
      'copy', '--quiet', '--all', '--preserve-digests', '--src-tls-verify=false',
      ...credsArgs('--src-creds', registry), `docker://${full}`, dest,
    ]); // prettier-ignore
  const direct = await copy(`oci:${cacheDir}:${entryName}`);
  if (direct.code !== 0) {
    if (!/must be converted/.test(direct.stderr)) {
      throw new Error(`pullToLayout: skopeo copy ${full} failed: ${direct.stderr.trim()}`);
    }
    const staging = await makeTempDir('pull');
    try {
      const viaDir = await copy(`dir:${staging}`);
      if (viaDir.code !== 0)
        throw new Error(`pullToLayout: skopeo copy ${full} failed: ${viaDir.stderr.trim()}`);
      await dirToLayout(staging, cacheDir, entryName);
    } finally {
      await removeTempDir(staging);
    }
  }
  const entry = (await readIndexJson(cacheDir)).manifests.find(
    (m) => m.annotations?.[REF_NAME] === entryName,
  );
  if (!entry) throw new Error(`pullToLayout: no index.json entry named ${entryName} after the copy`);
  return entry;
}

/** The outcome of `skopeo inspect oci:DIR:NAME`. */
export interface InspectResult {
  ok: boolean;
  /** stdout on success (JSON), stderr otherwise. */
  output: string;
}

/**
 * `skopeo inspect oci:DIR:NAME`: an independent reader's verdict on a layout we wrote. For an
 * index it inspects the `arch` platform (default: skopeo's, i.e. the host's); `raw` prints the
 * manifest bytes instead.
 */
export async function skopeoInspect(
  layoutDir: string,
  name: string,
  opts: { raw?: boolean; arch?: string } = {},
): Promise<InspectResult> {
  const args = [
    'inspect',
    ...(opts.raw ? ['--raw'] : []),
    ...(opts.arch ? ['--override-arch', opts.arch] : []),
  ];
  const r = await run('skopeo', [...args, `oci:${layoutDir}:${name}`]);
  return { ok: r.code === 0, output: r.code === 0 ? r.stdout : r.stderr.trim() };
}

/**
 * `umoci unpack --rootless` of a single-manifest entry into `bundleDir` (its files end up under
 * `bundleDir/rootfs`): proof that an image unpacks. umoci 0.4.7 cannot pick a platform out of
 * an index ("tag is ambiguous"), so `name` must point at a manifest.
 */
export async function umociUnpack(
  layoutDir: string,
  name: string,
  bundleDir: string,
): Promise<InspectResult> {
  const r = await run('umoci', ['unpack', '--rootless', '--image', `${layoutDir}:${name}`, bundleDir]);
  return { ok: r.code === 0, output: (r.code === 0 ? r.stdout : r.stderr).trim() };
}

// ---------------------------------------------------------------------------------------------
// The ready-made cache

/** index.json names in makeCache(); `.invalid` so nothing can ever try to reach them. */
export const FIXTURE_NAMES = {
  /** OCI index: linux/amd64 (layers 200 KiB, 512 B, 1 KiB) and linux/arm64, each with an attestation. */
  multi: 'registry.invalid/ocg/multi:1.0',
  /** Single OCI manifest, linux/amd64, layers 2 KiB and 256 B. */
  single: 'registry.invalid/ocg/single:1.0',
  /** Docker manifest list of schema 2 manifests: linux/amd64 and linux/arm64, one layer each. */
  docker: 'registry.invalid/ocg/docker-multi:1.0',
} as const;

/** A fresh copy of the fixture cache; see makeCache(). */
export interface FixtureCache {
  /** The layout directory (oci-layout, index.json, blobs/sha256/…); yours to break. */
  dir: string;
  images: Record<keyof typeof FIXTURE_NAMES, FixtureImage>;
  /** The one big layer (200 KiB, in multi's linux/amd64 image). */
  bigLayer: Desc;
  /** Every blob digest in the layout (all reachable from index.json; none shared by two images). */
  blobs: string[];
  /** Deletes `dir` (also done at process exit). */
  remove(): Promise<void>;
}

interface Pristine {
  dir: string;
  images: FixtureCache['images'];
  bigLayer: Desc;
  blobs: string[];
}

let pristine: Promise<Pristine> | undefined;

/** Builds the three images, pushes them to a throwaway registry and pulls them back with skopeo. */
async function buildPristine(): Promise<Pristine> {
  const build = await makeTempDir('fixture-build');
  const dir = await makeTempDir('fixture-cache');
  const layouts = {
    multi: path.join(build, 'multi'),
    single: path.join(build, 'single'),
    docker: path.join(build, 'docker'),
  };
  const registry = startRegistry(); // starts while umoci builds
  let built: BuiltIndex;
  try {
    [built] = await Promise.all([
      buildMultiArchIndex(layouts.multi, {
        tag: 'multi',
        platforms: [
          { architecture: 'amd64', layers: [200 * 1024, 512, 1024] },
          { architecture: 'arm64', layers: [512, 1024] },
        ],
      }),
      buildImage(layouts.single, { tag: 'single', layers: [2048, 256] }),
      buildMultiArchIndex(layouts.docker, {
        tag: 'docker',
        format: 'docker',
        platforms: [
          { architecture: 'amd64', layers: [1024] },
          { architecture: 'arm64', layers: [768] },
        ],
      }),
    ]);
    const reg = await registry;
    const keys = Object.keys(layouts) as (keyof typeof layouts)[];
    const pushed = await Promise.all(keys.map((k) => pushFixture(layouts[k], k, reg)));
    // One skopeo at a time: concurrent writers would race on index.json.
    for (const [i, k] of keys.entries()) await pullToLayout(reg, pushed[i]!.ref, dir, FIXTURE_NAMES[k]);
  } finally {
    await registry.then(
      (r) => r.stop(),
      () => undefined,
    );
    await removeTempDir(build);
  }
  const images = {
    multi: await describeImage(dir, FIXTURE_NAMES.multi),
    single: await describeImage(dir, FIXTURE_NAMES.single),
    docker: await describeImage(dir, FIXTURE_NAMES.docker),
  };
  const bigLayer = images.multi.platforms[0]!.layers[0]!;
  if (bigLayer.digest !== built.platforms[0]!.layers[0]!.digest)
    throw new Error('makeCache: big layer changed on the way');
  const blobs = (await readdir(path.join(dir, 'blobs', 'sha256'))).map((h) => `sha256:${h}`).sort();
  return { dir, images, bigLayer, blobs };
}

/**
 * A fresh, populated cache layout (a copy per call; the images are built, pushed through a
 * real registry and pulled back once per test process, ~1-2 s the first time, a few ms after):
 * index.json holds FIXTURE_NAMES.multi, .single and .docker.
 */
export async function makeCache(): Promise<FixtureCache> {
  pristine ??= buildPristine();
  const p = await pristine;
  const dir = await makeTempDir('cache');
  await cp(p.dir, dir, { recursive: true, preserveTimestamps: true });
  const { images, bigLayer, blobs } = structuredClone(p);
  return { dir, images, bigLayer, blobs, remove: () => removeTempDir(dir) };
}
