import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Digest } from '../oci/digest.js';
import type { Reference } from '../oci/reference.js';
import type { RegistryClient, ResolvedManifest } from '../registry/client.js';

/**
 * never: an image complete in the cache is used as it is (no request); head: its tag is
 * re-resolved with one HEAD (GET when the registry sends no digest) and pulled only when it
 * moved; always: pulled as if absent (only what is missing is fetched).
 */
export type RefreshMode = 'never' | 'head' | 'always';
export const REFRESH_MODES: readonly RefreshMode[] = ['never', 'head', 'always'];

/**
 * refresh: head: the digest the tag names now, from one HEAD; when the registry sends no
 * Docker-Content-Digest, from a GET, whose manifest the pull then uses. Undefined (keep the
 * cached image) when the registry cannot be asked.
 */
export async function currentRoot(
  client: RegistryClient,
  ref: Reference,
  ctx: { signal?: AbortSignal; logger?: Logger },
): Promise<{ digest: Digest; resolved?: ResolvedManifest } | undefined> {
  const opts = ctx.signal ? { signal: ctx.signal } : {};
  try {
    const digest = await client.headDigest(ref, opts);
    if (digest) return { digest };
    ctx.logger?.debug(`${ref.name}: no Docker-Content-Digest on HEAD: resolving the tag with GET`);
    const resolved = await client.resolve(ref, opts);
    return { digest: resolved.descriptor.digest, resolved };
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    ctx.logger?.warn(
      `${ref.name}: could not check whether its tag moved (${errorMessage(err)}): using the cached image`,
    );
    return undefined;
  }
}
