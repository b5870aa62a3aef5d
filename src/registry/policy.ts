/**
 * Transport policy: which URLs we talk to over what, where credentials may go, which redirects we follow.
 * HTTPS everywhere except loopback hosts and registries the user names insecure; credentials never go
 * over plain HTTP to a host that is not loopback; a redirect never downgrades to HTTP, never leaves a
 * public host for a loopback or link-local one, and never carries our Authorization to another host.
 */
import { isIP } from 'node:net';
import { TransportPolicyError } from './errors.js';

/** `host` of `host[:port]` / `[v6]:port`, lowercased, without brackets. */
export function hostname(hostport: string): string {
  const h = hostport.toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function ipv4Octets(host: string): number[] | undefined {
  if (isIP(host) === 4) return host.split('.').map(Number);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  return mapped && isIP(mapped[1] as string) === 4 ? (mapped[1] as string).split('.').map(Number) : undefined;
}

/** localhost, 127.0.0.0/8, ::1 (and IPv4-mapped loopback). */
export function isLoopbackHost(hostport: string): boolean {
  const host = hostname(hostport);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return ipv4Octets(host)?.[0] === 127;
}

/** Loopback, link-local (cloud metadata at 169.254.169.254), unspecified addresses. */
export function isLocalHost(hostport: string): boolean {
  if (isLoopbackHost(hostport)) return true;
  const host = hostname(hostport);
  const v4 = ipv4Octets(host);
  if (v4) return (v4[0] === 169 && v4[1] === 254) || v4.every((o) => o === 0);
  if (isIP(host) === 6) return host === '::' || /^fe[89ab][0-9a-f]:/.test(host);
  return false;
}

export interface TransportPolicy {
  /** `host[:port]` (or bare host, any port) of registries that may be reached over plain HTTP. */
  insecureRegistries: readonly string[];
}

function namedInsecure(hostport: string, policy: TransportPolicy): boolean {
  const hp = hostport.toLowerCase();
  const host = hostname(hp);
  return policy.insecureRegistries.some((r) => {
    const want = r
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, '')
      .replace(/\/.*$/, '');
    return want === hp || want === host;
  });
}

/** True when plain HTTP may be used for `hostport`. */
export function plainHttpAllowed(hostport: string, policy: TransportPolicy): boolean {
  return isLoopbackHost(hostport) || namedInsecure(hostport, policy);
}

/** Credentials may be sent over HTTPS, or over plain HTTP to a loopback host only. */
export function credentialsAllowed(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.host));
}

/** Throws when we may not make a request to `url` at all. */
export function checkUrl(url: URL, policy: TransportPolicy): void {
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') {
    throw new TransportPolicyError(
      `refusing ${url.protocol} URL for ${url.host}: only https (and http for loopback)`,
    );
  }
  if (!plainHttpAllowed(url.host, policy)) {
    throw new TransportPolicyError(
      `refusing plain HTTP to ${url.host}: use HTTPS, or name it with --insecure-registry ${url.host}`,
    );
  }
}

/** Throws when a redirect from `from` to `to` must not be followed. */
export function checkRedirect(from: URL, to: URL, policy: TransportPolicy): void {
  if (from.protocol === 'https:' && to.protocol !== 'https:') {
    throw new TransportPolicyError(
      `refusing redirect from https://${from.host} to ${to.protocol}//${to.host}`,
    );
  }
  if (isLocalHost(to.host) && !isLocalHost(from.host)) {
    throw new TransportPolicyError(`refusing redirect from ${from.host} to local address ${to.host}`);
  }
  checkUrl(to, policy);
}

/** Same scheme, host and port. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}
