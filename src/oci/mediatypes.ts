export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerManifestSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}

export function isSchema1MediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.DockerManifestSchema1 || mediaType === MediaType.DockerManifestSchema1Signed;
}

/** Manifests and indexes are JSON documents we parse; cap what we are willing to read. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * An image config is JSON we parse too (its platform), capped as a manifest is: containers/image
 * caps configs at 4 MiB as well. A config declared bigger is refused before any byte is fetched.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Annotations that carry meaning for a cache. */
export const Annotation = {
  RefName: 'org.opencontainers.image.ref.name',
  /** On a buildkit attestation manifest: the digest of the platform manifest it describes. */
  DockerReferenceDigest: 'vnd.docker.reference.digest',
  DockerReferenceType: 'vnd.docker.reference.type',
} as const;
