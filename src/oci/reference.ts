/**
 * Image references, expanded the way linuxkit expands them.
 *
 * linuxkit (src/cmd/linuxkit/util/reference.go `ReferenceExpand`, used by `linuxkit build` through
 * moby/build/build.go and cache/pull.go `ImagePull`) does NOT use distribution's
 * `ParseNormalizedNamed`. It splits the string on `/`:
 *   - one part (`redis`, `redis:7`, `redis@sha256:…`)      → `docker.io/library/` + ref
 *   - two parts whose first has no `.` / `:` and is not `localhost` (`linuxkit/kernel:6.6`)
 *                                                          → `docker.io/` + ref
 *   - anything else is kept exactly as written (`docker.io/redis`, `foo/bar/baz`, `ghcr.io/o/r`).
 * No `:latest` is added for `linuxkit build` (only `linuxkit cache pull` adds one), so the cache entry
 * that `linuxkit build` looks up for `redis` is named `docker.io/library/redis`. The name then goes
 * through containerd's `reference.Parse(...).String()`, which gives the same string back for every
 * reference we accept, tag and digest included.
 *
 * Where the bytes come from is decided by go-containerregistry's reading of that name (the first path
 * component is a registry when it holds `.` or `:`; Docker Hub repositories without a `/` get
 * `library/`), so `docker.io/redis` is stored as `docker.io/redis` but fetched from
 * `docker.io` repository `library/redis`. We follow Docker in treating a leading `localhost/` as a
 * registry too. The grammar checked is distribution's (lowercase path components, tag
 * `[\w][\w.-]{0,127}`, name ≤ 255 characters).
 */
import { UsageError } from '../errors.js';
import { quoteAscii } from '../format.js';
import { isDigest, type Digest } from './digest.js';

/** A parsed image reference. */
export interface Reference {
  /** The string as the user wrote it. */
  original: string;
  /**
   * The expanded name linuxkit stores as `org.opencontainers.image.ref.name` and looks up:
   * `docker.io/library/redis`, `docker.io/linuxkit/kernel:5.10.76`, `docker.io/x/y:t@sha256:…`.
   */
  name: string;
  /** Registry, with Docker Hub's aliases folded to `docker.io`: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path within the registry: `library/redis`, `linuxkit/kernel`. */
  repository: string;
  /** The tag when one was written (none is implied: see `manifestTarget`). */
  tag?: string;
  /** The digest when one was written; it wins over the tag when fetching. */
  digest?: Digest;
}

/** A reference string that cannot be parsed; the message names it and what is wrong. */
export class InvalidReferenceError extends UsageError {
  override name = 'InvalidReferenceError';
  constructor(
    readonly reference: string,
    readonly problem: string,
  ) {
    super(`invalid image reference ${quoteAscii(reference.slice(0, 300))}: ${problem}`);
  }
}

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's distribution API is served. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key docker's config.json uses for Docker Hub credentials. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
export const DEFAULT_TAG = 'latest';

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io']);
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DOMAIN_LABEL = '(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]+)?$`);

/** linuxkit's `util.ReferenceExpand` without `ReferenceWithTag`: the name `linuxkit build` looks up. */
export function expandName(ref: string): string {
  const parts = ref.split('/');
  if (parts.length === 1) return `${DOCKER_HUB}/library/${ref}`;
  const first = parts[0] as string;
  if (parts.length === 2 && !first.includes('.') && !first.includes(':') && first !== 'localhost') {
    return `${DOCKER_HUB}/${ref}`;
  }
  return ref;
}

function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** Parses and expands an image reference; throws InvalidReferenceError naming what is wrong. */
export function parseReference(input: string): Reference {
  const fail = (problem: string): never => {
    throw new InvalidReferenceError(input, problem);
  };
  if (typeof input !== 'string' || input === '') fail('empty reference');
  if (input.includes('://')) fail('a reference has no URL scheme; write host/repository[:tag]');
  if (/\s/.test(input)) fail('contains whitespace');

  const name = expandName(input);

  let rest = name;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (d.includes('@')) fail('more than one "@"');
    if (!isDigest(d)) {
      fail(`digest ${quoteAscii(d)} is not sha256:<64 lowercase hex> or sha512:<128 lowercase hex>`);
    }
    digest = d as Digest;
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      fail(`tag ${quoteAscii(tag)} must be 1 to 128 of A-Z a-z 0-9 _ . - and must not start with . or -`);
    }
  }
  if (rest.length > MAX_NAME_LENGTH) fail(`name is longer than ${MAX_NAME_LENGTH} characters`);

  const slash = rest.indexOf('/');
  let registry = DOCKER_HUB;
  let repository = rest;
  if (slash > 0 && looksLikeRegistry(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    repository = rest.slice(slash + 1);
    if (!DOMAIN.test(registry)) fail(`registry ${quoteAscii(registry)} is not a valid host[:port]`);
  }
  if (repository === '') fail('repository name is empty');
  for (const component of repository.split('/')) {
    if (component === '') fail(`repository ${quoteAscii(repository)} has an empty path component`);
    if (component !== component.toLowerCase()) {
      fail(`repository ${quoteAscii(repository)} must be lowercase`);
    }
    if (!PATH_COMPONENT.test(component)) {
      fail(
        `repository component ${quoteAscii(component)} may hold only a-z 0-9 and single separators (. _ __ -) between them`,
      );
    }
  }
  if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) {
    registry = DOCKER_HUB;
    if (!repository.includes('/')) repository = `library/${repository}`;
  }

  return {
    original: input,
    name,
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** What to ask the registry for: the digest when there is one, else the tag, else `latest`. */
export function manifestTarget(ref: Reference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** The host serving a registry's distribution API: `registry-1.docker.io` for Docker Hub. */
export function registryApiHost(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase()) ? DOCKER_HUB_API_HOST : registry;
}

/** `registry/repository[:tag][@digest]` for messages, e.g. `127.0.0.1:5000/test/img:nope`. */
export function formatReference(ref: Pick<Reference, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
