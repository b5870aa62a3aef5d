import { UsageError } from '../../errors.js';
import { shortDigest } from '../../oci/digest.js';
import { hostPlatform } from '../../oci/platform.js';
import { parseReference } from '../../oci/reference.js';
import { pullImages, type PullResult } from '../../pull/pull.js';
import { REFRESH_MODES } from '../../pull/refresh.js';
import { isPulled, pullFailure } from '../../pull/result.js';
import type { PlatformSelection } from '../../pull/plan.js';
import { parseMirrors, parseRegistryAuth } from '../../registry/credentials-input.js';
import { createRegistryClient } from '../../registry/index.js';
import { COMMON_OPTIONS, commonSettings, parseCommand, parsePlatforms } from '../args.js';
import { openCache } from '../cache.js';
import type { CliContext } from '../context.js';
import {
  formatBytes,
  formatDuration,
  formatPullsLeft,
  formatRate,
  printable,
  printableJson,
} from '../../format.js';
import { DEFAULT_CONNECTIONS } from '../../pull/budget.js';
import { bytesPerSecond, describeSpeed } from '../../pull/speed.js';
import { createProgress } from '../progress.js';

export const PULL_HELP = `Usage: oci-cache-guard pull [options] REF...

Pulls images into the cache, atomically: every blob is downloaded to <hex>.download, hashed
while it streams and renamed into place only when size and sha256 match; the index.json
entry (named as linuxkit names it: redis -> docker.io/library/redis) is written last. An
image already complete in the cache is not fetched again; an interrupted download resumes.

Options:
  --platform OS/ARCH       platform to pull (repeatable; default the host's; "all" for every one)
  --concurrency N          connections per registry host, shared by all downloads (default 8)
  --insecure-registry H    allow plain HTTP to host H (loopback registries always may)
  --registry-mirror R=URL  try URL before registry R, e.g. docker.io=https://mirror.gcr.io (repeatable)
  --refresh MODE           images already complete in the cache: never (default) use them as
                           they are; head: ask with one HEAD whether the tag moved (not a pull
                           on Docker Hub) and pull it only if it did; always: ask with GET
  --json                   print the results as JSON
  --cache DIR              the layout (default $LINUXKIT_CACHE, else ~/.linuxkit/cache)

Credentials come from docker's config.json ($DOCKER_CONFIG or ~/.docker: auths, credHelpers,
credsStore), and from OCI_CACHE_GUARD_REGISTRY_AUTH: lines of host=user:password.

Over HTTPS, manifests and small blobs share one HTTP/2 connection where the registry offers it;
OCI_CACHE_GUARD_HTTP1=1 keeps every request on HTTP/1.1.

Exit status: 0 every image complete, 1 some image failed, 2 usage error.`;

export async function pullCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(
    'pull',
    argv,
    {
      ...COMMON_OPTIONS,
      platform: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      'insecure-registry': { type: 'string', multiple: true },
      'registry-mirror': { type: 'string', multiple: true },
      refresh: { type: 'string', default: 'never' },
    },
    true,
  );
  if (values.help) return (ctx.out(PULL_HELP), 0);
  if (positionals.length === 0)
    throw new UsageError('name at least one image reference (see oci-cache-guard pull --help)');
  const settings = commonSettings(values, ctx.env);
  const layout = await openCache(settings.cache, ctx, { create: true });
  const refs = positionals.map((p) => parseReference(p));
  const platforms: PlatformSelection = values.platform?.includes('all')
    ? 'all'
    : parsePlatforms(values.platform);
  const refresh = REFRESH_MODES.find((m) => m === values.refresh);
  if (!refresh)
    throw new UsageError(
      `invalid --refresh ${JSON.stringify(values.refresh)}: expected ${REFRESH_MODES.join(', ')}`,
    );
  const concurrency = Number(values.concurrency ?? DEFAULT_CONNECTIONS);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError(
      `invalid --concurrency ${JSON.stringify(values.concurrency)}: expected a whole number from 1 to 64`,
    );
  }
  const client = createRegistryClient({
    insecureRegistries: values['insecure-registry'] ?? [],
    mirrors: parseMirrors(values['registry-mirror'] ?? [], '--registry-mirror'),
    credentials: parseRegistryAuth(
      ctx.env.OCI_CACHE_GUARD_REGISTRY_AUTH ?? '',
      'OCI_CACHE_GUARD_REGISTRY_AUTH',
    ),
    env: ctx.env,
    logger: ctx.logger,
    connectionsPerHost: concurrency,
  });
  const progress = createProgress({ label: 'pulling', stream: ctx.stderr });
  let results: PullResult[];
  try {
    results = await pullImages(layout, client, refs, {
      platforms: Array.isArray(platforms) && platforms.length === 0 ? [hostPlatform()] : platforms,
      concurrency,
      logger: ctx.logger,
      refresh,
      onProgress: (p) => progress.update(p.bytes, p.total),
    });
  } finally {
    progress.done();
    await client.close();
  }
  if (settings.json) ctx.out(printableJson({ results, rateLimit: client.rateLimit ?? null }));
  else {
    for (const r of results) ctx.out(printable(describeResult(r)));
    if (results.some(isPulled))
      ctx.out(`${results.length} image${results.length === 1 ? '' : 's'}: ${describeSpeed(results)}`);
  }
  for (const r of results)
    if (r.status === 'failed' && !settings.json)
      ctx.stderr.write(`oci-cache-guard pull: ${printable(pullFailure(r))}\n`);
  if (client.rateLimit && !settings.json) ctx.out(formatPullsLeft(client.rateLimit));
  return results.every((r) => r.status !== 'failed') ? 0 : 1;
}

function describeResult(r: PullResult): string {
  if (r.status === 'failed') return `${r.name}: failed`;
  const digest = r.digest ? ` ${shortDigest(r.digest)}` : '';
  if (r.status === 'cached') return `${r.name}${digest}: cached (${r.cachedBlobs} blobs verified)`;
  const resumed = r.resumedBytes > 0 ? `, ${formatBytes(r.resumedBytes)} resumed` : '';
  const speed = formatRate(bytesPerSecond(r.bytes, r.ms));
  if (r.status === 'updated')
    return `${r.name}: updated ${shortDigest(r.previousDigest!)} → ${shortDigest(r.digest!)}: pulled ${formatBytes(r.bytes)} in ${r.fetchedBlobs} blobs (${r.cachedBlobs} already cached${resumed}) in ${formatDuration(r.ms)}, ${speed}`;
  return `${r.name}${digest}: pulled ${formatBytes(r.bytes)} in ${r.fetchedBlobs} blobs (${r.cachedBlobs} already cached${resumed}) in ${formatDuration(r.ms)}, ${speed}`;
}
