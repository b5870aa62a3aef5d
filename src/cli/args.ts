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

/**
 * parseArgs with one-line usage errors instead of Node's multi-line ones. A value that starts
 * with a dash (`--concurrency -1`) is taken as the value, to be judged by the option's own
 * check; an option followed by nothing or by another option (`--cache --json`) is missing
 * its value, and that is what the error says.
 */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  const see = `(see oci-cache-guard ${command} --help)`;
  const args = attachDashValues(argv, options, see);
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]!.replace(/^TypeError \[\w+\]: /, '');
    // runCli prefixes "oci-cache-guard <command>: ".
    throw new UsageError(`${message} ${see}`);
  }
}

function attachDashValues(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  see: string,
): string[] {
  const byShort = new Map(Object.entries(options).flatMap(([n, o]) => (o.short ? [[o.short, n]] : [])));
  const optionName = (token: string): string | undefined => {
    if (token.startsWith('--')) return token.slice(2).split('=')[0];
    return token.length === 2 && token.startsWith('-') ? byShort.get(token[1]!) : undefined;
  };
  const isOption = (token: string): boolean => {
    if (token === '--') return true;
    if (token.startsWith('--')) return optionName(token)! in options;
    return token.startsWith('-') && [...token.slice(1)].every((c) => byShort.has(c));
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return out.concat(argv.slice(i));
    out.push(token);
    const name = token.includes('=') ? undefined : optionName(token);
    if (name === undefined || options[name]?.type !== 'string') continue;
    const next = argv[i + 1];
    if (next === undefined) throw new UsageError(`${token} needs a value ${see}`);
    if (isOption(next)) throw new UsageError(`${token} needs a value; ${next} after it is an option ${see}`);
    if (next.startsWith('-')) {
      out[out.length - 1] = `--${name}=${next}`;
      i++;
    }
  }
  return out;
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
