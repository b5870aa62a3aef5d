import { GuardError } from '../errors.js';
import { parseDigest, type Digest } from './digest.js';
import { depthDetail, jsonDepth, MAX_JSON_DEPTH, showJsonValue } from './json.js';
import { isIndexMediaType, isManifestMediaType } from './mediatypes.js';
import { normalizePlatform, type Platform } from './platform.js';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A manifest, index or index.json that is not what its media type says it is. */
export class InvalidDocumentError extends GuardError {
  override name = 'InvalidDocumentError';
}

/**
 * A size that is a whole number above 2^53: JSON.parse has already rounded it, so the message
 * says it with the digits of the document's own text where the caller has that text.
 */
class SizeTooLargeError extends InvalidDocumentError {
  constructor(
    readonly where: string,
    readonly value: number,
  ) {
    super(tooLarge(where, String(BigInt(value))));
  }
}

function tooLarge(where: string, digits: string): string {
  return `${where}: size ${digits} is above 2^53 (9007199254740992), more than any blob can be`;
}

/** `"size": 1152921504606846977` as written, for a size JSON.parse rounded to `value`. */
function sizeAsWritten(text: string, value: number): string | undefined {
  // One linear pass, only on this error path; the text is already size-capped by its reader.
  for (const m of text.matchAll(/"size"\s*:\s*(\d+)(?![\d.eE])/g)) if (Number(m[1]) === value) return m[1];
  return undefined;
}

/** Parses a document with `read`, saying an oversized size with its exact digits. */
function withExactSizes<T>(text: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof SizeTooLargeError)) throw err;
    const digits = sizeAsWritten(text, err.value);
    throw digits ? new InvalidDocumentError(tooLarge(err.where, digits)) : err;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new InvalidDocumentError(`${where}: annotations must map strings to strings`);
  }
  return v as Record<string, string>;
}

/** Validates one descriptor; the digest is checked before anything can use it as a path. */
export function parseDescriptor(v: unknown, where = 'descriptor'): Descriptor {
  if (!isRecord(v)) throw new InvalidDocumentError(`${where}: not an object`);
  if (typeof v.mediaType !== 'string' || v.mediaType === '') {
    throw new InvalidDocumentError(`${where}: mediaType missing`);
  }
  const size = v.size;
  if (typeof size === 'number' && Number.isInteger(size) && size > Number.MAX_SAFE_INTEGER)
    throw new SizeTooLargeError(where, size);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidDocumentError(`${where}: size ${showJsonValue(size)} is not a non-negative integer`);
  }
  let digest: Digest;
  try {
    digest = parseDigest(v.digest, `${where} digest`);
  } catch (err) {
    throw new InvalidDocumentError((err as Error).message);
  }
  const d: Descriptor = { mediaType: v.mediaType, digest, size };
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  const annotations = stringMap(v.annotations, where);
  if (annotations) d.annotations = annotations;
  if (isRecord(v.platform)) {
    const { os, architecture, variant } = v.platform;
    if (typeof os !== 'string' || typeof architecture !== 'string') {
      throw new InvalidDocumentError(`${where}: platform needs os and architecture`);
    }
    d.platform = normalizePlatform({ os, architecture, ...(typeof variant === 'string' ? { variant } : {}) });
  }
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  return d;
}

/** JSON.parse (iterative in V8: any depth) with the error a document deserves. */
function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidDocumentError(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * A parsed document nested deeper than Go reads (see MAX_JSON_DEPTH) is refused as linuxkit
 * would refuse it: checked where every reader (pull, the walk, the registry client) turns
 * JSON into a manifest or an index.
 */
function refuseTooDeep(v: unknown, where: string): void {
  const depth = jsonDepth(v);
  if (depth > MAX_JSON_DEPTH) throw new InvalidDocumentError(`${where}: ${depthDetail(depth)}`);
}

const asText = (bytes: Uint8Array | string): string =>
  typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');

/** Parses an OCI index, a Docker manifest list, or an image layout's index.json. */
export function parseIndex(bytes: Uint8Array | string, where = 'index'): ImageIndex {
  const text = asText(bytes);
  return withExactSizes(text, () => indexFromJson(parseJson(text, where), where));
}

/** An index from an already parsed JSON value: one blob's JSON can be read as either kind. */
export function indexFromJson(v: unknown, where = 'index'): ImageIndex {
  refuseTooDeep(v, where);
  if (!isRecord(v)) throw new InvalidDocumentError(`${where}: not a JSON object`);
  if (v.schemaVersion !== 2) throw new InvalidDocumentError(`${where}: schemaVersion must be 2`);
  if (!Array.isArray(v.manifests)) throw new InvalidDocumentError(`${where}: manifests must be an array`);
  if (typeof v.mediaType === 'string' && !isIndexMediaType(v.mediaType)) {
    throw new InvalidDocumentError(`${where}: mediaType ${v.mediaType} is not an index`);
  }
  return {
    schemaVersion: 2,
    ...(typeof v.mediaType === 'string' ? { mediaType: v.mediaType } : {}),
    manifests: v.manifests.map((m, i) => parseDescriptor(m, `${where} manifests[${i}]`)),
    ...(stringMap(v.annotations, where) ? { annotations: stringMap(v.annotations, where) } : {}),
  };
}

/** Parses an OCI image manifest or a Docker schema 2 manifest. */
export function parseManifest(bytes: Uint8Array | string, where = 'manifest'): ImageManifest {
  const text = asText(bytes);
  return withExactSizes(text, () => manifestFromJson(parseJson(text, where), where));
}

/** A manifest from an already parsed JSON value. */
export function manifestFromJson(v: unknown, where = 'manifest'): ImageManifest {
  refuseTooDeep(v, where);
  if (!isRecord(v)) throw new InvalidDocumentError(`${where}: not a JSON object`);
  if (v.schemaVersion !== 2) throw new InvalidDocumentError(`${where}: schemaVersion must be 2`);
  if (typeof v.mediaType === 'string' && !isManifestMediaType(v.mediaType)) {
    throw new InvalidDocumentError(`${where}: mediaType ${v.mediaType} is not an image manifest`);
  }
  if (!Array.isArray(v.layers)) throw new InvalidDocumentError(`${where}: layers must be an array`);
  const m: ImageManifest = {
    schemaVersion: 2,
    config: parseDescriptor(v.config, `${where} config`),
    layers: v.layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`)),
  };
  if (typeof v.mediaType === 'string') m.mediaType = v.mediaType;
  if (v.subject !== undefined) m.subject = parseDescriptor(v.subject, `${where} subject`);
  const annotations = stringMap(v.annotations, where);
  if (annotations) m.annotations = annotations;
  return m;
}
