import type { Layout } from '../layout/layout.js';
import { digestAlgorithm, digestHex, shortDigest, type Digest } from '../oci/digest.js';
import {
  parseIndex,
  parseManifest,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from '../oci/descriptor.js';
import { Annotation, isIndexMediaType, isManifestMediaType, MAX_MANIFEST_BYTES } from '../oci/mediatypes.js';
import { formatPlatform, isUnknownPlatform, normalizePlatform, type Platform } from '../oci/platform.js';
import { sizeDetail, type Finding, type ImageStatus, type PlatformStatus } from './findings.js';
import type { BlobFile, Hasher, ScanResult } from './scan.js';

type Verdict = 'ok' | 'missing' | 'corrupt';

/**
 * Walks the graph from index.json entries over a scan of blobs/: checks every descriptor
 * against the blob it names, parses manifests and indexes, and tells per image and platform
 * whether linuxkit could build from it. Records findings; changes nothing.
 */
export class GraphWalker {
  readonly findings = new Map<string, Finding>();
  readonly reachable = new Set<Digest>();
  private readonly verdicts = new Map<Digest, Verdict>();
  private readonly documents = new Map<Digest, ImageIndex | ImageManifest | Error>();

  constructor(
    private readonly layout: Layout,
    private readonly scan: ScanResult,
    private readonly hasher: Hasher,
  ) {}

  /** Status of one index.json entry. `bad` is true when any present part of it is wrong. */
  async walkImage(name: string, root: Descriptor): Promise<{ status: ImageStatus; bad: boolean }> {
    const ctx: ImageContext = { name, bytes: new Set(), bad: false, problems: [] };
    const platforms: Record<string, PlatformStatus> = {};
    const rootVerdict = await this.check(root, ctx, 'index.json');
    if (rootVerdict !== 'ok') {
      ctx.bad = true;
      ctx.problems.push(`${isIndexMediaType(root.mediaType) ? 'index' : 'manifest'} blob ${rootVerdict}`);
    } else if (isIndexMediaType(root.mediaType)) {
      await this.walkIndex(root, ctx, platforms);
    } else {
      const ok = await this.walkManifest(root, ctx);
      if (!ok) ctx.bad = true;
      const platform = (await this.configPlatform(root)) ?? root.platform;
      platforms[platform ? formatPlatform(platform) : 'unknown'] = ok ? 'complete' : 'broken';
    }
    const size = [...ctx.bytes].reduce((sum, d) => sum + (this.scan.blobs.get(d)?.size ?? 0), 0);
    return {
      status: {
        name,
        digest: root.digest,
        mediaType: root.mediaType,
        platforms,
        size,
        ...(ctx.problems.length ? { problem: ctx.problems.join('; ') } : {}),
      },
      bad: ctx.bad,
    };
  }

  /** Platform manifests of an index (recursing into nested indexes), each with its attestations. */
  private async walkIndex(
    desc: Descriptor,
    ctx: ImageContext,
    platforms: Record<string, PlatformStatus>,
  ): Promise<void> {
    const index = (await this.document(desc)) as ImageIndex;
    const attestations = index.manifests.filter(isAttestation);
    for (const child of index.manifests) {
      if (isAttestation(child)) continue;
      if (isIndexMediaType(child.mediaType)) {
        if ((await this.check(child, ctx, `index ${shortDigest(desc.digest)}`)) === 'ok') {
          await this.walkIndex(child, ctx, platforms);
        } else ctx.bad = true;
        continue;
      }
      const key = child.platform ? formatPlatform(child.platform) : `unknown ${shortDigest(child.digest)}`;
      if (!this.scan.blobs.has(child.digest)) {
        platforms[key] ??= 'absent';
        continue;
      }
      let ok = await this.walkManifest(child, ctx);
      for (const att of attestations.filter(
        (a) => a.annotations?.[Annotation.DockerReferenceDigest] === child.digest,
      )) {
        ok = (await this.walkManifest(att, ctx)) && ok;
      }
      if (!ok) ctx.bad = true;
      platforms[key] = ok ? 'complete' : 'broken';
    }
    // Attestations whose platform is not cached: walked only when present, so that what we
    // keep is whole; a broken one makes the entry unusable.
    for (const att of attestations) {
      const ref = att.annotations?.[Annotation.DockerReferenceDigest];
      const subjectPresent = index.manifests.some((m) => m.digest === ref && this.scan.blobs.has(m.digest));
      if (subjectPresent || !this.scan.blobs.has(att.digest)) continue;
      if (!(await this.walkManifest(att, ctx))) {
        ctx.bad = true;
        ctx.problems.push(`attestation ${shortDigest(att.digest)} broken`);
      }
    }
  }

  /** A manifest, its config and layers. Absent non-distributable layers (with `urls`) are allowed. */
  private async walkManifest(desc: Descriptor, ctx: ImageContext): Promise<boolean> {
    if ((await this.check(desc, ctx, 'index')) !== 'ok') return false;
    if (isIndexMediaType(desc.mediaType)) {
      const nested: Record<string, PlatformStatus> = {};
      await this.walkIndex(desc, ctx, nested);
      return Object.values(nested).every((s) => s !== 'broken');
    }
    const manifest = (await this.document(desc)) as ImageManifest;
    let ok = (await this.check(manifest.config, ctx, `manifest ${shortDigest(desc.digest)}`)) === 'ok';
    for (const layer of manifest.layers) {
      if (layer.urls?.length && !this.scan.blobs.has(layer.digest)) continue;
      ok = (await this.check(layer, ctx, `manifest ${shortDigest(desc.digest)}`)) === 'ok' && ok;
    }
    return ok;
  }

  /** Checks one descriptor against its blob, once per digest; parses it if it is a manifest or index. */
  private async check(desc: Descriptor, ctx: ImageContext, parent: string): Promise<Verdict> {
    let verdict = this.verdicts.get(desc.digest);
    if (verdict === undefined) {
      verdict = await this.judge(desc, parent);
      this.verdicts.set(desc.digest, verdict);
    }
    if (verdict === 'ok') {
      this.reachable.add(desc.digest);
      ctx.bytes.add(desc.digest);
    } else {
      const f = this.findings.get(`blob:${desc.digest}`);
      if (f && !f.images?.includes(ctx.name)) (f.images ??= []).push(ctx.name);
    }
    return verdict;
  }

  private async judge(desc: Descriptor, parent: string): Promise<Verdict> {
    const blob = this.scan.blobs.get(desc.digest);
    const path = this.layout.relative(this.layout.blobPath(desc.digest));
    const record = (kind: 'corrupt' | 'missing', detail: string) => {
      this.findings.set(`blob:${desc.digest}`, { kind, digest: desc.digest, path, detail, action: 'kept' });
    };
    if (!blob) {
      record('missing', `missing: ${desc.size} bytes referenced by ${parent}`);
      return 'missing';
    }
    if (blob.size !== desc.size && blob.hashOk === undefined) await this.hashOne(blob);
    if (blob.hashOk === false) {
      record(
        'corrupt',
        blob.size !== desc.size
          ? sizeDetail(blob.size, desc.size)
          : `same size, content differs (hashes to ${digestAlgorithm(blob.digest)}:${blob.actualHex?.slice(0, 12)}…)`,
      );
      return 'corrupt';
    }
    if (blob.size !== desc.size) {
      // The blob is what its name says; the descriptor pointing at it is what is wrong.
      record('corrupt', `valid blob of ${blob.size} bytes, but ${parent} declares ${desc.size}`);
      return 'corrupt';
    }
    if (isIndexMediaType(desc.mediaType) || isManifestMediaType(desc.mediaType)) {
      const doc = await this.document(desc);
      if (doc instanceof Error) {
        if (blob.hashOk === undefined) await this.hashOne(blob);
        record(
          'corrupt',
          hashMismatch(blob)
            ? `unparseable: ${doc.message} (content does not match its digest)`
            : `valid blob, but not a usable ${isIndexMediaType(desc.mediaType) ? 'index' : 'manifest'}: ${doc.message}`,
        );
        return 'corrupt';
      }
    }
    return 'ok';
  }

  /** In `size` mode, a blob is hashed before we call it wrong: only proven-wrong blobs are deleted. */
  private async hashOne(blob: BlobFile): Promise<void> {
    const [outcome] = await this.hasher.hashFiles([
      { path: blob.path, algorithm: digestAlgorithm(blob.digest), size: blob.size },
    ]);
    if (outcome?.ok) {
      blob.hashOk = outcome.hex === digestHex(blob.digest);
      if (!blob.hashOk) blob.actualHex = outcome.hex;
    }
  }

  private async document(desc: Descriptor): Promise<ImageIndex | ImageManifest | Error> {
    let doc = this.documents.get(desc.digest);
    if (!doc) {
      try {
        const bytes = await this.layout.readBlob(desc.digest, MAX_MANIFEST_BYTES);
        doc = isIndexMediaType(desc.mediaType)
          ? parseIndex(bytes, 'index')
          : parseManifest(bytes, 'manifest');
      } catch (err) {
        doc = err instanceof Error ? err : new Error(String(err));
      }
      this.documents.set(desc.digest, doc);
    }
    return doc;
  }

  /** os/architecture/variant from an image config, when it parses. */
  private async configPlatform(desc: Descriptor): Promise<Platform | undefined> {
    const manifest = await this.document(desc);
    if (manifest instanceof Error || !('config' in manifest)) return undefined;
    try {
      const config = JSON.parse(
        (await this.layout.readBlob(manifest.config.digest, MAX_MANIFEST_BYTES)).toString('utf8'),
      ) as Record<string, unknown>;
      if (typeof config.os !== 'string' || typeof config.architecture !== 'string') return undefined;
      const variant = typeof config.variant === 'string' ? config.variant : undefined;
      return normalizePlatform({
        os: config.os,
        architecture: config.architecture,
        ...(variant ? { variant } : {}),
      });
    } catch {
      return undefined;
    }
  }
}

/** Read through a function so the compiler does not carry narrowing across awaits that hash. */
function hashMismatch(blob: BlobFile): boolean {
  return blob.hashOk === false;
}

interface ImageContext {
  name: string;
  bytes: Set<Digest>;
  bad: boolean;
  problems: string[];
}

/** A buildkit attestation manifest: platform unknown/unknown, pointing at the manifest it describes. */
export function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.[Annotation.DockerReferenceType] === 'attestation-manifest' ||
    (isUnknownPlatform(d.platform) && d.annotations?.[Annotation.DockerReferenceDigest] !== undefined)
  );
}
