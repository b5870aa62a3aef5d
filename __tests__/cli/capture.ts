// runCli in-process with stdout lines and stderr captured and an env of the test's choosing.
import { Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';

export interface Captured {
  code: number;
  /** Lines given to ctx.out (stdout). */
  out: string[];
  /** Everything written to stderr, logger included. */
  err: string;
}

export function captureContext(
  env: NodeJS.ProcessEnv = {},
): CliContext & { out: (l: string) => void; lines: string[]; err: () => string } {
  const lines: string[] = [];
  let err = '';
  const stderr = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      err += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return {
    out: (line) => lines.push(line),
    lines,
    err: () => err,
    stderr,
    logger: {
      debug: () => {},
      info: (m) => (err += `${m}\n`),
      warn: (m) => (err += `warning: ${m}\n`),
    },
    env,
  };
}

export async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Captured> {
  const ctx = captureContext(env);
  const code = await runCli(argv, ctx);
  return { code, out: ctx.lines, err: ctx.err() };
}
