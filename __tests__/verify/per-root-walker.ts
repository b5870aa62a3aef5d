// The graph walk as it was before per-node summaries (commit 5b38f02, src/verify/walk.ts), kept
// verbatim but for its imports and its name: the oracle of walk.summary.test.ts. Each
// entry's summary walks everything below the entry again: right, and quadratic over shared
// subtrees. Do not fix or improve it; it is what the new walk must agree with where no subtree
// is shared.
import type { Layout } from '../../src/layout/layout.js';
import { digestAlgorithm, digestHex, shortDigest, type Digest } from '../../src/oci/digest.js';
import {
  indexFromJson,
  manifestFromJson,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from '../../src/oci/descriptor.js';
import { Annotation, isIndexMediaType, MAX_MANIFEST_BYTES } from '../../src/oci/mediatypes.js';
import {
  formatPlatform,
  isUnknownPlatform,
  normalizePlatform,
  type Platform,
} from '../../src/oci/platform.js';
import {
  sizeDetail,
  type Finding,
  type ImageStatus,
  type PlatformStatus,
} from '../../src/verify/findings.js';
import type { BlobFile, Hasher, ScanResult } from '../../src/verify/scan.js';

/** How a descriptor asks for its blob to be read: as an index, as a manifest, or as bytes. */
type Role = 'index' | 'manifest' | 'blob';

/**
 * One descriptor (role, size, digest) judged against its blob, once. Whether the blob's bytes
 * match its name is read from the scan when judging, so a blob proven wrong later in the walk
 * counts for every descriptor that named it.
 */
interface Check {
  digest: Digest;
  role: Role;
  /** Key of a finding about this descriptor alone (its blob may be valid): size, media type. */
  problem?: string;
}

/** An index that lists an index being walked above it. */
interface Cycle {
  key: string;
  detail: string;
}

/** A descriptor where it was found, with what was walked below it. */
interface Edge {
  check: Check;
  node?: Node;
  cycle?: Cycle;
  /** A nested index: its platforms count as its parent's. */
  nested?: boolean;
}

/** An index or manifest, walked once per role whatever the number of paths to it. */
interface Node {
  role: 'index' | 'manifest';
  /** Every descriptor it needs to be whole. */
  edges: Edge[];
  /**
   * Index: each platform it lists, with its manifest and the attestations describing that
   * manifest (one list per manifest, shared by every listing of it); no manifest: not cached.
   */
  platforms: { key: string; manifest?: Edge; attestations?: Edge[] }[];
  /** Index: attestations present whose subject is not; named when broken. */
  orphans: Edge[];
  /** Root manifest: os/architecture/variant from its config (null: none readable). */
  configPlatform?: Platform | null;
}

type Verdict = { ok: true } | { ok: false; kind: 'missing' | 'corrupt'; key: string };
const OK: Verdict = { ok: true };

/** What the walk did, for tests that its work stays linear in the distinct blobs. */
export interface WalkWork {
  /** Blobs read and parsed as JSON (indexes, manifests): once per digest. */
  documents: number;
  /** Distinct descriptors (role, size, digest) judged against their blob. */
  checks: number;
  /** Descriptors followed: entries of index.json and of each distinct document walked. */
  edges: number;
  /** Indexes and manifests walked: once per (digest, role). */
  nodes: number;
}

interface Summary {
  platforms: Record<string, PlatformStatus>;
  size: number;
  problem?: string;
  findings: Set<string>;
  bad: boolean;
}

/**
 * Walks the graph from index.json entries over a scan of blobs/ and tells per image and
 * platform whether linuxkit could build from it. Records findings; changes nothing.
 *
 * Hostile caches shape it: each (digest, role) is walked once however many paths lead to it
 * (nested indexes listing a child ten times are not exponential), an index listing one being
 * walked above it is a cycle finding (never a loop), and a blob's bytes are judged once while
 * each descriptor naming it is judged on its own (one digest may be named as a manifest and as
 * an index). First the graph is gathered, then judged, so that a blob proven wrong late in the
 * walk counts everywhere it is named; the judging is iterative, whatever the depth.
 */
export class PerRootWalker {
  /** Findings that some index.json entry reaches, with the entries' names. */
  readonly findings = new Map<string, Finding>();
  /** Digests that descriptors reached from index.json name: prune keeps these. */
  readonly referenced = new Set<Digest>();
  readonly work: WalkWork = { documents: 0, checks: 0, edges: 0, nodes: 0 };

  private readonly candidates = new Map<string, Finding>();
  private readonly names = new Map<string, Set<string>>();
  private readonly checks = new Map<string, Check>();
  private readonly nodes = new Map<string, Node>();
  private readonly json = new Map<Digest, { value: unknown } | { syntax: string } | { failure: string }>();
  private readonly views = new Map<string, ImageIndex | ImageManifest | Error>();
  /** Indexes being walked, in order, with their position: a cycle closes on one of them. */
  private readonly path: Digest[] = [];
  private readonly onPath = new Map<Digest, number>();
  /** Every index on the path from this position down has been hashed (so cycles hash each once). */
  private hashedFrom = 0;
  /** Why a blob was hashed when it was (a cycle), for the words of its finding. */
  private readonly suspicions = new Map<Digest, string>();
  private readonly okNodes = new Map<Node, boolean>();
  private readonly summaries = new Map<string, Summary>();

  constructor(
    private readonly layout: Layout,
    private readonly scan: ScanResult,
    private readonly hasher: Hasher,
  ) {}

  /** Status of each index.json entry, in order. `bad` is true when any present part of it is wrong. */
  async walk(
    entries: { name: string; root: Descriptor }[],
  ): Promise<{ status: ImageStatus; bad: boolean }[]> {
    const roots: Edge[] = [];
    for (const { root } of entries) {
      const role = isIndexMediaType(root.mediaType) ? 'index' : 'manifest';
      const edge = await this.follow(root, role, 'index.json');
      if (edge.node?.role === 'manifest' && edge.node.configPlatform === undefined)
        edge.node.configPlatform = (await this.readConfigPlatform(root.digest)) ?? null;
      roots.push(edge);
    }
    const results = entries.map(({ name, root }, i) => this.summarize(name, root, roots[i]!));
    for (const [key, names] of this.names) {
      const f = this.candidates.get(key);
      if (f) this.findings.set(key, { ...f, images: [...names] });
    }
    return results;
  }

  // ---------------------------------------------------------------------------------------
  // Gathering: each descriptor checked once, each document parsed once, each node walked once.

  private async follow(desc: Descriptor, role: Role, parent: string): Promise<Edge> {
    this.work.edges++;
    const check = await this.check(desc, role, parent);
    const edge: Edge = { check };
    if (role === 'blob' || !this.verdict(check).ok) return edge;
    if (role === 'index' && this.onPath.has(desc.digest)) edge.cycle = await this.cycle(desc.digest);
    else edge.node = await this.node(desc.digest, role);
    return edge;
  }

  private async check(desc: Descriptor, role: Role, parent: string): Promise<Check> {
    const key = `${role} ${desc.size} ${desc.digest}`;
    const known = this.checks.get(key);
    if (known) return known;
    this.work.checks++;
    const check: Check = { digest: desc.digest, role };
    this.checks.set(key, check);
    const blob = this.scan.blobs.get(desc.digest);
    if (!blob) {
      this.candidate(
        `blob ${desc.digest}`,
        'missing',
        desc.digest,
        `missing: ${desc.size} bytes referenced by ${parent}`,
      );
      return check;
    }
    if (blob.size !== desc.size) await this.hashOnce(blob);
    if (blob.hashOk === false) {
      this.wrongBytes(blob, blob.size !== desc.size ? sizeDetail(blob.size, desc.size) : undefined);
      return check;
    }
    if (blob.size !== desc.size) {
      // The blob is what its name says; the descriptor pointing at it is what is wrong.
      check.problem = this.candidate(
        `size ${desc.size} ${desc.digest}`,
        'corrupt',
        desc.digest,
        `valid blob of ${blob.size} bytes, but ${parent} declares ${desc.size}`,
      );
      return check;
    }
    if (role === 'blob') return check;
    const view = await this.view(desc.digest, role);
    if (!(view instanceof Error)) return check;
    await this.hashOnce(blob);
    if (provenWrong(blob))
      this.wrongBytes(blob, `unparseable: ${view.message} (content does not match its digest)`);
    else
      check.problem = this.candidate(
        `${role} ${desc.digest}`,
        'corrupt',
        desc.digest,
        `valid blob, but not a usable ${role}: ${view.message}`,
      );
    return check;
  }

  private async node(digest: Digest, role: 'index' | 'manifest'): Promise<Node> {
    const key = `${role} ${digest}`;
    const known = this.nodes.get(key);
    if (known) return known;
    this.work.nodes++;
    // The check that led here parsed it as `role` without error.
    const view = await this.view(digest, role);
    let node: Node;
    if (role === 'manifest') node = await this.manifestNode(digest, view as ImageManifest);
    else {
      this.onPath.set(digest, this.path.length);
      this.path.push(digest);
      if (this.scan.blobs.get(digest)?.hashOk === undefined) this.hashedFrom = this.path.length;
      try {
        node = await this.indexNode(digest, view as ImageIndex);
      } finally {
        this.path.pop();
        this.onPath.delete(digest);
        this.hashedFrom = Math.min(this.hashedFrom, this.path.length);
      }
    }
    this.nodes.set(key, node);
    return node;
  }

  /** Platform manifests (nested indexes merged in), each with the attestations that describe it. */
  private async indexNode(digest: Digest, index: ImageIndex): Promise<Node> {
    const node: Node = { role: 'index', edges: [], platforms: [], orphans: [] };
    const here = `index ${shortDigest(digest)}`;
    const children: Descriptor[] = [];
    const attestationsOf = new Map<string, Descriptor[]>();
    const seen = new Set<string>();
    for (const d of index.manifests) {
      // A descriptor listed again adds nothing: walking it once keeps the work linear.
      const id = JSON.stringify(d);
      if (seen.has(id)) continue;
      seen.add(id);
      if (!isAttestation(d)) children.push(d);
      else {
        const subject = d.annotations?.[Annotation.DockerReferenceDigest] ?? '';
        const list = attestationsOf.get(subject);
        if (list) list.push(d);
        else attestationsOf.set(subject, [d]);
      }
    }
    // Present platform manifests, each with its attestations' edges (followed once per index).
    const subjects = new Map<string, Edge[]>();
    for (const child of children) {
      if (isIndexMediaType(child.mediaType)) {
        const edge = await this.follow(child, 'index', here);
        edge.nested = true;
        node.edges.push(edge);
        continue;
      }
      const key = child.platform ? formatPlatform(child.platform) : `unknown ${shortDigest(child.digest)}`;
      if (!this.scan.blobs.has(child.digest)) {
        node.platforms.push({ key });
        continue;
      }
      const manifest = await this.follow(child, 'manifest', here);
      node.edges.push(manifest);
      let attestations = subjects.get(child.digest);
      if (!attestations) {
        attestations = [];
        subjects.set(child.digest, attestations);
        for (const att of attestationsOf.get(child.digest) ?? []) {
          const edge = await this.follow(att, roleOf(att), here);
          attestations.push(edge);
          node.edges.push(edge);
        }
      }
      node.platforms.push({ key, manifest, attestations });
    }
    // Attestations whose platform is not cached: walked only when present, so that what we
    // keep is whole; a broken one makes the entry unusable.
    for (const [subject, attestations] of attestationsOf) {
      if (subjects.has(subject)) continue;
      for (const att of attestations) {
        if (!this.scan.blobs.has(att.digest)) continue;
        const edge = await this.follow(att, roleOf(att), here);
        node.edges.push(edge);
        node.orphans.push(edge);
      }
    }
    return node;
  }

  /** A manifest, its config and layers. Absent non-distributable layers (with `urls`) are allowed. */
  private async manifestNode(digest: Digest, manifest: ImageManifest): Promise<Node> {
    const node: Node = { role: 'manifest', edges: [], platforms: [], orphans: [] };
    const here = `manifest ${shortDigest(digest)}`;
    node.edges.push(await this.follow(manifest.config, 'blob', here));
    for (const layer of manifest.layers) {
      if (layer.urls?.length && !this.scan.blobs.has(layer.digest)) continue;
      node.edges.push(await this.follow(layer, 'blob', here));
    }
    return node;
  }

  /**
   * `digest` is listed by an index walked below it. sha256 has no fixed points, so some blob on
   * the cycle cannot be what its name says: in `size` mode, hash them to find it.
   */
  private async cycle(digest: Digest): Promise<Cycle> {
    const from = this.onPath.get(digest)!;
    const detail = describeCycle(this.path, from);
    for (let i = Math.min(this.hashedFrom, this.path.length) - 1; i >= from; i--) {
      const blob = this.scan.blobs.get(this.path[i]!);
      if (!blob || blob.hashOk !== undefined) continue;
      this.suspicions.set(blob.digest, detail);
      await this.hashOnce(blob);
      if (provenWrong(blob)) this.wrongBytes(blob);
    }
    this.hashedFrom = Math.min(this.hashedFrom, from);
    // Judged as a cycle only where no wrong blob on it is met first, walking from an entry.
    const key = `cycle ${digest}`;
    this.candidate(key, 'corrupt', digest, detail);
    return { key, detail };
  }

  /** The blob's JSON, parsed once, read as an index or a manifest (each once). */
  private async view(
    digest: Digest,
    role: 'index' | 'manifest',
  ): Promise<ImageIndex | ImageManifest | Error> {
    const key = `${role} ${digest}`;
    let view = this.views.get(key);
    if (view) return view;
    const json = await this.readJson(digest);
    try {
      if ('syntax' in json) throw new Error(`${role}: not valid JSON (${json.syntax})`);
      if ('failure' in json) throw new Error(json.failure);
      view = role === 'index' ? indexFromJson(json.value, role) : manifestFromJson(json.value, role);
    } catch (err) {
      view = err instanceof Error ? err : new Error(String(err));
    }
    this.views.set(key, view);
    return view;
  }

  private async readJson(
    digest: Digest,
  ): Promise<{ value: unknown } | { syntax: string } | { failure: string }> {
    let json = this.json.get(digest);
    if (json) return json;
    this.work.documents++;
    try {
      const text = (await this.layout.readBlob(digest, MAX_MANIFEST_BYTES)).toString('utf8');
      try {
        json = { value: JSON.parse(text) as unknown };
      } catch (err) {
        json = { syntax: (err as Error).message };
      }
    } catch (err) {
      json = { failure: err instanceof Error ? err.message : String(err) };
    }
    this.json.set(digest, json);
    return json;
  }

  /** In `size` mode, a blob is hashed before we call it wrong: only proven-wrong blobs are deleted. */
  private async hashOnce(blob: BlobFile): Promise<void> {
    if (blob.hashOk !== undefined) return;
    const [outcome] = await this.hasher.hashFiles([
      { path: blob.path, algorithm: digestAlgorithm(blob.digest), size: blob.size, stat: blob.stat },
    ]);
    if (outcome?.ok) {
      blob.hashOk = outcome.hex === digestHex(blob.digest);
      if (!blob.hashOk) blob.actualHex = outcome.hex;
    }
  }

  /** The finding about a blob whose bytes do not match its name (the first words found stay). */
  private wrongBytes(blob: BlobFile, detail?: string): void {
    const differs = `same size, content differs (hashes to ${digestAlgorithm(blob.digest)}:${blob.actualHex?.slice(0, 12)}…)`;
    const why = this.suspicions.get(blob.digest);
    this.candidate(
      `blob ${blob.digest}`,
      'corrupt',
      blob.digest,
      detail ?? (why ? `${why}; ${differs}` : differs),
    );
  }

  private candidate(key: string, kind: 'corrupt' | 'missing', digest: Digest, detail: string): string {
    if (!this.candidates.has(key)) {
      const path = this.layout.relative(this.layout.blobPath(digest));
      this.candidates.set(key, { kind, digest, path, detail, action: 'kept' });
    }
    return key;
  }

  /** os/architecture/variant from an image config, when it parses. */
  private async readConfigPlatform(digest: Digest): Promise<Platform | undefined> {
    const manifest = await this.view(digest, 'manifest');
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

  // ---------------------------------------------------------------------------------------
  // Judging, once everything is known. Iterative: a deep chain of indexes never overflows the stack.

  private verdict(check: Check): Verdict {
    const blob = this.scan.blobs.get(check.digest);
    if (!blob) return { ok: false, kind: 'missing', key: `blob ${check.digest}` };
    if (blob.hashOk === false) return { ok: false, kind: 'corrupt', key: `blob ${check.digest}` };
    if (check.problem) return { ok: false, kind: 'corrupt', key: check.problem };
    return OK;
  }

  private edgeVerdict(edge: Edge): Verdict {
    const verdict = this.verdict(edge.check);
    if (!verdict.ok || !edge.cycle) return verdict;
    return { ok: false, kind: 'corrupt', key: edge.cycle.key };
  }

  private edgeOk(edge: Edge): boolean {
    return this.edgeVerdict(edge).ok && (!edge.node || this.nodeOk(edge.node));
  }

  /** A node is whole when every edge it needs is, all the way down (post-order, no recursion). */
  private nodeOk(start: Node): boolean {
    const done = this.okNodes;
    const expanded = new Set<Node>();
    const stack = [start];
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!;
      if (done.has(node)) {
        stack.pop();
        continue;
      }
      if (!expanded.has(node)) {
        expanded.add(node);
        const before = stack.length;
        for (const edge of node.edges)
          if (edge.node && !done.has(edge.node) && !expanded.has(edge.node) && this.edgeVerdict(edge).ok)
            stack.push(edge.node);
        if (stack.length > before) continue;
      }
      // An edge to a node still expanding would be a cycle; they are cut while gathering.
      done.set(
        node,
        node.edges.every((e) => this.edgeVerdict(e).ok && (!e.node || done.get(e.node) === true)),
      );
      stack.pop();
    }
    return done.get(start) === true;
  }

  /** One entry's status; entries with the same root descriptor share the work. */
  private summarize(name: string, root: Descriptor, edge: Edge): { status: ImageStatus; bad: boolean } {
    const key = `${edge.check.role} ${root.size} ${root.digest} ${root.platform ? formatPlatform(root.platform) : ''}`;
    let summary = this.summaries.get(key);
    if (!summary) {
      summary = this.traverse(root, edge);
      this.summaries.set(key, summary);
    }
    for (const f of summary.findings) {
      const names = this.names.get(f);
      if (names) names.add(name);
      else this.names.set(f, new Set([name]));
    }
    return {
      status: {
        name,
        digest: root.digest,
        mediaType: root.mediaType,
        platforms: { ...summary.platforms },
        size: summary.size,
        ...(summary.problem ? { problem: summary.problem } : {}),
      },
      bad: summary.bad,
    };
  }

  private traverse(root: Descriptor, rootEdge: Edge): Summary {
    const findings = new Set<string>();
    const problems = new Set<string>();
    const present = new Set<Digest>();
    const platforms = new Map<string, PlatformStatus>();
    const visited = new Map<Node, number>();
    const stack: [Edge, boolean][] = [[rootEdge, true]];
    while (stack.length > 0) {
      const [edge, merge] = stack.pop()!;
      this.referenced.add(edge.check.digest);
      const verdict = this.edgeVerdict(edge);
      if (!verdict.ok) {
        findings.add(verdict.key);
        if (edge === rootEdge) problems.add(`${edge.check.role} blob ${verdict.kind}`);
        else if (edge.cycle) problems.add(edge.cycle.detail);
        else if (edge.nested) problems.add(`nested index ${shortDigest(edge.check.digest)} ${verdict.kind}`);
        continue;
      }
      present.add(edge.check.digest);
      const node = edge.node;
      if (!node) continue;
      // A node seen as a nested index counts its platforms; seen as an attestation, it does not.
      const bit = merge ? 1 : 2;
      const seen = visited.get(node) ?? 0;
      if (seen & bit) continue;
      visited.set(node, seen | bit);
      if (merge) {
        const whole = new Map<Edge[], boolean>();
        for (const { key, manifest, attestations = [] } of node.platforms) {
          if (!manifest) {
            raise(platforms, key, 'absent');
            continue;
          }
          if (!whole.has(attestations))
            whole.set(
              attestations,
              attestations.every((e) => this.edgeOk(e)),
            );
          raise(platforms, key, this.edgeOk(manifest) && whole.get(attestations) ? 'complete' : 'broken');
        }
      }
      for (const orphan of node.orphans)
        if (!this.edgeOk(orphan)) problems.add(`attestation ${shortDigest(orphan.check.digest)} broken`);
      for (const child of node.edges) stack.push([child, merge && child.nested === true]);
    }
    const bad = !this.edgeOk(rootEdge);
    if (rootEdge.node?.role === 'manifest' && this.edgeVerdict(rootEdge).ok) {
      const platform = rootEdge.node.configPlatform ?? root.platform;
      platforms.set(platform ? formatPlatform(platform) : 'unknown', bad ? 'broken' : 'complete');
    }
    let size = 0;
    for (const d of present) size += this.scan.blobs.get(d)?.size ?? 0;
    return {
      platforms: Object.fromEntries(platforms),
      size,
      ...(problems.size ? { problem: [...problems].join('; ') } : {}),
      findings,
      bad,
    };
  }
}

/** Read through a function so the compiler does not carry narrowing across awaits that hash. */
function provenWrong(blob: BlobFile): boolean {
  return blob.hashOk === false;
}

const RANK: Record<PlatformStatus, number> = { absent: 0, complete: 1, broken: 2 };

/** A platform listed twice is as bad as its worst listing. */
function raise(platforms: Map<string, PlatformStatus>, key: string, status: PlatformStatus): void {
  const was = platforms.get(key);
  if (was === undefined || RANK[status] > RANK[was]) platforms.set(key, status);
}

function roleOf(d: Descriptor): 'index' | 'manifest' {
  return isIndexMediaType(d.mediaType) ? 'index' : 'manifest';
}

/**
 * "index cycle: sha256:ab… lists itself via sha256:cd… → sha256:ef…": the cycle on `path` from
 * `from` (the index listed again) to its end (the one listing it). Reads a few digests, whatever its length.
 */
function describeCycle(path: readonly Digest[], from = 0): string {
  const via = path.length - from - 1;
  const at = (i: number) => shortDigest(path[from + 1 + i]!);
  const shown =
    via > 4
      ? [at(0), at(1), `… ${via - 3} more …`, at(via - 1)]
      : Array.from({ length: via }, (_, i) => at(i));
  return `index cycle: ${shortDigest(path[from]!)} lists itself${shown.length ? ` via ${shown.join(' → ')}` : ''}`;
}

/** A buildkit attestation manifest: platform unknown/unknown, pointing at the manifest it describes. */
function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.[Annotation.DockerReferenceType] === 'attestation-manifest' ||
    (isUnknownPlatform(d.platform) && d.annotations?.[Annotation.DockerReferenceDigest] !== undefined)
  );
}
