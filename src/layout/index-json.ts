import { parseDescriptor, type Descriptor } from '../oci/descriptor.js';
import { depthDetail, jsonDepth, MAX_JSON_DEPTH, stringifyJson } from '../oci/json.js';
import { Annotation } from '../oci/mediatypes.js';

/**
 * The one reader and writer of index.json. Entries are kept as the values they were read as
 * and written back with an iterative serialiser, so an entry with deep unknown fields survives
 * another entry being added. What Go's decoder (linuxkit) would refuse is said per part, so a
 * repair drops only that part: an entry nested too deep, a top-level field nested too deep, a
 * byte order mark.
 */

/** One entry of index.json: the raw object as written (kept verbatim on rewrite) and what it means. */
export interface IndexEntry {
  raw: unknown;
  /** Absent when the entry is not a valid descriptor; `error` says why. */
  descriptor?: Descriptor;
  error?: string;
  /** `org.opencontainers.image.ref.name`, when present. */
  name?: string;
}

export interface IndexDocument {
  /** Top-level fields other than `manifests`, kept on rewrite. */
  fields: Record<string, unknown>;
  entries: IndexEntry[];
  /** The file began with a UTF-8 byte order mark: Go's decoder refuses it; a rewrite leaves it out. */
  bom?: boolean;
  /** Top-level fields nested deeper than Go reads (each makes the whole file unreadable to linuxkit), and why. */
  deepFields?: Map<string, string>;
}

/** U+FEFF, as an editor puts it before the first byte of a UTF-8 file. */
const BOM = '\ufeff';

export function entryName(raw: unknown): string | undefined {
  const annotations = (raw as { annotations?: Record<string, unknown> } | null)?.annotations;
  const name = annotations?.[Annotation.RefName];
  return typeof name === 'string' ? name : undefined;
}

/**
 * Parses index.json. Throws (the file is unusable: moved aside by repair) only when it is not
 * a JSON object of schemaVersion 2 with an array of manifests; anything narrower is kept on
 * the entry or field it concerns.
 */
export function parseIndexDocument(text: string): IndexDocument {
  const bom = text.startsWith(BOM);
  const v: unknown = JSON.parse(bom ? text.slice(BOM.length) : text); // iterative in V8: any depth
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  const { manifests, ...fields } = v as Record<string, unknown>;
  if (fields.schemaVersion !== 2) throw new Error('schemaVersion is not 2');
  if (manifests !== undefined && !Array.isArray(manifests)) throw new Error('manifests is not an array');
  const deepFields = new Map<string, string>();
  for (const [key, value] of Object.entries(fields)) {
    const depth = 1 + jsonDepth(value); // inside the top-level object
    if (depth > MAX_JSON_DEPTH) deepFields.set(key, depthDetail(depth));
  }
  const entries = (manifests ?? []).map((raw, i): IndexEntry => {
    const name = entryName(raw);
    const named = name ? { name } : {};
    const depth = 2 + jsonDepth(raw); // inside the top-level object and its manifests array
    if (depth > MAX_JSON_DEPTH) return { raw, error: depthDetail(depth), ...named };
    try {
      return { raw, descriptor: parseDescriptor(raw, `index.json manifests[${i}]`), ...named };
    } catch (err) {
      return { raw, error: (err as Error).message, ...named };
    }
  });
  return { fields, entries, ...(bom ? { bom } : {}), ...(deepFields.size > 0 ? { deepFields } : {}) };
}

/** index.json as we write it: indented, no byte order mark, every entry and field as it was read. */
export function serializeIndex(doc: Pick<IndexDocument, 'fields' | 'entries'>): string {
  return `${stringifyJson({ ...doc.fields, manifests: doc.entries.map((e) => e.raw) }, 2)}\n`;
}

/** An entry's identity across two reads of the file: its whole content, at any depth. */
export function entryKey(entry: IndexEntry): string {
  return stringifyJson(entry.raw) ?? 'undefined';
}

/** What is wrong with the file's form (not its entries) that linuxkit would refuse, in report words. */
export function formProblems(doc: IndexDocument): string[] {
  const problems: string[] = [];
  if (doc.bom) problems.push('starts with a UTF-8 byte order mark (U+FEFF), which linuxkit cannot read');
  for (const [key, why] of doc.deepFields ?? []) problems.push(`field ${JSON.stringify(key)} ${why}`);
  return problems;
}
