import { GuardError, UsageError, errorMessage } from '../errors.js';
import { printable } from '../format.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import type { CliContext } from './context.js';
import { watchInterrupts } from './interrupt.js';
import { describeWriteError, guardedOutput, type Output } from './output.js';

type Loaded = { run: (argv: string[], ctx: CliContext) => Promise<number>; help: string };
type Command = { load: () => Promise<Loaded>; summary: string };

// Each command's module is loaded only when it runs: validate, ls and prune never load the
// registry stack (most of the bundle's bytes), and --help loads no command at all.
const COMMANDS: Record<string, Command> = {
  validate: {
    load: async () => {
      const m = await import('./commands/validate.js');
      return { run: m.validateCommand, help: m.VALIDATE_HELP };
    },
    summary: 'check every blob and image; --repair fixes what is wrong',
  },
  pull: {
    load: async () => {
      const m = await import('./commands/pull.js');
      return { run: m.pullCommand, help: m.PULL_HELP };
    },
    summary: 'pull images into the cache atomically, resuming interrupted downloads',
  },
  ls: {
    load: async () => {
      const m = await import('./commands/ls.js');
      return { run: m.lsCommand, help: m.LS_HELP };
    },
    summary: 'list cached images, their platforms and completeness',
  },
  prune: {
    load: async () => {
      const m = await import('./commands/prune.js');
      return { run: m.pruneCommand, help: m.PRUNE_HELP };
    },
    summary: 'delete unreferenced blobs, partial downloads and strays',
  },
};

/** Own keys only: `toString` is not a command. */
function commandNamed(name: string | undefined): Command | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    `oci-cache-guard ${VERSION}: keep an OCI image cache (linuxkit's ~/.linuxkit/cache or any OCI layout) trustworthy`,
    '',
    'Usage: oci-cache-guard <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --cache DIR (default $LINUXKIT_CACHE, else ~/.linuxkit/cache), --json and --verbose.',
    "Run 'oci-cache-guard <command> --help' for its options.",
  ].join('\n');
}

/** The context of the real process: guarded stdout, stderr, Ctrl-C handling. */
export function consoleContext(argv: string[]): CliContext {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  // stderr is where problems are told: if it is closed too, there is nobody left to tell.
  process.stderr.on('error', () => {});
  const output = guardedOutput(process.stdout);
  const interrupts = watchInterrupts(argv[0] ?? '', process.stderr);
  const stderr = flushingFirst(process.stderr, output);
  const logger: Logger = {
    debug: (m) => verbose && stderr.write(`debug: ${printable(m)}\n`),
    info: (m) => stderr.write(`${printable(m)}\n`),
    warn: (m) => stderr.write(`warning: ${printable(m)}\n`),
  };
  return {
    out: (line) => output.line(line),
    stderr,
    logger,
    env: process.env,
    usingCache: (root) => interrupts.usingCache(root),
    end: () => output.end(),
  };
}

/**
 * stderr that lets the lines stdout has batched out first, so the two streams keep their
 * order on a terminal and in `> log 2>&1`.
 */
function flushingFirst(stream: NodeJS.WriteStream, output: Output): NodeJS.WriteStream {
  const write = (...args: unknown[]): boolean => {
    output.flush();
    return (stream.write as (...a: unknown[]) => boolean).apply(stream, args);
  };
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') return write;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Runs one CLI invocation and returns its exit status; never throws. */
export async function runCli(argv: string[], ctx: CliContext = consoleContext(argv)): Promise<number> {
  const code = await dispatch(argv, ctx);
  const failure = await ctx.end?.();
  if (!failure) return code;
  const prefix = commandNamed(argv[0]) ? `oci-cache-guard ${argv[0]}` : 'oci-cache-guard';
  ctx.stderr.write(`${prefix}: cannot write the output to stdout: ${describeWriteError(failure)}\n`);
  return EXIT.problems;
}

async function dispatch(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commandNamed(rest[0]) : undefined;
    ctx.out(topic ? (await topic.load()).help : usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    ctx.out(VERSION);
    return EXIT.ok;
  }
  const command = commandNamed(name);
  if (!command) {
    ctx.stderr.write(
      `oci-cache-guard: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')} (see --help)\n`,
    );
    return EXIT.usage;
  }
  const verbose = rest.includes('--verbose') || rest.includes('-v');
  try {
    return await (await command.load()).run(rest, ctx);
  } catch (err) {
    ctx.stderr.write(`oci-cache-guard ${name}: ${printable(errorMessage(err))}\n`);
    if (verbose && err instanceof Error) {
      if (err.cause) ctx.stderr.write(`  caused by: ${printable(errorMessage(err.cause))}\n`);
      if (!(err instanceof GuardError)) ctx.stderr.write(`${err.stack}\n`);
    }
    return err instanceof UsageError ? EXIT.usage : EXIT.problems;
  }
}
