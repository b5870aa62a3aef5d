import type { Descriptor, ImageIndex } from '../oci/descriptor.js';
import { Annotation, isIndexMediaType } from '../oci/mediatypes.js';
import { formatPlatform, platformSatisfies, type Platform } from '../oci/platform.js';
import { isAttestation } from '../verify/walk.js';

/** Which platforms to pull: a list, or every platform the index offers (as linuxkit stores). */
export type PlatformSelection = Platform[] | 'all';

export interface IndexSelection {
  /** Platform manifests (or nested indexes) to pull. */
  manifests: Descriptor[];
  /** Attestation manifests describing a chosen manifest: `linuxkit build` reads them. */
  attestations: Descriptor[];
  /**
   * Wanted platforms this index does not list itself. A nested index it lists may still
   * offer them: the caller walks those before it calls a platform missing.
   */
  unavailable: Platform[];
}

/** Picks what to pull from an index for the wanted platforms; a descriptor listed again is picked once. */
export function selectFromIndex(index: ImageIndex, wanted: PlatformSelection): IndexSelection {
  const picked = new Set<string>();
  const once = (m: Descriptor): boolean => {
    const key = `${m.mediaType} ${m.digest}`;
    if (picked.has(key)) return false;
    picked.add(key);
    return true;
  };
  const candidates = index.manifests.filter((m) => !isAttestation(m));
  const nested = candidates.filter((m) => isIndexMediaType(m.mediaType));
  const manifests: Descriptor[] = [];
  const unavailable: Platform[] = [];
  if (wanted === 'all') {
    for (const m of candidates) if (once(m)) manifests.push(m);
  } else {
    for (const platform of wanted) {
      const match = candidates.find((m) => m.platform && platformSatisfies(m.platform, platform));
      if (match) {
        if (once(match)) manifests.push(match);
      } else unavailable.push(platform);
    }
    // Nested indexes carry no platform of their own: follow them all.
    for (const m of nested) if (once(m)) manifests.push(m);
  }
  const chosen = new Set(manifests.map((m) => m.digest));
  const attestations = index.manifests.filter(
    (m) =>
      isAttestation(m) && chosen.has(m.annotations?.[Annotation.DockerReferenceDigest] as never) && once(m),
  );
  return { manifests, attestations, unavailable };
}

export function describePlatforms(index: ImageIndex): string {
  return index.manifests
    .filter((m) => !isAttestation(m) && m.platform)
    .map((m) => formatPlatform(m.platform!))
    .join(', ');
}
