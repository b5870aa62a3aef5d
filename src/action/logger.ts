import * as core from '@actions/core';
import { printable } from '../format.js';
import type { Logger } from '../log.js';

/**
 * The core folders' log in the job log. Messages can carry names from the cache or a registry:
 * control characters are escaped, so a name can neither colour the log nor start a line that
 * the runner would read as a workflow command (`\n::add-mask::…`).
 */
export const actionLogger: Logger = {
  debug: (m) => core.debug(printable(m)),
  info: (m) => core.info(printable(m)),
  warn: (m) => core.warning(printable(m)),
};
