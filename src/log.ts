/** The core folders log through this and never import @actions/core. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };
