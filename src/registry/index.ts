export {
  createRegistryClient,
  MANIFEST_ACCEPT,
  parseContentRange,
  type BlobLocation,
  type BlobRequest,
  type BlobResponse,
  type RangeRequest,
  type RangeResponse,
  type RegistryClient,
  type RepositoryRef,
  type RequestOptions,
  type ResolvedManifest,
} from './client.js';
export {
  AuthError,
  ManifestTooLargeError,
  RegistryError,
  TransportPolicyError,
  UnsupportedManifestError,
  type OciErrorCode,
} from './errors.js';
export type { RateLimit } from './http.js';
export {
  DEFAULTS,
  resolveOptions,
  type RegistryClientInput,
  type RegistryClientOptions,
  type StaticCredential,
} from './options.js';
export { RETRY_DEFAULTS, type RetryEvent, type RetryOptions } from './retry.js';
