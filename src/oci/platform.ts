import { UsageError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parses `os/arch[/variant]`; throws a UsageError naming the value otherwise. */
export function parsePlatform(value: string): Platform {
  const parts = value.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new UsageError(
      `invalid platform ${JSON.stringify(value)}: expected os/arch[/variant], e.g. linux/amd64`,
    );
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return normalizePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}

/**
 * Go's GOOS and GOARCH values (`go tool dist list`): the image spec's vocabulary for `os` and
 * `architecture`. Only for platforms a person asks for; platforms read from images are
 * taken as they are (attestations say unknown/unknown).
 */
const KNOWN_OS: ReadonlySet<string> = new Set(
  'aix android darwin dragonfly freebsd illumos ios js linux netbsd openbsd plan9 solaris wasip1 windows'.split(
    ' ',
  ),
);
const KNOWN_ARCHITECTURES: ReadonlySet<string> = new Set(
  '386 amd64 arm arm64 loong64 mips mips64 mips64le mipsle ppc64 ppc64le riscv64 s390x wasm'.split(' '),
);

/**
 * Parses a platform someone asked for (an input, a flag): like parsePlatform, and an os or
 * architecture Go does not know (`linux/amd46`) is refused at once instead of showing up
 * later as a platform no image has.
 */
export function parseWantedPlatform(value: string): Platform {
  const p = parsePlatform(value);
  const unknown = !KNOWN_OS.has(p.os)
    ? `os ${JSON.stringify(p.os)}`
    : !KNOWN_ARCHITECTURES.has(p.architecture)
      ? `architecture ${JSON.stringify(p.architecture)}`
      : undefined;
  if (unknown) {
    throw new UsageError(
      `unknown platform ${JSON.stringify(value.trim())}: ${unknown} is not a Go GOOS/GOARCH value (e.g. linux/amd64, linux/arm64)`,
    );
  }
  return p;
}

/** Same defaults as containerd: arm64 has variant v8 implied, arm defaults to v7. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (architecture === 'arm' && !variant) variant = 'v7';
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** True when an image for `have` runs where `want` is asked for. */
export function platformSatisfies(have: Platform, want: Platform): boolean {
  const a = normalizePlatform(have);
  const b = normalizePlatform(want);
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/** unknown/unknown: the platform buildkit gives attestation manifests. */
export function isUnknownPlatform(p: Platform | undefined): boolean {
  return p?.os === 'unknown' && p.architecture === 'unknown';
}

/** The platform of the machine we run on, in OCI terms. */
export function hostPlatform(): Platform {
  return normalizePlatform({
    os: process.platform === 'win32' ? 'windows' : process.platform,
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
  });
}
