import { readFile } from 'node:fs/promises';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';
import { UsageError } from '../errors.js';
import { parseReference, type Reference } from '../oci/reference.js';

/** Where an image name came from, so errors and annotations point at the right line. */
export interface Origin {
  /** The file (as the user wrote its path) or the input's name, e.g. `images`. */
  file?: string;
  input?: string;
  line?: number;
  column?: number;
}

export interface ImageRequest {
  reference: Reference;
  origin: Origin;
}

/** A bad image list: carries the origin so the Action can annotate the right line. */
export class ImageListError extends UsageError {
  override name = 'ImageListError';
  constructor(
    message: string,
    readonly origin: Origin,
  ) {
    super(message);
  }
}

function where(origin: Origin): string {
  const place = origin.file ?? `input ${origin.input}`;
  return origin.line ? `${place}:${origin.line}${origin.column ? `:${origin.column}` : ''}` : place;
}

function parseAt(value: string, origin: Origin): ImageRequest {
  try {
    return { reference: parseReference(value), origin };
  } catch (err) {
    throw new ImageListError(`${where(origin)}: ${(err as Error).message}`, origin);
  }
}

/** One reference per line; blank lines and `#` comments are ignored. */
export function imagesFromText(text: string, input: string): ImageRequest[] {
  const out: ImageRequest[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const value = raw.replace(/(^|\s)#.*$/, '').trim();
    if (value) out.push(parseAt(value, { input, line: i + 1 }));
  });
  return out;
}

/**
 * The images a linuxkit YAML file builds from: `kernel.image`, `init[]`, and `image` of each
 * `onboot`, `onshutdown` and `services` entry, each with its line.
 */
export async function imagesFromLinuxkitFile(path: string): Promise<ImageRequest[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImageListError(
      code === 'ENOENT'
        ? `linuxkit file ${path} does not exist`
        : `cannot read linuxkit file ${path}: ${(err as Error).message}`,
      { file: path },
    );
  }
  return imagesFromLinuxkitYaml(text, path);
}

/**
 * Alias uses a linuxkit file may make, counted as the `yaml` library counts them (each use
 * times the aliases inside what it names). Files written by hand use a handful; a "billion
 * laughs" document needs far more, and is refused before anything expands it.
 */
export const MAX_YAML_ALIASES = 1000;

export function imagesFromLinuxkitYaml(text: string, file: string): ImageRequest[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    const origin = { file, line: pos.line, column: pos.col };
    // The parser recurses per level of nesting; what overflows it is input, not our fault.
    const why = /call stack/i.test(firstError.message)
      ? 'nested too deeply to read'
      : firstError.message.split('\n')[0];
    throw new ImageListError(`${where(origin)}: not valid YAML: ${why}`, origin);
  }
  checkAliases(doc, file);
  const contents = deref(doc, doc.contents);
  if (!isMap(contents)) {
    throw new ImageListError(
      `${file}: not a linuxkit file (expected a mapping with kernel, init, onboot, services)`,
      { file },
    );
  }
  const out: ImageRequest[] = [];
  /** `at` is where the value is used (its line is the one reported): an alias, a merge, the value. */
  const take = (found: Found | undefined, what: string) => {
    if (found === undefined || found.node === null) return;
    const pos = found.at.range ? lineCounter.linePos(found.at.range[0]) : undefined;
    const origin: Origin = { file, ...(pos ? { line: pos.line, column: pos.col } : {}) };
    const value = deref(doc, found.node);
    if (!isScalar(value) || typeof value.value !== 'string' || value.value.trim() === '') {
      throw new ImageListError(`${where(origin)}: ${what} must be an image reference string`, origin);
    }
    out.push(parseAt(value.value.trim(), origin));
  };
  const kernel = deref(doc, lookup(doc, contents, 'kernel')?.node);
  if (isMap(kernel)) take(lookup(doc, kernel, 'image'), 'kernel.image');
  const init = deref(doc, lookup(doc, contents, 'init')?.node);
  if (isSeq(init)) init.items.forEach((item, i) => take({ node: item, at: item as Node }, `init[${i}]`));
  for (const section of ['onboot', 'onshutdown', 'services']) {
    const list = deref(doc, lookup(doc, contents, section)?.node);
    if (!isSeq(list)) continue;
    list.items.forEach((item, i) => {
      const entry = deref(doc, item);
      if (isMap(entry)) take(lookup(doc, entry, 'image'), `${section}[${i}].image`);
    });
  }
  return out;
}

/**
 * Expands every alias once, with the library's own limit, so an alias bomb or an alias to an
 * anchor that does not exist is refused in one line; the walk below then follows aliases
 * node by node, keeping the line where each value is used.
 */
function checkAliases(doc: Document, file: string): void {
  try {
    doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    const why = (err as Error).message;
    throw new ImageListError(
      /resource exhaustion/.test(why)
        ? `${file}: refusing it: its YAML aliases expand past ${MAX_YAML_ALIASES} uses (an alias bomb?)`
        : `${file}: not valid YAML: ${why.split('\n')[0]}`,
      { file },
    );
  }
}

/** The node an alias (`*name`) stands for; any other node itself. */
function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** A value found in a map, and the node whose line to report for it. */
interface Found {
  node: unknown;
  at: Node;
}

/**
 * `map[key]` as linuxkit's YAML reader sees it: the key itself, else one brought in by a
 * merge key (`<<: *base` or `<<: [*a, *b]`, the first that has it; reported at the merge).
 * A map that merges itself (`&a {<<: *a}`) is visited once.
 */
function lookup(doc: Document, map: YAMLMap, key: string): Found | undefined {
  // Depth first over merge keys (`<<`), in order, each map once; a map's own key wins over
  // what it merges. A stack, not recursion: the chain of merges is as long as the file says.
  const seen = new Set<YAMLMap>();
  const stack: { map: YAMLMap; via?: Node }[] = [{ map }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    if (seen.has(top.map)) continue;
    seen.add(top.map);
    const merges: { map: YAMLMap; via: Node }[] = [];
    for (const pair of top.map.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (k === key) return { node: pair.value, at: top.via ?? ((pair.value ?? pair.key) as Node) };
      if (k !== '<<') continue;
      const source = deref(doc, pair.value);
      for (const m of isSeq(source) ? source.items.map((i) => deref(doc, i)) : [source])
        if (isMap(m)) merges.push({ map: m, via: top.via ?? (pair.value as Node) });
    }
    stack.push(...merges.reverse());
  }
  return undefined;
}

/** Merges lists, one request per expanded name (the first origin wins). */
export function uniqueImages(lists: ImageRequest[][]): ImageRequest[] {
  const seen = new Map<string, ImageRequest>();
  for (const r of lists.flat()) if (!seen.has(r.reference.name)) seen.set(r.reference.name, r);
  return [...seen.values()];
}
