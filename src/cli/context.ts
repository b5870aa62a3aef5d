import type { Logger } from '../log.js';

/** What a command needs from the process, injectable for tests. */
export interface CliContext {
  out(line: string): void;
  stderr: NodeJS.WriteStream;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}
