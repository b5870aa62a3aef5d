import path from 'node:path';
import { writeFileAtomic } from '../layout/atomic.js';
import { entryKey, INDEX_FILE, OCI_LAYOUT_CONTENT, type IndexEntry, type Layout } from '../layout/layout.js';
import type { Finding, Report } from './findings.js';
import { sameBlobs, type Hasher, type ScanResult } from './scan.js';
import { StatSnapshot, trustingHasher } from './snapshot.js';
import { verifyLayout, type Verification, type VerifyOptions } from './verify.js';

/**
 * Acts on a verification, under the cache lock: deletes blobs proven wrong and strays,
 * removes index.json entries linuxkit must not use (so it re-pulls instead of building an
 * image with files silently missing), moves an unparseable index.json aside, recreates
 * oci-layout. Never deletes a valid blob, never follows a symlink, never leaves the cache.
 * Returns the report with each finding's action, `ok` judged by walking the result again.
 */
export async function repairLayout(
  layout: Layout,
  verification: Verification,
  options: VerifyOptions,
): Promise<Report> {
  // Nothing to change: no lock and no write, so a read-only cache passes validate --repair.
  if (verification.report.ok && verification.badEntries.size === 0) return verification.report;
  const lockOptions = options.logger ? { logger: options.logger } : {};
  return layout.withLock(async ({ waited }) => {
    // Judge again, under the lock, when blobs/ changed since the verification: a pull may have
    // put in place the very blobs it found missing and committed its entry, which must then
    // stay; only what changed is hashed again. linuxkit writes in place: after waiting for its
    // lock, every blob is.
    if (waited) verification = await verifyLayout(layout, options);
    else if (!(await sameBlobs(layout, verification.scan)))
      verification = await verifyLayout(layout, {
        ...options,
        hasher: await trustUnchanged(layout, verification, options),
      });
    if (verification.report.ok && verification.badEntries.size === 0) return verification.report;
    const { report, scan } = verification;
    const findings = report.findings.map((f) => ({ ...f }));
    const done: Finding[] = [];

    if (verification.layoutFile) {
      await writeFileAtomic(layout.layoutFilePath, OCI_LAYOUT_CONTENT);
      for (const f of findings) if (f.path === 'oci-layout') f.action = 'recreated';
    }
    await repairIndex(layout, verification, findings, done);

    for (const f of findings) {
      if (
        f.kind === 'stray' ||
        (f.kind === 'corrupt' && f.digest && scan.blobs.get(f.digest)?.hashOk === false)
      ) {
        await layout.removeFromBlobs(f.path);
        f.action = 'removed';
      }
    }
    const after = afterRemoval(scan, findings, layout);
    const again = await verifyLayout(layout, options, after);
    // A missing blob that nothing references any more (its entries were removed) is settled:
    // the reference is what was removed, so that `ok` agrees with the findings.
    const still = new Set(again.report.findings.map(sameFinding));
    for (const f of findings)
      if (f.kind === 'missing' && f.action === 'kept' && !still.has(sameFinding(f))) f.action = 'removed';
    // Keep what we did; add anything the second walk sees that the first did not (blobs of
    // removed entries are now unreferenced).
    const seen = new Set(findings.map(sameFinding));
    const fresh = again.report.findings.filter((f) => !seen.has(sameFinding(f)) && f.kind !== 'unreferenced');
    return { ...again.report, findings: [...done, ...findings, ...fresh] };
  }, lockOptions);
}

async function repairIndex(
  layout: Layout,
  v: Verification,
  findings: Finding[],
  done: Finding[],
): Promise<void> {
  const indexFinding = findings.find((f) => f.kind === 'index' && f.path === INDEX_FILE && !f.images);
  if (v.index.state === 'corrupt') {
    const aside = await layout.moveIndexAside();
    await layout.writeEmptyIndex();
    if (indexFinding) {
      indexFinding.action = 'moved';
      indexFinding.detail += ` (moved to ${path.basename(aside)}, started an empty one)`;
    }
    return;
  }
  if (v.index.state === 'missing') {
    await layout.writeEmptyIndex();
    if (indexFinding) indexFinding.action = 'recreated';
    return;
  }
  // A byte order mark or a field nested too deep: only the file's form is at fault, never its
  // entries; the rewrite below keeps every one of them (a BOM never empties a cache).
  const formOnly = v.index.state === 'ok' && (v.index.doc.bom || v.index.doc.deepFields);
  if (v.badEntries.size === 0 && !formOnly) return;
  // Re-read under the lock: another process may have added entries since we verified.
  const current = await layout.readIndex();
  if (current.state !== 'ok') return;
  // Entries are matched by their content, not their position: the file may have changed.
  const entries = v.index.state === 'ok' ? v.index.doc.entries : [];
  const bad = new Map([...v.badEntries].map(([i, why]) => [entryKey(entries[i]!), why]));
  // Equal entries have equal names: only those named like a bad one are compared in full.
  const badNames = new Set([...v.badEntries.keys()].map((i) => entries[i]?.name));
  const whyBad = (e: IndexEntry) => (badNames.has(e.name) ? bad.get(entryKey(e)) : undefined);
  const fields = { ...current.doc.fields };
  for (const key of current.doc.deepFields?.keys() ?? []) delete fields[key];
  await layout.writeIndex({ fields, entries: current.doc.entries.filter((e) => !whyBad(e)) });
  for (const f of findings)
    if (f.kind === 'index' && f.path === INDEX_FILE && !f.images) f.action = 'rewritten';
  // Findings about index.json entries, by name: a million entries must not mean a million scans.
  const aboutEntry = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.kind !== 'index' || f.path !== INDEX_FILE) continue;
    for (const name of f.images ?? []) {
      const list = aboutEntry.get(name);
      if (list) list.push(f);
      else aboutEntry.set(name, [f]);
    }
  }
  for (const e of current.doc.entries) {
    const why = whyBad(e);
    if (!why) continue;
    const name = e.name ?? '(unnamed entry)';
    done.push({
      kind: 'index',
      path: INDEX_FILE,
      detail: `entry ${name}: ${why}; the next pull fetches it again`,
      action: 'removed',
      images: [name],
    });
    for (const f of aboutEntry.get(name) ?? []) f.action = 'removed';
  }
}

/**
 * A hasher for judging again under the lock: a blob the verification hashed valid, whose stat
 * has not changed since, is not read again (see snapshot.ts for why a stat is enough).
 */
async function trustUnchanged(layout: Layout, v: Verification, options: VerifyOptions): Promise<Hasher> {
  const valid = new Set([...v.scan.blobs.values()].filter((b) => b.hashOk).map((b) => b.digest));
  if (valid.size === 0) return options.hasher;
  const snapshot = await StatSnapshot.record(layout, v.scan, valid, { hasher: options.hasher });
  return trustingHasher(options.hasher, layout, snapshot, { hashed: 0, trusted: 0 });
}

/** Findings about index.json are told apart by their words; a blob's by its path. */
function sameFinding(f: Finding): string {
  return `${f.kind}:${f.path}${f.path === INDEX_FILE ? `:${f.detail}` : ''}`;
}

/** The scan without the files `findings` say were removed. */
export function afterRemoval(scan: ScanResult, findings: Finding[], layout: Layout): ScanResult {
  const removed = new Set(
    findings.filter((f) => f.action === 'removed').map((f) => path.join(layout.root, f.path)),
  );
  return {
    blobs: new Map([...scan.blobs].filter(([, b]) => !removed.has(b.path))),
    partials: scan.partials.filter((p) => !removed.has(p.path)),
    strays: scan.strays.filter((s) => !removed.has(s.path)),
  };
}
