import type { Logger } from '../log.js';

/** What a command needs from the process, injectable for tests. */
export interface CliContext {
  /** One line of the command's output (stdout). */
  out(line: string): void;
  stderr: NodeJS.WriteStream;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Told the cache a command works on, once known (for the Ctrl-C line). */
  usingCache?(root: string): void;
  /** Writes what `out` has left; resolves with a stdout failure to report (see output.ts). */
  end?(): Promise<Error | undefined>;
}
