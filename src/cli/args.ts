import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { defaultCacheDir } from '../layout/layout.js';
import { parseWantedPlatform, type Platform } from '../oci/platform.js';
import type { VerifyMode } from '../verify/findings.js';

/** Options every command takes. */
export interface CommonSettings {
  cache: string;
  json: boolean;
  verbose: boolean;
}

export const COMMON_OPTIONS = {
  cache: { type: 'string' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** parseArgs with one-line usage errors instead of Node's multi-line ones. */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!.replace(/^TypeError \[\w+\]: /, '');
    // runCli prefixes "oci-cache-guard <command>: ".
    throw new UsageError(`${message} (see oci-cache-guard ${command} --help)`);
  }
}

/** `env` is the command's (CliContext.env), for the default cache directory. */
export function commonSettings(
  values: {
    cache?: string | undefined;
    json?: boolean | undefined;
    verbose?: boolean | undefined;
  },
  env: NodeJS.ProcessEnv = process.env,
): CommonSettings {
  return {
    cache: values.cache ?? defaultCacheDir(env),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
  };
}

export function parseMode(value: string | undefined): VerifyMode {
  if (value === undefined || value === 'full' || value === 'size') return value ?? 'full';
  throw new UsageError(`invalid --mode ${JSON.stringify(value)}: expected full or size`);
}

export function parsePlatforms(values: string[] | undefined): Platform[] {
  return (values ?? []).map((v) => parseWantedPlatform(v));
}
