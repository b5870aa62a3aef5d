import * as core from '@actions/core';
import type { Logger } from '../log.js';

export const actionLogger: Logger = { debug: core.debug, info: core.info, warn: core.warning };
