import { constants as bufferConstants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { GuardError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { digestAlgorithm, digestHex, shortDigest, type Algorithm, type Digest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { Annotation, MediaType } from '../oci/mediatypes.js';
import { closingOnError, writeFileAtomic } from './atomic.js';
import { assertMayWrite } from './identify.js';
import { parseIndexDocument, serializeIndex, type IndexDocument } from './index-json.js';
import {
  BLOBS_DIR,
  INDEX_FILE,
  LAYOUT_FILE,
  LINUXKIT_LOCK_FILE,
  LOCK_FILE,
  LOCKS_DIR,
  PARTIAL_SUFFIX,
  RANGES_SUFFIX,
} from './names.js';
import {
  acquireLock,
  createExclusive,
  isStale,
  lockContent,
  waitForForeignLock,
  withLock,
  type Lock,
  type LockOptions,
} from './lock.js';

export * from './names.js';
export * from './index-json.js';

/**
 * index.json is read whole: up to the longest string V8 holds (~512 MiB), room for a million
 * entries; the 64 MiB other small files get would call a big but valid index.json corrupt.
 */
const MAX_INDEX_BYTES = bufferConstants.MAX_STRING_LENGTH;

export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';

/**
 * A temp file, partial download or stray written to more recently than this may belong to a
 * writer still running, and is never deleted: linuxkit where its lock cannot be seen (not
 * Linux) or when it starts after we looked, skopeo or umoci, a pull of ours on another
 * machine sharing the directory. A live writer touches its file whenever the network hands
 * it bytes, so its longest silence is a stalled connection or a slow registry's first byte;
 * clients give up on those within minutes (ours after 60 s without a byte, Go's through TCP
 * keepalive in about two and a half). Ten minutes is well past that; the cost is only that
 * a dead writer's file goes on a later run.
 */
export const WRITER_GRACE_MS = 10 * 60_000;

/**
 * How far ahead of our clock a file's time may be and still count as recent: clocks of two
 * machines sharing a directory drift by seconds. Further ahead, the time is wrong (an archive
 * made on a machine with a bad clock), says nothing of a live writer, and would otherwise keep
 * the file forever.
 */
export const CLOCK_SKEW_MS = 60_000;

/**
 * A regular file written to within WRITER_GRACE_MS: it may belong to a live writer. A time
 * more than CLOCK_SKEW_MS in the future is not fresh: such a file is treated as old.
 */
export function mayBeLiveWrite(s: { isFile(): boolean; mtimeMs: number }, now = Date.now()): boolean {
  const age = now - s.mtimeMs;
  return s.isFile() && age < WRITER_GRACE_MS && age > -CLOCK_SKEW_MS;
}

/** Why a young file is kept, as reports say it. */
export const LIVE_WRITER_NOTE = 'kept: may belong to a live writer';

/** linuxkit's cache: `$LINUXKIT_CACHE`, else `~/.linuxkit/cache`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LINUXKIT_CACHE || path.join(homedir(), '.linuxkit', 'cache');
}

export type IndexRead =
  { state: 'ok'; doc: IndexDocument } | { state: 'missing' } | { state: 'corrupt'; detail: string };

/** What a setEntry call asks of the commit besides the entry itself. */
export interface EntryCommit {
  /** Every blob the entry needs (manifests, configs, layers): each must be in place to write it. */
  needs?: readonly Descriptor[];
  /**
   * For an image found complete under this name: an entry of that name and digest already
   * there is kept as it is (nothing written); only one that has gone is written again.
   */
  keepSameDigest?: boolean;
}

interface PendingEntry {
  descriptor: Descriptor;
  needs: readonly Descriptor[];
  keepSameDigest: boolean;
}

/** Blobs an entry needs were gone at its commit: another process removed them after they were put in place. */
export class BlobsMissingError extends GuardError {
  override name = 'BlobsMissingError';
  constructor(
    readonly image: string,
    readonly missing: Descriptor[],
  ) {
    super(
      `${image}: ${missing.length} of its blobs (${missing.map((d) => shortDigest(d.digest)).join(', ')}) left the cache before its index.json entry was written; another process removed them`,
    );
  }
}

/**
 * An OCI image layout on disk. Every path under it is built here, every blob path from a
 * checked Digest, so nothing read from a registry or a file can name a path outside it.
 */
export class Layout {
  readonly root: string;
  /** Settles once the directory is known to be a layout, or empty, or absent (see mayWrite). */
  private vetting?: Promise<unknown>;
  /** Entries waiting for the next index.json write (see setEntry), and the last write. */
  private nextEntries?: {
    entries: Map<string, PendingEntry>;
    written: Promise<Map<string, Descriptor[]>>;
  };
  private entriesWritten: Promise<unknown> = Promise.resolve();

  private constructor(root: string) {
    this.root = root;
  }

  /** A layout at `dir`, not looked at yet: its first write checks the directory (see mayWrite). */
  static at(dir: string): Layout {
    return new Layout(path.resolve(dir));
  }

  /**
   * Opens the cache at `dir` before anything is read or written: refuses a directory that is
   * not an OCI layout and not empty (NotACacheError, naming what it holds), and an absent
   * one unless `create` (the first write then creates it). Every command and the Action
   * open their cache this way.
   */
  static async open(dir: string, options: { create: boolean }): Promise<Layout> {
    if (dir === '') throw new UsageError('the cache directory is an empty string: name a directory');
    const layout = Layout.at(dir);
    const found = await (layout.vetting = assertMayWrite(layout.root));
    if (found.state === 'absent' && !options.create)
      throw new UsageError(`cache directory ${layout.root} does not exist`);
    return layout;
  }

  /**
   * Every method that writes, moves or deletes waits for this first, so no path (a command,
   * the Action, a test) can initialise, repair or prune a directory that is not a cache.
   */
  private mayWrite(): Promise<unknown> {
    return (this.vetting ??= assertMayWrite(this.root));
  }

  /** Runs a write once the directory is vetted; a write the permissions refuse becomes one line. */
  private async writing<T>(write: () => Promise<T>): Promise<T> {
    await this.mayWrite();
    try {
      return await write();
    } catch (err) {
      throw cannotWrite(err);
    }
  }

  private path(...parts: string[]): string {
    const p = path.join(this.root, ...parts);
    // Relative, not a prefix test: a root that ends in a separator (`/`, `C:\`) has no `root + sep`.
    const rel = path.relative(this.root, p);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new GuardError(
        `refusing path ${JSON.stringify(parts.join('/'))}: outside the cache ${this.root}`,
      );
    }
    return p;
  }

  get indexPath(): string {
    return this.path(INDEX_FILE);
  }
  get layoutFilePath(): string {
    return this.path(LAYOUT_FILE);
  }
  get blobsDir(): string {
    return this.path(BLOBS_DIR);
  }
  blobDir(algorithm: Algorithm): string {
    return this.path(BLOBS_DIR, algorithm);
  }
  blobPath(digest: Digest): string {
    return this.path(BLOBS_DIR, digestAlgorithm(digest), digestHex(digest));
  }
  partialPath(digest: Digest): string {
    return this.blobPath(digest) + PARTIAL_SUFFIX;
  }
  rangesPath(digest: Digest): string {
    return this.blobPath(digest) + RANGES_SUFFIX;
  }
  /** A path relative to the root, with forward slashes, for reports. */
  relative(p: string): string {
    return path.relative(this.root, p).split(path.sep).join('/');
  }

  async exists(): Promise<boolean> {
    return stat(this.root).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }

  /** Creates the directory, `oci-layout`, `blobs/sha256` and an empty `index.json` where missing. */
  async init(): Promise<void> {
    await this.writing(async () => {
      await mkdir(this.blobDir('sha256'), { recursive: true });
      if (!(await stat(this.layoutFilePath).catch(() => undefined))) {
        await writeFileAtomic(this.layoutFilePath, OCI_LAYOUT_CONTENT);
      }
      if (!(await stat(this.indexPath).catch(() => undefined))) await this.writeEmptyIndex();
    });
  }

  /**
   * Throws when `blobs/`, `blobs/sha256` or the locks directory is a symbolic link or not a
   * directory: reading, writing or deleting blobs through it could reach outside the cache.
   */
  async checkDirectories(): Promise<void> {
    for (const [dir, fix] of [
      [this.blobsDir, 'run oci-cache-guard validate --repair'],
      [this.blobDir('sha256'), 'run oci-cache-guard validate --repair'],
      [this.path(LOCKS_DIR), 'remove it'],
    ] as const) {
      const s = await lstat(dir).catch(() => undefined);
      if (s && !s.isDirectory()) {
        // A linked blobs directory holds the blobs: put it in place, never "repair" it away.
        const link = s.isSymbolicLink();
        throw new GuardError(
          `${dir} is ${link ? 'a symbolic link' : 'not a directory'}: refusing to use it (it could lead outside the cache); ${link && dir !== this.path(LOCKS_DIR) ? 'put the directory itself there (move it back, or bind-mount it)' : fix}`,
        );
      }
    }
  }

  async readIndex(): Promise<IndexRead> {
    let text: string;
    try {
      text = await this.readSmallFile(this.indexPath, MAX_INDEX_BYTES);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { state: 'missing' };
      // Worded to follow the file's name, as for oci-layout: "index.json is a symbolic link".
      if (code === 'ELOOP') return { state: 'corrupt', detail: 'is a symbolic link (never followed)' };
      if (code === 'ENOTREG') return { state: 'corrupt', detail: 'is not a regular file' };
      return { state: 'corrupt', detail: (err as Error).message };
    }
    try {
      return { state: 'ok', doc: parseIndexDocument(text) };
    } catch (err) {
      return { state: 'corrupt', detail: `unparseable: ${(err as Error).message}` };
    }
  }

  async writeIndex(doc: Pick<IndexDocument, 'fields' | 'entries'>): Promise<void> {
    await this.writing(() => writeFileAtomic(this.indexPath, serializeIndex(doc)));
  }

  /** An index.json with no entries, as init and repair start one. */
  async writeEmptyIndex(): Promise<void> {
    await this.writeIndex({ fields: { schemaVersion: 2, mediaType: MediaType.OciIndex }, entries: [] });
  }

  /** Moves an unparseable index.json aside (never deleted) and returns the new name. */
  async moveIndexAside(now = new Date()): Promise<string> {
    const stamp = now.toISOString().replace(/[:.]/g, '-');
    const aside = this.path(`${INDEX_FILE}.corrupt-${stamp}`);
    await this.writing(() => rename(this.indexPath, aside));
    return aside;
  }

  /**
   * Adds or replaces the entry named `name` (linuxkit's rule: one entry per name) with the
   * descriptor as served, under the cache lock so concurrent writers keep every entry. Entries
   * set while a write is under way go together in the next one: images of a pull that finish
   * together cost one lock and one fsynced index.json write, not one each. A batch waits for
   * the lock with the options of the call that opened it (the calls of one pull share theirs).
   *
   * Under the lock, before the write, every blob in `needs` must be a file under its name:
   * repair and prune delete only under this lock, so an entry written after that check is
   * complete when the lock is released. When some are gone (another process removed them after
   * the caller put them in place), this entry is not written and BlobsMissingError lists them.
   */
  setEntry(
    descriptor: Descriptor,
    name: string,
    options: Partial<LockOptions> & EntryCommit = {},
  ): Promise<void> {
    const { needs = [], keepSameDigest = false, ...lockOptions } = options;
    let batch = this.nextEntries;
    if (!batch) {
      const entries = new Map<string, PendingEntry>();
      const written = this.entriesWritten.then(() => {
        this.nextEntries = undefined; // what arrives from now on waits for the next write
        return this.writeEntries(entries, lockOptions);
      });
      this.entriesWritten = written.catch(() => {});
      batch = this.nextEntries = { entries, written };
    }
    batch.entries.delete(name); // the latest descriptor of a name, in the order they came
    batch.entries.set(name, { descriptor, needs, keepSameDigest });
    return batch.written.then((missing) => {
      const gone = missing.get(name);
      if (gone) throw new BlobsMissingError(name, gone);
    });
  }

  /** Writes a batch under the lock; returns, by name, the needed blobs that were gone (not written). */
  private async writeEntries(
    named: Map<string, PendingEntry>,
    lockOptions?: Partial<LockOptions>,
  ): Promise<Map<string, Descriptor[]>> {
    try {
      return await this.withLock(() => this.commitEntries(named), lockOptions);
    } catch (err) {
      // A cache this process may not write to (no lock file either): entries that only confirm
      // what is there are checked without the lock; one that must be written fails as it did.
      if (err instanceof CannotWriteError && [...named.values()].every((e) => e.keepSameDigest))
        return this.commitEntries(named);
      throw err;
    }
  }

  private async commitEntries(named: Map<string, PendingEntry>): Promise<Map<string, Descriptor[]>> {
    await this.init();
    const read = await this.readIndex();
    if (read.state !== 'ok') {
      throw new GuardError(
        `${this.indexPath} is ${read.state === 'missing' ? 'missing' : 'corrupt'}: run oci-cache-guard validate --repair`,
      );
    }
    const missing = await this.missingBlobs(named);
    const present = new Set<string>();
    for (const e of read.doc.entries)
      if (e.name !== undefined && e.descriptor) present.add(`${e.name} ${e.descriptor.digest}`);
    const writes = [...named].filter(
      ([name, e]) =>
        !missing.has(name) && !(e.keepSameDigest && present.has(`${name} ${e.descriptor.digest}`)),
    );
    if (writes.length === 0) return missing;
    const replaced = new Set(writes.map(([name]) => name));
    const entries = read.doc.entries.filter((e) => e.name === undefined || !replaced.has(e.name));
    for (const [name, { descriptor }] of writes) {
      const raw: Record<string, unknown> = {
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        size: descriptor.size,
        ...(descriptor.platform ? { platform: descriptor.platform } : {}),
        annotations: { ...descriptor.annotations, [Annotation.RefName]: name },
      };
      entries.push({
        raw,
        descriptor: { ...descriptor, annotations: raw.annotations as Record<string, string> },
        name,
      });
    }
    await this.writeIndex({ fields: read.doc.fields, entries });
    return missing;
  }

  /**
   * The needed blobs of each pending entry that are not a regular file under their name. A
   * file there is taken as is: a blob gets its final name only by a rename after its digest and
   * size were checked, so what other processes can do to it meanwhile is delete it.
   */
  private async missingBlobs(named: Map<string, PendingEntry>): Promise<Map<string, Descriptor[]>> {
    const isFile = new Map<Digest, Promise<boolean>>();
    const check = (d: Digest) => {
      let known = isFile.get(d);
      if (!known) {
        known = lstat(this.blobPath(d)).then(
          (s) => s.isFile(),
          () => false,
        );
        isFile.set(d, known);
      }
      return known;
    };
    const missing = new Map<string, Descriptor[]>();
    for (const [name, { needs }] of named) {
      const present = await Promise.all(needs.map((b) => check(b.digest)));
      const gone = needs.filter((_, i) => !present[i]);
      if (gone.length > 0) missing.set(name, gone);
    }
    return missing;
  }

  /**
   * Exclusive lock on the layout for index.json changes, repair and prune: ours, then, once
   * no process holds linuxkit's own lock (it writes blobs and index.json in place while it
   * holds it; seen through /proc/locks on Linux), `fn`. `waited` tells `fn` that linuxkit
   * was writing, so anything read before may have changed.
   */
  withLock<T>(fn: (held: { waited: boolean }) => Promise<T>, options?: Partial<LockOptions>): Promise<T> {
    const opts = { what: `cache ${this.root}`, ...options };
    return this.writing(() =>
      withLock(
        this.path(LOCK_FILE),
        async () => fn({ waited: await waitForForeignLock(this.path(LINUXKIT_LOCK_FILE), 'linuxkit', opts) }),
        opts,
      ),
    );
  }

  /**
   * Marks a pull as running until released. Blobs a pull has put in place are unreferenced
   * until its index.json entry is written last, so prune keeps unreferenced blobs and partial
   * downloads while any pull is running.
   */
  async registerPull(): Promise<Lock> {
    const marker = this.path(LOCKS_DIR, `pull-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await this.writing(async () => {
        await mkdir(this.path(LOCKS_DIR), { recursive: true });
        await createExclusive(marker, lockContent());
      });
    } catch (err) {
      // A cache this process may not write to: a pull of images it already holds needs no
      // marker, and one that must write fails on its first write with a line that says why.
      if (err instanceof CannotWriteError) return { release: async () => {} };
      throw err;
    }
    return { release: () => unlink(marker).catch(() => {}) };
  }

  /** Pulls running now (markers of live processes); markers left by killed ones are removed. */
  async runningPulls(): Promise<number> {
    const dir = this.path(LOCKS_DIR);
    let running = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.startsWith('pull-')) continue;
      const content = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
      if (content === undefined) continue;
      if (isStale(content)) await unlink(path.join(dir, name)).catch(() => {});
      else running++;
    }
    return running;
  }

  /** Lock for downloading one blob, so two processes never write the same partial file. */
  lockBlob(digest: Digest, options?: Partial<LockOptions> & { logger?: Logger }): Promise<Lock> {
    return this.writing(async () => {
      await mkdir(this.path(LOCKS_DIR), { recursive: true });
      return acquireLock(this.path(LOCKS_DIR, `${digestAlgorithm(digest)}-${digestHex(digest)}`), {
        what: `download of ${digest}`,
        ...options,
      });
    });
  }

  /**
   * Deletes what a finding names under blobs/ (its path relative to the root): a file, a
   * symlink itself, or a directory (rm never follows symlinks inside it). Anything outside
   * blobs/ is refused. Returns the bytes of what was there, or undefined when nothing was.
   */
  async removeFromBlobs(relative: string, options: { dryRun?: boolean } = {}): Promise<number | undefined> {
    const p = path.resolve(this.root, relative);
    if (!p.startsWith(this.blobsDir + path.sep)) {
      throw new GuardError(`refusing to delete ${JSON.stringify(relative)}: not under ${this.blobsDir}`);
    }
    return this.writing(async () => {
      const s = await lstat(p).catch(() => undefined);
      if (!s) return undefined;
      if (!options.dryRun) {
        if (s.isDirectory()) await rm(p, { recursive: true, force: true });
        else await unlink(p);
      }
      return s.isDirectory() ? 0 : s.size;
    });
  }

  /** Whether the file a finding names (relative to the root) may belong to a live writer. */
  async mayBelongToLiveWriter(relative: string): Promise<boolean> {
    const s = await lstat(path.resolve(this.root, relative)).catch(() => undefined);
    return s !== undefined && mayBeLiveWrite(s);
  }

  /** Opens a blob for reading: symlinks and non-regular files are refused, never followed. */
  async openBlob(digest: Digest): Promise<FileHandle> {
    return openRegularNoFollow(this.blobPath(digest));
  }

  /**
   * Reads a whole blob of at most `maxBytes` (manifests, configs: their declared size). Reads
   * no more than one byte past the size fstat gives, so a file that grows meanwhile is refused
   * without being read on, and a larger one is refused unread.
   */
  async readBlob(digest: Digest, maxBytes: number): Promise<Buffer> {
    const fh = await this.openBlob(digest);
    try {
      const { size } = await fh.stat();
      if (size > maxBytes)
        throw new GuardError(`blob ${digest} is ${size} bytes, more than the ${maxBytes} allowed`);
      const buf = Buffer.allocUnsafe(size + 1);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got > size) throw new GuardError(`blob ${digest} grew while being read; run the command again`);
      return buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  }

  /** Reads a small file of the layout (index.json, oci-layout) without following a symlink. */
  async readSmallFile(p: string, maxBytes = 64 * 1024 * 1024): Promise<string> {
    const fh = await openRegularNoFollow(p);
    try {
      const { size } = await fh.stat();
      if (size > maxBytes) throw new GuardError(`${p} is ${size} bytes, more than the ${maxBytes} allowed`);
      return (await fh.readFile()).toString('utf8');
    } finally {
      await fh.close();
    }
  }
}

/** open(O_RDONLY|O_NOFOLLOW) and fstat: a symlink fails with ELOOP, a directory or device is refused. */
export async function openRegularNoFollow(p: string): Promise<FileHandle> {
  // O_NONBLOCK: a FIFO planted in the cache is refused by the fstat below instead of blocking the open.
  const fh = await open(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const s = await closingOnError(() => fh.stat(), fh);
  if (!s.isFile()) {
    await fh.close();
    const err = new Error(`${p} is not a regular file`) as NodeJS.ErrnoException;
    err.code = 'ENOTREG';
    throw err;
  }
  return fh;
}

/** A write the file system refuses (permissions, a read-only mount). */
export class CannotWriteError extends GuardError {
  override name = 'CannotWriteError';
}

/**
 * EACCES, EPERM or EROFS as one line naming the directory that refused the write (the parent
 * of what was created, renamed or deleted); any other error unchanged.
 */
export function cannotWrite(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!(e instanceof Error) || !['EACCES', 'EPERM', 'EROFS'].includes(e.code ?? '') || !e.path) return err;
  const why = e.code === 'EROFS' ? 'read-only file system' : 'permission denied';
  return new CannotWriteError(
    `cannot write to ${path.dirname(e.path)}: ${why}; make it writable for this user, or use another cache directory`,
    { cause: err },
  );
}
