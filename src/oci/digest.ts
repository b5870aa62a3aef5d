import { InvalidDigestError } from '../errors.js';
import { showJsonValue } from './json.js';

export type Algorithm = 'sha256' | 'sha512';

/** A digest checked by parseDigest(): the only kind of string that may become a blob path. */
export type Digest = string & { readonly __digest: unique symbol };

export const HEX_LENGTH: Readonly<Record<Algorithm, number>> = { sha256: 64, sha512: 128 };

export function isAlgorithm(value: string): value is Algorithm {
  return Object.hasOwn(HEX_LENGTH, value);
}

/** True when `hex` is lowercase hex of the exact length for `algorithm`. */
export function isValidHex(algorithm: Algorithm, hex: string): boolean {
  return hex.length === HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(hex);
}

export function isDigest(value: unknown): value is Digest {
  if (typeof value !== 'string') return false;
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  return colon > 0 && isAlgorithm(algorithm) && isValidHex(algorithm, value.slice(colon + 1));
}

/** Checks `value` and brands it; throws InvalidDigestError naming the value otherwise. */
export function parseDigest(value: unknown, what = 'digest'): Digest {
  if (isDigest(value)) return value;
  throw new InvalidDigestError(
    `invalid ${what} ${showJsonValue(value)}: expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`,
  );
}

export function makeDigest(algorithm: Algorithm, hex: string): Digest {
  return parseDigest(`${algorithm}:${hex}`);
}

export function digestAlgorithm(digest: Digest): Algorithm {
  return digest.slice(0, digest.indexOf(':')) as Algorithm;
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** `sha256:ab12cd34ef56…` for messages. */
export function shortDigest(digest: Digest): string {
  return `${digest.slice(0, digest.indexOf(':') + 13)}…`;
}
