// An OCI layout held in memory, for walking generated graphs of hundreds of blobs per run:
// blobs by digest, a scan of them as verify's would be, a hasher and the part of Layout the
// graph walk reads. Damage is planted by writing bytes under a name that is not theirs.
import { createHash } from 'node:crypto';
import type { Layout } from '../../src/layout/layout.js';
import type { Digest } from '../../src/oci/digest.js';
import type { HashResult } from '../../src/hash/hash-pool.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import type { BlobFile, Hasher, ScanResult } from '../../src/verify/scan.js';
import { MT, type Desc } from '../harness/index.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export class MemoryCache {
  readonly files = new Map<string, Buffer>();
  /** The most bytes one read of each blob took (by hex): by readBlob, or by hashing it. */
  readonly reads = new Map<string, number>();
  /** The largest size a descriptor written declares for each blob (by hex). */
  readonly declared = new Map<string, number>();
  private nonce = 0;

  /** Writes bytes under their digest. */
  blob(text: string, mediaType: string): Desc {
    const bytes = Buffer.from(text);
    const hex = sha256(bytes);
    this.files.set(hex, bytes);
    return this.declare({ mediaType, digest: `sha256:${hex}`, size: bytes.length });
  }

  /** Notes the size `d` declares for its blob; returns `d`. */
  declare(d: Desc): Desc {
    const hex = d.digest.slice('sha256:'.length);
    this.declared.set(hex, Math.max(this.declared.get(hex) ?? 0, d.size));
    return d;
  }

  /** Content no other blob of this cache has. */
  unique(label: string): string {
    return `${label} ${this.nonce++}`;
  }

  layer(): Desc {
    return this.blob(this.unique('layer'), MT.ociLayerGzip);
  }

  config(architecture: string): Desc {
    return this.blob(JSON.stringify({ architecture, os: 'linux', n: this.unique('config') }), MT.ociConfig);
  }

  manifest(config: Desc, layers: Desc[]): Desc {
    const doc = { schemaVersion: 2, mediaType: MT.ociManifest, config, layers, n: this.unique('m') };
    return this.blob(JSON.stringify(doc), MT.ociManifest);
  }

  index(manifests: Desc[]): Desc {
    const doc = { schemaVersion: 2, mediaType: MT.ociIndex, manifests, n: this.unique('i') };
    return this.blob(JSON.stringify(doc), MT.ociIndex);
  }

  /** Deletes, truncates, flips a byte of or appends 64 KiB to the blob `d` names. */
  damage(d: Desc, how: 'missing' | 'truncate' | 'flip' | 'grow'): void {
    const hex = d.digest.slice('sha256:'.length);
    const bytes = this.files.get(hex);
    if (!bytes) return;
    if (how === 'missing') this.files.delete(hex);
    else if (how === 'truncate') this.files.set(hex, bytes.subarray(0, Math.floor(bytes.length / 2)));
    else if (how === 'grow') this.files.set(hex, Buffer.concat([bytes, Buffer.alloc(64 * 1024, 0x20)]));
    else {
      const flipped = Buffer.from(bytes);
      flipped[0] = flipped[0]! ^ 0x01;
      this.files.set(hex, flipped);
    }
  }

  /** A fresh scan, hashed (`full`) or not (`size`), as scanBlobs would make of these files. */
  scan(mode: 'full' | 'size'): ScanResult {
    const blobs = new Map<Digest, BlobFile>();
    for (const [hex, bytes] of this.files) {
      const digest = `sha256:${hex}` as Digest;
      const blob: BlobFile = { digest, path: `blobs/sha256/${hex}`, size: bytes.length };
      if (mode === 'full') {
        const actual = sha256(bytes);
        blob.hashOk = actual === hex;
        if (!blob.hashOk) blob.actualHex = actual;
      }
      blobs.set(digest, blob);
    }
    return { blobs, partials: [], strays: [] };
  }

  readonly hasher: Hasher = {
    hashFiles: async (items) =>
      items.map((item): HashResult => {
        const hex = item.path.slice('blobs/sha256/'.length);
        const bytes = this.files.get(hex);
        if (!bytes) return { ok: false, path: item.path, code: 'ENOENT', message: `${item.path}: gone` };
        // As the hash pool does: past maxBytes, one byte more is read and the file refused.
        if (item.maxBytes !== undefined && bytes.length > item.maxBytes) {
          this.read(hex, item.maxBytes + 1);
          return { ok: false, path: item.path, code: 'TOO_LARGE', message: `${item.path}: too large` };
        }
        this.read(hex, bytes.length);
        const actual = sha256(bytes);
        return {
          ok: true,
          path: item.path,
          algorithm: item.algorithm,
          size: bytes.length,
          hex: actual,
          digest: `sha256:${actual}` as Digest,
        };
      }),
  };

  private read(hex: string, bytes: number): void {
    this.reads.set(hex, Math.max(this.reads.get(hex) ?? 0, bytes));
  }

  /** The part of Layout the graph walk uses. */
  get layout(): Layout {
    const files = this.files;
    const blobPath = (digest: Digest) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
    return {
      blobPath,
      relative: (p: string) => p,
      readBlob: async (digest: Digest, maxBytes: number) => {
        const bytes = files.get(digest.slice('sha256:'.length));
        if (!bytes) throw new Error(`${blobPath(digest)}: no such file`);
        // As Layout.readBlob does: a file larger than maxBytes is refused unread.
        if (bytes.length > maxBytes)
          throw new Error(`blob ${digest} is ${bytes.length} bytes, more than ${maxBytes}`);
        this.read(digest.slice('sha256:'.length), bytes.length);
        return bytes;
      },
    } as unknown as Layout;
  }
}

/** An index.json entry: the descriptor and its name. */
export const entry = (d: Desc, name: string): { name: string; root: Descriptor } => ({
  name,
  root: d as Descriptor,
});
