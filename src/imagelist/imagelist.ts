import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
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

export function imagesFromLinuxkitYaml(text: string, file: string): ImageRequest[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    const origin = { file, line: pos.line, column: pos.col };
    throw new ImageListError(
      `${where(origin)}: not valid YAML: ${firstError.message.split('\n')[0]}`,
      origin,
    );
  }
  if (!isMap(doc.contents)) {
    throw new ImageListError(
      `${file}: not a linuxkit file (expected a mapping with kernel, init, onboot, services)`,
      { file },
    );
  }
  const out: ImageRequest[] = [];
  const take = (node: unknown, what: string) => {
    if (node === undefined || node === null) return;
    const n = node as Node;
    const pos = n.range ? lineCounter.linePos(n.range[0]) : undefined;
    const origin: Origin = { file, ...(pos ? { line: pos.line, column: pos.col } : {}) };
    if (!isScalar(n) || typeof n.value !== 'string' || n.value.trim() === '') {
      throw new ImageListError(`${where(origin)}: ${what} must be an image reference string`, origin);
    }
    out.push(parseAt(n.value.trim(), origin));
  };
  const kernel = doc.get('kernel', true);
  if (isMap(kernel)) take(kernel.get('image', true), 'kernel.image');
  const init = doc.get('init', true);
  if (isSeq(init)) init.items.forEach((item, i) => take(item, `init[${i}]`));
  for (const section of ['onboot', 'onshutdown', 'services']) {
    const list = doc.get(section, true);
    if (!isSeq(list)) continue;
    list.items.forEach((item, i) => {
      if (isMap(item)) take(item.get('image', true), `${section}[${i}].image`);
    });
  }
  return out;
}

/** Merges lists, one request per expanded name (the first origin wins). */
export function uniqueImages(lists: ImageRequest[][]): ImageRequest[] {
  const seen = new Map<string, ImageRequest>();
  for (const r of lists.flat()) if (!seen.has(r.reference.name)) seen.set(r.reference.name, r);
  return [...seen.values()];
}
