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
  /** Wanted platforms the index does not offer. */
  unavailable: Platform[];
}

/** Picks what to pull from an index for the wanted platforms. */
export function selectFromIndex(index: ImageIndex, wanted: PlatformSelection): IndexSelection {
  const candidates = index.manifests.filter((m) => !isAttestation(m));
  const manifests: Descriptor[] = [];
  const unavailable: Platform[] = [];
  if (wanted === 'all') manifests.push(...candidates);
  else {
    for (const platform of wanted) {
      const match = candidates.find((m) => m.platform && platformSatisfies(m.platform, platform));
      if (match) {
        if (!manifests.includes(match)) manifests.push(match);
      } else if (!candidates.some((m) => isIndexMediaType(m.mediaType))) unavailable.push(platform);
    }
    // Nested indexes carry no platform of their own: follow them all.
    for (const m of candidates)
      if (isIndexMediaType(m.mediaType) && !manifests.includes(m)) manifests.push(m);
  }
  const chosen = new Set(manifests.map((m) => m.digest));
  const attestations = index.manifests.filter(
    (m) => isAttestation(m) && chosen.has(m.annotations?.[Annotation.DockerReferenceDigest] as never),
  );
  return { manifests, attestations, unavailable };
}

export function describePlatforms(index: ImageIndex): string {
  return index.manifests
    .filter((m) => !isAttestation(m) && m.platform)
    .map((m) => formatPlatform(m.platform!))
    .join(', ');
}
